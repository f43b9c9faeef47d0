"""Recipe files: YAML validated into typed config models.

A recipe names its method (`recipe:`), inputs, seed, executor, per-stage settings and output. Every
field has a typed default; an unknown key, a wrong type or a missing input is one `RecipeError` that
names the file, the field and the line.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class RecipeError(Exception):
    """One or more problems in a recipe file, each naming the field (and line) to fix."""

    def __init__(self, source: str, problems: list[tuple[str, str, int | None]]):
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"recipe error in {self.source}:"]
        for field, message, line in self.problems:
            where = f"{field} (line {line})" if line else field
            lines.append(f"  {where}: {message}")
        return "\n".join(lines)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


InputFormat = Literal["warc", "html", "jsonl", "parquet", "pdf", "dyntom", "synthetic"]
DEFAULT_GLOBS = {
    "warc": "**/*.warc*",
    "html": "**/*.htm*",
    "jsonl": "**/*.jsonl*",
    "parquet": "**/*.parquet",
    "pdf": "**/*.pdf",
    "dyntom": "**/story.json",  # DynToM trialN/ folders
    "synthetic": "*",  # the pool files the contexts are drawn from
}


class InputConfig(StrictModel):
    path: str
    format: InputFormat
    glob: str | None = None
    text_key: str = "text"
    id_key: str = "id"
    contexts: int | None = Field(None, ge=1)  # synthetic: how many contexts to generate
    content: Literal["html", "text"] = "html"  # what text_key holds in jsonl/parquet rows

    @property
    def folder(self) -> str:
        """The folder the readers list: `path` itself, the folder of a single file, or the base of a glob."""
        return _split_input_path(self.path)[0] or self.path

    @property
    def glob_pattern(self) -> str:
        """Which files under `folder` to read: the file's name, the glob in `path`, `glob`, or the format's default."""
        folder, pattern = _split_input_path(self.path)
        if pattern is not None:
            return pattern
        return self.glob or DEFAULT_GLOBS[self.format]


def _split_input_path(path: str) -> tuple[str | None, str | None]:
    """`input.path` as (folder, pattern): a glob (`crawl/*.warc.gz`), one file, or a folder (pattern None)."""
    import glob as globlib

    if globlib.has_magic(path):
        parts = Path(path).parts
        first = next(i for i, part in enumerate(parts) if globlib.has_magic(part))
        return str(Path(*parts[:first])) if first else ".", str(Path(*parts[first:]))
    if "://" not in path and Path(path).is_file():
        return str(Path(path).parent), globlib.escape(Path(path).name)
    return None, None


class ExecutorConfig(StrictModel):
    type: Literal["local", "slurm", "ray"] = "local"
    tasks: int = Field(1, ge=1)
    workers: int = Field(-1, ge=-1)  # local/ray: concurrent tasks, -1 = all
    # slurm
    partition: str | None = None
    time: str = "04:00:00"
    cpus_per_task: int = Field(1, ge=1)
    mem_per_cpu_gb: float = Field(2, gt=0)
    qos: str | None = None
    sbatch_args: dict[str, str] = Field(default_factory=dict)
    venv_path: str | None = None
    # ray
    address: str | None = None  # None = start or join a local Ray instance
    num_cpus: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _slurm_needs_partition(self):
        if self.type == "slurm" and not self.partition:
            raise ValueError("executor.type 'slurm' needs executor.partition")
        return self


class OutputConfig(StrictModel):
    path: str


class PublishConfig(StrictModel):
    repo_id: str | None = None
    private: bool = True
    license: str = "other"


StagesT = TypeVar("StagesT", bound=BaseModel)


class Recipe(StrictModel, Generic[StagesT]):
    recipe: str
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=96)
    seed: int = 0
    input: InputConfig
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    stages: StagesT
    output: OutputConfig
    publish: PublishConfig = Field(default_factory=PublishConfig)

    def resolved_yaml(self) -> str:
        """The recipe with every default filled in, saved with the output (the manifest holds `hash()`)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

    def hash(self) -> str:
        """What the data depends on: not where it is written or published, nor which executor ran it, nor settings
        declared `json_schema_extra={"hash": False}` (timeouts, concurrency, retries).

        `executor.tasks` stays: it sets the shard layout of the output files. Paths are normalised, so
        `samples/web`, `./samples/web` and its absolute path are one recipe.
        """
        content = _hashed_content(self)
        for key in ("output", "publish", "executor"):
            content.pop(key, None)
        content["tasks"] = self.executor.tasks
        return hashlib.sha256(yaml.safe_dump(content, sort_keys=True).encode()).hexdigest()


