"""OctoThinker Web-Pro rounds: educational-value score, then refinement of the kept pages."""

from __future__ import annotations

import re

from datatrove.data import Document

from filters.books.qa_llm import REFUSAL, CompletionStep

_SCORE = re.compile(r"score\s*[:=]?\s*([0-5])\b", re.I)


class EduScoreParser(CompletionStep):
    """Keeps pages whose `Score: N` (0-5) is at least `threshold`; stores `edu_score`."""

    name = "edu"

    def __init__(self, threshold: int, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.threshold = threshold

    def handle(self, doc: Document, text: str):
        scores = _SCORE.findall(text)
        if not scores:
            return "refusal" if REFUSAL.search(text) else "unparseable"
        doc.metadata["edu_score"] = int(scores[-1])
        return [doc] if doc.metadata["edu_score"] >= self.threshold else "low_edu_score"


class RefinedTextParser(CompletionStep):
    """The refined page replaces the extracted one; an empty or refused rewrite is quarantined."""

    name = "refine"

    def handle(self, doc: Document, text: str):
        text = text.strip()
        if REFUSAL.search(text):
            return "refusal"
        if len(text.split()) < 0.2 * len(doc.text.split()):
            return "refined_too_short"  # the paper asks for similar length; a stub is not a refinement
        doc.text = text
        return [doc]
