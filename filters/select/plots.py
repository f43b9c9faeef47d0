"""Side-by-side distributions of the arms for the card: token lengths and selection scores."""

from __future__ import annotations

from pathlib import Path


def arm_histograms(arms: list[dict], key: str, title: str, path: Path) -> Path | None:
    """Histograms of `arm[key]` ({edges, counts, log}): overlaid when the arms share bins, else one panel per arm
    (selection scores differ in kind); None when no arm has any."""
    series = [(a["name"], a[key]) for a in arms if a.get(key) and sum(a[key]["counts"])]
    if not series:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shared = all(h["edges"] == series[0][1]["edges"] for _, h in series)
    panels = 1 if shared else len(series)
    fig, axes = plt.subplots(1, panels, figsize=(7 if shared else 3.2 * panels, 3.5), squeeze=False)
    for i, (name, hist) in enumerate(series):
        ax = axes[0][0 if shared else i]
        ax.stairs(hist["counts"], hist["edges"], linewidth=1.5, label=f"{name} ({sum(hist['counts'])})")
        if hist.get("log"):
            ax.set_xscale("log")
        if not shared:
            ax.set_title(name, fontsize=10)
    axes[0][0].set_ylabel("rows")
    if shared:
        axes[0][0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})  # no version stamp: same build, same bytes
    plt.close(fig)
    return path
