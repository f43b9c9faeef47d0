"""The `decontamination:` block shared by recipes: benchmark files checked before the build, one filter."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from factory.recipe import StrictModel
from filters.decontaminate import NGramDecontaminationFilter, load_benchmark_texts


class BenchmarkFile(StrictModel):
    path: str  # local .jsonl or .parquet
    field: str = "question"
    name: str | None = None  # default: the file name without extension


class DecontaminationStage(StrictModel):
    benchmarks: list[BenchmarkFile] = Field(default_factory=list)
    n_grams: int = Field(13, ge=1)

    def specs(self) -> list[dict]:
        return [
            {"name": b.name or Path(b.path).name.split(".")[0], "path": str(Path(b.path).absolute()), "field": b.field}
            for b in self.benchmarks
        ]

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

    def filter(self, exclusion_writer=None) -> NGramDecontaminationFilter:
        return NGramDecontaminationFilter(self.specs(), n=self.n_grams, exclusion_writer=exclusion_writer)
