"""Peak memory of the card statistics (rows, words, length histogram, seeded examples) at 1x and 10x data.

Goal: flat. The statistics stream the shards batch by batch; holding every text would grow with the data.
Usage: python bench/card_memory.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT

MEASURE = """
import resource, sys
sys.path.insert(0, {root!r})
import pyarrow as pa
from factory.cards import _config_stats
from factory.layout import OutputLayout
from factory.recipe_spec import OutputConfig
config = OutputConfig("default", pa.schema([("id", pa.string()), ("text", pa.string())]), "text")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
stats = _config_stats(OutputLayout({out!r}), config, seed=0)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(stats["rows"], before, after, pa.default_memory_pool().max_memory() / 2**20)
"""


def write_shards(out: Path, rows: int, shard_rows: int = 50_000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = out / "data" / "default"
    folder.mkdir(parents=True)
    text = " ".join(f"word{i % 97}" for i in range(170))  # ~1 KB of text per row
    size = 0
    for start in range(0, rows, shard_rows):
        n = min(shard_rows, rows - start)
        table = pa.table({"id": [str(start + i) for i in range(n)], "text": [text] * n})
        path = folder / f"train-{start // shard_rows:05d}.parquet"
        pq.write_table(table, path, compression="zstd")
        size += n * len(text)
    return size


def measure(rows: int) -> tuple[float, float, float, int]:
    """(process peak RSS before the statistics, after them, Arrow's peak allocation in MB; bytes of text)."""
    out = Path(tempfile.mkdtemp())
    size = write_shards(out, rows)
    script = MEASURE.format(root=str(ROOT), out=str(out))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    _rows, before, after, arrow = result.stdout.split()
    return float(before), float(after), float(arrow), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    for label, rows in (("1x ", args.rows), ("10x", args.rows * 10)):
        before, after, arrow, size = measure(rows)
        print(
            f"{label}: {rows:>9,} rows, {size / 1e9:.2f} GB of text: peak RSS {before:,.0f} MB after imports, "
            f"{after:,.0f} MB after the statistics; Arrow's peak allocation {arrow:,.1f} MB"
        )


if __name__ == "__main__":
    main()
