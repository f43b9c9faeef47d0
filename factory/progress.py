"""Progress inside a stage: taps count documents in each task, the terminal shows their sums while it runs.

A `ProgressTap` passes documents through and, at most every `interval` seconds, writes its running count
to `work/progress/STAGE/ROLE-RANK.json` (atomically). `StageProgress` polls those files from the process that
runs the executor: a live line on a terminal, a plain line every `every` seconds otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


class ProgressTap(PipelineStep):
    """Counts the documents flowing past this point of a task's pipeline (`in` after the reader, `out` at the end)."""

    name = "progress"
    type = "🔭 - TAP"

    def __init__(self, folder: str, role: str, interval: float = 1.0):
        super().__init__()
        self.folder, self.role, self.interval = folder, role, interval

    def _write(self, rank: int, count: int, done: bool) -> None:
        path = Path(self.folder) / f"{self.role}-{rank:05d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"count": count, "done": done}))
        os.replace(tmp, path)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        count, last = 0, time.monotonic()
        self._write(rank, 0, False)
        for document in data or ():  # a step that yields nothing (InferenceRunner) hands on None
            count += 1
            if time.monotonic() - last >= self.interval:
                self._write(rank, count, False)
                last = time.monotonic()
            yield document
        self._write(rank, count, True)


def with_taps(pipeline: list, folder: Path) -> list:
    """The stage's pipeline with an `in` tap after its first step and an `out` tap before its last one (the
    writer, MinHash signatures, the model call: steps that hand nothing on, or hand on what they were given)."""
    if len(pipeline) < 2:
        return [*pipeline, ProgressTap(str(folder), "out")]
    return [
        pipeline[0],
        ProgressTap(str(folder), "in"),
        *pipeline[1:-1],
        ProgressTap(str(folder), "out"),
        pipeline[-1],
    ]


def read_progress(folder: Path) -> tuple[int, int, int]:
    """(documents in, documents out, tasks done) summed over the tap files of a stage."""
    totals = {"in": 0, "out": 0}
    done = 0
    for path in folder.glob("*.json"):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being replaced right now
        role = path.name.split("-", 1)[0]
        totals[role] = totals.get(role, 0) + state["count"]
        done += role == "out" and state["done"]
    return totals["in"], totals["out"], done


class StageProgress:
    """Shows a running stage's progress until stopped: `[stage] 1,204 in · 311 out · 38.2/s · 3/4 tasks · 31s`.

    `in` counts what the stage's reader produced, `out` what reached its last step (the writer); a stage that
    reads no documents (MinHash buckets) shows its tasks only.
    """

    def __init__(self, stage: str, folder: Path, tasks: int, unit: str = "", stream=None, every: float = 5.0):
        self.stage, self.folder, self.tasks, self.unit = stage, folder, tasks, unit
        self.stream = stream or sys.stdout
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = 0.5 if self.live else every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.started = time.monotonic()

    def line(self) -> str:
        read, kept, done = read_progress(self.folder)
        elapsed = time.monotonic() - self.started
        tasks = f"{done}/{self.tasks} tasks · {elapsed:,.0f}s"
        if not read and not kept:
            return f"[{self.stage}] {tasks}"
        rate = read / elapsed if elapsed > 0 else 0.0
        unit = f" {self.unit}" if self.unit else ""
        return f"[{self.stage}] {read:,}{unit} in · {kept:,} out · {rate:,.1f}/s · {tasks}"

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            if self.live:
                self.stream.write("\r\033[K" + self.line())
            else:
                self.stream.write(self.line() + "\n")
            self.stream.flush()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.stream.write(("\r\033[K" if self.live else "") + self.line() + "\n")
        self.stream.flush()
