"""The funnel: per step, items read, kept, and dropped by reason, from datatrove's per-rank stats.

A build may change its unit (books -> pairs, chains -> steps): the step that does so records `produced`,
which ends its unit's funnel and starts the next one. Each unit's funnel adds up on its own.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from factory.recipe_spec import FunnelSpec


def _value(stat) -> float:
    return stat.get("total", 0) if isinstance(stat, dict) else stat


def step_counters(logs_dirs: list[Path]) -> dict[str, dict[str, float]]:
    """step name -> counter -> total over every rank of every stage (completed ranks only), in pipeline order."""
    counters: dict[str, dict[str, float]] = {}
    for logs in logs_dirs:
        for stats_file in sorted((logs / "stats").glob("*.json")):
            for step in json.loads(stats_file.read_text()):
                name = step["name"].split(": ", 1)[-1]  # datatrove prefixes the step type
                step_counts = counters.setdefault(name, defaultdict(float))
                for key, stat in step.get("stats", {}).items():
                    step_counts[key] += _value(stat)
    return counters


def _stage_entry(name: str, c: dict, default_reasons: dict[str, str], unit: str) -> dict:
    reasons = {k.removeprefix("dropped_"): int(v) for k, v in c.items() if k.startswith("dropped_")}
    unexplained = int(c.get("dropped", 0)) - sum(reasons.values())
    if unexplained:
        reason = default_reasons.get(name, "unspecified")
        reasons[reason] = reasons.get(reason, 0) + unexplained
    entry = {
        "stage": name,
        "unit": unit,
        "read": int(c.get("total", 0)),
        "kept": int(c.get("forwarded", 0)),
        "dropped": dict(sorted(reasons.items())),
    }
    if "produced" in c:
        entry["produced"] = int(c["produced"])
    return entry


def compute_funnel(logs_dirs: list[Path], spec: FunnelSpec) -> dict:
    """Per-unit funnels (each: read, kept, dropped by `stage/reason`, its steps, whether it adds up).

    `logs_dirs` are the stages' logging folders in the order the stages ran. The top-level `read`/`kept`/
    `unit` are the last unit's (what the published rows are counted in); `inputs` is what the first step read.
    """
    counters = step_counters(logs_dirs)
    names = [n for n in counters if n in spec.steps]  # pipeline order; steps the spec does not count are ignored
    units, unit, current = [], spec.unit, []
    for name in names:
        entry = _stage_entry(name, counters[name], spec.default_reasons, unit)
        current.append(entry)
        if "produced" in entry:
            units.append((unit, current, entry["produced"]))
            unit, current = spec.produces.get(name, f"{name} output"), []
    units.append((unit, current, None))

    funnels = []
    for i, (name, stages, _produced) in enumerate(units):
        if not stages and i == len(units) - 1 and i > 0:
            # the unit-changing step was the last counted step: its output is the final unit, nothing dropped
            previous = units[i - 1][2] or 0
            funnels.append(
                {"unit": name, "read": previous, "kept": previous, "dropped": {}, "stages": [], "adds_up": True}
            )
            continue
        read = stages[0]["read"] if stages else 0
        if i > 0 and units[i - 1][2] is not None and stages:
            read = units[i - 1][2]  # the previous unit's step produced what this unit reads
        kept = stages[-1]["kept"] if stages else 0
        dropped = {f"{s['stage']}/{r}": n for s in stages for r, n in s["dropped"].items()}
        chained = all(a["kept"] == b["read"] for a, b in zip(stages, stages[1:]))
        balanced = all(s["read"] == s["kept"] + sum(s["dropped"].values()) for s in stages)
        starts = not stages or stages[0]["read"] == read
        funnels.append(
            {
                "unit": name,
                "read": read,
                "kept": kept,
                "dropped": dropped,
                "stages": stages,
                "adds_up": chained and balanced and starts and read == kept + sum(dropped.values()),
            }
        )
    last = funnels[-1]
    all_stages = [s for f in funnels for s in f["stages"]]
    return {
        "unit": last["unit"],
        "inputs": all_stages[0]["read"] if all_stages else 0,
        "input_unit": spec.unit,
        "read": last["read"],
        "kept": last["kept"],
        "units": funnels,
        "stages": all_stages,
        "dropped": {k: v for f in funnels for k, v in f["dropped"].items()},
        "adds_up": all(f["adds_up"] for f in funnels),
    }


def format_funnel(funnel: dict) -> list[str]:
    """The terminal's funnel lines, one block per unit."""
    lines = []
    for f in funnel["units"]:
        dropped = sum(f["dropped"].values())
        status = "" if f["adds_up"] else "  (does NOT add up: some tasks may not have completed)"
        lines.append(f"funnel ({f['unit']}): read {f['read']}, kept {f['kept']}, dropped {dropped}{status}")
        for s in f["stages"]:
            reasons = ", ".join(f"{r} {n}" for r, n in s["dropped"].items()) or "-"
            produced = f"  -> {s['produced']} new items" if "produced" in s else ""
            lines.append(f"  {s['stage']:<22} read {s['read']:>8}  kept {s['kept']:>8}  dropped: {reasons}{produced}")
    return lines
