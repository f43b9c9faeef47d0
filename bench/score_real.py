"""`factory score` on the real predictions in ../shared/realdata: accuracy per benchmark, and agreement with the
stored judgement where the file has one (the SkyThought pool's `their_score`; ZeroEval's `their_correct` is empty).

Run: .venv/bin/python bench/score_real.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from factory.score.scoring import format_summary, score_file

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"

RUNS = [
    ("pools/pool_skythought_math_dev.jsonl", "response", "reference_answer", "benchmark", "their_score"),
    ("preds/preds_zeroeval.jsonl", "prediction_text", "gold", "benchmark", "their_correct"),
]

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for name, pred, gold, group, judgement in RUNS:
            summary = score_file(REAL / name, Path(tmp) / name, pred, gold, group, judgement_key=judgement)
            print(f"== {name}")
            print(format_summary(summary))
