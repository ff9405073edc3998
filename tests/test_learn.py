"""Learning the buyer: recovery on a hidden model (outcomes drawn with plain numpy), calibration, AUC, profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import dealopt
from dealopt import evaluate, model_from_text
from dealopt.learning import learn
from dealopt.learning.metrics import auc, ece

# A hidden model, written here: the buyer values each seat-month and premium support.
HIDDEN = """
format: dealopt/1
name: hidden-deal
currency: USD
parameters:
  seat_value: 50
  premium_value: 20000
issues:
  price: {kind: continuous, min: 10, max: 60, step: 1}
  seats: {kind: integer, min: 100, max: 500, step: 100}
  support: {kind: categorical, options: [basic, premium], labels: {premium: premium support}}
  term: {kind: ordinal, options: [1, 2, 3]}
parties:
  seller:
    walk_away: 0
    utility:
      - of: [price, seats, term]
      - coef: -8
        of: [seats, term]
      - of: [{support: {basic: 0, premium: -6000}}]
  buyer:
    walk_away: 10000
    utility:
      - coef: $seat_value
        of: [seats]
      - coef: -1
        of: [price, seats, term]
      - of: [{term: {1: 0, 2: 3000, 3: 5000}}]
      - of: [{support: {basic: 0, premium: $premium_value}}]
