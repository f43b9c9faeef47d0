"""Where a build puts things: the publishable part (README.md, data/, assets/) and the rest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PUBLISHABLE = ("README.md", "data", "assets")


@dataclass(frozen=True)
class OutputLayout:
    root: Path

    def __init__(self, root: str | Path):
        object.__setattr__(self, "root", Path(root).absolute())

    @property
    def card(self) -> Path:
        return self.root / "README.md"

    @property
    def recipe(self) -> Path:
        return self.root / "recipe.yaml"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def assets(self) -> Path:
        return self.root / "assets"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def build_record(self) -> Path:
        """Recipe hash, base folder, input files, referenced files and stages, written when the build starts."""
        return self.work / "build.json"

    def data(self, config: str = "default") -> Path:
        return self.root / "data" / config

    def logs(self, stage: str) -> Path:
        return self.work / "logs" / stage

    def removed(self, stage: str) -> Path:
        return self.root / "removed" / stage

    def progress(self, stage: str) -> Path:
        return self.work / "progress" / stage

    def clear(self) -> None:
        """Remove everything a build wrote here (for a rebuild from scratch)."""
        import shutil

        for name in ("README.md", "recipe.yaml", "manifest.json"):
            (self.root / name).unlink(missing_ok=True)
        for name in ("data", "assets", "removed", "work"):
            shutil.rmtree(self.root / name, ignore_errors=True)

    def scratch(self, name: str) -> Path:
        return self.work / name

    def publishable_files(self) -> list[Path]:
        files = []
        for name in PUBLISHABLE:
            path = self.root / name
            if path.is_file():
                files.append(path)
            elif path.is_dir():
                files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        return files
