"""Plots an analyst can put in a deck: money axes in the currency, no backend switching, heat maps of
random draws binned, bargaining markers that stay visible when they coincide, nearest-column hints."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from conftest import MODELS
from dealopt import compile_model, frontier, load_model
from dealopt.batch.options import OptionError
from dealopt.batch.sweep import SweepSpec, parse_vary, sweep
from dealopt.interfaces.plot import compact, money_axis, plot_frontier
from dealopt.interfaces.sweep_plot import plot_sweep

SAAS = MODELS / "saas-renewal.yaml"


@pytest.fixture(autouse=True)
def no_backend_switch(monkeypatch: pytest.MonkeyPatch):
    """The library must never switch matplotlib's backend (notebooks would stop showing figures)."""
    before = matplotlib.rcParams["backend"]

    def refuse(*args, **kwargs):
        raise AssertionError("matplotlib.use() called by the library")

    monkeypatch.setattr(matplotlib, "use", refuse)
    yield
    assert matplotlib.rcParams["backend"] == before


@pytest.fixture(scope="module")
def grid_rows():
    return sweep(SAAS, parse_vary(["seller_walk_away=0:1500000:7", "cost_per_seat_month=30,38,50"])).to_frame()


def _labels(axis) -> list[str]:
    axis.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_compact_numbers():
    assert [compact(x) for x in (38, 0.12, 850_000, 1_250_000, 3e9, -2_000_000)] == [
        "38",
        "0.12",
        "850K",
        "1.25M",
        "3B",
        "-2M",
    ]
    assert money_axis("USD")(1_200_000) == "$1.2M" and money_axis("EUR")(-45_000) == "−€45K"
    assert money_axis(None)(1_200_000) == "1.2M"


def test_money_axes_read_in_the_currency_without_offsets(grid_rows):
    fig = plot_sweep(grid_rows, "seller_walk_away", "nash.seller", hue="cost_per_seat_month")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    xs, ys = _labels(ax.xaxis), _labels(ax.yaxis)
    assert any(t.startswith("$") and t.endswith(("M", "K")) for t in xs), xs
    assert all(t.startswith(("$", "−$")) for t in ys), ys
    assert ax.xaxis.get_offset_text().get_text() == "" and ax.yaxis.get_offset_text().get_text() == ""
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["cost_per_seat_month = 30", "cost_per_seat_month = 38", "cost_per_seat_month = 50"]


def test_a_boolean_is_plotted_as_a_share(grid_rows):
    ax = plot_sweep(grid_rows, "seller_walk_away", "zopa").axes[0]
    assert ax.get_ylabel() == "share with zopa" and not any("$" in t for t in _labels(ax.yaxis))


def test_heat_map_of_a_grid_and_of_random_draws(tmp_path, grid_rows):
    fig = plot_sweep(grid_rows, "seller_walk_away", "cost_per_seat_month", heat="nash.seller", path=tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG" and "bin" not in fig.axes[0].get_title()
    spec = SweepSpec.model_validate(
        {
            "vary": {
                "seller_walk_away": {"dist": "uniform", "low": 0, "high": 900_000},
                "cost_per_seat_month": {"dist": "uniform", "low": 30, "high": 50},
            },
            "n": 300,
            "seed": 1,
        }
    )
    draws = sweep(SAAS, spec).to_frame()
    fig = plot_sweep(draws, "seller_walk_away", "cost_per_seat_month", heat="max_joint_value")
    ax = fig.axes[0]
    assert "mean per bin of the random draws" in ax.get_title()
    mesh = ax.collections[0].get_array()
    assert mesh.size == 12 * 12 and np.ma.count(mesh) > 100  # a 12 × 12 grid of bins, most of them filled
    with pytest.raises(OptionError, match="at least 2 values each"):
        plot_sweep(
            grid_rows[grid_rows["cost_per_seat_month"] == 30], "seller_walk_away", "cost_per_seat_month", heat="zopa"
        )


def test_unknown_columns_suggest_the_nearest(grid_rows):
    with pytest.raises(OptionError, match=r"^y: 'nash_price' is not a column \(did you mean 'nash.price'\?\)"):
        plot_sweep(grid_rows, "seller_walk_away", "nash_price")
    with pytest.raises(
        OptionError, match=r"^x: 'seller_walkaway' is not a column \(did you mean 'seller_walk_away'\?\)"
    ):
        plot_sweep(grid_rows, "seller_walkaway", "zopa")


def test_plots_draw_on_the_axes_given(grid_rows):
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot_sweep(grid_rows, "seller_walk_away", "zopa", ax=right) is fig
    assert not left.has_data() and right.has_data()


def test_bargaining_markers_stay_visible_when_they_coincide(tmp_path):
    model = load_model(SAAS)
    deal = compile_model(model)
    result = frontier(deal)
    fig = plot_frontier(result, deal, tmp_path / "f.png")
    marks = {
        c.get_label(): c
        for c in fig.axes[0].collections
        if c.get_label() in ("Nash", "Kalai–Smorodinsky", "max joint value", "egalitarian")
    }
    assert set(marks) == {"Nash", "Kalai–Smorodinsky", "max joint value", "egalitarian"}
    sizes = {k: float(c.get_sizes()[0]) for k, c in marks.items()}
    assert sizes["Nash"] > sizes["Kalai–Smorodinsky"] > sizes["max joint value"]  # concentric
    for hollow in ("Nash", "Kalai–Smorodinsky"):
        assert marks[hollow].get_facecolor().size == 0 or marks[hollow].get_facecolor()[0][3] == 0
    assert _labels(fig.axes[0].xaxis)[0].startswith(("$", "−$"))
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
