"""Synthetic input: `input.contexts` contexts, each a profile pair and setting drawn from the pools."""

from __future__ import annotations

import json

from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from filters.tom.pools import load_pools
from filters.tom.rules_sketch import characters_information


class SyntheticContexts(PipelineStep):
    """Yields contexts `ctx-00000`... of this rank (index % world_size == rank); the text is the request an LLM
    backend is given (profiles, setting, number of scenarios)."""

    name = "contexts"
    type = "📖 - READER"

    def __init__(self, contexts: int, scenarios: int, seed: int, pools_folder: str | None = None):
        super().__init__()
        self.contexts, self.scenarios, self.seed, self.pools_folder = contexts, scenarios, seed, pools_folder

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        pools = load_pools(self.pools_folder)
        for index in range(rank, self.contexts, world_size):
            profile = pools.profile(self.seed, index)
            request = {
                "main character": profile["main"]["name"],
                "supporting character": profile["supporting"]["name"],
                "characters information": characters_information(profile),
                "social setting type": profile["social setting type"],
                "social setting": profile["social setting"],
                "scenario numbers": self.scenarios,
            }
            self.stat_update(StatHints.total)
            self.stat_update(StatHints.forwarded)
            yield Document(
                text=json.dumps(request, indent=1, ensure_ascii=False),
                id=f"ctx-{index:05d}",
                metadata={"index": index, "profile": profile},
            )
