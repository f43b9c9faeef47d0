"""Benchmark decontamination by exact word n-gram overlap (MegaMath: 13-grams)."""

from __future__ import annotations

import json
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from factory.text import normalized_words


def load_benchmark_texts(path: str | Path, field: str) -> list[str]:
    """The `field` of every row of a local .jsonl or .parquet benchmark file; errors name file, line and field."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if field not in table.column_names:
            raise ValueError(f"{path}: no column {field!r} (columns: {', '.join(table.column_names)})")
        return [str(v) for v in table.column(field).to_pylist() if v]
    texts = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}, line {line_no}: invalid JSON ({e.msg})") from None
            if not isinstance(row, dict) or field not in row:
                raise ValueError(f"{path}, line {line_no}: no field {field!r}")
            if row[field]:
                texts.append(str(row[field]))
    return texts


class NGramDecontaminationFilter(BaseFilter):
    """Drops documents sharing any word n-gram with a benchmark question.

    Benchmark texts shorter than `n` words (but at least `min_words`) are matched as whole phrases,
    as DeepSeekMath did for short questions.
    """

    name = "decontamination"

    def __init__(self, benchmarks: list[dict], n: int = 13, min_words: int = 3, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.benchmarks = benchmarks  # [{"name", "path", "field"}]
        self.n = n
        self.min_words = min_words
        self._index = None

    def __getstate__(self):
        return {**self.__dict__, "_index": None}

    def _build_index(self):
        ngrams: dict[int, str] = {}
        phrases: list[tuple[str, str]] = []
        for bench in self.benchmarks:
            for text in load_benchmark_texts(bench["path"], bench["field"]):
                words = normalized_words(text)
                if len(words) >= self.n:
                    for i in range(len(words) - self.n + 1):
                        ngrams.setdefault(hash(" ".join(words[i : i + self.n])), bench["name"])
                elif len(words) >= self.min_words:
                    phrases.append((f" {' '.join(words)} ", bench["name"]))
        return ngrams, phrases

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self._index is None:
            self._index = self._build_index()
        ngrams, phrases = self._index
        words = normalized_words(doc.text)
        for i in range(len(words) - self.n + 1):
            if (bench := ngrams.get(hash(" ".join(words[i : i + self.n])))) is not None:
                doc.metadata["contaminated_with"] = bench
                return False, "benchmark_overlap"
        if phrases:
            joined = f" {' '.join(words)} "
            for phrase, bench in phrases:
                if phrase in joined:
                    doc.metadata["contaminated_with"] = bench
                    return False, "benchmark_overlap"
        return True
