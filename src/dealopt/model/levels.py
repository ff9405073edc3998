"""The levels of an issue and the matching of written values to them."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from dealopt.model.schema import CategoricalIssue, ContinuousIssue, IntegerIssue, OrdinalIssue

__all__ = ["MAX_LEVELS", "issue_levels", "display_value", "match_level", "is_numeric_issue", "too_many_levels"]

#: Most levels one issue may have when its levels must be listed.
MAX_LEVELS = 1_000_000
_TOL = 1e-9

AnyIssue = ContinuousIssue | IntegerIssue | OrdinalIssue | CategoricalIssue


def is_numeric_issue(issue: AnyIssue) -> bool:
    """Whether the issue's levels are numbers (every kind but categorical)."""
    return not isinstance(issue, CategoricalIssue)


def grid_size(issue: AnyIssue) -> int | None:
    """How many levels the issue lists; None for a continuous issue without step."""
    if isinstance(issue, (OrdinalIssue, CategoricalIssue)):
        return len(issue.options)
    if isinstance(issue, IntegerIssue):
        return (issue.max - issue.min) // issue.step + 1
    if issue.step is None:
        return None
    span = (issue.max - issue.min) / issue.step
    if not math.isfinite(span):  # e.g. [-1e300, 1e300] in steps of 1e-300: count exactly
        return math.floor((Fraction(issue.max) - Fraction(issue.min)) / Fraction(issue.step)) + 1
    n = math.floor(span + _TOL) + 1
    last = issue.min + (n - 1) * issue.step
    return n + (1 if last < issue.max - _TOL * max(1.0, abs(issue.max)) else 0)


def too_many_levels(issue: AnyIssue) -> str | None:
    """Why the issue's levels cannot be listed (more than :data:`MAX_LEVELS`), or None; allocates nothing."""
    if isinstance(issue, (IntegerIssue, ContinuousIssue)):
        n = grid_size(issue)
        if n is not None and n > MAX_LEVELS:
            return _too_many(issue, n)
    return None


def issue_levels(issue: AnyIssue) -> np.ndarray | None:
    """Numeric values of the levels (float64), or None for categorical / stepless continuous."""
    if isinstance(issue, CategoricalIssue):
        return None
    if isinstance(issue, OrdinalIssue):
        return np.asarray(issue.options, dtype=float)
    n = grid_size(issue)
    if n is None:
        return None
    if n > MAX_LEVELS:
        raise ValueError(_too_many(issue, n))
    if isinstance(issue, IntegerIssue):
        return np.arange(issue.min, issue.max + 1, issue.step, dtype=float)
    assert issue.step is not None  # grid_size is None for a continuous issue without a step
    k = np.arange(n, dtype=float)
    grid: np.ndarray = np.round(issue.min + k * issue.step, 10)
    grid = np.minimum(grid, issue.max)
    grid[-1] = issue.max
    return grid


def _count(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"more than 10^{len(str(n)) - 1}"


def _too_many(issue: ContinuousIssue | IntegerIssue, n: int) -> str:
    def show(x: float) -> str:
        return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))

    step = f"step {show(issue.step)}" if issue.step is not None else "step"
    alternative = ", or no step to solve it as continuous" if isinstance(issue, ContinuousIssue) else ""
    return (
        f"{step} over [{show(issue.min)}, {show(issue.max)}] gives {_count(n)} levels; "
        f"expected at most {MAX_LEVELS:,} (a larger step{alternative})"
    )


def display_value(value: Any) -> Any:
    """A level as shown to people and written to JSON: whole floats become ints."""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v.is_integer() and abs(v) < 2**53:
            return int(v)
        return v
    if isinstance(value, np.integer):
        return int(value)
    return value


def match_level(issue: AnyIssue, levels: np.ndarray | None, value: Any) -> int | None:
    """Index of the level equal to ``value``, or None when it is not a level."""
    if isinstance(issue, CategoricalIssue):
        return issue.option_index.get(value) if isinstance(value, str) else None
    if levels is None:
        return None
    x = _as_number(value)
    if x is None:
        return None
    i = int(np.searchsorted(levels, x))
    for j in (i - 1, i):
        if 0 <= j < len(levels) and abs(levels[j] - x) <= _TOL * max(1.0, abs(x)):
            return j
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            x = float(value)
        except OverflowError:  # an integer past float64
            return None
        return x if math.isfinite(x) else None
    if isinstance(value, str):
        try:
            x = float(value)
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def as_number(value: Any) -> float | None:
    """``value`` as a finite float (numbers and numeric strings), else None."""
    return _as_number(value)
