"""The MILP engine: its sweep against enumerate on gridded models, exact piecewise-linear frontiers otherwise,
statuses, back-ends, and what it prints (nothing)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MODELS, model_files
from dealopt import LimitError, compile_model, frontier, load_model, model_from_data
from dealopt.engines.base import EngineOptions, RawFrontier, Status, resolution
from dealopt.engines.enumerate import EnumerateEngine
from dealopt.engines.milp import MilpEngine
from dealopt.engines.milp import sweep as sweep_module
from dealopt.engines.milp.backend import backend_name
from dealopt.engines.registry import choose_engine, get_engine
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate
from engines.conformance import cases, solved_case

OPTS = EngineOptions()


def _deal(data: dict[str, Any]) -> CompiledDeal:
    return compile_model(model_from_data(data))


def _bounds(deal: CompiledDeal) -> tuple[float | None, float | None]:
    return deal.seller_walk_away, deal.buyer_walk_away


def assert_same_frontier(got: RawFrontier, ref: RawFrontier, deal: CompiledDeal) -> None:
    """Same points (within resolution), same extremes, and every listed package reaches its point."""
    q_s, q_b = resolution(deal)
    assert got.status == ref.status
    assert len(got) == len(ref), (got.seller, got.buyer, ref.seller, ref.buyer)
    np.testing.assert_allclose(got.seller, ref.seller, rtol=0, atol=q_s)
    np.testing.assert_allclose(got.buyer, ref.buyer, rtol=0, atol=q_b)
    if ref.status is Status.INFEASIBLE:
        return
    assert got.min_seller == pytest.approx(ref.min_seller, abs=q_s)
    assert got.min_buyer == pytest.approx(ref.min_buyer, abs=q_b)
    for i, pkgs in enumerate(got.packages):
        assert pkgs
        ev = evaluate(deal, pkgs)
        assert ev.feasible.all()
        np.testing.assert_allclose(ev.seller, got.seller[i], rtol=0, atol=q_s)
        np.testing.assert_allclose(ev.buyer, got.buyer[i], rtol=0, atol=q_b)


# ---------------------------------------------------------------- gridded models


def test_milp_sweep_on_an_example_model_matches_enumerate():
    """The ε-constraint sweep on the example with the shortest frontier, against enumerate (the same floats)."""
    deals = [compile_model(load_model(p)) for p in model_files()]
    refs = [EnumerateEngine().solve(d, *_bounds(d), OPTS) for d in deals]
    k = int(np.argmin([len(r) if len(r) else 10**9 for r in refs]))
    got = MilpEngine().solve(deals[k], *_bounds(deals[k]), OPTS)
    assert got.stats["milp_solves"] > len(got)
    assert_same_frontier(got, refs[k], deals[k])
    assert np.array_equal(got.seller, refs[k].seller) and np.array_equal(got.buyer, refs[k].buyer)


def _levels(spec: dict[str, Any]) -> list[Any]:
    if "options" in spec:
        return list(spec["options"])
    out, x = [], spec["min"]
    while x <= spec["max"] + 1e-9:
        out.append(x)
        x += spec.get("step", 1)
    return out


@st.composite
def gridded_models(draw: st.DrawFn) -> dict[str, Any]:
    """2–4 issues of 2–5 levels; additive and interacting terms; constraints; walk-aways or not."""
    issues: dict[str, dict[str, Any]] = {}
    for k in range(draw(st.integers(2, 4))):
        n = draw(st.integers(2, 5))
        kind = draw(st.sampled_from(["integer", "ordinal", "categorical", "continuous"]))
        if kind == "integer":
            lo = draw(st.integers(0, 4))
            issues[f"i{k}"] = {"kind": "integer", "min": lo, "max": lo + n - 1}
        elif kind == "ordinal":
            issues[f"i{k}"] = {
                "kind": "ordinal",
                "options": sorted(draw(st.sets(st.integers(0, 12), min_size=n, max_size=n))),
            }
        elif kind == "categorical":
            issues[f"i{k}"] = {"kind": "categorical", "options": [f"o{j}" for j in range(n)]}
        else:
            issues[f"i{k}"] = {"kind": "continuous", "min": 0, "max": 0.5 * (n - 1), "step": 0.5}
    names = list(issues)
    small = st.integers(-6, 6)

    def factor(name: str) -> Any:
        spec = issues[name]
        forms = (
            ["table"]
            if spec["kind"] == "categorical"
            else ["bare", "piecewise"] + (["table"] if spec["kind"] == "ordinal" else [])
        )
        form = draw(st.sampled_from(forms))
        if form == "bare":
            return name
        if form == "table":
            return {name: {lv: draw(small) for lv in _levels(spec)}}
        xs = sorted(set(draw(st.lists(st.sampled_from(_levels(spec)), min_size=1, max_size=3))))
        return {name: {"piecewise": [[x, draw(small)] for x in xs]}}

    def utility() -> list[dict[str, Any]]:
        terms = [{"coef": draw(st.integers(-4, 4)) or 1, "of": [factor(n)]} for n in names if draw(st.booleans())]
        for _ in range(draw(st.integers(0 if terms else 1, 2))):
            of = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
            terms.append({"coef": draw(st.integers(-3, 3)) or 1, "of": [factor(n) for n in of]})
        return terms

    model: dict[str, Any] = {"format": "dealopt/1", "name": "random", "currency": "USD", "issues": issues}
    cons = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(st.sampled_from(names))
        cond = {a: draw(st.sampled_from(_levels(issues[a])))}
        others = [n for n in names if n != a]
        if others and draw(st.booleans()):
            b = draw(st.sampled_from(others))
            if issues[b]["kind"] == "categorical":
                test: Any = {
                    "in": draw(st.lists(st.sampled_from(_levels(issues[b])), min_size=1, max_size=2, unique=True))
                }
            else:
                test = {draw(st.sampled_from(["min", "max"])): draw(st.sampled_from(_levels(issues[b])))}
            cons.append({"if": cond, "then": {b: test}})
        else:
            cons.append({"forbid": cond})
    if cons:
        model["constraints"] = cons
    parties: dict[str, Any] = {}
    for party in ("seller", "buyer"):
        p: dict[str, Any] = {"utility": utility()}
        choice = draw(st.sampled_from(["none", "number", "package"]))
        if choice == "number":
            p["walk_away"] = draw(st.integers(-20, 20))
        elif choice == "package":
            p["walk_away"] = {"package": {n: draw(st.sampled_from(_levels(s))) for n, s in issues.items()}}
        parties[party] = p
    model["parties"] = parties
    return model


MODES = [("none", False), ("reduce", True), ("reduce", False), ("none", True)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=gridded_models(), mode=st.sampled_from(MODES))
def test_random_gridded_models_match_enumerate(model, mode):
    deal = _deal(model)
    ref = EnumerateEngine().solve(deal, *_bounds(deal), OPTS)
    got = MilpEngine(presolve=mode[0], term_level=mode[1]).solve(deal, *_bounds(deal), OPTS)
    assert_same_frontier(got, ref, deal)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=gridded_models(), term_level=st.booleans())
def test_all_packages_lists_every_tie(model, term_level):
    deal = _deal(model)
    opts = EngineOptions(all_packages=True)
    ref = EnumerateEngine().solve(deal, None, None, opts)
    got = MilpEngine(presolve="reduce", term_level=term_level).solve(deal, None, None, opts)
    assert_same_frontier(got, ref, deal)
    for mine, theirs in zip(got.packages, ref.packages):
        assert sorted(json.dumps(p, sort_keys=True) for p in mine) == sorted(
            json.dumps(p, sort_keys=True) for p in theirs
        )


# ---------------------------------------------------------------- stepless continuous issues


def _toy() -> dict[str, Any]:
    """Option a: the line s + b = 10 over x ∈ [0, 10]; option b: a short piece of s + b = 12 above its middle."""
    return {
        "format": "dealopt/1",
        "name": "toy",
        "currency": "USD",
        "issues": {
            "x": {"kind": "continuous", "min": 0, "max": 10},
            "opt": {"kind": "categorical", "options": ["a", "b"]},
        },
        "parties": {
            "seller": {"utility": [{"of": ["x", {"opt": {"a": 1, "b": 0.2}}]}, {"of": [{"opt": {"a": 0, "b": 6}}]}]},
            "buyer": {
                "utility": [
                    {"coef": -1, "of": ["x", {"opt": {"a": 1, "b": 0.2}}]},
                    {"of": [{"opt": {"a": 10, "b": 6}}]},
                ]
            },
        },
    }


def test_stepless_toy_frontier_is_exact():
    deal = _deal(_toy())
    assert MilpEngine().accepts(deal) is None and EnumerateEngine().accepts(deal) is not None
    got = MilpEngine().solve(deal, None, None, OPTS)
    # a: efficient from (10, 0) until b's piece takes over (open at (8, 2)); b from (8, 4) to (6, 6);
    # a again from just above buyer 6 (open at (4, 6)) to (0, 10)
    expect = [(10, 0, True), (8, 2, False), (8, 4, True), (6, 6, False), (4, 6, True), (0, 10, False)]
    assert len(got) == len(expect)
    for i, (s, b, seg) in enumerate(expect):
        assert got.seller[i] == pytest.approx(s, abs=1e-6) and got.buyer[i] == pytest.approx(b, abs=1e-6)
        assert bool(got.segment[i]) is seg
    q_s, q_b = resolution(deal)
    # the open ends are reported one grid cell inside: (8, 2) is dominated by (8, 4), (4, 6) by (6, 6)
    assert got.seller[1] - 8 == pytest.approx(q_s, rel=1e-3)
    assert 0 < got.buyer[4] - 6 <= 3 * q_b
    assert [p[0]["opt"] for p in got.packages] == ["a", "a", "b", "b", "a", "a"]
    assert got.packages[0][0]["x"] == 10.0 and got.packages[2][0]["x"] == 10.0
    assert got.min_seller == 0.0 and got.min_buyer == 0.0


def test_stepless_ties_are_listed_at_vertices():
    data = _toy()
    data["issues"]["opt"]["options"].append("c")  # c: the same as b
    for party in ("seller", "buyer"):
        for term in data["parties"][party]["utility"]:
            for f in term["of"]:
                if isinstance(f, dict) and "opt" in f:
                    f["opt"]["c"] = f["opt"]["b"]
    for engine in (MilpEngine(), get_engine("merge")):
        got = engine.solve(_deal(data), None, None, EngineOptions(all_packages=True))
        assert [sorted(p["opt"] for p in pkgs) for pkgs in got.packages] == [
            ["a"],
            ["a"],
            ["b", "c"],
            ["b", "c"],
            ["a"],
            ["a"],
        ], engine.name
        assert got.packages[2][1]["x"] == 10.0 and got.packages[3][1]["x"] == 0.0


def _below(fr: RawFrontier, s: float, b: float, tol_s: float, tol_b: float) -> bool:
    """Whether (s, b) is weakly dominated by a vertex or by a point of an efficient segment of ``fr``."""
    if ((fr.seller >= s - tol_s) & (fr.buyer >= b - tol_b)).any():
        return True
    assert fr.segment is not None
    for i in np.flatnonzero(fr.segment[:-1]):
        ps, pb, qs, qb = fr.seller[i], fr.buyer[i], fr.seller[i + 1], fr.buyer[i + 1]
        lo = (b - tol_b - pb) / (qb - pb)  # buyer rises along the segment
        hi = (ps - (s - tol_s)) / (ps - qs)  # seller falls
        if max(lo, 0.0) <= min(hi, 1.0):
            return True
    return False


def check_against_fine_grid(
    data: dict[str, Any],
    issue: str,
    step: float,
    bounds: bool = True,
    probes: int = 3,
    solved: RawFrontier | None = None,
) -> RawFrontier:
    """The piecewise-linear frontier against the enumerated frontier of the same model on a fine grid.

    ``solved``: the engine's frontier of ``data`` within its walk-aways when another test solved it already.
    """
    deal = _deal(data)
    lo_s, lo_b = _bounds(deal) if bounds else (None, None)
    fr = solved if solved is not None and bounds else MilpEngine().solve(deal, lo_s, lo_b, OPTS)
    fine = copy.deepcopy(data)
    fine["issues"][issue]["step"] = step
    fine_deal = _deal(fine)
    ref = EnumerateEngine().solve(fine_deal, lo_s, lo_b, OPTS)
    assert fr.status == ref.status == Status.OPTIMAL
    assert fr.segment is not None and len(fr.segment) == len(fr) and not fr.segment[-1]
    assert fr.stats["round_limit_hits"] == 0
    tol_s = 1e-7 * max(1.0, float(np.abs(ref.seller).max()))
    tol_b = 1e-7 * max(1.0, float(np.abs(ref.buyer).max()))
    # nothing on the fine grid lies above the frontier
    for s, b in zip(ref.seller, ref.buyer):
        assert _below(fr, s, b, tol_s, tol_b), (s, b)
    # the vertices are achieved by their packages, and nothing on the fine grid dominates them
    ev = evaluate(deal, [p[0] for p in fr.packages])
    assert ev.feasible.all()
    np.testing.assert_allclose(ev.seller, fr.seller, rtol=1e-12, atol=tol_s * 1e-3)
    np.testing.assert_allclose(ev.buyer, fr.buyer, rtol=1e-12, atol=tol_b * 1e-3)
    assert np.all(np.diff(fr.seller) < 0) and np.all(np.diff(fr.buyer) > 0)
    for s, b in zip(fr.seller, fr.buyer):
        assert not ((ref.seller > s + tol_s) & (ref.buyer > b + tol_b)).any()
    # efficient segments: no point on them is dominated on the fine grid, and the engine cut at a segment's
    # midpoint finds a package there (what the bargaining solutions ask for)
    segments = np.flatnonzero(fr.segment)
    for i in segments:
        for lam in (0.25, 0.5, 0.75):
            s = fr.seller[i] + lam * (fr.seller[i + 1] - fr.seller[i])
            b = fr.buyer[i] + lam * (fr.buyer[i + 1] - fr.buyer[i])
            assert not ((ref.seller > s + tol_s) & (ref.buyer > b + tol_b)).any()
    for i in segments[:: max(1, len(segments) // 2)][:probes]:
        s = 0.5 * (fr.seller[i] + fr.seller[i + 1])
        b = 0.5 * (fr.buyer[i] + fr.buyer[i + 1])
        one = MilpEngine().solve(deal, s, b - 1e-9 * max(1.0, abs(b)), OPTS)
        assert one.seller[0] == pytest.approx(s, abs=tol_s) and one.buyer[0] == pytest.approx(b, abs=tol_b)
        ev = evaluate(deal, [one.packages[0][0]])
        assert ev.seller[0] == pytest.approx(s, abs=tol_s) and ev.buyer[0] == pytest.approx(b, abs=tol_b)
    return fr


def test_stepless_price_frontier_against_a_fine_grid():
    data = yaml.safe_load((MODELS / "saas-renewal.yaml").read_text())
    del data["issues"]["price"]["step"]
    # the same model and bounds as the conformance suite's stepless saas-renewal case: its solve, kept for the session
    case = next(c for c in cases() if c.name == "stepless:saas-renewal-stepless")
    assert case.data == data
    fr = check_against_fine_grid(data, "price", 0.05, solved=solved_case("milp", case.name))
    assert fr.segment.any() and len(fr) > 3
    assert all(isinstance(p[0]["price"], float) for p in fr.packages)
    unbounded = check_against_fine_grid(data, "price", 0.05, bounds=False)
    assert len(unbounded) >= len(fr)


def _piecewise_model() -> dict[str, Any]:
    """A stepless x read through piecewise factors and by constraints (min, max, equality), with interactions."""
    return {
        "format": "dealopt/1",
        "name": "piecewise",
        "currency": "USD",
        "issues": {
            "x": {"kind": "continuous", "min": 0, "max": 10},
            "tier": {"kind": "categorical", "options": ["basic", "plus", "pro"]},
            "n": {"kind": "integer", "min": 1, "max": 3},
        },
        "constraints": [
            {"forbid": {"x": {"min": 7.5}, "tier": "basic"}},
            {"if": {"tier": "pro"}, "then": {"x": {"max": 6}}},
            {"forbid": {"x": 4}},
            {"if": {"x": {"max": 2}}, "then": {"n": {"min": 2}}},
        ],
        "parties": {
            "seller": {
                "walk_away": -5,
                "utility": [
                    {
                        "of": [
                            {"x": {"piecewise": [[2, 0], [5, 6], [8, 7]]}},
                            {"tier": {"basic": 1, "plus": 1.5, "pro": 2}},
                        ]
                    },
                    {"coef": -2, "of": ["n", {"tier": {"basic": 1, "plus": 2, "pro": 3}}]},
                    {"coef": 0.5, "of": ["x"]},
                ],
            },
            "buyer": {
                "utility": [
                    {"coef": -1, "of": ["x", "n"]},
                    {"of": [{"tier": {"basic": 0, "plus": 6, "pro": 11}}]},
                    {"coef": 3, "of": [{"n": {"piecewise": [[1, 0], [3, 4]]}}]},
                ]
            },
        },
    }


def test_stepless_piecewise_and_constraints_against_a_fine_grid():
    fr = check_against_fine_grid(_piecewise_model(), "x", 0.01)
    assert fr.segment.any()
    assert all(p[0]["x"] != 4.0 for p in fr.packages)


def test_two_stepless_issues_against_a_fine_grid():
    data = _piecewise_model()
    data["issues"]["y"] = {"kind": "continuous", "min": -1, "max": 1, "step": 0.5}
    data["parties"]["seller"]["utility"].append({"coef": 2, "of": ["y", {"tier": {"basic": 1, "plus": 0.5, "pro": 0}}]})
    data["parties"]["buyer"]["utility"].append({"coef": -3, "of": [{"y": {"piecewise": [[-1, -1], [0, 0], [1, 2]]}}]})
    gridded_y = check_against_fine_grid(data, "x", 0.05, probes=1)  # x stepless, y on a grid
    del data["issues"]["y"]["step"]
    deal = _deal(data)
    fr = MilpEngine().solve(deal, *_bounds(deal), OPTS)  # both stepless
    assert fr.stats["stepless_issues"] == 2 and fr.segment.any()
    ev = evaluate(deal, [p[0] for p in fr.packages])
    assert ev.feasible.all()
    np.testing.assert_allclose(ev.seller, fr.seller, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ev.buyer, fr.buyer, rtol=1e-12, atol=1e-9)
    # y on a grid is a subset of y continuous: that frontier (vertices and segments) lies on or below
    for i in range(len(gridded_y)):
        assert _below(fr, gridded_y.seller[i], gridded_y.buyer[i], 1e-6, 1e-6)
        if gridded_y.segment[i]:
            s = 0.5 * (gridded_y.seller[i] + gridded_y.seller[i + 1])
            b = 0.5 * (gridded_y.buyer[i] + gridded_y.buyer[i + 1])
            assert _below(fr, s, b, 1e-6, 1e-6)


def test_auto_merges_bare_stepless_issues_and_leaves_piecewise_ones_to_the_milp():
    deal = _deal(_toy())
    assert choose_engine(deal).name == "merge"
    assert isinstance(get_engine("milp"), MilpEngine)
    res = frontier(_deal(_piecewise_model()))
    assert res.engine == "milp" and res.note is not None
    assert "merge cannot take this model" in res.note and "piecewise factor" in res.note
    assert res.to_dict()["note"] == res.note
    assert "note" not in frontier(_deal(_toy())).to_dict()


# ---------------------------------------------------------------- refusals and edge cases


def test_two_stepless_issues_in_one_term_are_refused():
    data = _toy()
    data["issues"]["y"] = {"kind": "continuous", "min": 0, "max": 1}
    data["parties"]["seller"]["utility"].append({"coef": 2, "of": ["x", "y"]})
    deal = _deal(data)
    reason = MilpEngine().accepts(deal)
    assert reason is not None
    assert "parties.seller.utility[2]" in reason and "'x'" in reason and "'y'" in reason
    with pytest.raises(LimitError, match=r"parties\.seller\.utility\[2\]"):
        MilpEngine().solve(deal, None, None, OPTS)


def test_a_stepless_issue_squared_is_refused_with_its_profile_location():
    data = _toy()
    buyer = data["parties"]["buyer"]
    data["parties"]["buyer"] = {
        "profiles": [
            {"name": "a", "probability": 0.5, "utility": buyer["utility"]},
            {
                "name": "b",
                "probability": 0.5,
                "utility": [*buyer["utility"], {"of": ["x", {"x": {"piecewise": [[0, 0], [10, 1]]}}]}],
            },
        ]
    }
    reason = MilpEngine().accepts(_deal(data))
    assert reason is not None and "parties.buyer.profiles[1].utility[2]" in reason and "by itself" in reason


def test_infeasible_models():
    grid = {
        "format": "dealopt/1",
        "name": "nothing",
        "currency": "USD",
        "issues": {"a": {"kind": "categorical", "options": ["p", "q"]}, "n": {"kind": "integer", "min": 0, "max": 2}},
        "constraints": [{"forbid": {"a": "p"}}, {"if": {"a": "q"}, "then": {"n": {"min": 5}}}],
        "parties": {"seller": {"utility": [{"of": ["n"]}]}, "buyer": {"utility": [{"coef": -1, "of": ["n"]}]}},
    }
    deal = _deal(grid)
    for engine in (MilpEngine(), MilpEngine(presolve="none"), MilpEngine(term_level=True)):
        got = engine.solve(deal, None, None, OPTS)
        assert got.status is Status.INFEASIBLE and len(got) == 0 and got.segment is None
    stepless = _toy()
    stepless["constraints"] = [
        {"forbid": {"x": {"max": 6}, "opt": "a"}},
        {"forbid": {"x": {"min": 5}}},
        {"forbid": {"opt": "b"}},
    ]
    got = MilpEngine().solve(_deal(stepless), None, None, OPTS)
    assert got.status is Status.INFEASIBLE and len(got) == 0 and got.segment is not None and len(got.segment) == 0


def test_bounds_above_everything_give_an_empty_frontier_with_extremes():
    deal = _deal(_toy())
    got = MilpEngine().solve(deal, 20.0, None, OPTS)
    assert got.status is Status.OPTIMAL and len(got) == 0
    assert got.min_seller == 0.0 and got.min_buyer == 0.0


def test_a_tiny_time_limit_finds_nothing_and_says_so():
    deal = _deal(_piecewise_model())
    with pytest.raises(LimitError, match="time limit"):
        MilpEngine().solve(deal, None, None, EngineOptions(time_limit=1e-9))


def test_a_time_limit_returns_the_frontier_found_so_far():
    deal = compile_model(load_model(MODELS / "saas-renewal.yaml"))
    bounds = _bounds(deal)
    full = EnumerateEngine().solve(deal, *bounds, OPTS)
    got = MilpEngine().solve(deal, *bounds, EngineOptions(time_limit=0.25))
    assert got.status is Status.TIME_LIMIT and 0 < len(got) < len(full)
    # the high-seller end of the frontier, exactly
    assert np.array_equal(got.seller, full.seller[: len(got)]) and np.array_equal(got.buyer, full.buyer[: len(got)])
    res = frontier(deal, "milp", time_limit=0.25)
    assert res.status == "time_limit" and res.to_dict()["status"] == "time_limit"
    assert "status" not in frontier(deal).to_dict()


def test_unconfirmed_answers_are_inaccurate_with_a_warning(monkeypatch):
    monkeypatch.setattr(sweep_module, "ROUNDS", 1)  # every question runs out of proposals
    with pytest.warns(RuntimeWarning, match="inaccurate"):
        got = MilpEngine().solve(_deal(_toy()), None, None, OPTS)
    assert got.status is Status.INACCURATE and got.stats["round_limit_hits"] > 0


def test_the_pulp_fallback_gives_the_same_frontier():
    pytest.importorskip("pulp")
    for data in (_toy(), _piecewise_model()):
        deal = _deal(data)
        ref = MilpEngine().solve(deal, *_bounds(deal), OPTS)
        got = MilpEngine(backend="pulp").solve(deal, *_bounds(deal), OPTS)
        assert got.stats["backend"] == "pulp" and ref.stats["backend"] == backend_name() == "highs"
        np.testing.assert_allclose(got.seller, ref.seller, atol=1e-7)
        np.testing.assert_allclose(got.buyer, ref.buyer, atol=1e-7)
        assert np.array_equal(got.segment, ref.segment)


def test_bad_engine_arguments_are_refused():
    with pytest.raises(ValueError, match="presolve='merge'; expected one of reduce, none"):
        MilpEngine(presolve="merge")
    with pytest.raises(ValueError, match="backend='cplex'; expected highs or pulp"):
        MilpEngine(backend="cplex")


# ---------------------------------------------------------------- nothing on stdout


def test_a_solve_prints_nothing(capfd):
    MilpEngine().solve(_deal(_toy()), None, None, OPTS)
    MilpEngine(presolve="none").solve(_deal(_piecewise_model()), None, None, EngineOptions(all_packages=True))
    frontier(_deal(_piecewise_model()), "milp")
    out, _ = capfd.readouterr()
    assert out == ""


def test_a_fresh_process_prints_nothing(tmp_path: Path):
    """HiGHS prints a banner once per process, at its first solve: it must not reach stdout."""
    model = tmp_path / "toy.json"
    model.write_text(json.dumps(_toy()))
    code = (
        "import sys; from dealopt import compile_model, load_model; from dealopt.engines.milp import MilpEngine;"
        "from dealopt.engines.base import EngineOptions;"
        f"r = MilpEngine().solve(compile_model(load_model({str(model)!r})), None, None, EngineOptions());"
        "sys.stderr.write(str(len(r)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout == ""
    assert done.stderr.strip().endswith("6")
