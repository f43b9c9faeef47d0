"""The pool an ablation selects from, read batch by batch (never whole into memory).

A pool is parquet, jsonl, or an earlier factory build (its data/CONFIG/*.parquet). Every row has `_row`, its
position in the pool (files in sorted order, blank jsonl lines not counted), which arms are cut by and written
back from. `pool_batches` streams it in batches of about `BATCH_BYTES` decoded bytes, whatever the row size.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

ROW = "_row"
INVALID = "_invalid_json"  # jsonl only, when asked for: the raw line where a line is not a JSON object
BATCH_BYTES = 1 << 20  # decoded bytes per batch: a 20 KB-per-row pool reads ~50 rows at a time
MAX_BATCH_ROWS = 65_536
JSONL_SCHEMA_ROWS = 10_000


def pool_files(path: str | Path, fmt: str, glob: str | None, pool_config: str = "default") -> list[Path]:
    root = Path(path)
    if root.is_file():
        return [root]
    if glob is None and (root / "manifest.json").is_file() and (root / "data").is_dir():
        glob, fmt = f"data/{pool_config}/*.parquet", "parquet"  # an earlier factory build
    pattern = glob or ("**/*.parquet" if fmt == "parquet" else "**/*.jsonl*")
    return sorted(p for p in root.glob(pattern) if p.is_file())


def _is_parquet(files: list[Path]) -> bool:
    if not files:
        raise ValueError("the pool has no files")
    return all(f.suffix == ".parquet" for f in files)


def pool_schema(files: list[Path]) -> pa.Schema:
    """The pool's Arrow schema: the parquet files' unified, or the one polars infers from the jsonl files."""
    if _is_parquet(files):
        return pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    sample = []  # the first JSONL_SCHEMA_ROWS lines that are JSON objects (others are quarantined, not inferred)
    for path in files:
        for chunk in _line_chunks(path):
            sample += [line for line in chunk if _json_object(line)][: JSONL_SCHEMA_ROWS - len(sample)]
            if len(sample) >= JSONL_SCHEMA_ROWS:
                break
        if len(sample) >= JSONL_SCHEMA_ROWS:
            break
    if not sample:
        return pa.schema([])
    frame = pl.read_ndjson(io.BytesIO(b"\n".join(sample)), infer_schema_length=None)
    return frame.clear().to_arrow(compat_level=pl.CompatLevel.oldest()).schema


def pool_batches(
    files: list[Path], columns: list[str] | None = None, wanted=None
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(offset of the first row, batch) over the whole pool in order, with only `columns` (None: all; a column
    the pool lacks is left out; `INVALID` asks jsonl pools for the raw text of lines that are not JSON objects).
    `wanted`, sorted row positions, lets parquet skip row groups holding none."""
    schema = pool_schema(files)
    names = [f.name for f in schema if columns is None or f.name in columns]
    offset = 0
    if _is_parquet(files):
        for path in files:
            # buffer_size: column chunks are read page by page, not whole (a row group can be gigabytes)
            parquet = pq.ParquetFile(path, buffer_size=1 << 20)
            meta = parquet.metadata
            present = [n for n in names if n in parquet.schema_arrow.names]
            for group in range(meta.num_row_groups):
                rows = meta.row_group(group).num_rows
                if rows and (wanted is None or _any_between(wanted, offset, offset + rows)):
                    size = max(1, meta.row_group(group).total_byte_size // rows)
                    batch_rows = max(16, min(MAX_BATCH_ROWS, BATCH_BYTES // size))
                    batches = parquet.iter_batches(batch_rows, row_groups=[group], columns=present, use_threads=False)
                    for batch in batches:
                        yield offset, _conform(batch, schema, names)
                        offset += batch.num_rows
                else:
                    offset += rows
        return
    polars_schema = pl.from_arrow(schema.empty_table()).schema
    for path in files:
        for lines in _line_chunks(path):
            raw = [None] * len(lines)
            try:
                frame = pl.read_ndjson(io.BytesIO(b"\n".join(lines)), schema=polars_schema)
            except pl.exceptions.ComputeError:
                if not (bad := [i for i, line in enumerate(lines) if not _json_object(line)]):
                    raise  # valid JSON of another type than inferred: the pool's own error
                for i in bad:  # an empty row in its place, quarantined by the caller with the line
                    raw[i], lines[i] = lines[i].decode("utf-8", "replace"), b"{}"
                frame = pl.read_ndjson(io.BytesIO(b"\n".join(lines)), schema=polars_schema)
            if columns is not None and INVALID in columns:
                frame = frame.with_columns(pl.Series(INVALID, raw, pl.String))
            batch = frame.select(names + ([INVALID] if INVALID in frame.columns else []))
            batch = batch.to_arrow(compat_level=pl.CompatLevel.oldest())
            for part in batch.to_batches():
                yield offset, part
                offset += part.num_rows


def _json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _any_between(wanted, lo: int, hi: int) -> bool:
    import numpy as np

    return bool(np.searchsorted(wanted, hi) > np.searchsorted(wanted, lo))


def _conform(batch: pa.RecordBatch, schema: pa.Schema, names: list[str]) -> pa.RecordBatch:
    """The batch with the pool's unified types and every requested column (nulls where this file lacks it)."""
    arrays = []
    for name in names:
        field = schema.field(name)
        if name in batch.schema.names:
            column = batch.column(name)
            arrays.append(column if column.type == field.type else column.cast(field.type))
        else:
            arrays.append(pa.nulls(batch.num_rows, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema([schema.field(n) for n in names]))


def _line_chunks(path: Path) -> Iterator[list[bytes]]:
    """Non-blank lines of a (possibly compressed) jsonl file, in chunks of about BATCH_BYTES."""
    opener = pa.CompressedInputStream if path.suffix in (".gz", ".zst", ".bz2") else None
    with open(path, "rb") as raw:
        stream = io.BufferedReader(opener(raw, _codec(path))) if opener else raw
        chunk, size = [], 0
        for line in stream:
            if line.strip():
                chunk.append(line.rstrip(b"\r\n"))
                size += len(line)
                if size >= BATCH_BYTES or len(chunk) >= MAX_BATCH_ROWS:
                    yield chunk
                    chunk, size = [], 0
        if chunk:
            yield chunk


def _codec(path: Path) -> str:
    return {".gz": "gzip", ".zst": "zstd", ".bz2": "bz2"}[path.suffix]


def problem_expr(columns: list[str], id_key: str, text_key: str, extra: list[str]) -> pl.Expr:
    """Why a row cannot enter any arm (null when it can): a missing id or response, or a missing field an arm
    needs (a score column, the reference answer for difficulty)."""
    checks = [(id_key, "missing_id"), (text_key, "missing_response")] + [(c, f"missing_{c}") for c in extra]
    expr = pl.lit(None, dtype=pl.String)
    for column, reason in reversed(checks):
        if column not in columns:
            missing = pl.lit(True)
        elif column == text_key or column == id_key:
            missing = pl.col(column).is_null() | (pl.col(column).cast(pl.String).str.strip_chars() == "")
        else:
            missing = pl.col(column).is_null()
        expr = pl.when(missing).then(pl.lit(reason)).otherwise(expr)
    return expr.alias("_problem")
