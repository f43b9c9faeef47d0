"""The ablation step: cut one pool into arms of equal size, and write each arm.

Two streaming passes keep memory bounded by the narrow columns, not the texts: the first reads the pool batch
by batch into a narrow frame (`_row`, id, token count, scores); selectors rank that as polars lazy frames; the
second (arm_writer) streams the pool again and writes each arm's rows (all pool columns, plus `tokens` and
`selection_score`) to data/ARM/ and the quarantined rows, with their reason, to removed/select/.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from filters.select import selectors
from filters.select.arm_writer import write_outputs
from filters.select.pool import INVALID, ROW, pool_batches, pool_files, pool_schema, problem_expr
from filters.select.train_config import write_training_configs


def tiebreak(seed: int) -> pl.Expr:
    """A seeded 64-bit hash of the id: stable across polars versions and processes (xxhash, not pl.hash)."""
    import xxhash

    def hashes(ids: pl.Series) -> pl.Series:
        return pl.Series([xxhash.xxh64_intdigest(f"{seed}:{v}") >> 11 for v in ids], dtype=pl.UInt64)

    return pl.col("_id").map_batches(hashes, return_dtype=pl.UInt64, is_elementwise=True).alias("_tiebreak")


def token_counter(tokenizer: str | None):
    """Tokens per response, one Arrow text column at a time: whitespace-separated words, or a named Hugging Face
    tokenizer's ids."""
    if not tokenizer:
        return lambda texts: pl.Series(texts).str.count_matches(r"\S+").fill_null(0).cast(pl.Int64).to_arrow()
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer)

    def count(texts: pa.Array) -> pa.Array:
        ids = tok([t or "" for t in texts.to_pylist()], add_special_tokens=False)["input_ids"]
        return pa.array([len(i) for i in ids], pa.int64())

    return count


def _present(values: pa.Array) -> pa.Array:
    """True where a text field has content, null where it is missing or blank (what `problem_expr` reads)."""
    text = values.cast(pa.large_string())
    blank = pc.or_kleene(pc.is_null(text), pc.equal(pc.utf8_trim_whitespace(text), ""))
    return pc.if_else(blank, pa.scalar(None, pa.bool_()), True)


def narrow_frame(settings: dict, seed: int, difficulty: Path | None) -> tuple[pl.DataFrame, pl.DataFrame, list[Path]]:
    """The first pass: the pool batch by batch, keeping per usable row only what selectors rank by (`_row`,
    `_id`, `_tokens`, `_tiebreak`, score columns, `_difficulty`), and (`_row`, `_problem`) per row none may take.
    Texts are counted per batch and let go."""
    files = pool_files(settings["path"], settings["format"], settings["glob"], settings["pool_config"])
    columns = pool_schema(files).names
    id_key, text_key, reference_key = settings["id_key"], settings["response_key"], settings["reference_key"]
    scores = sorted({arm["column"] for arm in settings["arms"] if arm["selector"] == "score"})
    needed = list(scores)
    if any(arm["selector"] == "difficulty" for arm in settings["arms"]):
        needed.append(reference_key)
    keep = [c for c in dict.fromkeys([id_key, text_key, *needed]) if c in columns]
    texts = [c for c in (text_key, reference_key) if c in keep and c != id_key and c not in scores]
    copies = [id_key] if id_key in keep and id_key not in scores else []  # `_id` holds it as a string
    derived = [
        *(pl.lit(None, pl.Float64).alias(c) for c in scores if c not in columns),  # all quarantined as missing
        problem_expr(columns, id_key, text_key, needed),
        pl.col(id_key).cast(pl.String).alias("_id") if id_key in columns else pl.lit(None, pl.String).alias("_id"),
    ]
    count, order = token_counter(settings["tokenizer"]), tiebreak(seed)
    parts, problems = [], []
    for offset, batch in pool_batches(files, [*keep, INVALID]):
        tokens = count(batch.column(text_key)) if text_key in keep else pa.nulls(batch.num_rows, pa.int64())
        for name in texts:  # the long texts become presence flags before polars sees the batch
            batch = batch.set_column(batch.schema.get_field_index(name), name, _present(batch.column(name)))
        frame = pl.from_arrow(batch).with_row_index(ROW, offset=offset).with_columns(pl.Series("_tokens", tokens))
        frame = frame.with_columns(derived).drop(*texts, *copies)
        if INVALID in frame.columns:
            invalid = pl.col(INVALID).is_not_null()
            frame = frame.with_columns(_problem=pl.when(invalid).then(pl.lit("invalid_json")).otherwise("_problem"))
            frame = frame.drop(INVALID)
        problems.append(frame.filter(pl.col("_problem").is_not_null()).select(ROW, "_problem"))
        parts.append(frame.filter(pl.col("_problem").is_null()).drop("_problem").with_columns(order))
        if len(parts) >= 256:  # compact: thousands of tiny frames cost more than their rows
            parts, problems = [pl.concat(parts, rechunk=True)], [pl.concat(problems, rechunk=True)]
    if not parts:
        raise ValueError(f"the pool has no rows: {', '.join(map(str, files))}")
    usable, problems = pl.concat(parts, rechunk=False), pl.concat(problems, rechunk=False)  # no copy
    if difficulty is not None:
        means = pl.read_parquet(difficulty).select(pl.col("id").alias("_id"), pl.col("mean").alias("_difficulty"))
        usable = usable.join(means, on="_id", how="left", maintain_order="left")
        judged = pl.col("_difficulty").is_not_null()
        problems = pl.concat([problems, usable.filter(~judged).select(ROW, pl.lit("not_judged").alias("_problem"))])
        usable = usable.filter(judged)
    return usable, problems.sort(ROW), files