"""
TRUE = {"seat_value": 50.0, "premium_value": 20000.0}
TRUE_W, TRUE_TAU = 10000.0, 4000.0


def hidden_history(n: int, seed: int) -> pd.DataFrame:
    """Quotes and outcomes drawn with numpy from the hand-coded buyer: P(won) = σ((U − w)/τ)."""
    rng = np.random.default_rng(seed)
    seats = rng.choice([100, 200, 300, 400, 500], n)
    term = rng.choice([1, 2, 3], n)
    premium = rng.random(n) < 0.4
    u_rest = TRUE["seat_value"] * seats + np.select([term == 2, term == 3], [3000, 5000], 0)
    u_rest = u_rest + TRUE["premium_value"] * premium
    # the seller prices around the buyer's break-even: U − w within ±3τ
    z = rng.uniform(-3, 3, n)
    price = np.clip((u_rest - TRUE_W - z * TRUE_TAU) / (seats * term), 10, 60).round(2)
    u = u_rest - price * seats * term
    won = rng.random(n) < expit((u - TRUE_W) / TRUE_TAU)
    support = np.where(premium, "premium", "basic")
    return pd.DataFrame({"price": price, "seats": seats, "support": support, "term": term, "won": won})


@pytest.fixture(scope="module")
def model() -> dealopt.DealModel:
    return model_from_text(HIDDEN, "hidden.yaml")


@pytest.fixture(scope="module")
def result(model: dealopt.DealModel) -> dealopt.LearnResult:
    return learn(model, hidden_history(3000, seed=11), seed=5)


def _within_99(est: dealopt.learning.Estimate, truth: float) -> bool:
    """Within the 99 % interval (the 90 % one widened by 2.576 / 1.645): one fit misses a 90 % interval 1 time in 10."""
    half = (est.high - est.low) / 2 * 2.576 / 1.645
    return abs(est.estimate - truth) <= half


def test_recovers_hidden_buyer(result: dealopt.LearnResult) -> None:
    for name, truth in TRUE.items():
        est = result.parameters[name]
        assert _within_99(est, truth), (name, est, truth)
        assert est.high - est.low < 0.5 * abs(truth)  # informative, not a blanket interval
    assert _within_99(result.walk_away, TRUE_W)
    assert _within_99(result.fit.scale, TRUE_TAU)


def test_coverage_over_replications(model: dealopt.DealModel) -> None:
    hits = {name: 0 for name in TRUE}
    hits["walk_away"] = 0
    reps = 30
    for seed in range(reps):
        fit = learn(model, hidden_history(1500, seed=100 + seed), seed=seed).fit
        for name, truth in TRUE.items():
            hits[name] += fit.parameters[name].covers(truth)
        hits["walk_away"] += fit.walk_away.covers(TRUE_W)
    for name, count in hits.items():
        assert 0.7 * reps <= count <= reps, (name, count)  # 90 % intervals: about 27 of 30


def test_calibrated_and_better_than_price_only(model: dealopt.DealModel, result: dealopt.LearnResult) -> None:
    m = result.fit.metrics
    assert m.auc > m.baseline_auc + 0.05
    assert m.log_loss < m.baseline_log_loss
    # calibration on fresh quotes from the same buyer, pooled (10 bins)
    fresh = hidden_history(20000, seed=999)
    fitted = result.fit.model()
    ev = evaluate(fitted, fresh.drop(columns="won"))
    assert ev.acceptance_probability is not None
    y = fresh["won"].to_numpy(dtype=float)
    assert ece(ev.acceptance_probability, y, np.ones(len(y))) <= 0.03
    assert auc(ev.acceptance_probability, y) > 0.75


def test_profiles_reproduce_the_win_probability(model: dealopt.DealModel, result: dealopt.LearnResult) -> None:
    packages = hidden_history(3000, seed=7).drop(columns="won")
    fitted = result.fit.model()
    assert fitted.parties.buyer.profiles is not None and len(fitted.parties.buyer.profiles) == 32
    ev = evaluate(fitted, packages)
    assert ev.acceptance_probability is not None
    from dealopt.learning import packages_design

    p = result.fit.choice.probability(packages_design(model, packages))
    gap = np.abs(ev.acceptance_probability - p)
    assert gap.mean() < 0.02 and gap.max() < 0.08


def test_deterministic_for_a_seed(model: dealopt.DealModel) -> None:
    h = hidden_history(800, seed=3)
    a, b = learn(model, h, seed=4), learn(model, h, seed=4)
    assert a.to_dict() == b.to_dict() and a.fit.yaml() == b.fit.yaml()
    assert learn(model, h, seed=5).fit.yaml() != a.fit.yaml()


def test_weights_count_rows(model: dealopt.DealModel) -> None:
    h = hidden_history(800, seed=8)
    doubled = learn(model, pd.concat([h, h], ignore_index=True), seed=1).fit
    weighted = learn(model, h.assign(weight=2.0), seed=1).fit
    for name in TRUE:
        assert weighted.parameters[name].estimate == pytest.approx(doubled.parameters[name].estimate, rel=1e-6)


def test_segments_fit_one_model_each(model: dealopt.DealModel, tmp_path) -> None:  # type: ignore[no-untyped-def]
    h = hidden_history(1600, seed=9)
    h["region"] = np.where(np.arange(len(h)) % 2 == 0, "EMEA", "North America")
    res = learn(model, h, segment="region", seed=2)
    assert [f.segment for f in res.fits] == ["EMEA", "North America"]
    paths = res.write(tmp_path / "fitted.yaml")
    assert [p.name for p in paths] == ["fitted-emea.yaml", "fitted-north-america.yaml"]
    for p in paths:
        assert dealopt.load_model(p).parties.buyer.profiles
    frame = res.to_frame()
    assert set(frame["segment"]) == {"EMEA", "North America"}


def test_report_in_money(result: dealopt.LearnResult) -> None:
    lines = result.fit.lines()
    assert lines[1].startswith("premium support: ") and " USD (" in lines[1]
    frame = result.to_frame()
    assert list(frame["name"]) == ["seat_value", "premium_value", "walk_away", "scale"]
    doc = result.to_dict()
    assert set(doc) >= {"rows", "parameters", "walk_away", "scale", "metrics"}
    assert set(doc["metrics"]) >= {"log_loss", "brier", "auc", "baseline_auc"}


def test_learning_imports_no_upper_layer() -> None:
    import ast
    from pathlib import Path

    root = Path(dealopt.__file__).parent / "learning"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("dealopt.interfaces", "dealopt.batch", "dealopt.service")), (path, name)


def test_example_history_learns() -> None:
    from pathlib import Path

    models = Path(__file__).parent.parent / "models"
    fit = learn(models / "saas-renewal.yaml", models / "saas-renewal-history.csv").fit
    assert fit.rows == 2000
    assert _within_99(fit.parameters["premium_support_value"], 25000.0)  # the buyer it was drawn from
    assert _within_99(fit.parameters["seat_month_value"], 150.0)
