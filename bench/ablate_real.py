"""The arms' card for the real pool: `factory ablate` on ../shared/realdata/pools/pool_skythought_math_dev.jsonl
(2,000 responses of four open models on five math benchmarks), arms full, random, length (longest responses)
and score (the harness's own correctness, `their_score`, true first), at the smallest arm's size.

Prints the card's comparison (arms, overlap) and where the build is. Run: .venv/bin/python bench/ablate_real.py
[--out out/ablate-real] [--tokenizer NAME]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import polars as pl
import yaml

from factory.cli import main as factory

ROOT = Path(__file__).resolve().parent.parent
POOL = ROOT.parent / "shared" / "realdata" / "pools" / "pool_skythought_math_dev.jsonl"

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "out" / "ablate-real"))
    parser.add_argument("--tokenizer", default=None, help="a Hugging Face tokenizer (default: whitespace words)")
    args = parser.parse_args()
    recipe = {
        "recipe": "ablate",
        "name": "ablate-skythought-real",
        "seed": 0,
        "input": {"path": str(POOL), "format": "jsonl"},
        "stages": {
            "select": {
                "arms": [
                    {"name": "full", "selector": "full"},
                    {"name": "random", "selector": "random"},
                    {"name": "length", "selector": "length"},
                    {"name": "correct_first", "selector": "score", "column": "their_score"},
                ],
                "size": {"n": 500},
                "tokenizer": args.tokenizer,
            }
        },
        "output": {"path": args.out},
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ablate-real.yaml"
        path.write_text(yaml.safe_dump(recipe, sort_keys=False))
        assert factory(["ablate", str(path)]) == 0
    out = Path(args.out)
    stats = json.loads((out / "work" / "ablate" / "stats.json").read_text())
    print(f"\npool {stats['pool_rows']} rows, usable {stats['usable_rows']}, n = {stats['n']}")
    print(f"{'arm':<14} {'rows':>5} {'tokens':>9} {'mean':>7} {'median':>7}  share correct  models")
    for a in stats["arms"]:
        rows = pl.read_parquet(out / "data" / a["name"] / "*.parquet")
        models = rows["model"].str.split("/").list.last().value_counts(sort=True).rows()
        mix = ", ".join(f"{m} {c}" for m, c in models)
        print(
            f"{a['name']:<14} {a['rows']:>5} {a['tokens']:>9} {a['mean_tokens']:>7} {a['median_tokens']:>7}  "
            f"{rows['their_score'].mean():>13.3f}  {mix}"
        )
    print("overlap (Jaccard):", ", ".join(f"{k.replace('|', '/')} {v}" for k, v in stats["overlap"].items()))
    print(f"card: {out / 'README.md'}")
