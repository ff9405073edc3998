"""Trades for any number of changed issues: the bounded merge against brute force and the trade listing."""

from __future__ import annotations

import itertools
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealopt import LimitError, compile_model, load_model, model_from_data
from dealopt.engines.improvements import METHOD, best_improvements
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices
from dealopt.negotiation.trades import find_trades
from engines.cases import ROOT, model_paths
from random_models import deal_models

sys.path.insert(0, str(ROOT / "benchmarks"))
from common import opposed_additive

_REL = 1e-9


def brute_force(deal: CompiledDeal, base: np.ndarray, max_issues: int, top: int) -> np.ndarray:
    """The spec's trades, listed package by package: better for both (one strictly), no change that adds
    nothing (reverting it leaves a trade as good for both), ranked by joint gain, fewer changes, buyer gain,
    then issue and level order."""
    rows = np.array(list(itertools.product(*(range(len(i.labels)) for i in deal.issues))), dtype=np.int64)
    changed = rows != base[None, :]
    n = changed.sum(axis=1)
    rows, changed, n = (
        rows[(n >= 1) & (n <= max_issues)],
        changed[(n >= 1) & (n <= max_issues)],
        n[(n >= 1) & (n <= max_issues)],
    )
    ev, ev0 = evaluate_indices(deal, rows), evaluate_indices(deal, base[None, :])
    s0, b0 = float(ev0.seller[0]), float(ev0.buyer[0])
    tol_s, tol_b = _REL * max(1.0, abs(s0)), _REL * max(1.0, abs(b0))
    ds, db = ev.seller - s0, ev.buyer - b0
    ok = ev.feasible & (ds >= -tol_s) & (db >= -tol_b) & ((ds > tol_s) | (db > tol_b))
    # A trade of several changes is redundant when reverting one change leaves a trade as good for both:
    # every (trade, change) pair reverted at once, one evaluation for all.
    cand = np.flatnonzero(ok & (n > 1))
    pair_r, pair_j = np.nonzero(changed[cand])
    pair_r = cand[pair_r]
    back = rows[pair_r].copy()
    back[np.arange(len(pair_r)), pair_j] = base[pair_j]
    e = evaluate_indices(deal, back)
    as_good = e.feasible & (e.seller - s0 >= ds[pair_r] - tol_s) & (e.buyer - b0 >= db[pair_r] - tol_b)
    redundant = np.zeros(len(rows), dtype=bool)
    redundant[pair_r[as_good]] = True
    keep = np.flatnonzero(ok & ~redundant)
    if not len(keep):
        return np.empty((0, len(deal.issues)), dtype=np.int64)
    joint = ds[keep] + db[keep]
    q = _REL * max(1.0, float(np.max(np.abs(joint))))
    cols = [rows[keep][:, j] for j in range(len(deal.issues) - 1, -1, -1)]
    order = np.lexsort((*cols, -np.round(db[keep] / q), n[keep], -np.round(joint / q)))[:top]
    return rows[keep][order]


def _check(deal: CompiledDeal, base: np.ndarray, max_issues: int, top: int = 10) -> None:
    rows, g_s, g_b, method = best_improvements(deal, base, max_issues, top)
    assert method == METHOD
    want = brute_force(deal, base, max_issues, top)
    assert rows.shape == want.shape and (rows == want).all(), (rows, want)
    ev = evaluate_indices(deal, rows)
    ev0 = evaluate_indices(deal, base[None, :])
    np.testing.assert_array_equal(g_s, ev.seller - ev0.seller[0])
    np.testing.assert_array_equal(g_b, ev.buyer - ev0.buyer[0])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=deal_models(), seed=st.integers(0, 10_000), k=st.integers(1, 4), top=st.integers(1, 12))
