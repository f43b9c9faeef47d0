"""Difficulty selection (MegaScience §3): k sampled answers per question, each judged 0-10 against the reference.

Steps: `DifficultyQuestions` emits each usable pool row k times (ids `ID#j`, so each copy gets its own
sampling seed); an LLM round answers; `SampledAnswerParser` builds the judge's input; an LLM round judges;
`JudgeScoreParser` reads the score; `DifficultyScores` writes (id, sample, score) per rank. The ablation
step averages them per id. The round's request cache means a rerun asks nothing again.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from datatrove.data import Document
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from filters.books.qa_llm import REFUSAL, CompletionStep
from filters.select.pool import ROW, pool_batches, pool_files, pool_schema

_SCORE = re.compile(r"(?:score|rating)\s*(?:\*\*)?\s*[:=]?\s*(?:\*\*)?\s*(10|[0-9])(?:\s*/\s*10)?\b", re.I)
_LONE = re.compile(r"^\W*(10|[0-9])(?:\s*/\s*10)?\W*$")


class DifficultyQuestions(PipelineStep):
    """Rank r reads pool rows with `_row % world_size == r` and yields each k times; rows without an id,
    question or reference answer are left to the ablation step, which quarantines them."""

    name = "difficulty_questions"
    type = "📖 - READER"

    def __init__(self, settings: dict, k: int):
        super().__init__()
        self.settings, self.k = settings, k

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        s = self.settings
        files = pool_files(s["path"], s["format"], s["glob"], s["pool_config"])
        keys = [s["id_key"], s["question_key"], s["reference_key"]]
        if missing := [k for k in keys if k not in pool_schema(files).names]:
            raise ValueError(f"difficulty selection needs pool fields {missing}")
        for offset, batch in pool_batches(files, keys):
            rows = (
                pl.from_arrow(batch)
                .with_row_index(ROW, offset=offset)
                .filter((pl.col(ROW) % world_size) == rank)
                .select(keys)
                .filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
            )
            for pool_id, question, reference in rows.iter_rows():
                self.stat_update(StatHints.total)
                for j in range(self.k):
                    self.stat_update(StatHints.forwarded)
                    yield Document(
                        text=str(question),
                        id=f"{pool_id}#{j}",
                        metadata={"pool_id": str(pool_id), "sample": j, "answer": str(reference)},
                    )


class SampledAnswerParser(CompletionStep):
    """The sampled answer goes, with the question and the reference, into the judge's prompt text."""

    name = "difficulty_answer"

    def handle(self, doc: Document, text: str):
        if not text.strip():
            return "empty_answer"
        doc.metadata["question"] = doc.text
        doc.text = (
            f"Question:\n{doc.text}\n\nReference answer:\n{doc.metadata['answer']}\n\nStudent answer:\n{text.strip()}"
        )
        return [doc]


def parse_judge_score(text: str) -> int | None:
    """The last `Score: N` (0-10) of a judge's reply, or a reply that is only the number."""
    if hits := _SCORE.findall(text):
        return int(hits[-1])
    match = _LONE.match(text.strip())
    return int(match.group(1)) if match else None


class JudgeScoreParser(CompletionStep):
    name = "difficulty_judge"

    def handle(self, doc: Document, text: str):
        score = parse_judge_score(text)
        if score is None:
            return "refusal" if REFUSAL.search(text) else "unparseable_score"
        doc.metadata["judge_score"] = score
        return [doc]


class DifficultyScores(PipelineStep):
    """Writes rank r's judged samples as work/difficulty/r.parquet: (id, sample, score)."""

    name = "difficulty_scores"
    type = "💽 - WRITER"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def run(self, data, rank: int = 0, world_size: int = 1):
        rows = []
        for doc in data:
            self.stat_update(StatHints.total)
            rows.append((doc.metadata["pool_id"], int(doc.metadata["sample"]), int(doc.metadata["judge_score"])))
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        frame = pl.DataFrame(rows, schema={"id": pl.String, "sample": pl.Int64, "score": pl.Int64}, orient="row")
        frame.sort(["id", "sample"]).write_parquet(Path(self.folder) / f"{rank:05d}.parquet")
        yield from ()


def mean_scores(folder: Path, out: Path, min_judged: int = 1) -> Path:
    """Per id: the mean judge score and how many samples were judged (ids with fewer than `min_judged` judged
    samples get no mean, so the ablation quarantines them as not judged)."""
    frame = pl.scan_parquet(str(folder / "*.parquet"))
    means = (
        frame.group_by("id")
        .agg(pl.col("score").mean().alias("mean"), pl.len().alias("judged"))
        .filter(pl.col("judged") >= min_judged)
        .sort("id")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    means.collect().write_parquet(out)
    return out
