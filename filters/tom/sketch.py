"""DynToM's sketch layout: reading it into a `Trajectory`, and the structure check a sketch must pass.

Layout (`story.json` -> `sketch`): `relationships among characters`; `mental states analysis in every
scenario` -> `scenario k` -> belief, emotion, intention, action, influence {belief->emotion,
belief&emotion->intention, intention->action}; `analysis of mental states across scenarios` ->
Belief/Emotion/Intention/Action -> {Changed, "1".."S", Reasons: "1->2: ...; 2->3: ..."}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATES = ("belief", "emotion", "intention", "action")
INFLUENCES = ("belief->emotion", "belief&emotion->intention", "intention->action")
PER_SCENARIO = "mental states analysis in every scenario"
ACROSS = "analysis of mental states across scenarios"
RELATIONSHIPS = "relationships among characters"
# "1->2:", "Scenario 1->2:", "1 -> 2 :", "1→2:"; DynToM stripped a fixed 5 characters, leaving "rio 1->2:"
_TRANSITION = re.compile(r"(?:\bscenarios?\s*)?\b(\d+)\s*(?:->|→|-)\s*(\d+)\s*:", re.I)


def normalise(text: str) -> str:
    """What two options must not share: case, punctuation and spacing are not a difference."""
    return " ".join(re.sub(r"[^\w]+", " ", str(text).lower()).split())


@dataclass(frozen=True)
class Trajectory:
    """The parts of a sketch that questions are made from."""

    main: str
    scenarios: int
    values: dict[str, list[str]]  # state -> short value per scenario (index 0 = scenario 1)
    reasons: dict[str, list[str]]  # state -> reason per transition (index 0 = 1->2)
    influences: list[dict[str, str]]  # per scenario: influence key -> text

    def changed(self, state: str, transition: int) -> bool:
        """Whether `state` changes from scenario `transition` to `transition + 1` (1-based), by its values."""
        values = self.values[state]
        return normalise(values[transition - 1]) != normalise(values[transition])


def _key(mapping: dict, name: str):
    """A key matched case-insensitively (DynToM capitalises the across-scenario states)."""
    for key in mapping:
        if str(key).strip().lower() == name.lower():
            return key
    return None


def parse_reasons(raw, transitions: int) -> tuple[list[str] | None, str | None]:
    """`"1->2: a; 2->3: b"` (or a dict/list of them) -> ["a", "b"], or (None, problem)."""
    if isinstance(raw, dict):
        found = {}
        for key, value in raw.items():
            m = re.fullmatch(r"\s*(?:scenarios?\s*)?(\d+)\s*(?:->|→|-|_)\s*(\d+)\s*", str(key), re.I)
            if m:
                found[int(m.group(1))] = (int(m.group(2)), str(value))
        reasons = [found.get(i, (None, ""))[1].strip() for i in range(1, transitions + 1)]
        if sorted(found) != list(range(1, transitions + 1)):
            return None, f"reasons name transitions {sorted(found)}, expected 1..{transitions}"
        return reasons, None
    if isinstance(raw, list):
        raw = "; ".join(str(r) for r in raw)
    if not isinstance(raw, str):
        return None, "reasons are not text"
    marks = list(_TRANSITION.finditer(raw))
    if not marks:
        parts = [p.strip() for p in raw.split(";") if p.strip()]
        if len(parts) != transitions:
            return None, f"{len(parts)} reasons without 'k->k+1:' labels, expected {transitions}"
        return parts, None
    starts = [int(m.group(1)) for m in marks]
    if starts != list(range(1, transitions + 1)) or any(int(m.group(2)) != int(m.group(1)) + 1 for m in marks):
        labels = ", ".join(f"{m.group(1)}->{m.group(2)}" for m in marks)
        return None, f"reasons label transitions {labels}, expected 1->2 ... {transitions}->{transitions + 1}"
    reasons = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(raw)
        reasons.append(raw[m.end() : end].strip().rstrip(";").strip())
    return reasons, None


def structure_problems(sketch, scenarios: int | None = None) -> list[str]:
    """Why a sketch cannot be questioned (empty when it can).

    Checks the key counts (S + 2 per across-scenario state: Changed, "1".."S", Reasons), S - 1 labelled reasons,
    no empty value, the per-scenario states and influences, and that belief, emotion or intention changes at
    every transition.
    """
    if not isinstance(sketch, dict):
        return ["sketch is not a mapping"]
    problems = []
    across = sketch.get(ACROSS)
    per = sketch.get(PER_SCENARIO)
    if not isinstance(across, dict):
        return [f"missing '{ACROSS}'"]
    if not isinstance(per, dict):
        return [f"missing '{PER_SCENARIO}'"]
    if scenarios is None:
        scenarios = len(per)
    if scenarios < 2:
        return [f"{scenarios} scenario(s): at least 2 are needed"]
    if sorted(per) != sorted(f"scenario {k}" for k in range(1, scenarios + 1)):
        problems.append(f"per-scenario analysis has {sorted(per)}, expected scenario 1..{scenarios}")
    for state in STATES:
        key = _key(across, state)
        entry = across.get(key) if key is not None else None
        if not isinstance(entry, dict):
            problems.append(f"{state}: missing from the across-scenario analysis")
            continue
        if len(entry) != scenarios + 2:
            problems.append(f"{state}: {len(entry)} keys, expected {scenarios + 2} (Changed, 1..{scenarios}, Reasons)")
        for k in range(1, scenarios + 1):
            if not str(entry.get(str(k), "")).strip():
                problems.append(f"{state}: empty or missing value for scenario {k}")
        reasons_key = _key(entry, "reasons")
        reasons, problem = parse_reasons(entry.get(reasons_key) if reasons_key else None, scenarios - 1)
        if problem:
            problems.append(f"{state}: {problem}")
        elif any(not r for r in reasons):
            problems.append(f"{state}: an empty reason")
    for k in range(1, scenarios + 1):
        scenario = per.get(f"scenario {k}")
        if not isinstance(scenario, dict):
            continue
        for state in STATES:
            if not str(scenario.get(state, "")).strip():
                problems.append(f"scenario {k}: empty or missing {state}")
        influence = scenario.get("influence")
        if not isinstance(influence, dict) or any(not str(influence.get(i, "")).strip() for i in INFLUENCES):
            problems.append(f"scenario {k}: influence needs non-empty {', '.join(INFLUENCES)}")
    if not problems:
        trajectory = to_trajectory({"sketch": sketch}, scenarios)
        for t in range(1, scenarios):
            if not any(trajectory.changed(state, t) for state in ("belief", "emotion", "intention")):
                problems.append(f"nothing changes from scenario {t} to {t + 1} (belief, emotion and intention equal)")
    return problems


def scenario_count(context: dict) -> int | None:
    declared = context.get("scenario numbers")
    try:
        return int(declared)
    except (TypeError, ValueError):
        per = (context.get("sketch") or {}).get(PER_SCENARIO)
        return len(per) if isinstance(per, dict) else None


def to_trajectory(context: dict, scenarios: int | None = None) -> Trajectory:
    """A context (`story.json` layout) whose sketch passed `structure_problems` -> its Trajectory."""
    sketch = context["sketch"]
    scenarios = scenarios or scenario_count(context)
    across, per = sketch[ACROSS], sketch[PER_SCENARIO]
    values, reasons = {}, {}
    for state in STATES:
        entry = across[_key(across, state)]
        values[state] = [str(entry[str(k)]).strip() for k in range(1, scenarios + 1)]
        reasons[state] = parse_reasons(entry[_key(entry, "reasons")], scenarios - 1)[0]
    influences = [
        {i: str(per[f"scenario {k}"]["influence"][i]).strip() for i in INFLUENCES} for k in range(1, scenarios + 1)
    ]
    main = str(context.get("main character") or "the main character").strip()
    return Trajectory(main, scenarios, values, reasons, influences)
