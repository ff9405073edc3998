"""The example deal models in models/: valid, listable, and worth negotiating.

Every model is evaluated on its full grid of packages (brute force), so these
tests also pin down what makes an example useful: a non-empty ZOPA, a real
trade-off between the two sides, a frontier with several points and at least
one non-price issue on which a trade creates joint value. Together the models
must use every feature of format dealopt/1.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import dealopt
from conftest import model_files
from dealopt.model.schema import DealModel, WalkAwayPackage
from dealopt.model.schema import Test as ConditionTest

PATHS = model_files()
MIN_SPACE, MAX_SPACE = 10_000, 3_000_000


@dataclass(frozen=True)
class Grid:
    """A model evaluated on every package of its outcome space."""

    model: DealModel
    deal: dealopt.CompiledDeal
    idx: np.ndarray  # (n, k) level indices, one row per package
    ev: dealopt.Evaluation

    @functools.cached_property
    def zopa(self) -> np.ndarray:
        """Row numbers of the packages acceptable to both sides."""
        return np.flatnonzero(self.ev.acceptable)


@functools.cache
def grid(path: Path) -> Grid:
    model = dealopt.load_model(path)
    deal = dealopt.compile_model(model)
    idx = np.indices(deal.shape, dtype=np.int64).reshape(len(deal.shape), -1).T
    return Grid(model, deal, idx, dealopt.evaluate(deal, idx))


def pareto(seller: np.ndarray, buyer: np.ndarray) -> np.ndarray:
    """Positions of the non-dominated points, one per distinct (seller, buyer) pair."""
    order = np.lexsort((-buyer, -seller))  # seller descending, then buyer descending
    b = buyer[order]
    best_before = np.concatenate([[-np.inf], np.maximum.accumulate(b)[:-1]])
    return order[b > best_before]


def best_for(primary: np.ndarray, secondary: np.ndarray) -> int:
    """Position of the best point for ``primary``, ties broken by ``secondary``."""
    return int(np.lexsort((-secondary, -primary))[0])


def price_issue(model: DealModel) -> str:
    assert model.policy is not None
    return model.policy.price_issue or "price"


models = pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)


def test_there_are_example_models():
    names = {p.stem for p in PATHS}
    assert {"saas-renewal", "hardware-supply", "services-sow", "manufacturing-supply"} <= names


@models
def test_validates_and_is_named_after_its_file(path):
    model = dealopt.load_model(path)
    assert model.format == "dealopt/1"
    assert model.name == path.stem


@models
def test_outcome_space_is_listable_and_mid_sized(path):
    deal = grid(path).deal
    assert deal.gridded, "every continuous issue needs a step"
    assert MIN_SPACE <= deal.space_size <= MAX_SPACE
    assert len(grid(path).idx) == deal.space_size


@models
def test_zopa_is_not_empty(path):
    assert grid(path).ev.acceptable.any()


@models
def test_constraints_rule_out_some_packages(path):
    g = grid(path)
    if g.model.constraints:
        assert not g.ev.feasible.all()
        assert g.ev.feasible.any()


@models
def test_each_side_prefers_a_different_package(path):
    g = grid(path)
    s, b = g.ev.seller[g.zopa], g.ev.buyer[g.zopa]
    seller_best = g.zopa[best_for(s, b)]
    buyer_best = g.zopa[best_for(b, s)]
    assert not np.array_equal(g.idx[seller_best], g.idx[buyer_best])
    assert g.ev.seller[seller_best] > g.ev.seller[buyer_best]
    assert g.ev.buyer[buyer_best] > g.ev.buyer[seller_best]


@models
def test_frontier_has_several_points(path):
    g = grid(path)
    s, b = g.ev.seller[g.zopa], g.ev.buyer[g.zopa]
    front = pareto(s, b)
    assert len(front) >= 3
    # sorted by seller utility descending, buyer utility strictly rising along it
    assert np.all(np.diff(s[front]) < 0)
    assert np.all(np.diff(b[front]) > 0)
    # nothing in the ZOPA dominates a frontier point
    for k in front[:: max(1, len(front) // 10)]:
        dominated = (s >= s[k]) & (b >= b[k]) & ((s > s[k]) | (b > b[k]))
        assert not dominated.any()


@models
def test_best_fair_deal_is_not_max_everything(path):
    g = grid(path)
    s, b = g.ev.seller[g.zopa], g.ev.buyer[g.zopa]
    ws, wb = g.deal.seller_walk_away, g.deal.buyer_walk_away
    ws = s.min() if ws is None else ws
    wb = b.min() if wb is None else wb
    nash = g.idx[g.zopa[int(np.argmax((s - ws) * (b - wb)))]]
    price = g.deal.by_name[price_issue(g.model)].index
    inside = [
        issue.name for issue in g.deal.issues if issue.index != price and 0 < nash[issue.index] < len(issue.labels) - 1
    ]
    assert inside, "the Nash package should sit strictly inside the range of some non-price issue"


@models
def test_a_non_price_trade_creates_joint_value(path):
    """Some acceptable package has a non-price issue whose move helps one side more than it hurts the other."""
    g = grid(path)
    price = g.deal.by_name[price_issue(g.model)].index
    rows = g.idx[g.zopa]
    s0, b0 = g.ev.seller[g.zopa], g.ev.buyer[g.zopa]
    for issue in g.deal.issues:
        if issue.index == price:
            continue
        for level in range(len(issue.labels)):
            moved = rows.copy()
            moved[:, issue.index] = level
            ev = dealopt.evaluate(g.deal, moved)
            ds, db = ev.seller - s0, ev.buyer - b0
            tol = 1e-6 * (np.abs(s0) + np.abs(b0) + 1.0)
            trade = ev.feasible & (ds * db < 0) & (ds + db > tol)
            if trade.any():
                return
    pytest.fail("no non-price issue creates joint value")


@models
def test_policy_names_a_numeric_price_issue(path):
    g = grid(path)
    assert g.model.policy is not None
    issue = g.deal.by_name.get(price_issue(g.model))
    assert issue is not None and issue.numeric
    pol = g.model.policy
    for value in (pol.list_price, pol.floor_price):
        if value is not None:
            assert issue.lo <= value <= issue.hi


@pytest.mark.parametrize(
    "path", [p for p in PATHS if dealopt.load_model(p).parties.buyer.profiles], ids=lambda p: p.stem
)
def test_profiles_give_graded_acceptance_probabilities(path):
    g = grid(path)
    prob = g.ev.acceptance_probability
    assert prob is not None
    assert np.all((prob >= -1e-12) & (prob <= 1 + 1e-12))
    assert len(np.unique(np.round(prob[g.ev.feasible], 9))) > 1
    assert set(g.ev.profiles) == {p.name for p in g.deal.profiles}


def _tests(model: DealModel) -> list[ConditionTest]:
    out: list[ConditionTest] = []
    for con in model.constraints:
        for cond in (con.forbid, con.if_, con.then):
            out.extend((cond or {}).values())
    return out


def test_models_together_use_every_feature():
    kinds: set[str] = set()
    forms: set[str] = set()
    constraint_forms: set[str] = set()
    test_forms: set[str] = set()
    walk_forms: set[str] = set()
    policy_keys: set[str] = set()
    most_factors = 0
    has_profiles = False
    for path in PATHS:
        model = dealopt.load_model(path)
        kinds |= {issue.kind for issue in model.issues.values()}
        buyer = model.parties.buyer
        parts = [model.parties.seller, *(buyer.profiles or [buyer])]
        has_profiles |= buyer.profiles is not None
        for part in parts:
            for term in part.utility or []:
                forms |= {f.form for f in term.of}
                most_factors = max(most_factors, len(term.of))
            if part.walk_away is not None:
                walk_forms.add("package" if isinstance(part.walk_away, WalkAwayPackage) else "number")
        for con in model.constraints:
            constraint_forms.add("forbid" if con.forbid is not None else "if/then")
        for test in _tests(model):
            if test.eq is not None:
                test_forms.add("level")
            if test.in_ is not None:
                test_forms.add("in")
            if test.min is not None:
                test_forms.add("min")
            if test.max is not None:
                test_forms.add("max")
            if test.min is not None and test.max is not None:
                test_forms.add("min+max")
        if model.policy is not None:
            policy_keys |= model.policy.model_fields_set
    assert kinds == {"continuous", "integer", "ordinal", "categorical"}
    assert forms == {"bare", "table", "piecewise"}
    assert most_factors >= 3
    assert constraint_forms == {"forbid", "if/then"}
    assert test_forms == {"level", "in", "min", "max", "min+max"}
    assert walk_forms == {"number", "package"}
    assert has_profiles
    assert policy_keys == {
        "price_issue",
        "list_price",
        "approval_discount_pct",
        "floor_price",
        "require_reciprocity",
        "max_issues_per_trade",
    }
