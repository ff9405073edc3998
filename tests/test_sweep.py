"""Scenario sweeps: named parameters and paths, specs, scenario tables, typed rows, the fast paths against
full solves and brute force, checks before the first scenario, gap columns, the CLI (on a Dask cluster:
test_dask_cluster.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from brute_force import brute_force
from cli_runner import run_cli as in_process
from conftest import MODELS, model_files
from dealopt import DealoptError, ModelError, frontier, load_model, model_from_data, model_from_text
from dealopt.batch.options import OptionError
from dealopt.batch.paths import PathError, get_path, set_path, with_values
from dealopt.batch.sweep import SweepSpec, load_sweep_spec, parse_vary, scenario_table, sweep

SAAS = MODELS / "saas-renewal.yaml"
CLOUD = MODELS / "cloud-migration.yaml"


def data_of(path: Path) -> dict:
    return load_model(path).model_dump(mode="json", by_alias=True, exclude_none=True)


def with_parameter(path: Path, **values: float) -> str:
    """The model file's text with ``parameters:`` values replaced (nothing else touched)."""
    text = path.read_text()
    for name, value in values.items():
        text, n = re.subn(rf"^(  {name}:\s*)[-0-9.e]+", rf"\g<1>{value!r}", text, count=1, flags=re.M)
        assert n == 1, name
    return text


def test_paths_get_and_set():
    data = data_of(SAAS)
    assert get_path(data, "parties.seller.walk_away") == 50000
    assert get_path(data, "parties.seller.utility[1].coef") == -38
    assert get_path(data, "parties.buyer.utility[3].of[0].term_months.24") == -20000
    assert get_path(data, "parties.buyer.utility[0].of[0].seats.piecewise[2][1]") == 330
    changed = with_values(data, {"parties.buyer.utility[3].of[0].term_months.24": -1, "parties.seller.walk_away": 7})
    assert get_path(changed, "parties.buyer.utility[3].of[0].term_months.24") == -1
    assert get_path(data, "parties.buyer.utility[3].of[0].term_months.24") == -20000  # the original is untouched
    assert model_from_data(changed).parties.seller.walk_away == 7


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
    with pytest.raises(PathError, match=re.escape(phrase)):
        set_path(data_of(SAAS), path, 1.0)


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
    assert len(t) == 3 * 2 * 4 == spec.size and list(t["scenario"]) == list(range(24))
    assert sorted(set(t["a"])) == [0, 5, 10] and sorted(set(t["b"])) == [1, 2]
    assert t["e"].between(-1, 1).all() and t["d"].between(0, 4).all()
    pd.testing.assert_frame_equal(t, scenario_table(spec))  # seeded: the same every run
    assert not np.allclose(t["c"], scenario_table(spec.model_copy(update={"seed": 4}))["c"])
    assert spec.draws == ("c", "d", "e")


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
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(spec))
    with pytest.raises(ModelError) as exc:
        load_sweep_spec(f)
    assert phrase in str(exc.value) and str(f) in str(exc.value)


def test_parse_vary():
    spec = parse_vary(["seller_walk_away=0:100:3", "parties.seller.utility[1].coef=-40,-30"])
    assert len(scenario_table(spec)) == 6
    for bad in ["nopath", "x=1:2", "x=a,b"]:
        with pytest.raises(OptionError, match=r"^vary: "):
            parse_vary([bad])
    with pytest.raises(OptionError, match=r"^normalize: 'p' is not varied"):
        parse_vary(["q=0.1,0.2"], ["p"])
    assert parse_vary(["p=0.1,0.2"], ["p"]).vary["p"].normalize


# ---------------------------------------------------------------- named parameters


def test_rows_by_name_match_a_fresh_solve_and_are_typed():
    frame = sweep(SAAS, parse_vary(["seller_walk_away=0:1200000:4", "cost_per_seat_month=30,45"])).to_frame()
    assert len(frame) == 8 and frame["error"].isna().all()
    assert list(frame.columns[:3]) == ["scenario", "seller_walk_away", "cost_per_seat_month"]
    assert frame["zopa"].dtype == "boolean" and isinstance(frame["nash.payment"].dtype, pd.CategoricalDtype)
    assert list(frame["nash.payment"].cat.categories) == ["net30", "net60", "annual_prepay"]
    assert frame["nash.seats"].dtype == "Int64" and frame["nash.term_months"].dtype == "Int64"
    assert frame["nash.price"].dtype == "Float64" and frame["frontier_points"].dtype == "Int64"
    assert isinstance(frame["no_deal"].dtype, pd.CategoricalDtype)
    for _, row in frame.iterrows():
        text = with_parameter(
            SAAS, seller_walk_away=row["seller_walk_away"], cost_per_seat_month=row["cost_per_seat_month"]
        )
        res = frontier(model_from_text(text))
        assert bool(row["zopa"]) == res.zopa and row["frontier_points"] == len(res.points)
        if res.zopa:
            assert row["nash.seller"] == pytest.approx(res.nash.seller, rel=1e-12)
            assert row["nash.payment"] == res.nash.package["payment"] and row["nash.seats"] == res.nash.package["seats"]
            assert row["max_joint_value"] == pytest.approx(res.max_joint.joint, rel=1e-12)
        else:
            assert row["no_deal"] == res.no_deal.reason and pd.isna(row["nash.seller"])


