"""Cross-reference checks of a deal model: everything the schema alone cannot see.

Each check appends a :class:`~dealopt.errors.Problem` and goes on, so that all
problems of a file are reported at once.
"""

from __future__ import annotations

from typing import Any

from dealopt.errors import Problem
from dealopt.model.levels import as_number, grid_size, is_numeric_issue, issue_levels, match_level
from dealopt.model.schema import (
    ISSUE_NAME_PATTERN,
    CategoricalIssue,
    ContinuousIssue,
    DealModel,
    IntegerIssue,
    OrdinalIssue,
    Party,
    Term,
    Test,
    WalkAwayPackage,
)

__all__ = ["check_model", "PROBABILITY_TOLERANCE"]

PROBABILITY_TOLERANCE = 1e-6


def check_model(model: DealModel) -> list[Problem]:
    """Every cross-reference problem of ``model`` (empty when it is valid)."""
    c = _Checker(model)
    c.run()
    return c.problems


class _Checker:
    def __init__(self, model: DealModel) -> None:
        self.model = model
        self.problems: list[Problem] = []
        self.levels: dict[str, Any] = {}

    def add(self, location: str, message: str) -> None:
        self.problems.append(Problem(location, message))

    def run(self) -> None:
        m = self.model
        if m.units == "normalized" and m.currency is not None:
            self.add("currency", "given with units: normalized; expected one or the other")
        if m.units != "normalized" and not m.currency:
            self.add("currency", "missing; expected a currency code (e.g. USD) or units: normalized")
        self.check_issues()
        for i, con in enumerate(m.constraints):
            if con.forbid is not None:
                self.check_condition(con.forbid, f"constraints[{i}].forbid")
            else:
                self.check_condition(con.if_ or {}, f"constraints[{i}].if")
                self.check_condition(con.then or {}, f"constraints[{i}].then")
        self.check_party(m.parties.seller, "parties.seller", seller=True)
        self.check_party(m.parties.buyer, "parties.buyer", seller=False)
        self.check_policy()

    def check_issues(self) -> None:
        for name, issue in self.model.issues.items():
            loc = f"issues.{name}"
            if not ISSUE_NAME_PATTERN.match(name) or name != name.strip():
                self.add(loc, f"bad issue name {name!r}; expected letters, digits, '_', '-' or spaces")
            try:
                self.levels[name] = issue_levels(issue)
            except ValueError as exc:
                self.add(loc, str(exc))
                self.levels[name] = None

    # -- conditions
    def check_condition(self, cond: dict[str, Test], loc: str) -> None:
        for name, test in cond.items():
            at = f"{loc}.{name}"
            issue = self.model.issues.get(name)
            if issue is None:
                self.add(at, f"unknown issue {name!r}; expected one of {_names(self.model.issues)}")
                continue
            if test.eq is not None:
                self.check_level(name, test.eq, at)
            elif test.in_ is not None:
                for j, v in enumerate(test.in_):
                    self.check_level(name, v, f"{at}.in[{j}]")
            elif not is_numeric_issue(issue):
                self.add(at, f"min/max test on categorical issue {name!r}; expected a level or {{in: [levels…]}}")

    def check_level(self, name: str, value: Any, at: str) -> None:
        issue = self.model.issues[name]
        if isinstance(issue, CategoricalIssue):
            if match_level(issue, None, value) is None:
                self.add(at, f"{value!r} is not an option of {name!r}; expected one of {issue.options}")
            return
        x = as_number(value)
        if x is None:
            self.add(at, f"{value!r} is not a number; expected a level of numeric issue {name!r}")
            return
        if isinstance(issue, ContinuousIssue):
            if not issue.min - 1e-9 <= x <= issue.max + 1e-9:
                self.add(at, f"{value!r} is outside [{_n(issue.min)}, {_n(issue.max)}]; expected a value in range")
            return
        if match_level(issue, self.levels.get(name), x) is None:
            self.add(at, f"{value!r} is not a level of {name!r}; expected {_level_hint(issue)}")

    # -- parties
    def check_party(self, party: Party, loc: str, seller: bool) -> None:
        if party.profiles is not None:
            if seller:
                self.add(f"{loc}.profiles", "the seller cannot have profiles; expected 'utility' and 'walk_away'")
            total = 0.0
            names: set[str] = set()
            for k, prof in enumerate(party.profiles):
                ploc = f"{loc}.profiles[{k}]"
                if prof.name in names:
                    self.add(f"{ploc}.name", f"profile name {prof.name!r} appears twice; expected distinct names")
                names.add(prof.name)
                total += prof.probability
                used = self.check_utility(prof.utility, f"{ploc}.utility")
                if isinstance(prof.walk_away, WalkAwayPackage):
                    self.check_walk_package(prof.walk_away, f"{ploc}.walk_away.package", used)
            if abs(total - 1.0) > PROBABILITY_TOLERANCE:
                self.add(f"{loc}.profiles", f"probabilities sum to {total:.6g}; expected 1")
            return
        used = self.check_utility(party.utility or [], f"{loc}.utility")
        if isinstance(party.walk_away, WalkAwayPackage):
            self.check_walk_package(party.walk_away, f"{loc}.walk_away.package", used)

    def check_utility(self, terms: list[Term], loc: str) -> set[str]:
        used: set[str] = set()
        for t, term in enumerate(terms):
            for f, factor in enumerate(term.of):
                at = f"{loc}[{t}].of[{f}]"
                name = factor.issue
                issue = self.model.issues.get(name)
                if issue is None:
                    self.add(at, f"unknown issue {name!r}; expected one of {_names(self.model.issues)}")
                    continue
                used.add(name)
                form = factor.form
                if form == "bare" and isinstance(issue, CategoricalIssue):
                    self.add(
                        at, f"categorical issue {name!r} used bare; expected a table {{{name}: {{option: value, …}}}}"
                    )
                elif form == "table":
                    self.check_table(name, factor.table or {}, at)
                elif form == "piecewise" and isinstance(issue, CategoricalIssue):
                    self.add(at, f"piecewise on categorical issue {name!r}; expected a table {{option: value, …}}")
        return used

    def check_table(self, name: str, table: dict[Any, float], at: str) -> None:
        issue = self.model.issues[name]
        if isinstance(issue, (IntegerIssue, ContinuousIssue)):
            self.add(at, f"table on {issue.kind} issue {name!r}; expected {{piecewise: [[x, y], …]}}")
            return
        assert isinstance(issue, (OrdinalIssue, CategoricalIssue))
        levels = self.levels.get(name)
        seen: set[int] = set()
        for key in table:
            idx = match_level(issue, levels, key)
            if idx is None:
                self.add(at, f"table names {key!r}, not a level of {name!r}; expected levels {_fmt_options(issue)}")
            elif idx in seen:
                self.add(at, f"table lists level {key!r} twice; expected each level once")
            else:
                seen.add(idx)
        missing = [o for i, o in enumerate(issue.options) if i not in seen]
        if missing:
            self.add(
                at, f"table is missing level(s) {', '.join(map(_show, missing))} of {name!r}; expected every level"
            )

    def check_walk_package(self, wa: WalkAwayPackage, loc: str, used: set[str]) -> None:
        for name, value in wa.package.items():
            if name not in self.model.issues:
                self.add(f"{loc}.{name}", f"unknown issue {name!r}; expected one of {_names(self.model.issues)}")
            else:
                self.check_level(name, value, f"{loc}.{name}")
        missing = sorted(used - set(wa.package))
        if missing:
            self.add(loc, f"leaves out {', '.join(missing)}, which the utility uses; expected a level for each")

    def check_policy(self) -> None:
        pol = self.model.policy
        if pol is None:
            return
        if pol.price_issue is not None:
            issue = self.model.issues.get(pol.price_issue)
            if issue is None:
                self.add(
                    "policy.price_issue",
                    f"unknown issue {pol.price_issue!r}; expected one of {_names(self.model.issues)}",
                )
            elif isinstance(issue, CategoricalIssue):
                self.add("policy.price_issue", f"{pol.price_issue!r} is categorical; expected a numeric issue")
        elif any(v is not None for v in (pol.list_price, pol.floor_price, pol.approval_discount_pct)):
            if "price" not in self.model.issues:
                self.add(
                    "policy.price_issue", "missing and there is no issue named 'price'; expected the price issue's name"
                )


def _names(issues: dict[str, Any]) -> str:
    names = list(issues)
    shown = ", ".join(names[:12])
    return shown + (", …" if len(names) > 12 else "")


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _show(x: Any) -> str:
    return _n(x) if isinstance(x, float) else str(x)


def _fmt_options(issue: OrdinalIssue | CategoricalIssue) -> str:
    return "[" + ", ".join(_show(o) for o in issue.options) + "]"


def _level_hint(issue: Any) -> str:
    if isinstance(issue, OrdinalIssue):
        return f"one of {_fmt_options(issue)}"
    n = grid_size(issue)
    step = getattr(issue, "step", None)
    return f"{_n(issue.min)}…{_n(issue.max)} in steps of {_n(step)}" + (f" ({n} levels)" if n else "")
