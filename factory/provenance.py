"""Provenance: what went in, what came out, with what code; written to manifest.json. Never secrets."""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import factory


def sha256_file(path: Path) -> str:
    """The file's sha256; a file unchanged since it was last hashed in this process (same size and mtime) is not
    read again: a multi-GB model is hashed at preflight, at build start and for the manifest."""
    stat = Path(path).stat()
    return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _sha256(path: str, _size: int, _mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def digest_of(entries: list[dict]) -> str:
    """One hash over a list of {path, sha256} entries (order-independent)."""
    lines = sorted(f"{e['path']}\t{e['sha256']}" for e in entries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def list_input_files(input_config) -> list[str]:
    """Paths (relative to `input_config.folder`) of the input files, through datatrove's DataFolder (fsspec):
    local folders, single files, globs, and remote locations such as s3:// or hf://."""
    from datatrove.io import get_datafolder

    folder = get_datafolder(input_config.folder)
    if not folder.isdir(""):
        return []
    return sorted(folder.list_files(glob_pattern=input_config.glob_pattern, recursive=True))


def input_files(input_config, files: list[str], verify: bool = False) -> list[dict]:
    """Each of `files`' (from `list_input_files`) path, size and modification time (cheap, at any scale); with
    `verify`, its sha256 too."""
    from datatrove.io import get_datafolder

    folder = get_datafolder(input_config.folder)
    entries = []
    for rel in files:
        info = folder.info(rel)
        mtime = info.get("mtime") or info.get("LastModified") or info.get("last_modified")
        entry = {"path": rel, "size": int(info.get("size") or 0), "mtime": str(mtime) if mtime is not None else None}
        if verify:
            digest = hashlib.sha256()
            with folder.open(rel, "rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
            entry["sha256"] = digest.hexdigest()
        entries.append(entry)
    return entries


def inputs_digest(entries: list[dict]) -> str:
    """One hash over the inputs' names and sizes (and sha256 where verified); not mtimes, so copies match."""
    lines = sorted(f"{e['path']}\t{e['size']}\t{e.get('sha256', '')}" for e in entries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def referenced_entries(files: dict[str, Path]) -> list[dict]:
    """The recipe's referenced files (models, prompts, benchmarks, ...) by role, with size and sha256."""
    entries = []
    for role, path in sorted(files.items()):
        path = Path(path)
        if path.is_file():
            entries.append({"role": role, "path": path.name, "size": path.stat().st_size, "sha256": sha256_file(path)})
        else:
            entries.append({"role": role, "path": path.name, "size": None, "sha256": None})
    return entries


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


# every library whose version can change the rows a recipe writes
DATA_LIBRARIES = (
    "trafilatura",
    "resiliparse",
    "lxml",
    "warcio",
    "fasttext-numpy2-wheel",
    "pymupdf",
    "spacy",
    "xxhash",
    "numpy",
    "pyarrow",
    "polars",
    "torch",
    "transformers",
    "sympy",
    "huggingface_hub",
    "datasets",
)


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
        **{name: version(name) for name in DATA_LIBRARIES},
    }


def git_state() -> dict | None:
    """The commit of the factory's own checkout and whether it has uncommitted changes (None outside git)."""
    source = Path(factory.__file__).resolve().parent.parent

    def git(*args) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(source), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout if out.returncode == 0 else None

    commit = (git("rev-parse", "HEAD") or "").strip()
    if not commit:
        return None
    status = git("status", "--porcelain", "--untracked-files=no", "--", "factory", "pipelines", "filters", "cards")
    return {"commit": commit, "dirty": bool(status and status.strip())}


def code_version() -> str:
    """The factory version, plus its git commit (`+dirty` with uncommitted changes) when run from a checkout."""
    state = git_state()
    if state is None:
        return factory.__version__
    return f"{factory.__version__}+{state['commit'][:12]}{'.dirty' if state['dirty'] else ''}"


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
