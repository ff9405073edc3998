"""Plots of sweep results: a column against a parameter, or a heat map over two parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dealopt.errors import DealoptError

__all__ = ["plot_sweep"]


def _check(frame: pd.DataFrame, *cols: str | None) -> None:
    for col in cols:
        if col is not None and col not in frame.columns:
            shown = ", ".join(c for c in frame.columns if "." not in c or c.endswith(("seller", "buyer", "share")))
            raise DealoptError(f"column {col!r} is not in the table; expected one of {shown}")


def _numeric(series: pd.Series, name: str) -> pd.Series:
    if series.dtype == "boolean" or series.dtype == bool:
        return series.astype("float64")
    out = pd.to_numeric(series, errors="coerce")
    if out.notna().sum() == 0:
        raise DealoptError(f"column {name!r} has no numbers to plot")
    return out


def plot_sweep(
    frame: pd.DataFrame, x: str, y: str, path: str | Path, *, hue: str | None = None, heat: str | None = None
) -> None:
    """Write a PNG: ``y`` (mean per ``x``; a share when boolean, e.g. ``zopa``) by ``hue``, or ``heat`` over ``x``×``y``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _check(frame, x, y, hue, heat)
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    if heat is not None:
        data = pd.DataFrame({"x": _numeric(frame[x], x), "y": _numeric(frame[y], y), "z": _numeric(frame[heat], heat)})
        grid = data.groupby(["y", "x"])["z"].mean().unstack("x").sort_index()
        if grid.shape[0] * grid.shape[1] > 250_000 or grid.shape[0] < 2 or grid.shape[1] < 2:
            raise DealoptError(
                f"--heat needs --x and --y to be grid parameters with a few values each (got {grid.shape[1]} × {grid.shape[0]})"
            )
        img = ax.imshow(
            grid.to_numpy(),
            origin="lower",
            aspect="auto",
            cmap="viridis",
            extent=(grid.columns.min(), grid.columns.max(), grid.index.min(), grid.index.max()),
        )
        fig.colorbar(img, ax=ax, label=heat)
        ax.set_ylabel(y)
        ax.set_title(f"{heat} over {x} and {y}")
    else:
        groups = [(None, frame)] if hue is None else list(frame.groupby(hue, dropna=False, sort=True))
        for key, part in groups:
            xs = _numeric(part[x], x)
            ys = _numeric(part[y], y)
            data = pd.DataFrame({"x": xs, "y": ys}).dropna()
            label = None if hue is None else f"{hue} = {key}"
            if data["x"].nunique() <= 60:
                mean = data.groupby("x")["y"].mean()
                ax.plot(mean.index, mean.to_numpy(), "-o", markersize=3, label=label)
            else:  # random draws: the points and a binned mean
                ax.scatter(data["x"], data["y"], s=6, alpha=0.3)
                bins = np.linspace(data["x"].min(), data["x"].max(), 21)
                mid = (bins[:-1] + bins[1:]) / 2
                means = data.groupby(pd.cut(data["x"], bins, include_lowest=True), observed=False)["y"].mean()
                ax.plot(mid, means.to_numpy(), "-", linewidth=2, label=label or "binned mean")
        ylabel = f"share with {y}" if frame[y].dtype in ("boolean", bool) else y
        ax.set_ylabel(ylabel)
        ax.set_title(f"{ylabel} against {x}")
        if hue is not None or ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    ax.set_xlabel(x)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise DealoptError(f"-o {path}: cannot write ({exc.strerror or exc})") from None
    finally:
        plt.close(fig)
