"""Quarantine: every dropped document goes to removed/STAGE/ with the reason it was dropped."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.writers.jsonl import JsonlWriter


class QuarantineWriter(JsonlWriter):
    """A JSONL exclusion writer that stamps `filter_reason` on documents whose dropper gives none.

    Datatrove's MinHash filter writes excluded documents without a reason; every quarantined document
    of ours carries one so `removed/` can be audited without the logs.
    """

    def __init__(self, output_folder: str, default_reason: str):
        super().__init__(output_folder, output_filename="${rank}.jsonl.gz", compression="gzip")
        self.default_reason = default_reason

    def write(self, document: Document, rank: int = 0, **kwargs):
        document.metadata.setdefault("filter_reason", self.default_reason)
        super().write(document, rank, **kwargs)


def quarantine_writers(layout, default_reasons: dict[str, str]):
    """`quarantine(stage)` -> the writer of removed/STAGE/, stamping the stage's default reason."""

    def quarantine(stage: str) -> QuarantineWriter:
        return QuarantineWriter(str(layout.removed(stage)), default_reason=default_reasons.get(stage, stage))

    return quarantine
