"""The `decontamination:` block shared by recipes: benchmark files checked before the build, one filter."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from factory.llm.config import LLMConfig
from factory.recipe import StrictModel
from filters.decontaminate import NGramDecontaminationFilter, load_benchmark_texts


class BenchmarkFile(StrictModel):
    path: str  # local .jsonl or .parquet
    field: str = "question"
    name: str | None = None  # default: the file name without extension


class DecontaminationStage(StrictModel):
    """`ngram`: exact word n-gram overlap (CPU). `embedding`: the `top_k` nearest benchmark questions by
    `embedding_model`, then the `judge` model decides (MegaScience: top-5 + LLM judge)."""

    benchmarks: list[BenchmarkFile] = Field(default_factory=list)
    mode: Literal["ngram", "embedding"] = "ngram"
    n_grams: int = Field(13, ge=1)
    # items of min_n_grams..n_grams-1 words match whole; shorter ones ("Solve for x.") are not checked
    min_n_grams: int = Field(8, ge=1)
    embedding_model: str | None = None
    top_k: int = Field(5, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    judge: LLMConfig = Field(default_factory=LLMConfig)

    @model_validator(mode="after")
    def _min_n_grams_at_most_n_grams(self):
        if self.min_n_grams > self.n_grams:
            raise ValueError(f"min_n_grams ({self.min_n_grams}) must not exceed n_grams ({self.n_grams})")
        return self

    @model_validator(mode="after")
    def _embedding_needs_models(self):
        if self.mode == "embedding" and not (self.embedding_model and self.judge.uses_model):
            raise ValueError("mode 'embedding' needs embedding_model and a judge llm (judge.backend other than rules)")
        return self

    def specs(self) -> list[dict]:
        return [
            {"name": b.name or Path(b.path).name.split(".")[0], "path": str(Path(b.path).absolute()), "field": b.field}
            for b in self.benchmarks
        ]

    def referenced_files(self) -> dict[str, Path]:
        return {f"benchmark:{spec['name']}": Path(spec["path"]) for spec in self.specs()}

    def problems(self, prefix: str = "stages.decontamination") -> list[tuple[str, str]]:
        problems = []
        for i, bench in enumerate(self.benchmarks):
            field = f"{prefix}.benchmarks.{i}"
            if not Path(bench.path).is_file():
                problems.append((f"{field}.path", f"no such file: {bench.path}"))
                continue
            try:
                load_benchmark_texts(bench.path, bench.field)
            except (ValueError, OSError) as e:
                problems.append((f"{field}.field", str(e)))
        return problems

    def embedding_step(self):
        from filters.embedding_neighbours import EmbeddingNeighbours

        return EmbeddingNeighbours(self.embedding_model, self.specs(), top_k=self.top_k, device=self.device)

    def filter(self, exclusion_writer=None) -> NGramDecontaminationFilter:
        return NGramDecontaminationFilter(
            self.specs(), n=self.n_grams, min_n=self.min_n_grams, exclusion_writer=exclusion_writer
        )
