"""Reading a round's completions back in document-id order, in bounded memory.

Completions finish in any order, so rank r's files are cut into runs of at most `run_bytes` of JSON,
each sorted by id and spilled to a local temporary file, then merged: memory holds one run while
sorting and one line per run while merging, whatever the size of the rank.
"""

from __future__ import annotations

import heapq
import json
import os
import tempfile

from datatrove.data import Document
from datatrove.pipeline.readers.base import BaseDiskReader


def _write_run(lines: list[tuple[str, str]], folder: str, index: int) -> str:
    path = os.path.join(folder, f"run_{index:05d}.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for _, line in sorted(lines, key=lambda item: item[0]):
            f.write(line if line.endswith("\n") else line + "\n")
    return path


def _read_run(path: str):
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["id"], line


class RoundOutputReader(BaseDiskReader):
    """Rank r's documents of a round (`{rank:05d}_chunk_*.jsonl.gz`), sorted by id by merging sorted runs."""

    name = "reload"

    def __init__(self, data_folder: str, run_bytes: int = 64 << 20):
        super().__init__(data_folder, add_file_path=False)
        self.run_bytes = run_bytes

    def read_file(self, filepath: str):
        with self.data_folder.open(filepath, "rt", compression="gzip") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)["id"], line

    def sorted_lines(self, files: list[str]):
        with tempfile.TemporaryDirectory(prefix="round-runs-") as folder:
            runs, lines, size = [], [], 0
            for file in files:
                for item in self.read_file(file):
                    lines.append(item)
                    size += len(item[1])
                    if size >= self.run_bytes:
                        runs.append(_write_run(lines, folder, len(runs)))
                        lines, size = [], 0
            if not runs:  # the whole rank fits in one run: no spill
                yield from sorted(lines, key=lambda item: item[0])
                return
            if lines:
                runs.append(_write_run(lines, folder, len(runs)))
            lines = []
            self.stat_update("sorted_runs", value=len(runs))
            yield from heapq.merge(*(_read_run(run) for run in runs), key=lambda item: item[0])

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        files = sorted(f for f in self.data_folder.list_files() if f.startswith(f"{rank:05d}_chunk_"))
        for _, line in self.sorted_lines(files):
            row = json.loads(line)
            doc = Document(text=row["text"], id=row["id"], metadata=row.get("metadata", {}))
            self.update_doc_stats(doc)
            yield doc
