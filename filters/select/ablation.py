"""The ablation step: cut one pool into arms of equal size with polars lazy scans, and write each arm.

Two streaming passes keep memory bounded by the narrow columns, not the texts: the first reads the pool once
into a narrow frame (`_row`, id, token count, scores); selectors rank that; the second streams the pool again
and writes each arm's rows (all pool columns, plus `tokens` and `selection_score`) to data/ARM/.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from filters.select import selectors
from filters.select.pool import ROW, pool_files, problem_expr, scan_pool
from filters.select.train_config import write_training_configs

SHARD = "000_train-00000.parquet"  # datatrove's name: finalize renames it by content
INTERNAL = ("_tokens", "_tiebreak", "_difficulty", "_problem", "_id")


def tiebreak(seed: int) -> pl.Expr:
    """A seeded 64-bit hash of the id: stable across polars versions and processes (xxhash, not pl.hash)."""
    import xxhash

    def hashes(ids: pl.Series) -> pl.Series:
        return pl.Series([xxhash.xxh64_intdigest(f"{seed}:{v}") >> 11 for v in ids], dtype=pl.UInt64)

    return pl.col("_id").map_batches(hashes, return_dtype=pl.UInt64, is_elementwise=True).alias("_tiebreak")


def token_counter(tokenizer: str | None, text_key: str) -> pl.Expr:
    """Tokens of the response: whitespace-separated words, or a named Hugging Face tokenizer's ids."""
    text = pl.col(text_key).cast(pl.String).fill_null("")
    if not tokenizer:
        return text.str.count_matches(r"\S+").cast(pl.Int64).alias("_tokens")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer)

    def count(texts: pl.Series) -> pl.Series:
        ids = tok(texts.to_list(), add_special_tokens=False)["input_ids"]
        return pl.Series([len(i) for i in ids], dtype=pl.Int64)

    return text.map_batches(count, return_dtype=pl.Int64, is_elementwise=True).alias("_tokens")