def _every_parameter() -> list[tuple[Path, str, float]]:
    out = []
    for path in model_files():
        for name, value in (load_model(path).parameters or {}).items():
            out.append((path, name, value))
    return out


@pytest.mark.parametrize(("path", "name", "value"), _every_parameter(), ids=lambda v: getattr(v, "stem", str(v)))
def test_every_example_parameter_swept_by_name_matches_a_fresh_solve(path, name, value):
    """Whatever fast path the sweep takes (walk-aways cut, tables updated), it matches the model as written."""
    if name.startswith("p_"):  # a profile probability: the others scale with it
        spec = parse_vary([f"{name}={max(0.0, value - 0.1)},{min(1.0, value + 0.1)}"], [name])
    else:
        spec = parse_vary([f"{name}={0.9 * value},{1.1 * value}"])
    frame = sweep(path, spec).to_frame()
    assert frame["error"].isna().all(), frame["error"].dropna().tolist()
    for _, row in frame.iterrows():
        if name.startswith("p_"):
            model = _normalized(path, name, row[name])
        else:
            model = model_from_text(with_parameter(path, **{name: row[name]}))
        res = frontier(model)
        assert bool(row["zopa"]) == res.zopa and row["frontier_points"] == len(res.points)
        if res.zopa:
            assert row["nash.seller"] == pytest.approx(res.nash.seller, rel=1e-9)
            assert row["kalai_smorodinsky.buyer"] == pytest.approx(res.kalai_smorodinsky.buyer, rel=1e-9)
            assert row["max_joint_value"] == pytest.approx(res.max_joint.joint, rel=1e-9)


def _normalized(path: Path, name: str, value: float):
    """The model with one profile probability set and the others scaled (computed by hand)."""
    base = load_model(path)
    params = dict(base.parameters or {})
    others = [k for k in params if k.startswith("p_") and k != name]
    rest = sum(params[k] for k in others)
    values = {name: value, **{k: params[k] * (1 - value) / rest for k in others}}
    return model_from_text(with_parameter(path, **values))


SMALL = """
format: dealopt/1
name: small-params
currency: USD
parameters:
  unit_cost: 6
  rush_fee: 40
  walk: 100
  p_big: 0.6
  p_small: 0.4
  curve_top: 25
issues:
  price: {kind: integer, min: 10, max: 20, step: 2}
  qty:   {kind: ordinal, options: [5, 10, 20]}
  rush:  {kind: categorical, options: ["no", "yes"]}
constraints:
  - forbid: {rush: "yes", qty: 20}
parties:
  seller:
    walk_away: $walk
    utility:
      - of: [price, qty]
      - coef: -$unit_cost
        of: [qty]
      - of: [{rush: {"no": 0, "yes": $rush_fee}}]
  buyer:
    profiles:
      - name: big
        probability: $p_big
        walk_away: 60
        utility:
          - coef: -1
            of: [price, qty]
          - of: [{qty: {piecewise: [[5, 120], [10, 200], [20, $curve_top]]}}]
          - coef: 25
            of: [qty]
          - of: [{rush: {"no": 0, "yes": -$rush_fee}}]
      - name: small
        probability: $p_small
        walk_away: 20
        utility:
          - coef: -1
            of: [price, qty]
          - coef: 24
            of: [qty]
          - of: [{rush: {"no": 0, "yes": 30}}]
policy:
  list_price: 20
  floor_price: $unit_cost
"""


@pytest.mark.parametrize(
    ("name", "values", "normalize"),
    [
        ("unit_cost", [3, 6, 9], False),  # a coefficient (negated) and a policy number
        ("rush_fee", [10, 40, 120], False),  # table entries on both sides, one negated
        ("walk", [0, 150, 400], False),  # a walk-away
        ("curve_top", [0, 25, 300], False),  # a piecewise point
        ("p_big", [0.1, 0.6, 0.95], True),  # a belief, the other profile scaled
    ],
)
def test_named_parameters_against_brute_force(tmp_path, name, values, normalize):
    path = tmp_path / "small-params.yaml"
    path.write_text(SMALL)
    spec = parse_vary([f"{name}={','.join(map(str, values))}"], [name] if normalize else [])
    frame = sweep(path, spec).to_frame()
    assert frame["error"].isna().all(), frame["error"].dropna().tolist()
    for _, row in frame.iterrows():
        sub = {name: row[name]} if not normalize else {"p_big": row[name], "p_small": 1 - row[name]}
        ref = brute_force(model_from_text(with_parameter(path, **sub)))
        assert bool(row["zopa"]) == (ref["zopa"] > 0)
        assert row["frontier_points"] == len(ref["points"])
        if ref["zopa"]:
            d_s, d_b = ref["disagreement"]
            nash = (row["nash.seller"] - d_s) * (row["nash.buyer"] - d_b)
            assert nash == pytest.approx(ref["nash"], rel=1e-9)
            assert row["max_joint_value"] == pytest.approx(ref["max_joint"], rel=1e-9)


