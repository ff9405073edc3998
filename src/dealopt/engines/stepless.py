"""Continuous issues without step: how they enter the utilities, and the cells that split their ranges.

Shared by the engines that treat such issues as real numbers: the segment merge
(utilities affine in each of them) and the MILP (piecewise linear in each).
"""

from __future__ import annotations

import itertools

import numpy as np

from dealopt.model.compiled import CompiledDeal, CompiledIssue

__all__ = ["stepless_reason", "cells", "term_location", "AFFINE", "LINEAR", "NONE"]

#: What an engine takes of continuous issues without step.
NONE = "none"  # none at all: it lists levels
AFFINE = "affine"  # bare factors only, at most one such factor per term: utilities affine in each issue
LINEAR = "linear"  # bare or piecewise factors, at most one such factor per term


def term_location(deal: CompiledDeal, party: str, k: int) -> str:
    """Where term ``k`` of a party's compiled utility is written in the model file."""
    if party == "buyer" and deal.profiles:
        for p, prof in enumerate(deal.model.parties.buyer.profiles or []):
            n = len(prof.utility)
            if k < n:
                return f"parties.buyer.profiles[{p}].utility[{k}]"
            k -= n
    return f"parties.{party}.utility[{k}]"


def stepless_reason(deal: CompiledDeal, takes: str) -> str | None:
    """Why an engine that takes ``takes`` (NONE, AFFINE or LINEAR) cannot model the deal's stepless issues."""
    stepless = [i for i in deal.issues if not i.gridded]
    if not stepless:
        return None
    if takes == NONE:
        name = stepless[0].name
        return (
            f"issue {name!r} is continuous without step, so its levels cannot be listed "
            "(give it a step, or use the engine merge or milp)"
        )
    for party, util in (("seller", deal.seller), ("buyer", deal.buyer)):
        for k, term in enumerate(util.terms):
            free = [f for f in term.factors if not deal.issues[f.issue].gridded]
            if not free:
                continue
            where = term_location(deal, party, k)
            names = [deal.issues[f.issue].name for f in free]
            if len(free) >= 2 and len(set(names)) == 1:
                return (
                    f"{where}: the term multiplies the continuous issue {names[0]!r} (no step) by itself, "
                    "which is neither affine nor a MILP; give it a step or use a piecewise factor"
                )
            if len(free) >= 2:
                return (
                    f"{where}: the term multiplies the continuous issues {names[0]!r} and {names[1]!r} "
                    "(both without step), which is neither affine nor a MILP; give one of them a step"
                )
            if takes == AFFINE and free[0].form != "bare":
                return (
                    f"{where}: the continuous issue {names[0]!r} (no step) enters a {free[0].form} factor, so the "
                    "utilities are not affine in it (the milp engine solves this)"
                )
    return None


def cells(deal: CompiledDeal, issue: CompiledIssue) -> list[tuple[float, float]]:
    """Closed intervals covering the feasible part of [lo, hi] inside which piecewise factors are affine and tests constant.

    A strict side of a test (``x < a`` where ``min: a`` fails) is closed off at
    ``a − 2e-9·|a|``, just outside the tolerance the evaluator uses; an equality
    test gets a cell of its own (a single value).
    """
    assert issue.lo is not None and issue.hi is not None
    lo, hi = issue.lo, issue.hi
    if lo == hi:
        return [(lo, lo)]
    pts = {lo, hi}
    for util in (deal.seller, deal.buyer):
        for term in util.terms:
            for f in term.factors:
                if f.issue == issue.index and f.form == "piecewise":
                    assert f.xs is not None
                    pts.update(float(x) for x in f.xs if lo < x < hi)
    tests = [t for con in deal.constraints for t in con.when + (con.then or ()) if t.issue == issue.index]
    points: set[float] = set()

    def near(a: float) -> float:
        return 2e-9 * max(1.0, abs(a))

    for t in tests:
        cand: list[float] = []
        for e in t.equals or ():
            e = float(e)
            cand += [e - near(e), e, e + near(e)]
            if lo <= e <= hi:
                points.add(e)
        if t.lo is not None:
            cand += [t.lo - near(t.lo), t.lo]
        if t.hi is not None:
            cand += [t.hi, t.hi + near(t.hi)]
        pts.update(x for x in cand if lo <= x <= hi)
    ordered = sorted(pts)
    candidates = list(itertools.pairwise(ordered)) + [(e, e) for e in sorted(points)]
    if not tests:
        return sorted(candidates)

    def truth(x: float) -> tuple[bool, ...]:
        v = np.asarray([x])
        return tuple(bool(t.on_values(v, np.asarray([-1]), False)[0]) for t in tests)

    keep = [(a, b) for a, b in candidates if truth(a) == truth(b) == truth(0.5 * (a + b))]
    return sorted(keep)