def narrow_frame(settings: dict, seed: int, difficulty: Path | None) -> tuple[pl.LazyFrame, list[Path]]:
    files = pool_files(settings["path"], settings["format"], settings["glob"], settings["pool_config"])
    pool = scan_pool(files)
    columns = pool.collect_schema().names()
    id_key, text_key = settings["id_key"], settings["response_key"]
    needed = sorted({arm["column"] for arm in settings["arms"] if arm["selector"] == "score"})
    if any(arm["selector"] == "difficulty" for arm in settings["arms"]):
        needed.append(settings["reference_key"])
    keep = [c for c in dict.fromkeys([ROW, id_key, text_key, *needed]) if c in columns]
    frame = pool.select(keep).with_columns(
        problem_expr(columns, id_key, text_key, needed),
        pl.col(id_key).cast(pl.String).alias("_id") if id_key in columns else pl.lit(None, pl.String).alias("_id"),
    )
    frame = frame.with_columns(token_counter(settings["tokenizer"], text_key), tiebreak(seed))
    if difficulty is not None:
        means = pl.scan_parquet(str(difficulty)).select(pl.col("id").alias("_id"), pl.col("mean").alias("_difficulty"))
        frame = frame.join(means, on="_id", how="left", maintain_order="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("_difficulty"))
    return frame.drop([c for c in (text_key,) if c != id_key]), files


def cut(ranked: pl.DataFrame, n: int | None, tokens: int | None) -> pl.DataFrame:
    """The top of a ranking: n rows, or as many as fit in a token budget."""
    if tokens is not None:
        return ranked.filter(pl.col("_tokens").cum_sum() <= tokens)
    return ranked.head(n) if n is not None else ranked


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
    frame, files = narrow_frame(settings, seed, difficulty)
    narrow = frame.collect(engine="streaming")
    problems = narrow.filter(pl.col("_problem").is_not_null())
    usable = narrow.filter(pl.col("_problem").is_null())
    if any(arm["selector"] == "difficulty" for arm in settings["arms"]):
        unjudged = usable.filter(pl.col("_difficulty").is_null())
        problems = pl.concat([problems, unjudged.with_columns(pl.lit("not_judged").alias("_problem"))])
        usable = usable.filter(pl.col("_difficulty").is_not_null())
    _quarantine(problems, files, settings, quarantine)

    ranked = {}
    for arm in settings["arms"]:
        fn = selectors.resolve(arm["selector"])
        arm_keys = fn(usable.lazy(), _Arm(arm), seed).collect()
        ranked[arm["name"]] = arm_keys.join(usable.select(ROW, "_tokens", "_tiebreak"), on=ROW, how="left").sort(
            [selectors.KEY, "_tiebreak", ROW], descending=[True, True, False]
        )
    size = settings["size"]
    sized = [a["name"] for a in settings["arms"] if _equal_size(a)]
    n = size["n"] if size["n"] is not None else (min(len(ranked[a]) for a in sized) if sized else None)
    if size["tokens"] is not None:
        n = None
    arms = []
    for arm in settings["arms"]:
        name = arm["name"]
        chosen = cut(ranked[name], n, size["tokens"]) if _equal_size(arm) else ranked[name]
        shortfall = None
        if _equal_size(arm) and n is not None and len(chosen) < n:
            shortfall = f"arm {name!r} has {len(chosen)} candidate rows, fewer than n = {n}"
        chosen = chosen.join(usable, on=[ROW, "_tokens", "_tiebreak"], how="left").sort(ROW)
        _write_arm(files, chosen, arm, data_root / name, settings)
        arms.append(_arm_stats(arm, chosen, shortfall))
    return {
        "seed": seed,
        "pool_files": len(files),
        "pool_rows": len(narrow),
        "usable_rows": len(usable),
        "quarantined": dict(problems.group_by("_problem").len().sort("_problem").rows()),
        "n": n,
        "token_budget": size["tokens"],
        "arms": arms,
        "overlap": _overlap(data_root, [a["name"] for a in settings["arms"]], settings["id_key"]),
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


def _write_arm(files: list[Path], chosen: pl.DataFrame, arm: dict, folder: Path, settings: dict) -> None:
    """Stream the pool again, keeping the chosen rows, with their token count and selection score."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.parquet"):  # a rerun replaces the arm whole
        stale.unlink()
    extra = chosen.select(ROW, pl.col("_tokens").alias("tokens"), _selection_score(arm).alias("selection_score"))
    pool = scan_pool(files)
    rows = pool.join(extra.lazy(), on=ROW, how="inner", maintain_order="left").drop(ROW)
    rows.sink_parquet(folder / SHARD, engine="streaming")


def _arm_stats(arm: dict, chosen: pl.DataFrame, shortfall: str | None) -> dict:
    tokens = chosen["_tokens"]
    score = chosen.select(_selection_score(arm)).to_series()
    return {
        "name": arm["name"],
        "selector": arm["selector"],
        "settings": {k: v for k, v in arm.items() if v is not None and k != "name"},
        "rows": len(chosen),
        "tokens": int(tokens.sum() or 0),
        "mean_tokens": round(float(tokens.mean()), 1) if len(chosen) else None,
        "median_tokens": float(tokens.median()) if len(chosen) else None,
        "token_values": tokens.to_list(),
        "score_values": [v for v in score.to_list() if v is not None],
        "shortfall": shortfall,
    }


def _overlap(data_root: Path, names: list[str], id_key: str) -> dict:
    """Pairwise Jaccard of the arms' id sets, read back from the written shards."""
    ids = {
        n: pl.scan_parquet(str(data_root / n / "*.parquet"))
        .select(pl.col(id_key).cast(pl.String).alias("id"))
        .unique()
        for n in names
    }
    result = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            inter = ids[a].join(ids[b], on="id", how="semi").select(pl.len()).collect().item()
            union = ids[a].select(pl.len()).collect().item() + ids[b].select(pl.len()).collect().item() - inter
            result[f"{a}|{b}"] = round(inter / union, 4) if union else None
    return result


def _quarantine(problems: pl.DataFrame, files: list[Path], settings: dict, folder: Path) -> None:
    """Rows no arm may take go to removed/select/ with their reason (the whole row, streamed from the pool)."""
    if problems.is_empty():
        return
    folder.mkdir(parents=True, exist_ok=True)
    reasons = problems.select(ROW, pl.col("_problem").alias("filter_reason"))
    rows = scan_pool(files).join(reasons.lazy(), on=ROW, how="inner", maintain_order="left")
    rows.sink_ndjson(folder / "00000.jsonl", engine="streaming")
