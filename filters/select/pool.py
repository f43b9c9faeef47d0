"""The pool an ablation selects from, as a polars lazy frame (never read whole into memory).

A pool is parquet, jsonl, or an earlier factory build (its data/CONFIG/*.parquet). Every row gets `_row`, its
position in the pool (files in sorted order), which is what arms are cut by and joined back on.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

ROW = "_row"


def pool_files(path: str | Path, fmt: str, glob: str | None, pool_config: str = "default") -> list[Path]:
    root = Path(path)
    if root.is_file():
        return [root]
    if glob is None and (root / "manifest.json").is_file() and (root / "data").is_dir():
        glob, fmt = f"data/{pool_config}/*.parquet", "parquet"  # an earlier factory build
    pattern = glob or ("**/*.parquet" if fmt == "parquet" else "**/*.jsonl*")
    return sorted(p for p in root.glob(pattern) if p.is_file())


def scan_pool(files: list[Path]) -> pl.LazyFrame:
    """All files as one lazy frame with a `_row` index; parquet or JSON lines by suffix."""
    if not files:
        raise ValueError("the pool has no files")
    if all(f.suffix == ".parquet" for f in files):
        frame = pl.scan_parquet([str(f) for f in files])
    else:
        frame = pl.scan_ndjson([str(f) for f in files], infer_schema_length=10_000)
    return frame.with_row_index(ROW)


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
