"""Shared inputs for the bench scripts: the sample crawl's pages, written fresh into a temp folder."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "samples"))
sys.path.insert(0, str(ROOT))


def sample_pages() -> list[str]:
    """HTML of every decodable HTML response in the sample crawl."""
    from make_samples import write_samples

    from factory.readers import WarcPageReader

    tmp = Path(tempfile.mkdtemp())
    write_samples(tmp)
    reader = WarcPageReader(str(tmp / "web"), glob_pattern="crawl-0000[01].warc.gz")
    return [d.text for d in reader.run() if "read_error" not in d.metadata]


def best_of(fn, repeats: int = 3) -> float:
    import time

    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