def test_random_models_match_brute_force(data, seed, k, top):
    deal = compile_model(model_from_data(data))
    rng = np.random.default_rng(seed)
    base = np.array([rng.integers(0, len(i.labels)) for i in deal.issues])
    _check(deal, base, min(k, len(deal.issues)), top)


@pytest.mark.parametrize("path", model_paths(), ids=lambda p: p.stem)
def test_example_models_match_the_trade_listing_for_every_k(path):
    deal = compile_model(load_model(path))
    rng = np.random.default_rng(7)
    for _ in range(2):
        base = np.array([rng.integers(0, len(i.labels)) for i in deal.issues])
        for k in range(1, len(deal.issues) + 1):
            rows, *_ = best_improvements(deal, base, k, 10)
            want = _listing(deal, base, k, 10)
            assert rows.shape == want.shape and (rows == want).all(), (path.stem, k)


def _listing(deal, base, k, top):
    """The trades as find_trades lists them before collapsing price steps: every change listed, ranked."""
    from dealopt.model.evaluation import evaluate_indices
    from dealopt.negotiation.trades import _listed

    ev0 = evaluate_indices(deal, base[None, :])
    s0, b0 = float(ev0.seller[0]), float(ev0.buyer[0])
    rows, ds, db, _changed, n_changed = _listed(deal, base, k, s0, b0, 1e-9 * max(1, abs(s0)), 1e-9 * max(1, abs(b0)))
    joint = ds + db
    q = 1e-9 * max(1.0, float(np.max(np.abs(joint))) if len(joint) else 1.0)
    keys = [rows[:, j] for j in range(rows.shape[1] - 1, -1, -1)]
    order = np.lexsort((*keys, -np.round(db / q), n_changed, -np.round(joint / q)))[:top]
    return rows[order]


@pytest.mark.parametrize(("issues", "levels", "k"), [(7, 4, 7), (7, 4, 3), (6, 6, 6), (8, 3, 5)])
def test_larger_cousins_match_brute_force(issues, levels, k):
    """Models with the structure of the 20 × 8 benchmark, small enough to list every package."""
    for seed in range(3):
        deal = compile_model(model_from_data(opposed_additive(issues, levels, seed=seed)))
        base = np.random.default_rng(seed).integers(0, levels, size=issues)
        _check(deal, base, k)


def test_twenty_issues_of_eight_levels_any_k():
    deal = compile_model(model_from_data(opposed_additive(20, 8, seed=3)))
    base = np.random.default_rng(1).integers(0, 8, size=20)
    found = find_trades(deal, base, 20, 10)  # past the listing cap: the bounded merge, and it says so
    assert found.method == "bounded merge" and len(found.trades) == 10
    for k in (4, 20):
        t0 = time.perf_counter()
        rows, g_s, g_b, _ = best_improvements(deal, base, k, 10)
        assert time.perf_counter() - t0 >= 0  # timings are the benchmark's business
        joint = g_s + g_b
        assert len(rows) == 10 and np.all(np.diff(joint) <= 1e-12) and np.all(g_s >= -1e-9) and np.all(g_b >= -1e-9)
        assert np.all((rows != base).sum(axis=1) <= k)


def test_no_trade_and_bad_input():
    deal = compile_model(model_from_data(opposed_additive(3, 3)))
    best = np.array([2, 2, 2])  # seller's best everywhere: nothing better for both… unless the buyer gains
    rows, *_ = best_improvements(deal, best, 3, 5)
    assert len(rows) == len(brute_force(deal, best, 3, 5))
    rows, *_ = best_improvements(deal, best, 3, 0)
    assert len(rows) == 0
    stepless = load_model(model_paths()[0]).to_file_data()
    price = next(k for k, v in stepless["issues"].items() if v["kind"] == "continuous")
    del stepless["issues"][price]["step"]
    deal = compile_model(model_from_data(stepless))
    with pytest.raises(LimitError, match="tabulated"):
        best_improvements(deal, np.zeros(len(deal.issues), dtype=np.int64), 2, 5)
