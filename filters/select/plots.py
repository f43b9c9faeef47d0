"""Side-by-side distributions of the arms for the card: token lengths and selection scores."""

from __future__ import annotations

from pathlib import Path


def arm_histograms(arms: list[dict], key: str, title: str, path: Path) -> Path | None:
    """One step histogram per arm of `arm[key]` ({edges, counts} on bins the arms share); None when no arm has
    any."""
    series = [(a["name"], a[key]) for a in arms if a.get(key) and sum(a[key]["counts"])]
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, hist in series:
        ax.stairs(hist["counts"], hist["edges"], linewidth=1.5, label=f"{name} ({sum(hist['counts'])})")
    ax.set_title(title)
    ax.set_ylabel("rows")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})  # no version stamp: same build, same bytes
    plt.close(fig)
    return path
