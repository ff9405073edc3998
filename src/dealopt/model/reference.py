"""A plain, per-package reference evaluator that reads the model as written.

Deliberately simple and slow: it follows the spec sentence by sentence, shares
no code with the vectorized evaluator, and is what tests and benchmarks compare
the fast paths against.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from dealopt.model.levels import display_value, issue_levels
from dealopt.model.schema import CategoricalIssue, DealModel, Factor, Term, Test, WalkAwayPackage

__all__ = ["reference_utility", "reference_feasible", "reference_walk_away", "all_packages", "reference_evaluate"]

_TOL = 1e-9


def _numeric(v: Any) -> float:
    return float(v)


def _factor_value(model: DealModel, f: Factor, level: Any) -> float:
    if f.table is not None:
        if isinstance(model.issues[f.issue], CategoricalIssue):
            for key, value in f.table.items():
                if key == level:
                    return value
            raise KeyError(level)
        x = float(level)
        for key, value in f.table.items():
            if abs(float(key) - x) <= _TOL * max(1.0, abs(x)):
                return value
        raise KeyError(level)
    x = _numeric(level)
    if f.piecewise is None:
        return x
    pts = f.piecewise
    if x <= pts[0][0]:
        return pts[0][1]
    if x >= pts[-1][0]:
        return pts[-1][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    raise AssertionError("unreachable")


def reference_utility(model: DealModel, terms: list[Term], package: dict[str, Any]) -> float:
    """Σ coef × Π factor, for one package."""
    total = 0.0
    for term in terms:
        prod = term.coef
        for f in term.of:
            prod *= _factor_value(model, f, package[f.issue])
        total += prod
    return total


def _holds(model: DealModel, name: str, test: Test, level: Any) -> bool:
    categorical = isinstance(model.issues[name], CategoricalIssue)

    def same(a: Any, b: Any) -> bool:
        if categorical:
            return bool(a == b)
        return abs(float(a) - float(b)) <= _TOL * max(1.0, abs(float(b)))

    if test.eq is not None:
        return same(level, test.eq)
    if test.in_ is not None:
        return any(same(level, v) for v in test.in_)
    x = float(level)
    if test.min is not None and x < test.min - _TOL * max(1.0, abs(test.min)):
        return False
    if test.max is not None and x > test.max + _TOL * max(1.0, abs(test.max)):
        return False
    return True


def reference_feasible(model: DealModel, package: dict[str, Any]) -> bool:
    """Whether the package satisfies every constraint."""
    for con in model.constraints:
        if con.forbid is not None:
            if all(_holds(model, k, t, package[k]) for k, t in con.forbid.items()):
                return False
        else:
            if all(_holds(model, k, t, package[k]) for k, t in (con.if_ or {}).items()) and not all(
                _holds(model, k, t, package[k]) for k, t in (con.then or {}).items()
            ):
                return False
    return True


def reference_walk_away(model: DealModel, terms: list[Term], walk_away: Any) -> float | None:
    """A walk-away in utility units."""
    if walk_away is None:
        return None
    if isinstance(walk_away, WalkAwayPackage):
        return reference_utility(model, terms, walk_away.package)
    return float(walk_away)


def reference_evaluate(model: DealModel, package: dict[str, Any]) -> dict[str, Any]:
    """Seller and (expected) buyer utility, feasibility and acceptability of one package."""
    seller = model.parties.seller
    buyer = model.parties.buyer
    u_s = reference_utility(model, seller.utility or [], package)
    w_s = reference_walk_away(model, seller.utility or [], seller.walk_away)
    out: dict[str, Any] = {"seller": u_s, "feasible": reference_feasible(model, package)}
    if buyer.profiles:
        total = sum(p.probability for p in buyer.profiles)
        us = [reference_utility(model, p.utility, package) for p in buyer.profiles]
        ws = [reference_walk_away(model, p.utility, p.walk_away) for p in buyer.profiles]
        u_b = sum(p.probability / total * u for p, u in zip(buyer.profiles, us))
        known = [w for w in ws if w is not None]
        w_b: float | None = (
            None if len(known) < len(ws) else sum(p.probability / total * w for p, w in zip(buyer.profiles, known))
        )
        out["acceptance_probability"] = sum(
            p.probability for p, u, w in zip(buyer.profiles, us, ws) if w is None or u >= w - _TOL * max(1.0, abs(w))
        )
    else:
        u_b = reference_utility(model, buyer.utility or [], package)
        w_b = reference_walk_away(model, buyer.utility or [], buyer.walk_away)
    out["buyer"] = u_b
    out["joint"] = u_s + u_b
    out["acceptable_seller"] = w_s is None or u_s >= w_s - _TOL * max(1.0, abs(w_s))
    out["acceptable_buyer"] = w_b is None or u_b >= w_b - _TOL * max(1.0, abs(w_b))
    return out


def all_packages(model: DealModel) -> Iterator[dict[str, Any]]:
    """Every package of a gridded model, in row-major order of the issues."""
    lists = []
    for issue in model.issues.values():
        if isinstance(issue, CategoricalIssue):
            lists.append(list(issue.options))
        else:
            levels = issue_levels(issue)
            if levels is None:
                raise ValueError("a continuous issue without step has no list of levels")
            lists.append([display_value(x) for x in levels])
    names = list(model.issues)
    for combo in itertools.product(*lists):
        yield dict(zip(names, combo))
