"""Selectors: each ranks the pool's valid rows for one arm, as a narrow polars lazy frame.

A selector is `fn(frame, arm, seed) -> LazyFrame` with the columns `_row` and `_key` (higher first), holding
only the rows the arm may take; the ablation cuts every arm to the same n (or token budget) from the top. The
built-in ones keep `frame`'s other columns (no join back on a pool-sized frame); a user selector may return
only `_row` and `_key`, and the rest is joined back.
`frame` has `_row`, `_id`, `_tokens`, `_tiebreak` (a seeded hash of the id) and the arm's score column.
User selectors are named by import path, `package.module:function`, with the same signature.
"""

from __future__ import annotations

import importlib

import polars as pl

KEY = "_key"


def _ranked(frame: pl.LazyFrame, key: pl.Expr) -> pl.LazyFrame:
    return frame.with_columns(key.cast(pl.Float64).alias(KEY))


def full(frame: pl.LazyFrame, arm, seed: int) -> pl.LazyFrame:
    """Every valid row (the reference arm: not cut to n unless `arm.equal_size` is set)."""
    return _ranked(frame, pl.lit(0.0))


def random(frame: pl.LazyFrame, arm, seed: int) -> pl.LazyFrame:
    """A seeded uniform sample: rows ranked by a hash of (seed, id), so it does not depend on pool order."""
    return _ranked(frame, pl.col("_tiebreak"))


def length(frame: pl.LazyFrame, arm, seed: int) -> pl.LazyFrame:
    """The longest responses (in tokens)."""
    return _ranked(frame, pl.col("_tokens"))


def score(frame: pl.LazyFrame, arm, seed: int) -> pl.LazyFrame:
    """Top rows by a numeric column (a classifier score, a reward); rows with a null score are not ranked."""
    return _ranked(frame.filter(pl.col(arm.column).is_not_null()), pl.col(arm.column))


def difficulty(frame: pl.LazyFrame, arm, seed: int) -> pl.LazyFrame:
    """Rows whose mean judge score of k sampled answers lies in [lo, hi] (neither always solved nor hopeless);
    within the band, a seeded random order, as the paper samples from the band."""
    in_band = pl.col("_difficulty").is_between(arm.lo, arm.hi)
    return _ranked(frame.filter(in_band), pl.col("_tiebreak"))


BUILT_IN = {"full": full, "random": random, "length": length, "score": score, "difficulty": difficulty}


def resolve(name: str):
    """A built-in selector, or `package.module:function`."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    module, _, attr = name.partition(":")
    if not attr:
        raise ValueError(f"selector {name!r}: not one of {', '.join(BUILT_IN)}, nor an import path module:function")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"selector {name!r}: {e}") from None
