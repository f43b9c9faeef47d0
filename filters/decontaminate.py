"""Benchmark decontamination by exact word n-gram overlap (MegaMath: 13-grams), through a hash index."""

from __future__ import annotations

from itertools import accumulate
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.utils.logging import logger
from xxhash import xxh3_64_intdigest

from factory.json_lines import json_objects
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
        for line_no, row, problem in json_objects(f):
            if problem:
                raise ValueError(f"{path}, {problem}")
            if field not in row:
                raise ValueError(f"{path}, line {line_no}: no field {field!r}")
            if row[field]:
                texts.append(str(row[field]))
    return texts


class NGramIndex:
    """Every benchmark n-gram, and every whole short item, keyed by the hash of its first `anchor` words.

    An item of `n` words or more matches a text holding any of its `n`-grams; an item of `min_n`..`n`-1 words
    matches a text holding it whole (DeepSeekMath matched short items whole, from 3 words; generic stems such as
    "Which of the following is true?" then remove every page quoting them, so shorter items are left out). One
    pass over a text's `min_n`-grams finds both kinds: a dict lookup per word, whatever the number of items.
    Hashes are xxh3-64 of the space-joined words, the same in every process.
    """

    def __init__(self, n: int, min_n: int):
        if not 1 <= min_n <= n:
            raise ValueError(f"need 1 <= min_n <= n, got min_n={min_n}, n={n}")
        self.n, self.anchor = n, min_n
        self.anchors: dict[int, tuple[tuple[int, int, str], ...]] = {}  # anchor hash -> (words, window hash, bench)
        self.items = self.too_short = 0

    def add(self, text: str, name: str) -> None:
        words = normalized_words(text)
        if len(words) < self.anchor:
            self.too_short += 1
            return
        self.items += 1
        length = min(len(words), self.n)
        for i in range(len(words) - length + 1):
            key = xxh3_64_intdigest(" ".join(words[i : i + self.anchor]))
            entry = (length, xxh3_64_intdigest(" ".join(words[i : i + length])), name)
            entries = self.anchors.get(key, ())
            if entry not in entries:
                self.anchors[key] = (*entries, entry)

    def match(self, words: list[str]) -> str | None:
        """The benchmark of the first item found in `words`, or None."""
        if len(words) < self.anchor:
            return None
        # hash slices of one joined string: cheaper than joining a list slice per position
        joined = " ".join(words)
        ends = list(accumulate(len(w) + 1 for w in words))  # ends[k] - 1: end of word k in `joined`
        starts = [0, *ends]
        anchors, a = self.anchors, self.anchor
        for i in range(len(words) - a + 1):
            entries = anchors.get(xxh3_64_intdigest(joined[starts[i] : ends[i + a - 1] - 1]))
            if entries is None:
                continue
            for length, window, name in entries:
                last = i + length - 1
                if last < len(words) and xxh3_64_intdigest(joined[starts[i] : ends[last] - 1]) == window:
                    return name
        return None


class NGramDecontaminationFilter(BaseFilter):
    """Drops documents sharing a word `n`-gram with a benchmark item, or holding a whole item of `min_n`..`n`-1
    words (see `NGramIndex`); the matched benchmark is recorded in `contaminated_with`."""

    name = "decontamination"

    def __init__(self, benchmarks: list[dict], n: int = 13, min_n: int = 8, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.benchmarks = benchmarks  # [{"name", "path", "field"}]
        self.n = n
        self.min_n = min_n
        self._index = None

    def __getstate__(self):
        return {**self.__dict__, "_index": None}

    def build_index(self) -> NGramIndex:
        index = NGramIndex(self.n, self.min_n)
        for bench in self.benchmarks:
            for text in load_benchmark_texts(bench["path"], bench["field"]):
                index.add(text, bench["name"])
        if index.too_short:
            logger.warning(
                f"decontamination: {index.too_short} benchmark items under {self.min_n} words are not checked "
                f"({index.items} are)"
            )
        return index

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        if self._index is None:
            self._index = self.build_index()
        if (bench := self._index.match(normalized_words(doc.text))) is not None:
            doc.metadata["contaminated_with"] = bench
            return False, "benchmark_overlap"
        return True
