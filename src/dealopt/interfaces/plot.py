"""Draw a frontier: feasible packages (sampled), the frontier, walk-away lines, bargaining packages."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices, evaluate_values
from dealopt.negotiation.frontier import FrontierResult

__all__ = ["plot_frontier", "sample_feasible"]


def sample_feasible(deal: CompiledDeal, n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Utilities of up to ``n`` feasible packages: all of them when few, else a seeded random sample."""
    rng = np.random.default_rng(seed)
    if deal.gridded:
        size = deal.space_size or 0
        if size <= n:
            flat = np.arange(size)
        else:
            flat = rng.integers(0, size, n)
        idx = np.stack(np.unravel_index(flat, deal.shape), axis=1)
        ev = evaluate_indices(deal, idx)
    else:
        import pandas as pd

        cols = {}
        for issue in deal.issues:
            if issue.gridded:
                pick = rng.integers(0, len(issue.labels), n)
                cols[issue.name] = [issue.labels[j] for j in pick]
            else:
                cols[issue.name] = rng.uniform(issue.lo, issue.hi, n)
        ev = evaluate_values(deal, pd.DataFrame(cols))
    return ev.seller[ev.feasible], ev.buyer[ev.feasible]


def plot_frontier(result: FrontierResult, deal: CompiledDeal, path: str | Path) -> None:
    """Write a PNG of the deal's utility space to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, b = sample_feasible(deal)
    fig, ax = plt.subplots(figsize=(8, 6), dpi=110)
    ax.scatter(s, b, s=3, alpha=0.25, color="#9aa5b1", label=f"feasible packages ({len(s):,} shown)", rasterized=True)
    if result.points:
        fs = [p.seller for p in result.points]
        fb = [p.buyer for p in result.points]
        ax.plot(fs, fb, "-o", color="#1f5fbf", markersize=3, linewidth=1.2, label=f"Pareto frontier ({len(fs)} points)")
    w_s, w_b = result.walk_away
    if w_s is not None:
        ax.axvline(w_s, color="#c0392b", linestyle="--", linewidth=1, label="seller walk-away")
    if w_b is not None:
        ax.axhline(w_b, color="#e67e22", linestyle="--", linewidth=1, label="buyer walk-away")
    marks = [
        ("nash", result.nash, "*", "#2c7a3f"),
        ("Kalai–Smorodinsky", result.kalai_smorodinsky, "D", "#8e44ad"),
        ("max joint value", result.max_joint, "s", "#d35400"),
        ("egalitarian", result.egalitarian, "^", "#16a085"),
    ]
    for label, sol, marker, color in marks:
        if sol is not None:
            ax.scatter(
                [sol.seller], [sol.buyer], marker=marker, s=90, color=color, edgecolor="black", zorder=5, label=label
            )
    unit = result.units
    ax.set_xlabel(f"seller utility ({unit})")
    ax.set_ylabel(f"buyer utility ({unit})")
    verdict = "ZOPA" if result.zopa else "no ZOPA"
    ax.set_title(f"{result.model}: frontier by {result.engine} ({verdict})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