def test_a_parameter_used_in_several_places_moves_them_all():
    frame = sweep(CLOUD, parse_vary(["saving_per_workload_month=380,460"])).to_frame()
    for _, row in frame.iterrows():
        res = frontier(
            model_from_text(with_parameter(CLOUD, saving_per_workload_month=row["saving_per_workload_month"]))
        )
        assert row["nash.buyer"] == pytest.approx(res.nash.buyer, rel=1e-9)


def test_belief_sweeps_without_normalize_keep_the_rows_with_an_error():
    frame = sweep(CLOUD, parse_vary(["p_cost_cutter=0.5,0.9"])).to_frame()
    assert pd.isna(frame["error"][0]) and "sum to" in frame["error"][1]
    by_path = sweep(
        CLOUD, parse_vary(["parties.buyer.profiles[0].probability=0.2,0.9"], ["parties.buyer.profiles[0].probability"])
    )
    assert by_path.to_frame()["error"].isna().all()


def test_a_path_can_still_set_a_number_that_a_parameter_names():
    frame = sweep(SAAS, parse_vary(["parties.seller.utility[1].coef=-45,-30"])).to_frame()
    by_name = sweep(SAAS, parse_vary(["cost_per_seat_month=45,30"])).to_frame()
    assert frame["nash.seller"].tolist() == by_name["nash.seller"].tolist()
    with pytest.raises(OptionError, match=r"sets parties.seller.utility\[1\].coef, which"):
        sweep(SAAS, parse_vary(["cost_per_seat_month=45", "parties.seller.utility[1].coef=-30"]))


# ---------------------------------------------------------------- checks before the first scenario


@pytest.mark.parametrize(
    ("vary", "normalize", "message"),
    [
        (
            ["cost_per_seat_mnth=30,40"],
            [],
            "vary: cost_per_seat_mnth: no such parameter (did you mean 'cost_per_seat_month'?)",
        ),
        (
            ["parties.seller.utility[9].coef=1,2"],
            [],
            "vary: parties.seller.utility[9].coef: parties.seller.utility has no item [9] (5 items)",
        ),
        (["parties.seller.nope=1,2"], [], "no key 'nope'"),
        (["issues.payment.options[0]=1"], [], "not a number"),
        (["seller_walk_away=0.1,0.2"], ["seller_walk_away"], "normalize needs a buyer profile's probability"),
    ],
)
def test_every_target_is_checked_first(vary, normalize, message):
    with pytest.raises(OptionError) as exc:
        sweep(SAAS, parse_vary(vary, normalize))
    assert str(exc.value).startswith("vary: ") and message.removeprefix("vary: ") in str(exc.value)
    assert "\n" not in str(exc.value)


def test_normalized_values_must_be_probabilities():
    with pytest.raises(OptionError, match=r"values from 0.5 to 1.5; expected probabilities in \[0, 1\]"):
        sweep(CLOUD, parse_vary(["p_cost_cutter=0.5,1.5"], ["p_cost_cutter"]))


def test_a_bad_output_is_refused_before_any_scenario(tmp_path):
    spec = SweepSpec.model_validate(
        {"vary": {"seller_walk_away": {"dist": "uniform", "low": 0, "high": 1}}, "n": 10**6}
    )
    with pytest.raises(OptionError, match=r"^out: .*unknown extension '.txt'"):
        sweep(SAAS, spec, out=tmp_path / "x.txt")  # a million scenarios would take minutes: it fails at once
    with pytest.raises(OptionError, match="does not exist"):
        sweep(SAAS, spec, out=tmp_path / "nowhere" / "x.csv")


