"""Plots of sweep results: a column against a parameter, or a heat map over two parameters.

Figures are made with ``matplotlib.figure.Figure`` (or on the axes given): the library
never touches matplotlib's backend, so notebooks keep showing their figures.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dealopt.batch.options import OptionError
from dealopt.interfaces.plot import compact, is_money_column, money_axis

__all__ = ["plot_sweep"]

#: More distinct values than this on a heat-map axis: random draws, binned.
HEAT_VALUES = 25
HEAT_BINS = 12
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _check(frame: pd.DataFrame, argument: str, col: str | None) -> None:
    if col is None or col in frame.columns:
        return
    names = [str(c) for c in frame.columns]
    close = difflib.get_close_matches(col, names, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(c for c in names if "." not in c or c.endswith(("seller", "buyer", "share")))
    raise OptionError(argument, f"{col!r} is not a column{hint}; expected one of {shown}")


def _numeric(series: pd.Series, argument: str, name: str) -> pd.Series:
    if series.dtype == "boolean" or series.dtype == bool:
        return series.astype("float64")
    out = pd.to_numeric(series, errors="coerce").astype("float64")
    if out.notna().sum() == 0:
        raise OptionError(argument, f"{name!r} has no numbers to plot")
    return out


def _label(frame: pd.DataFrame, col: str) -> str:
    return f"share with {col}" if frame[col].dtype in ("boolean", bool) else col


def _heat_axis(values: pd.Series, drawn: bool) -> tuple[pd.Series, np.ndarray, np.ndarray, bool]:
    """Each row's cell on one heat-map axis, the cells' centres and edges, and whether they are bins."""
    distinct = np.sort(values.unique())
    if len(distinct) > HEAT_VALUES or (drawn and len(distinct) > 2):
        edges = np.linspace(distinct[0], distinct[-1], HEAT_BINS + 1)
        centres = (edges[:-1] + edges[1:]) / 2
        # pandas-stubs list no ndarray for ``bins``; pandas takes any array of edges (documented)
        cell = pd.cut(values, edges, include_lowest=True, labels=False)  # type: ignore[call-overload]
        return pd.Series(centres[cell.to_numpy(dtype=int)], index=values.index), centres, edges, True
    mid = (distinct[:-1] + distinct[1:]) / 2
    half = (mid[0] - distinct[0]) if len(mid) else 0.5
    edges = np.concatenate([[distinct[0] - half], mid, [distinct[-1] + (distinct[-1] - mid[-1] if len(mid) else 0.5)]])
    return values, distinct, edges, False


def _heat(ax: Any, fig: Any, frame: pd.DataFrame, x: str, y: str, heat: str, meta: dict[str, Any]) -> str:
    data = pd.DataFrame(
        {"x": _numeric(frame[x], "x", x), "y": _numeric(frame[y], "y", y), "z": _numeric(frame[heat], "heat", heat)}
    ).dropna()
    drawn = set(meta.get("draws", ()))
    data["x"], xs, x_edges, x_binned = _heat_axis(data["x"], x in drawn)
    data["y"], ys, y_edges, y_binned = _heat_axis(data["y"], y in drawn)
    if len(xs) < 2 or len(ys) < 2:
        raise OptionError("heat", f"needs x and y to take at least 2 values each (got {len(xs)} × {len(ys)})")
    z = data.groupby(["y", "x"])["z"].mean().unstack("x").reindex(index=ys, columns=xs).to_numpy()
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(z), cmap="viridis", shading="flat")
    bar = fig.colorbar(mesh, ax=ax, label=heat)
    if is_money_column(heat, meta):
        bar.ax.yaxis.set_major_formatter(money_axis(meta.get("units")))
    ax.set_ylabel(y)
    binned = " (mean per bin of the random draws)" if x_binned or y_binned else ""
    return f"{heat} over {x} and {y}{binned}"


def _lines(ax: Any, frame: pd.DataFrame, x: str, y: str, hue: str | None) -> str:
    groups = [(None, frame)] if hue is None else list(frame.groupby(hue, dropna=False, sort=True, observed=True))
    for k, (key, part) in enumerate(groups):
        data = pd.DataFrame({"x": _numeric(part[x], "x", x), "y": _numeric(part[y], "y", y)}).dropna()
        label = None if hue is None else f"{hue} = {compact(key) if isinstance(key, (int, float)) else str(key)}"
        marker = _MARKERS[k % len(_MARKERS)]
        if data["x"].nunique() <= 60:
            mean = data.groupby("x")["y"].mean()
            ax.plot(mean.index, mean.to_numpy(), "-", marker=marker, markersize=4, label=label)
        else:  # random draws: the points and a binned mean
            ax.scatter(data["x"], data["y"], s=6, alpha=0.3, marker=marker)
            bins = np.linspace(data["x"].min(), data["x"].max(), 21)
            mid = (bins[:-1] + bins[1:]) / 2
            cells = pd.cut(data["x"], bins, include_lowest=True)  # type: ignore[call-overload]  # ndarray bins: as above
            means = data.groupby(cells, observed=False)["y"].mean()
            ax.plot(mid, means.to_numpy(), "-", linewidth=2, label=label or "binned mean")
    if hue is not None or ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ylabel = _label(frame, y)
    ax.set_ylabel(ylabel)
    return f"{ylabel} against {x}"


def plot_sweep(
    frame: pd.DataFrame,
    x: str,
    y: str,
    path: str | Path | None = None,
    *,
    hue: str | None = None,
    heat: str | None = None,
    ax: Any = None,
) -> Any:
    """A Figure of ``y`` (mean per ``x``; a share when boolean, e.g. ``zopa``) by ``hue``, or ``heat`` over ``x``×``y``.

    Drawn on ``ax`` when given, else on a new figure; written to ``path`` (PNG) when given.
    Money columns read in the model's currency with thousands and millions ($1.2M).
    """
    for argument, col in (("x", x), ("y", y), ("hue", hue), ("heat", heat)):
        _check(frame, argument, col)
    meta = dict(frame.attrs.get("dealopt", {}))
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 5.5), dpi=110)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    title = _heat(ax, fig, frame, x, y, heat, meta) if heat is not None else _lines(ax, frame, x, y, hue)
    ax.set_title(title)
    ax.set_xlabel(x)
    units = meta.get("units")
    for axis, col in ((ax.xaxis, x), (ax.yaxis, y)):
        money = is_money_column(col, meta) and not (axis is ax.yaxis and heat is None and frame[y].dtype == "boolean")
        axis.set_major_formatter(money_axis(units if money else None))
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    if path is not None:
        try:
            fig.savefig(path)
        except OSError as exc:
            raise OptionError("out", f"{path}: cannot write ({exc.strerror or exc})") from None
    return fig
