"""What a recipe module offers the engine: one explicit `RecipeSpec`, nothing else.

Each module under `pipelines/` defines `RECIPE = RecipeSpec(...)`. The engine (runner, funnel, manifest,
card) reads only this object, so a new recipe is a new spec, never a new module attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from pydantic import BaseModel

if TYPE_CHECKING:
    from factory.layout import OutputLayout
    from factory.recipe import Recipe
    from factory.stage import Stage


@dataclass(frozen=True)
class OutputConfig:
    """One published config (`data/NAME/*.parquet`): its declared Arrow schema and the column the card measures.

    The schema is the writer's schema too, so row order can never change a shard's schema, and the card of an
    empty build still shows the columns.
    """

    name: str
    schema: pa.Schema
    text_column: str | None = None


@dataclass(frozen=True)
class CardInfo:
    section: str  # template under cards/
    task_categories: list[str]
    tags: list[str]
    citation: str


@dataclass(frozen=True)
class FunnelSpec:
    """How the steps' counters read as funnels.

    `steps` lists step names in pipeline order (a name absent from a build is skipped). The funnel starts in
    `unit`; a step that records `produced` (a book -> its pairs) ends its unit, and its produced count is what
    the next unit reads; `produces` names that next unit per step.
    """

    unit: str
    steps: list[str]
    produces: dict[str, str] = field(default_factory=dict)
    default_reasons: dict[str, str] = field(default_factory=dict)  # for steps that drop without a reason


def _no_files(_recipe) -> dict[str, Path]:
    return {}


def _no_llm(_recipe) -> list[dict]:
    return []


def _no_models(_recipe) -> dict[str, dict]:
    return {}


def _no_problems(_recipe) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class RecipeSpec:
    """A recipe, as the engine sees it.

    Attributes:
        name: the `recipe:` value in YAML.
        stages_model: pydantic model of the `stages:` block.
        build_stages: (recipe, layout) -> executor stages, in order.
        funnel: how the stats read as per-unit funnels.
        configs: published configs, the first is the default; or recipe -> configs, where the recipe names them
            (ablate: one config per arm).
        card: card template and Hub metadata.
        card_context: (recipe, layout) -> what the card section template needs, plus `summary`, `limitations`.
        preflight: recipe -> (field, problem) pairs found before any work.
        referenced_files: recipe -> {role: path} of every file the data depends on besides the inputs (models,
            prompts, benchmarks, blocklists, pools); hashed at build start, so a changed file is noticed.
        llm_info: recipe -> model entries (backend, model, revision, generation, prompt hash) for manifest and card.
        model_info: recipe -> {role: {source, path, revision, sha256}} of the non-LLM models (classifiers) used.
    """

    name: str
    stages_model: type[BaseModel]
    build_stages: Callable[[Recipe, OutputLayout], list[Stage]]
    funnel: FunnelSpec
    configs: list[OutputConfig] | Callable[[Recipe], list[OutputConfig]]
    card: CardInfo
    card_context: Callable[[Recipe, OutputLayout], dict]
    preflight: Callable[[Recipe], list[tuple[str, str]]] = _no_problems
    referenced_files: Callable[[Recipe], dict[str, Path]] = _no_files
    llm_info: Callable[[Recipe], list[dict]] = _no_llm
    model_info: Callable[[Recipe], dict[str, dict]] = _no_models

    def output_configs(self, recipe: Recipe) -> list[OutputConfig]:
        return list(self.configs(recipe) if callable(self.configs) else self.configs)
