"""The `rules` backend: a sketch and a story from the library of phases in `states.json`.

A trajectory is a walk over the phases' `next` links (no phase twice), so each scenario follows from the last
and belief and emotion change at every transition. Reasons and influences are filled from templates over the
chosen values; all draws come from the recipe seed and the context index.
"""

from __future__ import annotations

import random

from filters.tom.pools import Pools, capitalise
from filters.tom.sketch import ACROSS, PER_SCENARIO, RELATIONSHIPS

RELATIONS = [
    "{a} and {b} are long-time friends who met at school.",
    "{a} and {b} are colleagues who have shared an office for three years.",
    "{a} and {b} are neighbours who often help each other out.",
    "{a} and {b} are siblings who speak every week.",
    "{a} and {b} are old classmates who reconnected recently.",
]


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def walk(pools: Pools, scenarios: int, rng: random.Random) -> list[str]:
    """`scenarios` distinct phases, each reachable from the one before (restarts if a walk gets stuck)."""
    phases = pools.library["phases"]
    for _ in range(100):
        path = [rng.choice(sorted(phases))]
        while len(path) < scenarios:
            options = [p for p in phases[path[-1]]["next"] if p not in path]
            if not options:
                break
            path.append(rng.choice(options))
        if len(path) == scenarios:
            return path
    # a long S outgrows the graph: allow revisits, never the same phase twice in a row
    path = [rng.choice(sorted(phases))]
    while len(path) < scenarios:
        path.append(rng.choice([p for p in phases[path[-1]]["next"] if p != path[-1]]))
    return path


def characters_information(profile: dict) -> str:
    def describe(p):
        return (
            f"{p['name']}, {p['gender']}, is a {p['occupation']} whose race is {p['race']}. {p['name']} obtained "
            f"a {p['education']}, and has an {p['personality']} personality."
            if p["personality"][0] in "aeiou"
            else f"{p['name']}, {p['gender']}, is a {p['occupation']} whose race is {p['race']}. {p['name']} "
            f"obtained a {p['education']}, and has a {p['personality']} personality."
        )

    return (
        f"**Main Character**: {describe(profile['main'])} **Supporting Characters**:- **1**: "
        f"{describe(profile['supporting'])}"
    )


def rules_context(pools: Pools, profile: dict, scenarios: int, seed: int, index: int) -> dict:
    """A whole context in DynToM's story.json layout (sketch and story) for one profile."""
    rng = random.Random(f"{seed}:rules:{index}")
    phases = pools.library["phases"]
    main, other = profile["main"], profile["supporting"]
    fill = {"first": main["first_name"], "other": other["first_name"], "topic": rng.choice(pools.library["topics"])}
    path = walk(pools, scenarios, rng)
    chosen = []
    for name in path:
        phase = phases[name]
        chosen.append(
            {
                key: rng.choice(phase[key]).format(**fill)
                for key in ("belief", "emotion", "intention", "action", "trigger")
            }
            | {"lines": [[a.format(**fill), b.format(**fill)] for a, b in phase["lines"]]}
        )
    first = fill["first"]
    per, story = {}, {}
    for k, c in enumerate(chosen, start=1):
        feeling = c["emotion"].lower().replace(", ", " and ")
        per[f"scenario {k}"] = {
            "belief": f"{first} believes {c['belief']}.",
            "emotion": c["emotion"],
            "intention": f"To {c['intention']}",
            "action": f"{first} {c['action']}.",
            "influence": {
                "belief->emotion": f"Believing that {c['belief']} leaves {first} feeling {feeling}.",
                "belief&emotion->intention": f"The belief that {c['belief']}, with {feeling}, makes "
                f"{first} want to {c['intention']}.",
                "intention->action": f"Wanting to {c['intention']}, {first} {c['action']}.",
            },
        }
        where = profile.get("social setting") or "a quiet place"
        opening = (
            f"{first} and {fill['other']} meet at the {where}."
            if k == 1
            else f"Later, {_lower(c['trigger'])}; {first} and {fill['other']} meet again at the {where}."
        )
        story[f"scenario {k}"] = {
            "background": opening,
            "dialogue": [{first: a, fill["other"]: b} for a, b in c["lines"]],
        }

    def across(key: str, reason) -> dict:
        entry = {"Changed": "True"}
        entry |= {str(k): capitalise(c[key]) for k, c in enumerate(chosen, start=1)}
        entry["Reasons"] = "; ".join(f"{k}->{k + 1}: {reason(chosen[k - 1], chosen[k])}" for k in range(1, scenarios))
        return entry

    sketch = {
        RELATIONSHIPS: {
            "main character with supporting character 1": rng.choice(RELATIONS).format(a=main["name"], b=other["name"])
        },
        PER_SCENARIO: per,
        ACROSS: {
            "Belief": across("belief", lambda a, b: capitalise(b["trigger"])),
            "Emotion": across(
                "emotion",
                lambda a, b: f"{capitalise(b['trigger'])}, turning {a['emotion'].lower()} into {b['emotion'].lower()}",
            ),
            "Intention": across("intention", lambda a, b: f"The new belief that {b['belief']} calls for a new aim"),
            "Action": across("action", lambda a, b: f"{first} acts on the wish to {b['intention']}"),
        },
    }
    return {
        "social setting": profile.get("social setting"),
        "social setting type": profile.get("social setting type"),
        "main character": main["name"],
        "scenario numbers": scenarios,
        "characters information": characters_information(profile),
        "sketch": sketch,
        "story": story,
    }
