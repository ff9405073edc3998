"""Plots of a learned buyer: the calibration curve on held-out quotes and win probability against price.

matplotlib is imported only when a plot is drawn, on the Agg backend's ``Figure`` (pyplot is never touched).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dealopt.learning import BuyerFit, packages_design
from dealopt.learning.metrics import calibration
from dealopt.model.schema import DealModel

__all__ = ["plot_learned"]


def _win_curve(model: DealModel, fit: BuyerFit, package: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    assert fit.price_issue is not None
    spec = model.issues[fit.price_issue]
    lo, hi = float(getattr(spec, "min", 0.0)), float(getattr(spec, "max", 1.0))
    prices = np.linspace(lo, hi, 121)
    frame = pd.DataFrame([{**package, fit.price_issue: float(p)} for p in prices])
    design = packages_design(model, frame)
    return prices, fit.choice.probability(design)


def plot_learned(model: DealModel, fit: BuyerFit, package: dict[str, object], path: str | Path) -> Path:
    """Draw the calibration curve and the win probability of ``package`` against its price into ``path`` (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    p, y, w = fit.held_out
    ok = np.isfinite(p)
    pred, seen, weight = calibration(p[ok], y[ok], w[ok])
    left.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="perfect calibration")
    left.scatter(pred, seen, s=20 + 200 * weight / max(float(weight.max()), 1e-12), color="C0", zorder=3)
    left.plot(pred, seen, color="C0", label=f"learned buyer (ECE {fit.metrics.ece:.3f})")
    left.set(xlabel="predicted win probability", ylabel="observed win rate", xlim=(0, 1), ylim=(0, 1))
    left.set_title(f"Calibration on {fit.metrics.held_out} held-out quotes")
    left.legend(loc="upper left")
    if fit.price_issue is not None:
        prices, prob = _win_curve(model, fit, package)
        right.plot(prices, prob, color="C1")
        right.axhline(0.5, color="0.7", linewidth=0.8)
        right.set(xlabel=fit.price_issue, ylabel="P(win)", ylim=(0, 1))
        shown = ", ".join(f"{k}={v}" for k, v in package.items() if k != fit.price_issue)
        right.set_title("Win probability against price", fontsize=10)
        right.text(0.02, 0.02, shown, transform=right.transAxes, fontsize=7, color="0.3", wrap=True)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    return out
