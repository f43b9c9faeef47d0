"""Pruning: progressive steps always stay; per functional type, the `ratio` lowest-PIR steps go."""

from __future__ import annotations

import math

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep

from filters.cot.cues import FUNCTIONAL


def plan_drops(steps: list[dict], ratios: dict[str, float], threshold: float | None = None) -> set[int]:
    """Indices to drop: for each functional type with n scored steps, the round(ratio * n) lowest PIR (half rounds
    up; ties: the earlier step first), and with `threshold` only those with PIR below it. Unscored steps are kept."""
    drops: set[int] = set()
    for kind in FUNCTIONAL:
        scored = [(s["pir"], i) for i, s in enumerate(steps) if s["type"] == kind and s.get("pir") is not None]
        count = math.floor(ratios.get(kind, 0.0) * len(scored) + 0.5 + 1e-9)
        for pir, i in sorted(scored)[:count]:
            if threshold is None or pir < threshold:
                drops.add(i)
    return drops


class StepPruner(PipelineStep):
    """Marks each step `kept`, writes `pruned_reasoning` and its token count."""

    name = "prune"
    type = "✂️ - PRUNE"

    def __init__(self, ratios: dict[str, float], threshold: float | None = None):
        super().__init__()
        self.ratios = ratios
        self.threshold = threshold

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data:
            self.stat_update("total")
            yield self.prune(doc)
            self.stat_update("forwarded")

    def prune(self, doc: Document) -> Document:
        meta = doc.metadata
        drops = plan_drops(meta["steps"], self.ratios, self.threshold)
        for i, step in enumerate(meta["steps"]):
            step["kept"] = i not in drops
            if not step["kept"]:
                self.stat_update(f"pruned_steps_{step['type']}")
        meta["pruned_reasoning"] = "".join(s["text"] for s in meta["steps"] if s["kept"])
        meta["pruned_reasoning_tokens"] = sum(s.get("tokens", 0) for s in meta["steps"] if s["kept"])
        doc.text = meta["pruned_reasoning"]
        return doc
