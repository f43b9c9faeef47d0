"""Small DynToM-shaped contexts for tests, modelled on the released story.json files."""

from __future__ import annotations

import copy

from filters.tom.pools import load_pools
from filters.tom.rules_sketch import rules_context


def context(scenarios: int = 5, index: int = 0, seed: int = 0) -> dict:
    pools = load_pools()
    return rules_context(pools, pools.profile(seed, index), scenarios, seed, index)


def released_style(scenarios: int, index: int, dialogue_shape: str, with_setting: bool = True) -> dict:
    """A context in the release's layout with one of its dialogue shapes and, like part of it, no setting."""
    c = copy.deepcopy(context(scenarios, index))
    if not with_setting:
        c.pop("social setting")
        c.pop("social setting type")
    across = c["sketch"]["analysis of mental states across scenarios"]
    across["Belief"]["Reasons"] = across["Belief"]["Reasons"].replace("1->2:", "Scenario 1->2:")  # the "rio" bait
    for k in range(1, scenarios + 1):
        scene = c["story"][f"scenario {k}"]
        pairs = [(s, t) for turn in scene["dialogue"] for s, t in turn.items()]
        scene["dialogue"] = {
            "pairs": [dict(pairs[i : i + 2]) for i in range(0, len(pairs), 2)],
            "speaker_line": [{"speaker": s, "line": t} for s, t in pairs],
            "mapping": dict(pairs[:2]),
            "single": [{s: t} for s, t in pairs],
            "text": "\n".join(f"{s}: {t}" for s, t in pairs),
        }[dialogue_shape]
    return c
