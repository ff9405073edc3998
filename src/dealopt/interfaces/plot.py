"""Draw a frontier (feasible packages, the frontier, walk-aways, bargaining packages) and money axes.

Figures are made with ``matplotlib.figure.Figure`` (or on the axes given): the library
never touches matplotlib's backend, so notebooks keep showing their figures.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices, evaluate_values
from dealopt.negotiation.frontier import FrontierResult

__all__ = ["compact", "is_money_column", "money_axis", "plot_frontier", "sample_feasible"]

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "CHF": "CHF "}
#: Sweep columns that are amounts of the model's currency.
MONEY_COLUMNS = ("max_joint_value", "seller_room", "buyer_room", "seller_short", "buyer_short")


def compact(value: Any) -> str:
    """A number as people read it on an axis: 38, 0.12, 850K, 1.2M, 3B."""
    if value is None or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        return str(value)
    x = float(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def money_axis(units: str | None) -> Any:
    """A tick formatter: ``$1.2M`` in the model's currency, plain ``1.2M`` when it is not known or normalized."""
    from matplotlib.ticker import FuncFormatter

    symbol = "" if not units or units == "normalized" else _SYMBOLS.get(units, f"{units} ")

    def fmt(x: float, _pos: Any = None) -> str:
        text = compact(x)
        return f"−{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"

    return FuncFormatter(fmt)


def is_money_column(col: str, meta: dict[str, Any]) -> bool:
    """Whether a sweep column holds amounts of money (utilities, values, gaps, money parameters)."""
    if meta.get("units") == "normalized":
        return False
    if col in meta.get("money_targets", ()):
        return True
    return col in MONEY_COLUMNS or col.startswith("apart_") or col.endswith((".seller", ".buyer"))


def sample_feasible(deal: CompiledDeal, n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Utilities of up to ``n`` feasible packages: all of them when few, else a seeded random sample."""
    rng = np.random.default_rng(seed)
    if deal.gridded:
        size = deal.space_size or 0
        flat = np.arange(size) if size <= n else rng.integers(0, size, n)
        idx = np.stack(np.unravel_index(flat, deal.shape), axis=1)
        ev = evaluate_indices(deal, idx)
    else:
        import pandas as pd

        cols: dict[str, list[Any] | np.ndarray] = {}
        for issue in deal.issues:
            if issue.gridded:
                pick = rng.integers(0, len(issue.labels), n)
                cols[issue.name] = [issue.labels[j] for j in pick]
            else:
                assert issue.lo is not None and issue.hi is not None  # a stepless issue has both bounds
                cols[issue.name] = rng.uniform(issue.lo, issue.hi, n)
        ev = evaluate_values(deal, pd.DataFrame(cols))
    return ev.seller[ev.feasible], ev.buyer[ev.feasible]


#: Bargaining packages: concentric, hollow-to-filled markers so that coinciding ones all stay visible.
_MARKS = (
    ("Nash", "nash", {"marker": "o", "s": 300, "facecolors": "none", "edgecolors": "#2c7a3f", "linewidths": 2.2}),
    (
        "Kalai–Smorodinsky",
        "kalai_smorodinsky",
        {"marker": "D", "s": 140, "facecolors": "none", "edgecolors": "#8e44ad", "linewidths": 2.0},
    ),
    ("max joint value", "max_joint", {"marker": "s", "s": 45, "color": "#d35400", "edgecolors": "black"}),
    ("egalitarian", "egalitarian", {"marker": "x", "s": 80, "color": "#16a085", "linewidths": 2.0}),
)


def plot_frontier(result: FrontierResult, deal: CompiledDeal, path: str | Path | None = None, *, ax: Any = None) -> Any:
    """A Figure of the deal's utility space (on ``ax`` when given); written to ``path`` (PNG) when given."""
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 6), dpi=110)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    s, b = sample_feasible(deal)
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
    for z, (label, name, style) in enumerate(_MARKS):
        sol = getattr(result, name)
        if sol is not None:
            ax.scatter([sol.seller], [sol.buyer], zorder=6 + z, label=label, **style)
    unit = result.units
    ax.set_xlabel(f"seller utility ({unit})")
    ax.set_ylabel(f"buyer utility ({unit})")
    ax.xaxis.set_major_formatter(money_axis(unit))
    ax.yaxis.set_major_formatter(money_axis(unit))
    verdict = "ZOPA" if result.zopa else "no ZOPA"
    ax.set_title(f"{result.model}: frontier by {result.engine} ({verdict})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig
