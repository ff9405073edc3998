"""Magnitudes a model may reach: every utility term bounded over the issue bounds, far from float64's limits.

A term's largest absolute value is ``|coef| × Π max|factor|`` over its factors' ranges (a bare
numeric issue: the larger of its bounds or options in absolute value; a table: its largest entry;
a piecewise curve: its largest y). Engines add utilities, subtract walk-aways and multiply gains
(the Nash product), so each term, each utility's sum of terms and each walk-away must stay within
:data:`MAX_MAGNITUDE`, whose square is still a finite float64.
"""

from __future__ import annotations

import math

from dealopt.errors import Problem
from dealopt.model.schema import CategoricalIssue, ContinuousIssue, DealModel, Factor, IntegerIssue, OrdinalIssue, Term

__all__ = ["MAX_MAGNITUDE", "magnitude_problems"]

#: Largest absolute value a utility term, a utility or a walk-away may reach (its square stays finite).
MAX_MAGNITUDE = 1e150


def _show(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "more than 1.8e+308 (past float64)"


def _factor_bound(model: DealModel, factor: Factor) -> tuple[float, str] | None:
    """The factor's largest absolute value over the issue's range, and how it reads; None when unknown."""
    issue = model.issues.get(factor.issue)
    if issue is None:
        return None
    name = factor.issue
    if factor.form == "table":
        values = [abs(float(v)) for v in (factor.table or {}).values()]
        return (max(values), f"{name} table ≤ {_show(max(values))}") if values else None
    if factor.form == "piecewise":
        ys = [abs(float(y)) for _, y in factor.piecewise or []]
        return (max(ys), f"{name} curve ≤ {_show(max(ys))}") if ys else None
    if isinstance(issue, (ContinuousIssue, IntegerIssue)):
        bound = max(abs(float(issue.min)), abs(float(issue.max)))
    elif isinstance(issue, OrdinalIssue):
        bound = max(abs(float(o)) for o in issue.options)
    else:
        assert isinstance(issue, CategoricalIssue)
        return None  # a categorical issue used bare is reported elsewhere
    return bound, f"|{name}| ≤ {_show(bound)}"


def _term_bound(model: DealModel, term: Term) -> tuple[float, str]:
    bound = abs(float(term.coef))
    parts = [f"coef {_show(float(term.coef))}"]
    for factor in term.of:
        found = _factor_bound(model, factor)
        if found is not None:
            bound *= found[0]
            parts.append(found[1])
    return bound, " × ".join(parts)


def _utility_problems(model: DealModel, terms: list[Term], loc: str) -> list[Problem]:
    problems = []
    total = 0.0
    for t, term in enumerate(terms):
        bound, how = _term_bound(model, term)
        total += bound
        if not bound <= MAX_MAGNITUDE:
            problems.append(
                Problem(
                    f"{loc}[{t}]",
                    f"the term reaches {_show(bound)} in absolute value over the issue bounds ({how}); "
                    f"expected at most {MAX_MAGNITUDE:.0e} (float64 arithmetic on it would overflow)",
                )
            )
    if not problems and not total <= MAX_MAGNITUDE:
        problems.append(
            Problem(
                loc,
                f"the terms together reach {_show(total)} in absolute value over the issue bounds; "
                f"expected at most {MAX_MAGNITUDE:.0e} (float64 arithmetic on it would overflow)",
            )
        )
    return problems


def _walk_problem(value: object, loc: str) -> list[Problem]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(float(value)) <= MAX_MAGNITUDE:
        return [Problem(loc, f"{_show(float(value))}; expected a walk-away of at most {MAX_MAGNITUDE:.0e} in size")]
    return []


def magnitude_problems(model: DealModel) -> list[Problem]:
    """A problem for each term, utility or walk-away whose size float64 arithmetic could not carry."""
    problems: list[Problem] = []
    for side, party in (("seller", model.parties.seller), ("buyer", model.parties.buyer)):
        loc = f"parties.{side}"
        if party.profiles is not None:
            for k, prof in enumerate(party.profiles):
                problems += _utility_problems(model, prof.utility, f"{loc}.profiles[{k}].utility")
                problems += _walk_problem(prof.walk_away, f"{loc}.profiles[{k}].walk_away")
            continue
        problems += _utility_problems(model, party.utility or [], f"{loc}.utility")
        problems += _walk_problem(party.walk_away, f"{loc}.walk_away")
    return problems
