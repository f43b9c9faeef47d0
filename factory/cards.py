"""The dataset card: Hub metadata + body from cards/*.md.j2, funnel and length plots under assets/."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jinja2
import polars as pl
from huggingface_hub import DatasetCard, DatasetCardData

from factory import __version__
from factory.layout import OutputLayout

EXAMPLE_CHARS = 600


def size_category(rows: int) -> str:
    for limit, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
    ):
        if rows < limit:
            return label
    return "n>100M"


def _template(name: str) -> str:
    return resources.files("cards").joinpath(name).read_text(encoding="utf-8")


def _config_stats(layout: OutputLayout, config: str, text_column: str) -> dict:
    """Rows, words, schema, three examples and text lengths of a config, scanning the shards lazily."""
    files = sorted(layout.data(config).glob("*.parquet"))
    stats = {"name": config, "rows": 0, "words": 0, "files": len(files), "schema": [], "examples": [], "lengths": []}
    if not files:
        return stats
    frame = pl.scan_parquet(files)
    schema = frame.collect_schema()
    stats["schema"] = [(name, str(dtype)) for name, dtype in schema.items()]
    stats["rows"] = frame.select(pl.len()).collect().item()
    if text_column in schema:
        text = pl.col(text_column).fill_null("")
        lengths = frame.select(text.str.len_chars().alias("chars"), text.str.split(" ").list.len().alias("words"))
        collected = lengths.collect()
        stats["words"] = int(collected["words"].sum() or 0)
        stats["lengths"] = collected["chars"].to_list()
    for row in frame.head(3).collect().to_dicts():
        row = {
            k: (v[:EXAMPLE_CHARS] + "…" if isinstance(v, str) and len(v) > EXAMPLE_CHARS else v)
            for k, v in row.items()
        }
        stats["examples"].append(json.dumps(row, ensure_ascii=False, indent=1))
    return stats


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _plot_funnel(funnel: dict, path: Path) -> None:
    plt = _pyplot()
    stages = funnel["stages"]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(stages) + 1.2))
    names = [s["stage"] for s in stages][::-1]
    ax.barh(names, [s["read"] for s in stages][::-1], color="#d9d9d9", label="read")
    ax.barh(names, [s["kept"] for s in stages][::-1], color="#2b8cbe", label="kept")
    ax.set_xlabel("documents")
    ax.set_title("items per stage")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def _plot_lengths(lengths: list[int], path: Path, column: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.hist(lengths or [0], bins=30, color="#2b8cbe")
    ax.set_xlabel(f"characters in `{column}`")
    ax.set_ylabel("rows")
    ax.set_title("length distribution")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write_card(layout: OutputLayout, recipe, manifest: dict, module) -> DatasetCard:
    layout.assets.mkdir(parents=True, exist_ok=True)
    context = module.card_context(recipe)
    text_column = getattr(module, "TEXT_COLUMN", "text")
    configs = [_config_stats(layout, config, text_column) for config in module.CONFIGS]
    first = configs[0]
    _plot_funnel(manifest["funnel"], layout.assets / "funnel.png")
    _plot_lengths(first["lengths"], layout.assets / "text_length.png", text_column)

    card_info = module.CARD
    pretty_name = recipe.name.replace("-", " ").replace("_", " ")
    card_data = DatasetCardData(
        license=recipe.publish.license,
        language=context.get("languages", ["en"]),
        task_categories=card_info["task_categories"],
        size_categories=[size_category(configs[0]["rows"] if configs else 0)],
        tags=card_info["tags"],
        pretty_name=pretty_name,
        configs=[
            {
                "config_name": c["name"],
                "data_files": [{"split": "train", "path": f"data/{c['name']}/*.parquet"}],
                **({"default": True} if i == 0 else {}),
            }
            for i, c in enumerate(configs)
        ],
    )
    method = jinja2.Template(_template(card_info["section"]), undefined=jinja2.StrictUndefined).render(**context)
    card = DatasetCard.from_template(
        card_data,
        template_str=_template("base.md.j2"),
        pretty_name=pretty_name,
        name=recipe.name,
        summary=context["summary"],
        recipe_name=recipe.recipe,
        factory_version=__version__,
        seed=recipe.seed,
        recipe_hash=manifest["recipe_hash"],
        outputs_hash=manifest["outputs"]["hash"],
        inputs_hash=manifest["inputs"]["hash"],
        input_count=manifest["inputs"]["count"],
        git_commit=manifest.get("git_commit"),
        method=method.strip(),
        funnel=manifest["funnel"],
        configs=configs,
        schema=first["schema"],
        examples=first["examples"],
        repo_id=recipe.publish.repo_id or f"your-name/{recipe.name}",
        recipe_yaml=recipe.resolved_yaml().strip(),
        limitations=context["limitations"],
        citation=card_info["citation"],
    )
    card.save(layout.card)
    return card
