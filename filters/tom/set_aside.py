"""Contexts already sketched skip the next LLM retry round: set aside before it, merged back after it.

Only the contexts that still need a sketch go to a retry round (no model time spent re-answering the others);
the sketched ones wait in work/sketched/ROUND/ as rank r's shard and rejoin rank r's stream in id order, so the
next parser sees (and counts) every context once and the output does not depend on which round answered.
"""

from __future__ import annotations

import heapq

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.jsonl import JsonlWriter

from factory.readers import RankShardReader


class SetAside(PipelineStep):
    """Writes the settled documents (a `context`, or `given_up` asking) to `folder` (`${rank}.jsonl.gz`);
    forwards the others, which the next round asks again."""

    name = "set_aside"
    type = "🧠 - TOM"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def run(self, data, rank: int = 0, world_size: int = 1):
        with JsonlWriter(self.folder, output_filename="${rank}.jsonl.gz") as writer:
            shard = f"{rank:05d}.jsonl.gz"
            if writer.output_folder.isfile(shard):  # what an interrupted run of this task left
                writer.output_folder.rm(shard)
            for doc in data:
                if "context" in doc.metadata or "given_up" in doc.metadata:
                    self.stat_update("set_aside")
                    writer.write(doc, rank)
                else:
                    self.stat_update("to_retry")
                    yield doc


def rejoined(data, folder: str | None, rank: int):
    """`data` (in id order, as a round's output is read back) merged with rank's set-aside shard in id order."""
    if folder is None:
        return iter(data)
    return heapq.merge(data, RankShardReader(folder).run(rank=rank), key=lambda doc: doc.id)