ORDER = {"by": [selectors.KEY, "_tiebreak", ROW], "descending": [True, True, False]}  # ties: the seeded hash


def cut(ranked: pl.LazyFrame, n: int | None, tokens: int | None) -> pl.LazyFrame:
    """The top of a ranking: n rows (a top-k, not a sort of the whole pool), or as many as fit in a token budget."""
    if tokens is not None:
        return ranked.sort(**ORDER).filter(pl.col("_tokens").cum_sum() <= tokens)
    if n is None:
        return ranked
    return ranked.top_k(n, by=ORDER["by"], reverse=[not d for d in ORDER["descending"]])


class AblationStep(PipelineStep):
    """Rank 0 selects every arm and writes it; the stats it records are the funnel (rows read, quarantined by
    reason, usable) and one `arm_NAME` count per arm."""

    name = "select"
    type = "🎯 - SELECT"

    def __init__(
        self,
        settings: dict,
        seed: int,
        data_root: str,
        work: str,
        quarantine: str,
        difficulty: str | None = None,
        training: dict | None = None,
    ):
        super().__init__()
        self.settings, self.seed, self.training = settings, seed, training
        self.data_root, self.work, self.quarantine = Path(data_root), Path(work), Path(quarantine)
        self.difficulty = Path(difficulty) if difficulty else None

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        if rank != 0:
            return
        means = None
        if self.difficulty is not None:
            from filters.select.difficulty import mean_scores

            means = mean_scores(self.difficulty, self.work / "difficulty_means.parquet")
        stats = select_arms(self.settings, self.seed, self.data_root, self.quarantine, means)
        self.stat_update(StatHints.total, value=stats["pool_rows"])
        for reason, count in stats["quarantined"].items():
            self.stat_update(StatHints.dropped, value=count)
            self.stat_update(f"dropped_{reason}", value=count)
        self.stat_update(StatHints.forwarded, value=stats["usable_rows"])
        for arm in stats["arms"]:
            self.stat_update(f"arm_{arm['name']}", value=arm["rows"])
        self.work.mkdir(parents=True, exist_ok=True)
        if self.training:
            columns = {"question": self.settings["question_key"], "response": self.settings["response_key"]}
            names = [a["name"] for a in self.settings["arms"]]
            write_training_configs(Path(self.training["root"]), self.data_root, names, self.training, columns)
        (self.work / "stats.json").write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")
        yield from ()


