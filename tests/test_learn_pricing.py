"""price-variants on a fitted model: win_probability is filled and expected_best_price maximizes P(win)·(U_s − w_s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dealopt
from dealopt.batch.pricing import price_variants

MODELS = Path(__file__).parent.parent / "models"


@pytest.fixture(scope="module")
def fitted_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fitted")
    model = dealopt.load_model(MODELS / "saas-renewal.yaml")
    history = dealopt.simulate_history(model, 2000, seed=2)
    dealopt.learn(model, history, seed=2).write(d / "saas-renewal.yaml")
    return d


def test_expected_best_price_on_fitted_model(fitted_dir: Path) -> None:
    quotes = pd.read_csv(MODELS / "quotes-example.csv")
    quotes = quotes[quotes["model"] == "saas-renewal"].reset_index(drop=True)
    out = price_variants(quotes, fitted_dir).to_frame()
    ok = out["error"].isna()
    assert ok.sum() >= 3
    assert out.loc[ok, "win_probability"].between(0, 1).all()
    fitted = dealopt.load_model(fitted_dir / "saas-renewal.yaml")
    w_s = 50000.0
    prices = np.round(np.arange(60.0, 120.0 + 1e-9, 0.05), 2)
    issues = list(fitted.issues)
    for _, row in out[ok].iterrows():
        package = {i: row[f"base.{i}"] for i in issues}
        for i in issues:
            v = row.get(f"variant.{i}")
            if i != "price" and v is not None and not pd.isna(v):
                package[i] = v
        frame = pd.DataFrame([{**package, "price": p} for p in prices])
        ev = dealopt.evaluate(fitted, frame)
        assert ev.acceptance_probability is not None
        objective = ev.acceptance_probability * np.maximum(ev.seller - w_s, 0)
        best = row["expected_best_price"]
        assert 60 <= best <= 120
        at = dealopt.evaluate(fitted, pd.DataFrame([{**package, "price": best}]))
        assert at.acceptance_probability is not None
        got = float(at.acceptance_probability[0] * (at.seller[0] - w_s))
        assert got >= objective.max() - 1e-6 * abs(objective.max())


def test_no_profiles_no_expected_best_price() -> None:
    quotes = pd.read_csv(MODELS / "quotes-example.csv")
    out = price_variants(quotes[quotes["model"] == "saas-renewal"], MODELS).to_frame()
    assert out["expected_best_price"].isna().all() and out["win_probability"].isna().all()
