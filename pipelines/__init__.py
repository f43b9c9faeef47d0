"""Recipes: one module per published method, each exposing `RECIPE`, a `factory.recipe_spec.RecipeSpec`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from factory.recipe_spec import RecipeSpec

_RECIPES = {
    "math_web": "pipelines.math_web",
    "textbook_qa": "pipelines.textbook_qa",
    "cot_prune": "pipelines.cot_prune",
    "tom_synth": "pipelines.tom_synth",
    "ablate": "pipelines.ablate",
}


def known_recipes() -> list[str]:
    return sorted(_RECIPES)


def get_recipe(name: str) -> RecipeSpec:
    return importlib.import_module(_RECIPES[name]).RECIPE
