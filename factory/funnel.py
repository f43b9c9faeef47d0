"""The funnel: per stage, documents read, kept, and dropped by reason, from datatrove's per-rank stats."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path


def _value(stat) -> float:
    return stat.get("total", 0) if isinstance(stat, dict) else stat


def step_counters(logs_dirs: list[Path]) -> dict[str, dict[str, float]]:
    """step name -> counter -> total over every rank of every stage (completed ranks only)."""
    counters: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for logs in logs_dirs:
        for stats_file in sorted((logs / "stats").glob("*.json")):
            for step in json.loads(stats_file.read_text()):
                name = step["name"].split(": ", 1)[-1]  # datatrove prefixes the step type
                for key, stat in step.get("stats", {}).items():
                    counters[name][key] += _value(stat)
    return counters


def compute_funnel(logs_dirs: list[Path], steps: list[str], default_reasons: dict[str, str]) -> dict:
    """Per step read/kept/dropped-by-reason, and the whole funnel's balance.

    A step that turns one input into many (a book into QA pairs) records `produced`; the funnel's
    `read` then counts what it produced, and `inputs` what the first step read.
    """
    counters = step_counters(logs_dirs)
    stages = []
    for name in steps:
        if name not in counters:
            continue  # a step this recipe's configuration leaves out
        c = counters[name]
        reasons = {k.removeprefix("dropped_"): int(v) for k, v in c.items() if k.startswith("dropped_")}
        unexplained = int(c.get("dropped", 0)) - sum(reasons.values())
        if unexplained:
            reason = default_reasons.get(name, "unspecified")
            reasons[reason] = reasons.get(reason, 0) + unexplained
        entry = {
            "stage": name,
            "read": int(c.get("total", 0)),
            "kept": int(c.get("forwarded", 0)),
            "dropped": dict(sorted(reasons.items())),
        }
        if "produced" in c:
            entry["produced"] = int(c["produced"])
        stages.append(entry)

    def out(stage: dict) -> int:
        return stage.get("produced", stage["kept"])

    last_expand = max((i for i, s in enumerate(stages) if "produced" in s), default=None)
    segment = stages if last_expand is None else stages[last_expand + 1 :]
    read = (stages[0]["read"] if stages else 0) if last_expand is None else out(stages[last_expand])
    kept = out(stages[-1]) if stages else 0
    chained = all(out(a) == b["read"] for a, b in zip(stages, stages[1:], strict=False))
    balanced = all(s["read"] == s["kept"] + sum(s["dropped"].values()) for s in stages)
    segment_dropped = sum(n for s in segment for n in s["dropped"].values())
    return {
        "inputs": stages[0]["read"] if stages else 0,
        "read": read,
        "kept": kept,
        "dropped": {f"{s['stage']}/{r}": n for s in stages for r, n in s["dropped"].items()},
        "stages": stages,
        "adds_up": chained and balanced and read == kept + segment_dropped,
    }


def format_stage_progress(stage: str, counters: dict[str, dict[str, float]], steps: list[str]) -> str:
    parts = []
    for name in steps:
        if name in counters:
            c = counters[name]
            parts.append(f"{name} {int(c.get('total', 0))}→{int(c.get('forwarded', 0))}")
    return f"[{stage}] " + (", ".join(parts) if parts else "done")
