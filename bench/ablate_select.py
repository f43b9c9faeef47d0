"""Selection time and peak memory for 1M synthetic pool rows: polars lazy/streaming vs reading the whole pool.

Each run is its own process (peak RSS is per process). Prints both and the ratios.
Run: .venv/bin/python bench/ablate_select.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUN = """
import json, resource, sys, time
from pathlib import Path
import polars as pl
sys.path.insert(0, {root!r})
mode, pool = sys.argv[1], Path(sys.argv[2])
start = time.perf_counter()
if mode == "lazy":
    from filters.select.ablation import select_arms
    settings = json.loads(sys.argv[3])
    select_arms(settings, 0, Path(sys.argv[4]), Path(sys.argv[5]), None)
else:  # eager: read the whole pool, rank in memory, write the arms
    frame = pl.read_parquet(pool / "*.parquet").with_row_index("_row")
    frame = frame.with_columns(pl.col("response").str.count_matches(r"\\S+").alias("tokens"))
    out = Path(sys.argv[3]); out.mkdir(parents=True, exist_ok=True)
    frame.sample(n=100_000, seed=0).sort("_row").write_parquet(out / "random.parquet")
    frame.sort("tokens", descending=True).head(100_000).sort("_row").write_parquet(out / "length.parquet")
    frame.sort("quality", descending=True).head(100_000).sort("_row").write_parquet(out / "score.parquet")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"s": time.perf_counter() - start, "rss_mb": peak}}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    import polars as pl

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pool = tmp / "pool"
        pool.mkdir()
        words = ["step", "so", "we", "get", "x", "=", "2", "and", "then", "check", "the", "sum"]
        per = args.rows // 10
        for part in range(10):
            ids = range(part * per, (part + 1) * per)
            pl.DataFrame(
                {
                    "id": [f"r{i}" for i in ids],
                    "response": [" ".join(words[: 3 + i % 10]) * (1 + i % 7) for i in ids],
                    "quality": [(i * 7919 % 1000) / 1000 for i in ids],
                }
            ).write_parquet(pool / f"part-{part:02d}.parquet")
        size = sum(p.stat().st_size for p in pool.iterdir()) / 2**20
        arms = [
            {"name": n, "selector": s, "column": c, "lo": 1, "hi": 9, "equal_size": None}
            for n, s, c in (("random", "random", None), ("length", "length", None), ("score", "score", "quality"))
        ]
        settings = {
            "path": str(pool),
            "format": "parquet",
            "glob": None,
            "pool_config": "default",
            "id_key": "id",
            "response_key": "response",
            "question_key": "question",
            "reference_key": "reference_answer",
            "tokenizer": None,
            "size": {"n": 100_000, "tokens": None},
            "arms": arms,
        }
        code = RUN.format(root=str(ROOT))
        results = {}
        for mode in ("eager", "lazy"):
            argv = [
                sys.executable,
                "-c",
                code,
                mode,
                str(pool),
                json.dumps(settings),
                str(tmp / mode),
                str(tmp / "rm"),
            ]
            if mode == "eager":
                argv = [sys.executable, "-c", code, mode, str(pool), str(tmp / mode)]
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            results[mode] = json.loads(out)
        print(f"pool: {args.rows} rows, {size:.1f} MB parquet; 3 arms of 100,000 rows")
        for mode, r in results.items():
            print(f"  {mode:<6} {r['s']:7.2f} s   peak RSS {r['rss_mb']:7.0f} MB")
        e, lz = results["eager"], results["lazy"]
        print(f"lazy/eager: time {lz['s'] / e['s']:.2f}x, peak RSS {lz['rss_mb'] / e['rss_mb']:.2f}x")


if __name__ == "__main__":
    main()
