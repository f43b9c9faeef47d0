"""Recipes: one module per published method, each turning a validated config into datatrove stages."""

import importlib

_RECIPES = {
    "math_web": "pipelines.math_web",
    "textbook_qa": "pipelines.textbook_qa",
}


def known_recipes() -> list[str]:
    return sorted(_RECIPES)


def get_recipe_module(name: str):
    return importlib.import_module(_RECIPES[name])
