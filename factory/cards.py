"""The dataset card: Hub metadata + body from cards/*.md.j2, funnel and length plots under assets/."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jinja2
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
    """A template shipped under cards/, or a template file given by path (a recipe outside this package)."""
    if Path(name).is_absolute():
        return Path(name).read_text(encoding="utf-8")
    return resources.files("cards").joinpath(name).read_text(encoding="utf-8")


# log-spaced length bins, fixed in advance so statistics stream over any number of rows in constant memory
LENGTH_BINS = [0, *(round(10 ** (k / 10)) for k in range(0, 71))]


def _stream_text(batches, histogram) -> int:
    """Adds each batch's text lengths to `histogram`; returns the words counted."""
    import numpy as np
    import pyarrow.compute as pc

    words = 0
    for batch in batches:
        text = pc.fill_null(batch.column(0), "")
        words += int(pc.sum(pc.list_value_length(pc.utf8_split_whitespace(text))).as_py() or 0)
        lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
        histogram += np.histogram(np.clip(lengths, 0, LENGTH_BINS[-1] - 1), bins=LENGTH_BINS)[0]
    return words


def _config_stats(layout: OutputLayout, config, seed: int) -> dict:
    """Rows, words, a length histogram and three seeded example rows of a config, streamed batch by batch."""
    import random

    import numpy as np
    import pyarrow.parquet as pq

    files = sorted(layout.data(config.name).glob("*.parquet"))
    stats = {
        "name": config.name,
        "rows": 0,
        "words": 0,
        "files": len(files),
        "schema": [(f.name, str(f.type)) for f in config.schema],
        "examples": [],
        "histogram": None,
        "text_column": config.text_column,
    }
    stats["shards"] = [f.relative_to(layout.root).as_posix() for f in files]
    counts = [pq.ParquetFile(f).metadata.num_rows for f in files]
    stats["rows"] = sum(counts)
    if not stats["rows"]:
        return stats
    if config.text_column:
        histogram = np.zeros(len(LENGTH_BINS) - 1, dtype=np.int64)
        for f in files:
            with pq.ParquetFile(f, pre_buffer=False, buffer_size=1 << 20) as shard:
                batches = shard.iter_batches(columns=[config.text_column], batch_size=4096, use_threads=False)
                stats["words"] += _stream_text(batches, histogram)
        stats["histogram"] = histogram.tolist()
    picks = sorted(random.Random(seed).sample(range(stats["rows"]), min(3, stats["rows"])))
    offset = 0
    for f, count in zip(files, counts):
        local = [p - offset for p in picks if offset <= p < offset + count]
        offset += count
        if not local:
            continue
        seen = 0  # batch by batch up to the last example of this shard: memory bounded by one batch
        with pq.ParquetFile(f, pre_buffer=False) as shard:
            for batch in shard.iter_batches(batch_size=1024, use_threads=False):
                for index in [i - seen for i in local if seen <= i < seen + batch.num_rows]:
                    row = batch.slice(index, 1).to_pylist()[0]
                    row = {
                        k: (v[:EXAMPLE_CHARS] + "…" if isinstance(v, str) and len(v) > EXAMPLE_CHARS else v)
                        for k, v in row.items()
                    }
                    stats["examples"].append(json.dumps(row, ensure_ascii=False, indent=1, default=str))
                seen += batch.num_rows
                if seen > max(local):
                    break
    return stats


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _plot_funnel(funnel: dict, path: Path) -> None:
    """One panel per unit (pages, books, pairs...): read and kept per stage, each on its own axis."""
    plt = _pyplot()
    units = [u for u in funnel["units"] if u["stages"]]
    heights = [0.45 * len(u["stages"]) + 1.0 for u in units]
    fig, axes = plt.subplots(len(units), 1, figsize=(7, sum(heights) + 0.4), height_ratios=heights, squeeze=False)
    for ax, unit in zip(axes[:, 0], units):
        names = [s["stage"] for s in unit["stages"]][::-1]
        ax.barh(names, [s["read"] for s in unit["stages"]][::-1], color="#d9d9d9", label="read")
        ax.barh(names, [s["kept"] for s in unit["stages"]][::-1], color="#2b8cbe", label="kept")
        ax.set_xlabel(unit["unit"])
        ax.legend(loc="lower right")
    axes[0, 0].set_title("funnel: read and kept per stage")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def _plot_lengths(histogram: list[int], path: Path, column: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    edges = LENGTH_BINS
    ax.stairs(histogram, [max(e, 0.8) for e in edges], fill=True, color="#2b8cbe")
    ax.set_xscale("log")
    ax.set_xlabel(f"characters in `{column}` (log scale)")
    ax.set_ylabel("rows")
    ax.set_title("length distribution")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write_card(layout: OutputLayout, recipe, manifest: dict, spec) -> DatasetCard:
    layout.assets.mkdir(parents=True, exist_ok=True)
    for stale in layout.assets.glob("*.png"):
        stale.unlink()  # a plot a previous build drew must not outlive it
    context = spec.card_context(recipe, layout)
    configs = [_config_stats(layout, config, recipe.seed) for config in spec.output_configs(recipe)]
    first = configs[0]
    funnel = manifest["funnel"]
    if any(u["stages"] for u in funnel["units"]):
        _plot_funnel(funnel, layout.assets / "funnel.png")
    if first["histogram"]:
        _plot_lengths(first["histogram"], layout.assets / "text_length.png", first["text_column"])

    card_info = spec.card
    pretty_name = recipe.name.replace("-", " ").replace("_", " ")
    published = [c for c in configs if c["files"]]
    card_data = DatasetCardData(
        license=recipe.publish.license,
        language=context.get("languages", ["en"]),
        task_categories=card_info.task_categories,
        size_categories=[size_category(first["rows"])],
        tags=card_info.tags,
        pretty_name=pretty_name,
        configs=[
            {
                "config_name": c["name"],
                # the exact shards (their names carry their content hash), not a glob: `datasets` caches a local
                # folder by its card's data_files, so a glob would hand back an earlier build's rows
                "data_files": [{"split": "train", "path": c["shards"]}],
                **({"default": True} if i == 0 else {}),
            }
            for i, c in enumerate(published)
        ]
        or None,
    )
    method = jinja2.Template(_template(card_info.section), undefined=jinja2.StrictUndefined).render(**context)
    git = manifest.get("git") or {}
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
        git_commit=git.get("commit"),
        git_dirty=git.get("dirty", False),
        method=method.strip(),
        funnel=funnel,
        has_funnel_plot=(layout.assets / "funnel.png").exists(),
        has_length_plot=(layout.assets / "text_length.png").exists(),
        configs=configs,
        published=published,
        schema=first["schema"],
        examples=first["examples"],
        repo_id=recipe.publish.repo_id or f"your-name/{recipe.name}",
        recipe_yaml=recipe.resolved_yaml().strip(),
        limitations=context["limitations"],
        citation=card_info.citation,
    )
    card.save(layout.card)
    return card
