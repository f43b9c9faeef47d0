"""Shard names that carry their content hash, so a rebuild into the same folder can never be read as the old one.

`datasets.load_dataset(FOLDER)` caches by data-file path (huggingface/datasets#2956): same names, stale rows.
Datatrove writes `000_train-00003.parquet` (file part, rank); finalize renames it `train-00003-000-<sha12>.parquet`.
"""

from __future__ import annotations

import re
from pathlib import Path

from factory.provenance import sha256_file

_RAW = re.compile(r"^(?P<part>\d+)_train-(?P<rank>\d+)\.parquet$")


def name_shards_by_content(folder: Path) -> list[Path]:
    """Rename this folder's fresh shards; idempotent (already named shards are left alone)."""
    if not folder.is_dir():
        return []
    for path in sorted(folder.iterdir()):
        match = _RAW.match(path.name)
        if not match:
            continue
        stem = f"train-{match['rank']}-{match['part']}"
        for stale in folder.glob(f"{stem}-*.parquet"):  # a rank rewritten after an earlier finalize
            stale.unlink()
        path.rename(folder / f"{stem}-{sha256_file(path)[:12]}.parquet")
    return sorted(folder.glob("*.parquet"))
