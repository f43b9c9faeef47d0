"""Provenance: what went in, what came out, with what code; written to manifest.json. Never secrets."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import factory


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def digest_of(entries: list[dict]) -> str:
    """One hash over a list of {path, sha256} entries (order-independent)."""
    lines = sorted(f"{e['path']}\t{e['sha256']}" for e in entries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def list_input_files(input_config) -> list[Path]:
    root = Path(input_config.path)
    if root.is_file():
        return [root]
    return sorted(p for p in root.glob(input_config.glob_pattern) if p.is_file())


def input_files(input_config) -> list[dict]:
    root = Path(input_config.path)
    return [
        {
            "path": p.relative_to(root).as_posix() if root.is_dir() else p.name,
            "size": p.stat().st_size,
            "sha256": sha256_file(p),
        }
        for p in list_input_files(input_config)
    ]


def output_files(root: Path, folders: tuple[str, ...] = ("data",)) -> list[dict]:
    files = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                entry = {
                    "path": path.relative_to(root).as_posix(),
                    "size": path.stat().st_size,
                    "sha256": sha256_file(path),
                }
                if path.suffix == ".parquet":
                    import pyarrow.parquet as pq

                    entry["rows"] = pq.ParquetFile(path).metadata.num_rows
                files.append(entry)
    return files


def model_entries(models: dict[str, Path | None]) -> list[dict]:
    return [
        {"role": role, "path": path.name, "size": path.stat().st_size, "sha256": sha256_file(path)}
        for role, path in models.items()
        if path is not None and path.is_file()
    ]


def versions() -> dict:
    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "dataset-factory": factory.__version__,
        "datatrove": version("datatrove"),
        "python": platform.python_version(),
        **{name: version(name) for name in ("trafilatura", "fasttext-numpy2-wheel", "pyarrow", "huggingface_hub")},
    }


def git_commit() -> str | None:
    source = Path(factory.__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
