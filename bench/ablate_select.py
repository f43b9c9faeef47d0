"""Selection time and peak memory for 1M synthetic pool rows: the streamed selection vs reading the whole pool.

Each run is its own process; its peak is VmHWM (the process's own high-water RSS since exec, not ru_maxrss,
which a child inherits from its parent), and its growth is VmHWM minus the RSS after imports. Prints both
and the ratios. `--text-kb 20 --rows 50000` is a pool of long responses (1 GB of text).
Run: .venv/bin/python bench/ablate_select.py [--rows 1000000] [--text-kb 0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.ablate import Arm, SelectStage, Size, pool_selection  # noqa: E402

RUN = """
import json, sys, time
from pathlib import Path
import polars as pl
sys.path.insert(0, {root!r})
import filters.select.ablation

def kb(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key + ":"))

mode, pool = sys.argv[1], Path(sys.argv[2])
base = kb("VmRSS")
start = time.perf_counter()
if mode == "lazy":
    from filters.select.ablation import select_arms
    settings = json.loads(sys.argv[3])
    select_arms(settings, 0, Path(sys.argv[4]), Path(sys.argv[5]), None)
else:  # eager: read the whole pool, rank in memory, write the arms
    frame = pl.read_parquet(pool / "*.parquet").with_row_index("_row")
    frame = frame.with_columns(pl.col("response").str.count_matches(r"\\S+").alias("tokens"))
    out = Path(sys.argv[3]); out.mkdir(parents=True, exist_ok=True)
    n = int(sys.argv[4])
    frame.sample(n=n, seed=0).sort("_row").write_parquet(out / "random.parquet")
    frame.sort("tokens", descending=True).head(n).sort("_row").write_parquet(out / "length.parquet")
    frame.sort("quality", descending=True).head(n).sort("_row").write_parquet(out / "score.parquet")
peak = kb("VmHWM")
print(json.dumps({{"s": time.perf_counter() - start, "rss_mb": peak / 1024, "grew_mb": (peak - base) / 1024}}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--text-kb", type=int, default=0, help="0: short varied responses; N: N KB each")
    args = parser.parse_args()
    n = args.rows // 10
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
                    "response": [
                        f"{i} " + " ".join(words[: 3 + i % 10]) * (1 + i % 7) * (1 + args.text_kb * 1024 // 60)
                        if args.text_kb
                        else " ".join(words[: 3 + i % 10]) * (1 + i % 7)
                        for i in ids
                    ],
                    "quality": [(i * 7919 % 1000) / 1000 for i in ids],
                }
            ).write_parquet(pool / f"part-{part:02d}.parquet")
        size = sum(p.stat().st_size for p in pool.iterdir()) / 2**20
        text = pl.scan_parquet(pool / "*.parquet").select(pl.col("response").str.len_bytes().sum()).collect().item()
        arms = [
            Arm(name="random", selector="random"),
            Arm(name="length", selector="length"),
            Arm(name="score", selector="score", column="quality"),
        ]
        settings = pool_selection(str(pool), "parquet", None, SelectStage(arms=arms, size=Size(n=n)))
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
                argv = [sys.executable, "-c", code, mode, str(pool), str(tmp / mode), str(n)]
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            results[mode] = json.loads(out)
        print(
            f"pool: {args.rows:,} rows, {size:.1f} MB parquet, {text / 2**20:,.0f} MB of responses; "
            f"3 arms of {n:,} rows"
        )
        for mode, r in results.items():
            print(
                f"  {mode:<6} {r['s']:7.2f} s   peak RSS {r['rss_mb']:7.0f} MB   "
                f"growth after imports {r['grew_mb']:7.0f} MB"
            )
        e, lz = results["eager"], results["lazy"]
        print(
            f"lazy/eager: time {lz['s'] / e['s']:.2f}x, peak RSS {lz['rss_mb'] / e['rss_mb']:.2f}x, "
            f"growth {lz['grew_mb'] / e['grew_mb']:.2f}x"
        )


if __name__ == "__main__":
    main()