def test_each_no_deal_kind_has_its_own_gap_columns():
    far = sweep(SAAS, parse_vary(["seller_walk_away=5000000"])).to_frame().iloc[0]
    assert far["no_deal"] == "seller_walk_away" and far["seller_short"] > 0
    assert pd.isna(far["buyer_short"]) and pd.isna(far["apart_seller_gap"]) and pd.isna(far["apart_buyer_gap"])
    apart = sweep(SAAS, parse_vary(["seller_walk_away=800000", "cost_per_seat_month=60"])).to_frame().iloc[0]
    assert apart["no_deal"] == "apart" and apart["apart_seller_gap"] > 0 and apart["apart_buyer_gap"] > 0
    assert pd.isna(apart["seller_short"]) and pd.isna(apart["buyer_short"])
    res = frontier(model_from_text(with_parameter(SAAS, seller_walk_away=800000, cost_per_seat_month=60)))
    assert apart["apart_seller_gap"] == pytest.approx(res.no_deal.seller_gap)


def test_walk_away_sweeps_by_path_take_the_fast_path_with_the_same_answers():
    path = "parties.buyer.walk_away.package.unit_price"
    model_path = MODELS / "hardware-supply.yaml"
    spec = SweepSpec.model_validate({"vary": {path: {"dist": "uniform", "low": 3800, "high": 5200}}, "n": 8, "seed": 2})
    fast = sweep(model_path, spec).to_frame()
    for _, row in fast.iterrows():
        res = frontier(model_from_text(with_parameter(model_path, competitor_unit_price=row[path])))
        assert bool(row["zopa"]) == res.zopa and row["frontier_points"] == len(res.points)


def test_results_write_and_keep_their_meaning(tmp_path):
    result = sweep(SAAS, parse_vary(["seller_walk_away=0,500000", "cost_per_seat_month=30,40"]))
    result.write(tmp_path / "s.parquet")
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert back.attrs["dealopt"]["units"] == "USD" and back.attrs["dealopt"]["money_targets"] == ["seller_walk_away"]
    assert back["nash.seats"].dtype == "Int64" and isinstance(back["nash.payment"].dtype, pd.CategoricalDtype)
    with pytest.raises(DealoptError):
        result.write(tmp_path / "s.xlsx")


# ---------------------------------------------------------------- CLI


def run_cli(*args: str, cwd: Path | None = None):
    return in_process(*args, cwd=cwd)


def test_cli_sweep_by_name_csv_parquet_and_plot(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "vary:\n  seller_walk_away: {start: 0, stop: 1200000, n: 5}\n  cost_per_seat_month: {values: [30, 45]}\n"
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
        "seller_walk_away",
        "--y",
        "zopa",
        "--hue",
        "cost_per_seat_month",
        "-o",
        str(png),
    )
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:4] == b"\x89PNG"
    r = run_cli(
        "sweep",
        str(CLOUD),
        "--vary",
        "p_cost_cutter=0.2,0.8",
        "--normalize",
        "p_cost_cutter",
        "-o",
        str(tmp_path / "b.csv"),
        "-q",
    )
    assert r.returncode == 0 and "2 scenarios, 0 errors" in r.stderr, r.stderr


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["sweep", str(SAAS), "-o", "x.parquet"], "--spec or --vary"),
        (
            ["sweep", str(SAAS), "--vary", "parties.seller.nope=1,2", "-o", "x.parquet"],
            "error: --vary: parties.seller.nope: ",
        ),
        (["sweep", str(SAAS), "--vary", "parties.seller.utility[9].coef=1,2", "-o", "x.parquet"], "error: --vary: "),
        (
            ["sweep", str(SAAS), "--vary", "cost_per_seat_mnth=1,2", "-o", "x.parquet"],
            "did you mean 'cost_per_seat_month'?",
        ),
        (["sweep", str(SAAS), "--vary", "seller_walk_away=1,2", "-o", "x.txt"], "error: -o: x.txt: unknown extension"),
        (
            ["sweep", str(SAAS), "--vary", "seller_walk_away=1,2", "-o", "x.csv", "--workers", "0"],
            "error: --workers: 0",
        ),
        (
            ["sweep", str(SAAS), "--vary", "seller_walk_away=1,2", "-o", "x.csv", "--scheduler", "nowhere"],
            "--scheduler",
        ),
        (
            ["sweep", str(SAAS), "--vary", "a=1,2", "--normalize", "b", "-o", "x.csv"],
            "error: --normalize: 'b' is not varied",
        ),
        (["plot", "missing.parquet", "--x", "a", "--y", "b", "-o", "p.png"], "no such file"),
    ],
)
def test_cli_sweep_errors_exit_2(tmp_path, args, phrase):
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert phrase in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "x.txt").exists()


def test_cli_plot_suggests_the_nearest_column(tmp_path):
    sweep(SAAS, parse_vary(["seller_walk_away=0,500000"]), out=tmp_path / "o.parquet")
    r = run_cli(
        "plot",
        str(tmp_path / "o.parquet"),
        "--x",
        "seller_walk_away",
        "--y",
        "nash_price",
        "-o",
        str(tmp_path / "p.png"),
    )
    assert r.returncode == 2 and "error: --y: 'nash_price' is not a column (did you mean 'nash.price'?)" in r.stderr
