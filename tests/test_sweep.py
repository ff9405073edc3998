"""Scenario sweeps: paths, specs, scenario tables, typed rows, the fast walk-away path, CLI and Dask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import MODELS
from dealopt import DealoptError, ModelError, frontier, load_model, model_from_data
from dealopt.batch.executor import executor
from dealopt.batch.paths import PathError, get_path, set_path, with_values
from dealopt.batch.sweep import SweepSpec, load_sweep_spec, parse_vary, scenario_table, sweep

SAAS = MODELS / "saas-renewal.yaml"


def data_of(path: Path) -> dict:
    return load_model(path).model_dump(mode="json", by_alias=True, exclude_none=True)


def test_paths_get_and_set():
    data = data_of(SAAS)
    assert get_path(data, "parties.seller.walk_away") == 50000
    assert get_path(data, "parties.seller.utility[1].coef") == -38
    assert get_path(data, "parties.buyer.utility[3].of[0].term_months.24") == -20000
    assert get_path(data, "parties.buyer.utility[0].of[0].seats.piecewise[2][1]") == 330
    changed = with_values(data, {"parties.buyer.utility[3].of[0].term_months.24": -1, "parties.seller.walk_away": 7})
    assert get_path(changed, "parties.buyer.utility[3].of[0].term_months.24") == -1
    assert get_path(data, "parties.buyer.utility[3].of[0].term_months.24") == -20000  # the original is untouched
    model = model_from_data(changed)
    assert model.parties.seller.walk_away == 7


@pytest.mark.parametrize(
    ("path", "phrase"),
    [
        ("parties.seller.wlak_away", "no key"),
        ("parties.seller.utility[9].coef", "no item [9]"),
        ("issues.payment.options[0]", "not a number"),
        ("parties..seller", "not a path"),
    ],
)
def test_bad_paths(path, phrase):
    data = data_of(SAAS)
    with pytest.raises(PathError, match=phrase.replace("[", r"\[").replace("]", r"\]")):
        set_path(data, path, 1.0)


def test_scenario_table_grids_and_seeded_draws():
    spec = SweepSpec.model_validate(
        {
            "vary": {
                "a": {"start": 0, "stop": 10, "n": 3},
                "b": {"values": [1, 2]},
                "c": {"dist": "normal", "mean": 5, "sd": 1},
                "d": {"dist": "triangular", "low": 0, "mode": 1, "high": 4},
                "e": {"dist": "uniform", "low": -1, "high": 1},
            },
            "n": 4,
            "seed": 3,
        }
    )
    t = scenario_table(spec)
    assert len(t) == 3 * 2 * 4 and list(t["scenario"]) == list(range(24))
    assert sorted(set(t["a"])) == [0, 5, 10] and sorted(set(t["b"])) == [1, 2]
    assert t["e"].between(-1, 1).all() and t["d"].between(0, 4).all()
    pd.testing.assert_frame_equal(t, scenario_table(spec))  # seeded: the same every run
    other = scenario_table(spec.model_copy(update={"seed": 4}))
    assert not np.allclose(t["c"], other["c"])


@pytest.mark.parametrize(
    ("spec", "phrase"),
    [
        ({"vary": {}}, "at least 1"),
        ({"vary": {"a": {"start": 0, "stop": 1}}}, "start, stop and n"),
        ({"vary": {"a": {"dist": "normal", "mean": 0, "sd": 1}}}, "need n"),
        ({"vary": {"a": {"dist": "beta", "a": 1}}}, "dist"),
        ({"vary": {"a": {"dist": "uniform", "low": 2, "high": 1}}, "n": 3}, "low ≤ high"),
        ({"vary": {"a": {"dist": "triangular", "low": 0, "mode": 5, "high": 1}}, "n": 3}, "low ≤ mode ≤ high"),
        ({"vary": {"a": {"values": [1]}}, "extra": 1}, "extra"),
    ],
)
def test_bad_specs(tmp_path, spec, phrase):
    import yaml

    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(spec))
    with pytest.raises(ModelError) as exc:
        load_sweep_spec(f)
    assert phrase in str(exc.value) and str(f) in str(exc.value)


def test_parse_vary():
    spec = parse_vary(["parties.seller.walk_away=0:100:3", "parties.seller.utility[1].coef=-40,-30"])
    assert len(scenario_table(spec)) == 6
    for bad in ["nopath", "x=1:2", "x=a,b"]:
        with pytest.raises(DealoptError):
            parse_vary([bad])


def test_rows_match_the_frontier_and_are_typed():
    spec = parse_vary(["parties.seller.walk_away=0:1200000:4", "parties.seller.utility[1].coef=-45,-30"])
    frame = sweep(SAAS, spec)
    assert len(frame) == 8 and frame["error"].isna().all()
    assert frame["zopa"].dtype == "boolean" and frame["nash.payment"].dtype == "string"
    assert frame["nash.price"].dtype == "float64" and frame["frontier_points"].dtype == "Int64"
    data = data_of(SAAS)
    for row in frame.itertuples(index=False):
        values = {"parties.seller.walk_away": row[1], "parties.seller.utility[1].coef": row[2]}
        res = frontier(model_from_data(with_values(data, values)))
        got = frame.iloc[row.scenario]
        assert bool(got["zopa"]) == res.zopa
        assert got["frontier_points"] == len(res.points)
        if res.zopa:
            assert got["nash.seller"] == res.nash.seller and got["nash.payment"] == res.nash.package["payment"]
            assert got["max_joint_value"] == res.max_joint.joint
        else:
            assert got["no_deal"] == res.no_deal.reason and pd.isna(got["nash.seller"])


@pytest.mark.parametrize(
    ("name", "path", "low", "high"),
    [
        ("saas-renewal", "parties.seller.walk_away", 0, 1_500_000),
        ("hardware-supply", "parties.buyer.walk_away.package.unit_price", 3800, 5200),
        ("cloud-migration", "parties.buyer.profiles[0].walk_away", 0, 3_000_000),
    ],
)
def test_walk_away_sweeps_take_the_fast_path_with_the_same_answers(name, path, low, high):
    model_path = MODELS / f"{name}.yaml"
    data = data_of(model_path)
    spec = SweepSpec.model_validate({"vary": {path: {"dist": "uniform", "low": low, "high": high}}, "n": 12, "seed": 2})
    fast = sweep(model_path, spec)
    assert fast["error"].isna().all()
    for _, row in fast.iterrows():
        res = frontier(model_from_data(with_values(data, {path: row[path]})))
        assert bool(row["zopa"]) == res.zopa and row["frontier_points"] == len(res.points)
        if res.zopa:
            assert (
                row["nash.seller"] == res.nash.seller and row["kalai_smorodinsky.buyer"] == res.kalai_smorodinsky.buyer
            )
        else:
            assert row["no_deal"] == res.no_deal.reason
            assert (pd.isna(row["buyer_gap"]) and res.no_deal.buyer_gap is None) or row["buyer_gap"] == pytest.approx(
                res.no_deal.buyer_gap
            )


def test_bad_scenarios_are_kept_as_error_rows():
    spec = parse_vary(["parties.buyer.profiles[0].probability=0.5,0.9"])
    frame = sweep(MODELS / "cloud-migration.yaml", spec)
    assert len(frame) == 2
    assert pd.isna(frame["error"][0]) and "sum to" in frame["error"][1]


def test_dask_local_cluster_gives_identical_rows():
    spec = SweepSpec.model_validate(
        {"vary": {"parties.seller.utility[1].coef": {"dist": "uniform", "low": -50, "high": -25}}, "n": 30, "seed": 5}
    )
    here = sweep(SAAS, spec)
    with executor(workers=2) as ex:
        there = sweep(SAAS, spec, executor=ex, chunk_size=4)
    pd.testing.assert_frame_equal(here, there)


def run_cli(*args: str):
    exe = Path(sys.executable).parent / "dealopt"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300)


def test_cli_sweep_csv_parquet_and_plot(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "vary:\n  parties.seller.walk_away: {start: 0, stop: 1200000, n: 5}\n  parties.buyer.walk_away.package.price: {values: [90, 100]}\n"
    )
    for out in ("o.parquet", "o.csv"):
        r = run_cli("sweep", str(SAAS), "--spec", str(spec), "-o", str(tmp_path / out), "--quiet")
        assert r.returncode == 0, r.stderr
        assert "10 scenarios, 0 errors" in r.stderr
    a = pd.read_parquet(tmp_path / "o.parquet")
    b = pd.read_csv(tmp_path / "o.csv")
    assert len(a) == len(b) == 10 and list(a.columns) == list(b.columns)
    png = tmp_path / "z.png"
    r = run_cli(
        "plot",
        str(tmp_path / "o.parquet"),
        "--x",
        "parties.seller.walk_away",
        "--y",
        "zopa",
        "--hue",
        "parties.buyer.walk_away.package.price",
        "-o",
        str(png),
    )
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["sweep", str(SAAS), "-o", "x.parquet"], "--spec or --vary"),
        (["sweep", str(SAAS), "--vary", "parties.seller.nope=1,2", "-o", "x.parquet"], "no key"),
        (["sweep", str(SAAS), "--vary", "parties.seller.walk_away=1,2", "-o", "x.txt"], "expected .parquet or .csv"),
        (["sweep", str(SAAS), "--vary", "parties.seller.walk_away=1,2", "-o", "x.csv", "--workers", "0"], "--workers"),
        (
            ["sweep", str(SAAS), "--vary", "parties.seller.walk_away=1,2", "-o", "x.csv", "--scheduler", "nowhere"],
            "--scheduler",
        ),
        (["plot", "missing.parquet", "--x", "a", "--y", "b", "-o", "p.png"], "no such file"),
    ],
)
def test_cli_sweep_errors_exit_2(tmp_path, args, phrase):
    r = subprocess.run(
        [str(Path(sys.executable).parent / "dealopt"), *args], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert phrase in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("name", "paths"),
    [
        (
            "manufacturing-supply",
            {"parties.seller.utility[1].coef": (0.8, 1.2), "parties.buyer.utility[0].coef": (0.9, 1.1)},
        ),
        ("cloud-migration", {"parties.seller.utility[2].coef": (0.8, 1.2)}),  # buyer profiles: seller paths only
        ("saas-renewal", {"parties.seller.utility[1].coef": (0.7, 1.3)}),
    ],
)
def test_coefficient_sweeps_reuse_the_base_tables_with_the_same_answers(name, paths):
    model_path = MODELS / f"{name}.yaml"
    data = data_of(model_path)
    vary = {}
    for path, (lo, hi) in paths.items():
        base = get_path(data, path)
        vary[path] = {"dist": "uniform", "low": min(lo * base, hi * base), "high": max(lo * base, hi * base)}
    spec = SweepSpec.model_validate({"vary": vary, "n": 10, "seed": 4})
    fast = sweep(model_path, spec)
    assert fast["error"].isna().all()
    for _, row in fast.iterrows():
        res = frontier(model_from_data(with_values(data, {p: row[p] for p in paths})))
        assert bool(row["zopa"]) == res.zopa and row["frontier_points"] == len(res.points)
        if res.zopa:
            assert row["nash.seller"] == pytest.approx(res.nash.seller, rel=1e-12)
            assert row["max_joint_value"] == pytest.approx(res.max_joint.joint, rel=1e-12)
            assert row["kalai_smorodinsky.buyer"] == pytest.approx(res.kalai_smorodinsky.buyer, rel=1e-12)
