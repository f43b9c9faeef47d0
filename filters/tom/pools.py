"""Pools of profiles, settings and mental-state templates: plain files a user can replace.

A folder holds `names_female.txt`, `names_male.txt`, `surnames.txt`, `races.txt`, `occupations.txt`,
`education.txt` (6 levels), `personalities.txt` (16 types), `settings.json` (setting type -> locations) and
`states.json` (the rules library: topics and phases with state values, triggers, dialogue lines, next phases).
Every draw is seeded from the recipe seed and the context index, never from order or time.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

DEFAULT_POOLS = Path(__file__).resolve().parents[2] / "pipelines" / "tom_pools"
LIST_FILES = ("names_female", "names_male", "surnames", "races", "occupations", "education", "personalities")


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass(frozen=True)
class Pools:
    lists: dict[str, list[str]]
    settings: dict[str, list[str]]
    library: dict

    def files(self, folder: Path) -> dict[str, Path]:
        return {name: folder / f"{name}.txt" for name in LIST_FILES} | {
            "settings": folder / "settings.json",
            "states": folder / "states.json",
        }

    def person(self, rng: random.Random) -> dict:
        gender = rng.choice(["woman", "man"])
        first = rng.choice(self.lists["names_female" if gender == "woman" else "names_male"])
        return {
            "name": f"{first} {rng.choice(self.lists['surnames'])}",
            "first_name": first,
            "gender": gender,
            "occupation": rng.choice(self.lists["occupations"]),
            "race": rng.choice(self.lists["races"]),
            "education": rng.choice(self.lists["education"]),
            "personality": rng.choice(self.lists["personalities"]),
        }

    def profile(self, seed: int, index: int) -> dict:
        """Two characters (different first names), a setting type and a location within it."""
        rng = random.Random(f"{seed}:context:{index}")
        main = self.person(rng)
        other = self.person(rng)
        while other["first_name"] == main["first_name"]:
            other = self.person(rng)
        setting_type = rng.choice(sorted(self.settings))
        return {
            "main": main,
            "supporting": other,
            "social setting type": setting_type,
            "social setting": rng.choice(self.settings[setting_type]),
        }

    def fallback(self) -> dict[str, list[str]]:
        """Distractors from other contexts: the library's values with neutral names, per state."""
        fill = {"other": "their friend", "first": "they", "topic": "the plan"}
        out = {"belief": [], "emotion": [], "intention": [], "action": [], "reasons": [], "influences": []}
        for phase in self.library["phases"].values():
            for state in ("belief", "emotion", "intention", "action"):
                out[state] += [capitalise(v.format(**fill)) for v in phase[state]]
            out["reasons"] += [capitalise(v.format(**fill)) for v in phase["trigger"]]
            out["influences"] += [
                f"Believing that {phase['belief'][0].format(**fill)} leads to {phase['emotion'][0].lower()}."
            ]
        return out


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def pool_problems(folder: Path) -> list[str]:
    problems = []
    for name in LIST_FILES:
        path = folder / f"{name}.txt"
        if not path.is_file():
            problems.append(f"missing {path}")
        elif not _lines(path):
            problems.append(f"{path} is empty")
    for name in ("settings.json", "states.json"):
        if not (folder / name).is_file():
            problems.append(f"missing {folder / name}")
    if problems:
        return problems
    try:
        pools = load_pools(folder)
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        return [f"{folder}: {type(e).__name__}: {e}"]
    phases = pools.library["phases"]
    for name, phase in phases.items():
        for key in ("belief", "emotion", "intention", "action", "trigger", "lines", "next"):
            if not phase.get(key):
                problems.append(f"states.json: phase {name!r} needs a non-empty {key!r}")
        for nxt in phase.get("next", []):
            if nxt not in phases or nxt == name:
                problems.append(f"states.json: phase {name!r} leads to unknown or same phase {nxt!r}")
    return problems


def load_pools(folder: str | Path | None = None) -> Pools:
    folder = Path(folder) if folder else DEFAULT_POOLS
    lists = {name: _lines(folder / f"{name}.txt") for name in LIST_FILES}
    settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    library = json.loads((folder / "states.json").read_text(encoding="utf-8"))
    return Pools(lists, settings, library)
