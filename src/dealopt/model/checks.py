"""Cross-reference checks of a deal model: everything the schema alone cannot see.

Each check appends a :class:`~dealopt.errors.Problem` and goes on, so that all
problems of a file are reported at once.
"""

from __future__ import annotations

import difflib
from typing import Any

from dealopt.errors import Problem
from dealopt.model.levels import (
    as_number,
    grid_size,
    is_numeric_issue,
    issue_levels,
    match_level,
    too_many_levels,
)
from dealopt.model.magnitudes import magnitude_problems
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
        self.broken: set[str] = set()  # issues whose own definition is wrong: their levels are not checked

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
        if not self.problems:  # sizes are read from well-formed issues and factors only
            self.problems += magnitude_problems(m)

    def check_issues(self) -> None:
        for name, issue in self.model.issues.items():
            loc = f"issues.{name}"
            if not ISSUE_NAME_PATTERN.match(name) or name != name.strip():
                self.add(loc, f"bad issue name {name!r}; expected letters, digits, '_', '-' or spaces")
            # Only ordinal levels are listed here (they are already in memory); integer and continuous
            # grids are checked arithmetically, so that a huge grid is refused without allocating it.
            problem = too_many_levels(issue)
            if problem is not None:
                self.add(loc, problem)
                self.broken.add(name)
            self.levels[name] = issue_levels(issue) if isinstance(issue, OrdinalIssue) else None

    def unknown(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.model.issues), n=1, cutoff=0.7)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown issue {name!r}{hint}; expected one of {_names(self.model.issues)}"

    # -- conditions
    def check_condition(self, cond: dict[str, Test], loc: str) -> None:
        for name, test in cond.items():
            at = f"{loc}.{name}"
            issue = self.model.issues.get(name)
            if issue is None:
                self.add(at, self.unknown(name))
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
        if name in self.broken:
            return
        if isinstance(issue, CategoricalIssue):
            if match_level(issue, None, value) is None:
                close = difflib.get_close_matches(str(value), issue.options, n=1, cutoff=0.7)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add(at, f"{_show_value(value)} is not an option of {name!r}{hint}; expected one of {_opts(issue)}")
            return
        if isinstance(value, str):
            if as_number(value) is not None:
                self.add(
                    at,
                    f"{value!r} is text; expected a number for {issue.kind} issue {name!r} "
                    f"(write {value.strip()} without quotes)",
                )
            else:
                self.add(at, f"{value!r} is text; expected a number for {issue.kind} issue {name!r}")
            return
        x = as_number(value)
        if x is None:
            self.add(at, f"{_show_value(value)} is not a number; expected a level of {issue.kind} issue {name!r}")
            return
        if isinstance(issue, ContinuousIssue):
            if not issue.min - 1e-9 <= x <= issue.max + 1e-9:
                self.add(
                    at,
                    f"{_show_value(value)} is outside the range of {name!r}; expected a value in [{_n(issue.min)}, {_n(issue.max)}]",
                )
            return
        if isinstance(issue, IntegerIssue):
            k = (x - issue.min) / issue.step
            ok = issue.min <= x <= issue.max and abs(k - round(k)) <= 1e-9 * max(1.0, abs(k))
        else:
            ok = match_level(issue, self.levels.get(name), x) is not None
        if not ok:
            self.add(at, f"{_show_value(value)} is not a level of {name!r}; expected {_level_hint(issue)}")

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
                    self.add(at, self.unknown(name))
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
                    self.add(
                        f"{at}.{name}.piecewise",
                        f"piecewise on categorical issue {name!r}; expected a table {{option: value, …}}",
                    )
        return used

    def check_table(self, name: str, table: dict[Any, float], at: str) -> None:
        issue = self.model.issues[name]
        at = f"{at}.{name}"  # the table as written: {name: {level: value, …}}
        if isinstance(issue, (IntegerIssue, ContinuousIssue)):
            self.add(at, f"table on {issue.kind} issue {name!r}; expected {{piecewise: [[x, y], …]}}")
            return
        assert isinstance(issue, (OrdinalIssue, CategoricalIssue))
        if name in self.broken:
            return
        levels = self.levels.get(name)
        seen: set[int] = set()
        for key in table:
            idx = match_level(issue, levels, key)
            if idx is None:
                self.add(
                    f"{at}.{key}",
                    f"table names {_show_value(key)}, not a level of {name!r}; expected levels {_fmt_options(issue)}",
                )
            elif idx in seen:
                self.add(f"{at}.{key}", f"table lists level {_show_value(key)} twice; expected each level once")
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
                self.add(f"{loc}.{name}", self.unknown(name))
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
                    self.unknown(pol.price_issue),
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


def _show_value(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return _n(x)
    return repr(x)


def _opts(issue: CategoricalIssue) -> str:
    return ", ".join(issue.options)


def _fmt_options(issue: OrdinalIssue | CategoricalIssue) -> str:
    return "[" + ", ".join(_show(o) for o in issue.options) + "]"


def _level_hint(issue: Any) -> str:
    if isinstance(issue, OrdinalIssue):
        return f"one of {_fmt_options(issue)}"
    n = grid_size(issue)
    step = getattr(issue, "step", None)
    steps = f" in steps of {_n(step)}" if step is not None else ""
    return f"{_n(issue.min)}…{_n(issue.max)}{steps}" + (f" ({n} levels)" if n else "")
