"""The vectorized evaluator against the plain per-package reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import model_files
from dealopt import PackageError, compile_model, evaluate, load_model
from dealopt.model.reference import reference_evaluate


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-7 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("path", model_files(), ids=lambda p: p.stem)
def test_indices_match_reference(path):
    model = load_model(path)
    deal = compile_model(model)
    rng = np.random.default_rng(7)
    idx = np.stack([rng.integers(0, s, 300) for s in deal.shape], axis=1)
    ev = evaluate(deal, idx)
    for r in range(len(idx)):
        ref = reference_evaluate(model, deal.package_labels(idx[r]))
        assert _close(ref["seller"], ev.seller[r])
        assert _close(ref["buyer"], ev.buyer[r])
        assert _close(ref["joint"], ev.joint[r])
        assert ref["feasible"] == ev.feasible[r]
        assert ref["acceptable_seller"] == ev.acceptable_seller[r]
        assert ref["acceptable_buyer"] == ev.acceptable_buyer[r]
        if "acceptance_probability" in ref:
            assert _close(ref["acceptance_probability"], ev.acceptance_probability[r])


def test_frame_off_grid_value_uses_exact_value(saas_path):
    model = load_model(saas_path)
    pkg = {"price": 61.23, "seats": 250, "term_months": 24, "payment": "net60", "support": "premium", "start_days": 15}
    ev = evaluate(model, pd.DataFrame([pkg]))
    ref = reference_evaluate(model, pkg)
    assert _close(ev.seller[0], ref["seller"]) and _close(ev.buyer[0], ref["buyer"])


def test_walk_away_package_is_exactly_acceptable(saas_path):
    model = load_model(saas_path)
    pkg = {"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}
    ev = evaluate(model, [pkg])
    assert ev.acceptable_buyer[0]
    assert _close(ev.buyer[0], compile_model(model).buyer_walk_away)


@pytest.mark.parametrize(
    "bad",
    [
        {"price": 95, "seats": 300, "term_months": 12, "payment": "net90", "support": "standard", "start_days": 0},
        {"price": 95, "seats": 310.5, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0},
        {"price": 130, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0},
        {"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard"},
        {
            "price": 95,
            "seats": 300,
            "term_months": 12,
            "payment": "net30",
            "support": "standard",
            "start_days": 0,
            "x": 1,
        },
    ],
)
def test_bad_packages_are_refused(saas_path, bad):
    with pytest.raises(PackageError):
        evaluate(load_model(saas_path), [bad])


def test_index_out_of_range_is_refused(saas_path):
    deal = compile_model(load_model(saas_path))
    idx = np.zeros((2, len(deal.issues)), dtype=np.int64)
    idx[1, 1] = 99
    with pytest.raises(PackageError):
        evaluate(deal, idx)


def test_whole_numbers_between_integer_steps_are_evaluated_exactly(saas_path):
    from dealopt.model.reference import reference_utility

    model = load_model(saas_path)
    pkg = {"price": 87.25, "seats": 320, "term_months": 24, "payment": "net30", "support": "premium", "start_days": 20}
    ev = evaluate(model, pkg)
    assert ev.seller[0] == pytest.approx(reference_utility(model, model.parties.seller.utility, pkg))
    assert ev.buyer[0] == pytest.approx(reference_utility(model, model.parties.buyer.utility, pkg))
