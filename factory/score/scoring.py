"""`factory score`: extract each prediction's answer, compare it with the gold one, write scored rows and a summary.

`DIR/scored.jsonl` holds every input row plus `extracted` and `correct` (and `task`); `DIR/summary.json` the
accuracy overall and per group, and, when the rows carry a stored judgement, how often we agree with it.
A line that is not a JSON object is kept in scored.jsonl as `{"line": N, "error": ...}` and counted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Literal

from factory.json_lines import json_objects
from factory.score.equivalence import math_equal
from factory.score.extract import extract_choice, extract_math, gold_choice

Task = Literal["auto", "mc", "math"]


def score_row(prediction, gold, task: Task = "auto", options=None, rel_tol: float | None = None) -> dict:
    """{"task", "extracted", "correct"} of one prediction; never raises on malformed values."""
    kind = task if task != "auto" else ("mc" if gold_choice(gold) is not None else "math")
    if kind == "mc":
        extracted = extract_choice(prediction, options if isinstance(options, list) else None)
        gold_letter = gold_choice(gold)
        correct = extracted is not None and gold_letter is not None and extracted == gold_letter
    else:
        extracted = extract_math(prediction)
        correct = extracted is not None and math_equal(extracted, gold, rel_tol)
    return {"task": kind, "extracted": extracted, "correct": bool(correct)}


def _rows(path: Path):
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            yield from ((row, None) for row in batch.to_pylist())
        return
    with path.open(encoding="utf-8", errors="replace") as f:
        for line_no, row, problem in json_objects(f):
            yield (row, None) if problem is None else ({"line": line_no}, problem)


def _bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    return None


def score_file(
    path: str | Path,
    out: str | Path,
    prediction_key: str,
    gold_key: str,
    group_key: str | None = None,
    task: Task = "auto",
    options_key: str | None = None,
    judgement_key: str | None = None,
    rel_tol: float | None = None,
) -> dict:
    """Score every row of a JSONL or parquet file; returns (and writes) the summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[str, dict] = defaultdict(lambda: {"rows": 0, "correct": 0, "unextracted": 0})
    agreement = {"rows": 0, "agree": 0, "we_true_they_false": 0, "we_false_they_true": 0}
    malformed = missing = 0
    with (out / "scored.jsonl").open("w", encoding="utf-8") as scored:
        for row, problem in _rows(Path(path)):
            if problem:
                malformed += 1
                scored.write(json.dumps({**row, "error": problem, "extracted": None, "correct": None}) + "\n")
                continue
            if row.get(gold_key) is None:
                missing += 1
                row.update(error=f"no gold field {gold_key!r}", extracted=None, correct=None)
                scored.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                continue
            gold = str(row[gold_key])
            result = score_row(
                row.get(prediction_key), gold, task, row.get(options_key) if options_key else None, rel_tol
            )
            row.update(result)
            scored.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            for name in ("all", str(row.get(group_key)) if group_key else None):
                if name is None:
                    continue
                g = groups[name]
                g["rows"] += 1
                g["correct"] += result["correct"]
                g["unextracted"] += result["extracted"] is None
            if judgement_key and (theirs := _bool(row.get(judgement_key))) is not None:
                agreement["rows"] += 1
                agreement["agree"] += theirs == result["correct"]
                agreement["we_true_they_false"] += result["correct"] and not theirs
                agreement["we_false_they_true"] += theirs and not result["correct"]
    for g in groups.values():
        g["accuracy"] = round(g["correct"] / g["rows"], 4) if g["rows"] else None
    summary = {
        "file": str(path),
        "prediction_key": prediction_key,
        "gold_key": gold_key,
        "group_key": group_key,
        "task": task,
        "malformed_rows": malformed,
        "rows_without_gold": missing,
        "groups": dict(sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0]))),
    }
    if judgement_key:
        agreement["rate"] = round(agreement["agree"] / agreement["rows"], 4) if agreement["rows"] else None
        summary["agreement"] = {"judgement_key": judgement_key, **agreement}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def format_summary(summary: dict) -> str:
    width = max([len(k) for k in summary["groups"]] + [5])
    lines = [f"{'group':<{width}}  {'rows':>6}  {'correct':>7}  {'accuracy':>8}  {'no answer':>9}"]
    for name, g in summary["groups"].items():
        accuracy = f"{g['accuracy']:.4f}" if g["accuracy"] is not None else "-"
        lines.append(f"{name:<{width}}  {g['rows']:>6}  {g['correct']:>7}  {accuracy:>8}  {g['unextracted']:>9}")
    if agreement := summary.get("agreement"):
        lines.append(
            f"agreement with {agreement['judgement_key']!r}: {agreement['agree']}/{agreement['rows']} "
            f"({agreement['rate']}); we say correct, they wrong: {agreement['we_true_they_false']}; "
            f"we wrong, they correct: {agreement['we_false_they_true']}"
        )
    if summary["malformed_rows"] or summary["rows_without_gold"]:
        lines.append(f"malformed rows: {summary['malformed_rows']}; rows without gold: {summary['rows_without_gold']}")
    return "\n".join(lines)
