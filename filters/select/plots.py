"""Side-by-side distributions of the arms for the card: token lengths and selection scores."""

from __future__ import annotations

from pathlib import Path


def arm_histograms(arms: list[dict], key: str, title: str, path: Path) -> Path | None:
    """One overlaid step histogram per arm of `arm[key]` values; None when no arm has any."""
    series = [(a["name"], a[key]) for a in arms if a[key]]
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    values = np.concatenate([np.asarray(v, dtype=float) for _, v in series])
    bins = np.histogram_bin_edges(values, bins=30)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, v in series:
        ax.hist(v, bins=bins, histtype="step", linewidth=1.5, label=f"{name} ({len(v)})")
    ax.set_title(title)
    ax.set_ylabel("rows")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})  # no version stamp: same build, same bytes
    plt.close(fig)
    return path
