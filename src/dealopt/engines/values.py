"""Utilities of packages given by level index and by value, computed as the evaluator computes them.

Engines that place continuous issues without step report the utilities of the
packages they return; this gives the evaluator's floats (term by term, in the
same order) without building a table of packages first.
"""

from __future__ import annotations

import numpy as np

from dealopt.model.compiled import CompiledDeal, CompiledTest, CompiledUtility

__all__ = ["values_of"]


def _utility(deal: CompiledDeal, util: CompiledUtility, index: np.ndarray, value: np.ndarray) -> np.ndarray:
    n = len(index)
    total = np.zeros(n)
    for term in util.terms:
        prod = np.full(n, term.coef)
        for f in term.factors:
            if f.form == "table":
                assert f.table is not None
                prod = prod * f.table[index[:, f.issue]]
            else:
                prod = prod * f.on_values(value[:, f.issue])
        total += prod
    return total


def _feasible(deal: CompiledDeal, index: np.ndarray, value: np.ndarray) -> np.ndarray:
    n = len(index)
    ok = np.ones(n, dtype=bool)

    def holds(tests: tuple[CompiledTest, ...]) -> np.ndarray:
        out = np.ones(n, dtype=bool)
        for t in tests:
            cat = deal.issues[t.issue].kind == "categorical"
            out &= t.on_values(value[:, t.issue], index[:, t.issue], cat)
        return out

    for con in deal.constraints:
        when = holds(con.when)
        ok &= ~when if con.then is None else ~when | holds(con.then)
    return ok


def values_of(deal: CompiledDeal, index: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seller, buyer, feasible) of packages: gridded issues by level index, stepless ones by value in ``x``."""
    value = np.array(x, dtype=float, copy=True)
    for issue in deal.issues:
        if issue.gridded:
            col = index[:, issue.index]
            value[:, issue.index] = issue.levels[col] if issue.levels is not None else np.nan
    return (
        _utility(deal, deal.seller, index, value),
        _utility(deal, deal.buyer, index, value),
        _feasible(deal, index, value),
    )
