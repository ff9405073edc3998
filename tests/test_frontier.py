"""Frontier engines against each other and against a plain-Python brute force."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from brute_force import brute_force
from conftest import model_files
from dealopt import LimitError, compile_model, frontier, load_model, model_from_data
from dealopt.engines.base import EngineOptions
from dealopt.engines.enumerate import EnumerateEngine
from dealopt.engines.merge import MergeEngine
from dealopt.engines.registry import EngineNotApplicable
from dealopt.model.evaluation import evaluate
from random_models import deal_models

GRID_ENGINES = ("enumerate", "merge")


def close(a: float, b: float, rel: float = 1e-7) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def assert_same_points(result, points) -> None:
    got = [(p.seller, p.buyer) for p in result.points]
    assert len(got) == len(points), (got, points)
    for (s1, b1), (s2, b2) in zip(got, points, strict=True):
        assert close(s1, s2) and close(b1, b2), ((s1, b1), (s2, b2))


def assert_packages_reach_points(model, result) -> None:
    deal = compile_model(model)
    for p in result.points:
        ev = evaluate(deal, list(p.packages))
        assert ev.acceptable.all()
        assert np.allclose(ev.seller, p.seller, rtol=1e-9, atol=1e-6)
        assert np.allclose(ev.buyer, p.buyer, rtol=1e-9, atol=1e-6)


def check_against_brute_force(model, engine: str, all_packages: bool = False) -> None:
    ref = brute_force(model)
    res = frontier(model, engine, all_packages=all_packages)
    assert res.engine == engine
    assert_same_points(res, ref["points"])
    assert_packages_reach_points(model, res)
    assert res.zopa == bool(ref["points"])
    if res.zopa:
        d_s, d_b = res.disagreement
        assert close(d_s, ref["disagreement"][0]) and close(d_b, ref["disagreement"][1])
        assert close(res.max_joint.joint, ref["max_joint"])
        assert close((res.nash.seller - d_s) * (res.nash.buyer - d_b), ref["nash"], 1e-6)
        assert close(min(res.egalitarian.seller - d_s, res.egalitarian.buyer - d_b), ref["egalitarian"], 1e-6)
    else:
        assert res.nash is None and res.max_joint is None
        assert res.no_deal is not None
        if ref["feasible"] == 0:
            assert res.no_deal.reason == "no_feasible_package"
        else:
            for key in ("best_buyer_at_seller_walk_away", "best_seller_at_buyer_walk_away"):
                want = ref[key]
                got = getattr(res.no_deal, key)
                if res.no_deal.reason == "apart":
                    assert close(got, want)
    if all_packages:
        # every ZOPA package that reaches a frontier pair is listed
        total = sum(len(p.packages) for p in res.points)
        deal = compile_model(model)
        from dealopt.model.reference import all_packages as every

        pkgs = list(every(model))
        ev = evaluate(deal, pkgs)
        want = 0
        for p in res.points:
            want += int(
                np.sum(
                    ev.acceptable
                    & np.isclose(ev.seller, p.seller, rtol=1e-9, atol=1e-9)
                    & np.isclose(ev.buyer, p.buyer, rtol=1e-9, atol=1e-9)
                )
            )
        assert total == want


@pytest.mark.parametrize("engine", GRID_ENGINES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=deal_models())
def test_random_models_match_brute_force(engine, data):
    check_against_brute_force(model_from_data(data), engine)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=deal_models(interacting=True, with_constraints=True))
def test_random_models_all_packages(data):
    model = model_from_data(data)
    for engine in GRID_ENGINES:
        check_against_brute_force(model, engine, all_packages=True)


@pytest.mark.parametrize("path", model_files(), ids=lambda p: p.stem)
def test_example_models_engines_agree_with_full_enumeration(path):
    model = load_model(path)
    deal = compile_model(model)
    ref = EnumerateEngine().solve(deal, deal.seller_walk_away, deal.buyer_walk_away, EngineOptions())
    # full enumeration, vectorized, as an independent check of the enumerate engine's filter
    idx = np.stack(np.unravel_index(np.arange(deal.space_size), deal.shape), axis=1)
    ev = evaluate(deal, idx)
    s, b = ev.seller[ev.acceptable], ev.buyer[ev.acceptable]
    order = np.lexsort((-b, -s))
    best = -np.inf
    pts = []
    for j in order:
        if b[j] > best + 1e-9 * max(1.0, abs(b[j])):
            if pts and close(pts[-1][0], s[j]):
                continue
            pts.append((s[j], b[j]))
            best = b[j]
    assert len(pts) == len(ref.seller)
    assert np.allclose([p[0] for p in pts], ref.seller) and np.allclose([p[1] for p in pts], ref.buyer)
    res = frontier(deal, "merge")
    assert np.array_equal([p.seller for p in res.points], ref.seller)
    assert np.array_equal([p.buyer for p in res.points], ref.buyer)
    res_e = frontier(deal, "enumerate")
    assert res.to_dict()["nash"]["seller"] == res_e.to_dict()["nash"]["seller"]
    assert res.kalai_smorodinsky.seller == res_e.kalai_smorodinsky.seller


def test_auto_says_which_engine(saas_path):
    res = frontier(saas_path)
    assert res.engine == "merge"
    assert res.to_dict()["engine"] == "merge"


def test_json_shape_is_exact(saas_path):
    d = frontier(saas_path).to_dict()
    assert list(d) == [
        "model",
        "engine",
        "units",
        "walk_away",
        "zopa",
        "points",
        "nash",
        "kalai_smorodinsky",
        "max_joint",
        "egalitarian",
    ]
    assert d["units"] == "USD" and d["zopa"] is True
    assert set(d["walk_away"]) == {"seller", "buyer"}
    assert all(set(p) == {"seller", "buyer", "package"} for p in d["points"])
    sellers = [p["seller"] for p in d["points"]]
    assert sellers == sorted(sellers, reverse=True)
    json.dumps(d, allow_nan=False)


def test_deterministic(saas_path):
    a = json.dumps(frontier(saas_path, all_packages=True).to_dict(True))
    b = json.dumps(frontier(saas_path, all_packages=True).to_dict(True))
    assert a == b


def test_to_frame(saas_path):
    res = frontier(saas_path)
    df = res.to_frame()
    assert len(df) == len(res.points)
    assert {"seller", "buyer", "joint", "price", "payment"} <= set(df.columns)


BASE = {
    "format": "dealopt/1",
    "name": "t",
    "currency": "USD",
    "issues": {
        "price": {"kind": "integer", "min": 90, "max": 110, "step": 5},
        "term": {"kind": "ordinal", "options": [1, 2, 3]},
    },
    "parties": {
        "seller": {"walk_away": 95, "utility": [{"of": ["price"]}, {"coef": 2, "of": ["term"]}]},
        "buyer": {"walk_away": -100, "utility": [{"coef": -1, "of": ["price"]}, {"coef": -1, "of": ["term"]}]},
    },
}


def test_no_feasible_package_is_an_answer():
    data = json.loads(json.dumps(BASE))
    data["constraints"] = [{"forbid": {"price": {"min": 0}}}]
    res = frontier(model_from_data(data))
    assert not res.zopa and res.no_deal.reason == "no_feasible_package"
    assert res.to_dict()["nash"] is None


def test_no_zopa_reports_gaps():
    data = json.loads(json.dumps(BASE))
    data["parties"]["buyer"]["walk_away"] = -95  # wants price ≤ 95 - term, seller wants price + 2 term ≥ 105
    data["parties"]["seller"]["walk_away"] = 105
    for engine in GRID_ENGINES:
        res = frontier(model_from_data(data), engine)
        assert not res.zopa
        nd = res.no_deal
        assert nd.reason == "apart"
        # seller ≥ 105: price 100 term 3 → buyer -103; price 105 term 1 (107) → -106; best buyer -102 (price 100, term 2: seller 104 <105 no)
        ref = brute_force(model_from_data(data))
        assert close(nd.best_buyer_at_seller_walk_away, ref["best_buyer_at_seller_walk_away"])
        assert close(nd.best_seller_at_buyer_walk_away, ref["best_seller_at_buyer_walk_away"])
        assert close(nd.buyer_gap, -95 - ref["best_buyer_at_seller_walk_away"])


def test_walk_away_alone_unreachable():
    data = json.loads(json.dumps(BASE))
    data["parties"]["seller"]["walk_away"] = 1000
    res = frontier(model_from_data(data))
    assert res.no_deal.reason == "seller_walk_away"
    assert close(res.no_deal.seller_gap, 1000 - 116)


def test_enumerate_refuses_big_space_before_work():
    issues = {f"i{k}": {"kind": "integer", "min": 0, "max": 9} for k in range(12)}
    data = {
        "format": "dealopt/1",
        "name": "big",
        "units": "normalized",
        "issues": issues,
        "parties": {
            "seller": {"utility": [{"coef": 0.1, "of": [n]} for n in issues]},
            "buyer": {"utility": [{"coef": -0.1, "of": [n]} for n in issues]},
        },
    }
    model = model_from_data(data)
    with pytest.raises(LimitError, match="more than the limit"):
        frontier(model, "enumerate")
    res = frontier(model)  # merge handles 1e12 packages
    assert res.engine == "merge" and len(res.points) > 1


def test_stepless_continuous_refused_by_the_listing_engine_merged_as_segments():
    data = json.loads(json.dumps(BASE))
    data["issues"]["price"] = {"kind": "continuous", "min": 90, "max": 110}
    model = model_from_data(data)
    with pytest.raises(EngineNotApplicable, match="without step"):
        frontier(model, "enumerate")
    assert MergeEngine().accepts(compile_model(model)) is None
    res = frontier(model)
    assert res.engine == "merge" and res.continuous


# ---------------------------------------------------------------- the CLI


def run_cli(*args: str):
    from cli_runner import run_cli as in_process

    return in_process(*args)


def test_cli_frontier_json_all_packages_and_plot(saas_path, tmp_path):
    png = tmp_path / "f.png"
    r = run_cli("frontier", str(saas_path), "--json", "--all-packages", "--plot", str(png), "--engine", "enumerate")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)  # nothing but JSON on stdout
    assert d["engine"] == "enumerate" and d["zopa"] is True
    assert all(p["packages"][0] == p["package"] for p in d["points"])
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_cli_frontier_table_names_engine_and_solutions(saas_path):
    r = run_cli("frontier", str(saas_path))
    assert r.returncode == 0, r.stderr
    assert "engine merge" in r.stdout and "Nash" in r.stdout and "Kalai" in r.stdout and "ZOPA: yes" in r.stdout


def test_cli_frontier_no_deal_is_an_answer(tmp_path):
    data = json.loads(json.dumps(BASE))
    data["parties"]["seller"]["walk_away"] = 1000
    path = tmp_path / "nodeal.json"
    path.write_text(json.dumps(data))
    r = run_cli("frontier", str(path), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["zopa"] is False and d["points"] == [] and d["nash"] is None
    assert d["no_deal"]["reason"] == "seller_walk_away"
    r = run_cli("frontier", str(path))
    assert "no deal" in r.stdout and "seller's walk-away" in r.stdout


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--engine", "magic"], "--engine: 'magic'; expected one of"),
        (["--engine", "enumerate", "--max-space", "10"], "more than the limit"),
    ],
)
def test_cli_frontier_bad_options_exit_2(saas_path, args, phrase):
    r = run_cli("frontier", str(saas_path), *args)
    assert r.returncode == 2
    assert phrase in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
