"""The second pass of an ablation: stream the pool once and write every arm's chosen rows and the quarantine.

Each arm is a small frame of sorted row positions with its `tokens` and `selection_score`; every pool batch is
cut by binary search on those positions, so memory holds one batch and a few buffered row groups per arm,
never the pool. Rows keep the pool's columns and order; parquet row groups holding no wanted row are not read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from filters.select.pool import INVALID, ROW, pool_batches, pool_schema

SHARD = "000_train-00000.parquet"  # datatrove's name: finalize renames it by content
ADDED = (pa.field("tokens", pa.int64()), pa.field("selection_score", pa.float64()))
ROW_GROUP_BYTES = 4 << 20


def arm_schema(pool: pa.Schema) -> pa.Schema:
    """An arm's columns: the pool's, then `tokens` and `selection_score` (replacing the pool's own, when the pool
    is an earlier ablation)."""
    return pa.schema([*(f for f in pool if f.name not in {a.name for a in ADDED}), *ADDED])


class ArmWriter:
    """One arm's shard, written in row groups of about ROW_GROUP_BYTES."""

    def __init__(self, folder: Path, schema: pa.Schema):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.parquet"):  # a rerun replaces the arm whole
            stale.unlink()
        self.schema, self.buffer, self.size = schema, [], 0
        # no dictionary for text columns: unique long texts only grow the writer's hash table (~20 MB here)
        short = [f.name for f in schema if not pa.types.is_string(f.type) and not pa.types.is_large_string(f.type)]
        self.writer = pq.ParquetWriter(folder / SHARD, schema, compression="zstd", use_dictionary=short)

    def add(self, batch: pa.RecordBatch) -> None:
        self.buffer.append(batch)
        self.size += batch.nbytes
        if self.size >= ROW_GROUP_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.writer.write_table(pa.Table.from_batches(self.buffer, self.schema), row_group_size=1 << 30)
        self.buffer, self.size = [], 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


def write_outputs(
    files: list[Path], arms: dict[str, pl.DataFrame], reasons: pl.DataFrame, data_root: Path, quarantine: Path
) -> None:
    """`arms`: name -> (`_row`, `tokens`, `selection_score`) sorted by `_row`; `reasons`: (`_row`,
    `filter_reason`) of the quarantined rows, written whole to quarantine/00000.jsonl."""
    schema = arm_schema(pool_schema(files))
    names = [f.name for f in schema if f not in ADDED]
    positions = {name: frame[ROW].to_numpy() for name, frame in arms.items()}
    extras = {name: frame.select("tokens", "selection_score").to_arrow() for name, frame in arms.items()}
    bad = reasons[ROW].to_numpy()
    wanted = np.unique(np.concatenate([bad, *positions.values()])) if len(arms) or len(bad) else np.array([])
    writers = {name: ArmWriter(data_root / name, schema) for name in arms}
    (quarantine / "00000.jsonl").unlink(missing_ok=True)
    sink = None
    try:
        for offset, batch in pool_batches(files, [*names, INVALID], wanted):
            end = offset + batch.num_rows
            lines = batch.column(INVALID) if INVALID in batch.schema.names else None
            batch = batch.drop_columns([INVALID]) if lines is not None else batch
            for name, rows in positions.items():
                lo, hi = np.searchsorted(rows, (offset, end))
                if hi > lo:
                    part = batch.take(pa.array(rows[lo:hi] - offset))
                    added = extras[name].slice(lo, hi - lo)
                    arrays = [*part.columns, *(added.column(f.name).combine_chunks() for f in ADDED)]
                    writers[name].add(pa.RecordBatch.from_arrays(arrays, schema=schema))
            lo, hi = np.searchsorted(bad, (offset, end))
            if hi > lo:
                if sink is None:
                    quarantine.mkdir(parents=True, exist_ok=True)
                    sink = (quarantine / "00000.jsonl").open("wb")
                taken = pa.array(bad[lo:hi] - offset)
                part = pl.from_arrow(batch.take(taken)).with_columns(reasons["filter_reason"][int(lo) : int(hi)])
                if lines is not None and lines.null_count < len(lines):  # the unparseable line itself
                    part = part.with_columns(pl.Series("line", lines.take(taken)))
                part.write_ndjson(sink)
    finally:
        for writer in writers.values():
            writer.close()
        if sink is not None:
            sink.close()