def _normalised_path(value: str) -> str:
    """A string naming an existing local file or folder, relative to the working directory where possible."""
    if "://" in value or "\n" in value or len(value) > 4096 or not ("/" in value or "." in value):
        return value
    try:
        path = Path(value)
        if not path.exists():
            return value
        absolute = path.absolute()
        with_parents = os.path.normpath(absolute)
        relative = os.path.relpath(with_parents, os.getcwd())
        return with_parents if relative.startswith("..") else relative
    except (OSError, ValueError):
        return value


def _hashed_content(value):
    """The JSON form of a config, without fields marked `{"hash": False}`, with paths normalised."""
    if isinstance(value, BaseModel):
        out = {}
        for name, field in type(value).model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if extra.get("hash", True) is False:
                continue
            out[name] = _hashed_content(getattr(value, name))
        return out
    if isinstance(value, dict):
        return {str(k): _hashed_content(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hashed_content(v) for v in value]
    if isinstance(value, str):
        return _normalised_path(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


def _line_of(root: yaml.Node | None, loc: tuple) -> int | None:
    """1-based line of the deepest key of `loc` present in the YAML node tree."""
    node, line = root, None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(key):
                    line, node = key_node.start_mark.line + 1, value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def parse_override(item: str) -> tuple[list[str], Any]:
    """`stages.language.threshold=0.7` -> (["stages", "language", "threshold"], 0.7); values parse as YAML."""
    if "=" not in item:
        raise ValueError(f"--set {item!r}: expected KEY=VALUE, e.g. stages.language.threshold=0.7")
    key, raw = item.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ValueError(f"--set {item!r}: empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw  # not YAML (a glob such as `*.warc.gz`): the plain string
    return parts, value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    for item in overrides:
        parts, value = parse_override(item)
        node = data
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return data


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read, override and validate a recipe file. Raises `RecipeError` naming every problem."""
    from pipelines import get_recipe, known_recipes

    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise RecipeError(source, [("<file>", f"cannot read recipe: {e.strerror}", None)]) from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise RecipeError(source, [("<yaml>", str(e).splitlines()[0], mark.line + 1 if mark else None)]) from None
    if not isinstance(data, dict):
        raise RecipeError(source, [("<file>", "a recipe is a YAML mapping (recipe:, name:, input:, ...)", None)])
    try:
        apply_overrides(data, overrides or [])
    except ValueError as e:
        raise RecipeError(source, [("--set", str(e), None)]) from None

    name = data.get("recipe")
    if name not in known_recipes():
        raise RecipeError(
            source,
            [
                (
                    "recipe",
                    f"unknown recipe {name!r}; choose one of {', '.join(known_recipes())}",
                    _line_of(root, ("recipe",)),
                )
            ],
        )
    stages_model = get_recipe(name).stages_model
    data.setdefault("stages", {})
    try:
        return Recipe[stages_model].model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            field = ".".join(str(p) for p in loc) or "<recipe>"
            message = err["msg"]
            if err["type"] == "extra_forbidden":
                message = "unknown key (check its spelling and the recipe's documented fields)"
            elif err["type"] != "missing" and "input" in err and not isinstance(err["input"], dict | list):
                message += f" (got {err['input']!r})"
            problems.append((field, message, _line_of(root, loc)))
        raise RecipeError(source, problems) from None