def select_arms(settings: dict, seed: int, data_root: Path, quarantine: Path, difficulty: Path | None) -> dict:
    """Select and write every arm; returns what the card compares."""
    usable, problems, files = narrow_frame(settings, seed, difficulty)
    size, lazy = settings["size"], usable.lazy()
    candidates = {a["name"]: selectors.resolve(a["selector"])(lazy, _Arm(a), seed) for a in settings["arms"]}
    n = size["n"]
    if n is None and size["tokens"] is None and (sized := [a["name"] for a in settings["arms"] if _equal_size(a)]):
        n = min(candidates[name].select(pl.len()).collect().item() for name in sized)
    keep = [c for c in usable.columns if c != ROW]
    arms, chosen_rows = [], {}
    for arm in settings["arms"]:
        name = arm["name"]
        ranked = candidates[name]
        if missing := [c for c in keep if c not in ranked.collect_schema().names()]:  # a user selector's
            ranked = ranked.join(lazy.select(ROW, *missing), on=ROW, how="inner")
        chosen = cut(ranked, n, size["tokens"]) if _equal_size(arm) else ranked
        chosen = chosen.sort(ROW).collect()  # only the arm's rows, narrow: never the whole ranking of every arm
        shortfall = None
        if _equal_size(arm) and n is not None and len(chosen) < n:
            shortfall = f"arm {name!r} has {len(chosen)} candidate rows, fewer than n = {n}"
        chosen_rows[name] = chosen.select(
            ROW, pl.col("_tokens").alias("tokens"), _selection_score(arm).alias("selection_score"), "_id"
        )
        arms.append(_arm_stats(arm, chosen, shortfall))
    names = [a["name"] for a in settings["arms"]]
    for arm, hist in zip(arms, _histograms([chosen_rows[n]["tokens"] for n in names], log=True)):
        arm["token_hist"] = hist  # lengths are long-tailed: log bins, shared so the arms overlay
    for arm, name in zip(arms, names):  # selection scores differ in kind per arm (tokens, a classifier, 0-10)
        arm["score_hist"] = _histograms([chosen_rows[name]["selection_score"]])[0]
    reasons = problems.select(ROW, pl.col("_problem").alias("filter_reason"))
    write_outputs(files, chosen_rows, reasons, data_root, quarantine)
    return {
        "seed": seed,
        "pool_files": len(files),
        "pool_rows": len(usable) + len(problems),
        "usable_rows": len(usable),
        "quarantined": dict(problems.group_by("_problem").len().sort("_problem").rows()),
        "n": n,
        "token_budget": size["tokens"],
        "arms": arms,
        "overlap": _overlap(chosen_rows),
    }


class _Arm:
    """Attribute access to an arm's settings, for selector functions."""

    def __init__(self, settings: dict):
        self.__dict__.update(settings)


def _equal_size(arm: dict) -> bool:
    return arm["equal_size"] if arm["equal_size"] is not None else arm["selector"] != "full"


def _selection_score(arm: dict) -> pl.Expr:
    sources = {"length": "_tokens", "score": arm.get("column"), "difficulty": "_difficulty"}
    if arm["selector"] in sources:
        return pl.col(sources[arm["selector"]]).cast(pl.Float64)
    if arm["selector"] in selectors.BUILT_IN:
        return pl.lit(None, pl.Float64)
    return pl.col(selectors.KEY)  # a user selector's own ranking key


def _arm_stats(arm: dict, chosen: pl.DataFrame, shortfall: str | None) -> dict:
    tokens = chosen["_tokens"]
    return {
        "name": arm["name"],
        "selector": arm["selector"],
        "settings": {k: v for k, v in arm.items() if v is not None and k != "name"},
        "rows": len(chosen),
        "tokens": int(tokens.sum() or 0),
        "mean_tokens": round(float(tokens.mean()), 1) if len(chosen) else None,
        "median_tokens": float(tokens.median()) if len(chosen) else None,
        "shortfall": shortfall,
    }


def _histograms(values: list[pl.Series], bins: int = 30, log: bool = False) -> list[dict | None]:
    """Per series, counts over bins they share (so a plot overlays them); `log`: log-spaced bins over the values
    >= 1. None for a series with no values."""
    import numpy as np

    arrays = [v.drop_nulls().cast(pl.Float64).to_numpy() for v in values]
    if log:
        arrays = [a[a >= 1] for a in arrays]
    present = [a for a in arrays if len(a)]
    if not present:
        return [None] * len(arrays)
    lo, hi = min(float(a.min()) for a in present), max(float(a.max()) for a in present)
    if log and hi > lo:
        edges = np.geomspace(lo, hi, bins + 1)
    else:
        edges = np.histogram_bin_edges([], bins=bins, range=(lo, hi) if hi > lo else (lo - 0.5, lo + 0.5))
    return [
        {"edges": [round(float(e), 6) for e in edges], "counts": np.histogram(a, edges)[0].tolist(), "log": log}
        if len(a)
        else None
        for a in arrays
    ]


def _overlap(chosen: dict[str, pl.DataFrame]) -> dict:
    """Pairwise Jaccard of the arms' id sets."""
    ids = {name: frame.select(pl.col("_id").unique()) for name, frame in chosen.items()}
    names, result = list(chosen), {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            inter = len(ids[a].join(ids[b], on="_id", how="semi"))
            union = len(ids[a]) + len(ids[b]) - inter
            result[f"{a}|{b}"] = round(inter / union, 4) if union else None
    return result
