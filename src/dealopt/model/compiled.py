"""A deal model compiled to arrays: the form every engine and evaluator works on.

Compiling resolves names to positions, tables to per-level vectors and
constraints to per-level masks, and groups the issues into **components**:
issues that share a utility term or a constraint. Utility is additive across
components, and feasibility is a conjunction across them, so each gridded
component gets dense lookup tables (seller, buyer, each buyer profile,
feasibility) over its joint levels.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from dealopt.errors import PackageError
from dealopt.model.levels import display_value, grid_size, issue_levels, match_level
from dealopt.model.schema import (
    CategoricalIssue,
    ContinuousIssue,
    DealModel,
    Factor,
    Term,
    Test,
    WalkAwayPackage,
)

__all__ = [
    "CompiledDeal",
    "CompiledIssue",
    "CompiledFactor",
    "CompiledTerm",
    "CompiledUtility",
    "CompiledTest",
    "CompiledConstraint",
    "Component",
    "as_deal",
    "compile_model",
    "expected_level",
    "MAX_TABLE_CELLS",
]

#: Largest dense table built for one component (cells); larger ones are evaluated term by term.
MAX_TABLE_CELLS = 4_000_000
_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class CompiledIssue:
    """One issue: position, kind, and its levels when they can be listed."""

    name: str
    index: int
    kind: str
    levels: np.ndarray | None  # numeric value of each level; None for categorical / stepless continuous
    labels: tuple[Any, ...]  # each level as shown and written (options, or numbers)
    lo: float | None
    hi: float | None
    spec: Any = field(repr=False)

    @property
    def size(self) -> int | None:
        """Number of levels, or None when the issue is continuous without a step."""
        return len(self.labels) if self.gridded else None

    @property
    def gridded(self) -> bool:
        """Whether the levels can be listed."""
        return self.kind == "categorical" or self.levels is not None

    @property
    def numeric(self) -> bool:
        """Whether levels are numbers."""
        return self.kind != "categorical"

    def index_of(self, value: Any) -> int | None:
        """Level index of ``value``, or None when it is not a level (remembered per value)."""
        key = (type(value), value)
        try:
            return self._seen[key]
        except KeyError:
            found = self._seen[key] = match_level(self.spec, self.levels, value)
            return found
        except TypeError:  # an unhashable value is never a level
            return None

    @cached_property
    def _seen(self) -> dict[tuple[type, Any], int | None]:
        return {}


@dataclass(frozen=True, eq=False)
class CompiledFactor:
    """A factor resolved against its issue."""

    issue: int
    form: str  # bare | table | piecewise
    table: np.ndarray | None = None  # value per level (table form)
    xs: np.ndarray | None = None
    ys: np.ndarray | None = None

    def on_levels(self, issue: CompiledIssue) -> np.ndarray:
        """The factor's value at each level of a gridded issue."""
        if self.form == "table":
            assert self.table is not None
            return self.table
        assert issue.levels is not None
        return self.on_values(issue.levels)

    def on_values(self, x: np.ndarray) -> np.ndarray:
        """The factor's value for numeric values ``x`` (bare or piecewise forms)."""
        if self.form == "bare":
            return x
        assert self.xs is not None and self.ys is not None
        values: np.ndarray = np.interp(x, self.xs, self.ys)
        return values


@dataclass(frozen=True, eq=False)
class CompiledTerm:
    """``coef × Π factors``."""

    coef: float
    factors: tuple[CompiledFactor, ...]

    @property
    def issues(self) -> frozenset[int]:
        """Positions of the issues the term reads."""
        return frozenset(f.issue for f in self.factors)


@dataclass(frozen=True, eq=False)
class CompiledUtility:
    """A sum of terms."""

    terms: tuple[CompiledTerm, ...]

    @property
    def issues(self) -> frozenset[int]:
        """Positions of the issues the utility reads."""
        out: set[int] = set()
        for t in self.terms:
            out |= t.issues
        return frozenset(out)

    def scaled(self, factor: float) -> CompiledUtility:
        """This utility times a constant."""
        return CompiledUtility(tuple(CompiledTerm(t.coef * factor, t.factors) for t in self.terms))


@dataclass(frozen=True, eq=False)
class CompiledTest:
    """A test on one issue; ``mask`` holds its truth per level (gridded issues)."""

    issue: int
    equals: tuple[float | int, ...] | None  # level values (numeric) or option indices (categorical)
    lo: float | None
    hi: float | None
    mask: np.ndarray | None

    def on_values(self, values: np.ndarray, index: np.ndarray, categorical: bool) -> np.ndarray:
        """Truth of the test for packages given by value (and level index)."""
        if self.equals is not None:
            out = np.zeros(len(values), dtype=bool)
            for e in self.equals:
                if categorical:
                    out |= index == e
                else:
                    out |= np.abs(values - e) <= _TOL * np.maximum(1.0, abs(e))
            return out
        out = np.ones(len(values), dtype=bool)
        if self.lo is not None:
            out &= values >= self.lo - _TOL * max(1.0, abs(self.lo))
        if self.hi is not None:
            out &= values <= self.hi + _TOL * max(1.0, abs(self.hi))
        return out


@dataclass(frozen=True, eq=False)
class CompiledConstraint:
    """``forbid`` (``then`` is None) or ``if``/``then``; conditions are conjunctions of tests."""

    when: tuple[CompiledTest, ...]
    then: tuple[CompiledTest, ...] | None

    @property
    def issues(self) -> frozenset[int]:
        """Positions of the issues the constraint reads."""
        return frozenset(t.issue for t in self.when + (self.then or ()))


@dataclass(frozen=True, eq=False)
class CompiledProfile:
    """One buyer profile."""

    name: str
    probability: float
    utility: CompiledUtility
    walk_away: float | None


@dataclass(eq=False)
class Component:
    """Issues that interact; dense tables over their joint levels when small enough."""

    issues: tuple[int, ...]
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    tables: dict[str, np.ndarray] | None  # "seller", "buyer", "profile:NAME" → flat utility table
    feasible: np.ndarray | None  # flat bool table

    @property
    def size(self) -> int:
        """Number of joint levels."""
        return math.prod(self.shape)

    @cached_property
    def joint(self) -> np.ndarray:
        """Flat indices of the feasible joint levels."""
        assert self.feasible is not None
        return np.flatnonzero(self.feasible)

    @cached_property
    def feasible_tables(self) -> dict[str, np.ndarray]:
        """Each table at the feasible joint levels only (in ``joint`` order)."""
        assert self.tables is not None
        return {key: table[self.joint] for key, table in self.tables.items()}

    def with_tables(self, tables: dict[str, np.ndarray], feasible_tables: dict[str, np.ndarray]) -> Component:
        """The same issues and feasibility with other utilities (given in full and at the feasible levels)."""
        other = Component(self.issues, self.shape, self.strides, tables, self.feasible)
        other.__dict__["joint"] = self.joint
        other.__dict__["feasible_tables"] = feasible_tables
        return other


@dataclass(frozen=True, eq=False)
class CompiledDeal:
    """A validated model in array form."""

    model: DealModel
    issues: tuple[CompiledIssue, ...]
    seller: CompiledUtility
    buyer: CompiledUtility  # the expected utility when the buyer has profiles
    profiles: tuple[CompiledProfile, ...]
    constraints: tuple[CompiledConstraint, ...]
    seller_walk_away: float | None
    buyer_walk_away: float | None

    @property
    def name(self) -> str:
        """The model's name."""
        return self.model.name

    @property
    def normalized(self) -> bool:
        """Whether utilities are normalized (not money)."""
        return self.model.normalized

    @cached_property
    def by_name(self) -> dict[str, CompiledIssue]:
        """Issues by name."""
        return {i.name: i for i in self.issues}

    @cached_property
    def gridded(self) -> bool:
        """Whether every issue's levels can be listed."""
        return all(i.gridded for i in self.issues)

    @cached_property
    def shape(self) -> tuple[int, ...]:
        """Levels per issue (gridded models only)."""
        return tuple(i.size or 0 for i in self.issues)

    @property
    def space_size(self) -> int | None:
        """Number of packages (None when an issue is continuous without step)."""
        if not self.gridded:
            return None
        return math.prod(self.shape)

    def utilities(self) -> dict[str, CompiledUtility]:
        """Every utility to tabulate: seller, buyer and each profile."""
        out = {"seller": self.seller, "buyer": self.buyer}
        for p in self.profiles:
            out[f"profile:{p.name}"] = p.utility
        return out

    @cached_property
    def components(self) -> tuple[Component, ...]:
        """The interacting groups of issues, in issue order, each with its tables."""
        return _build_components(self)

    # -- packages -------------------------------------------------------
    def package_labels(self, row: np.ndarray) -> dict[str, Any]:
        """A package given by level indices as ``{issue: level}``."""
        return {i.name: display_value(i.labels[int(row[i.index])]) for i in self.issues}

    def package_index(self, package: dict[str, Any]) -> np.ndarray:
        """Level indices of a complete package; raises :class:`PackageError` if it does not fit."""
        unknown = [k for k in package if k not in self.by_name]
        if unknown:
            raise PackageError(f"package: unknown issue {unknown[0]!r}; expected one of {', '.join(self.by_name)}")
        out = np.empty(len(self.issues), dtype=np.int64)
        for issue in self.issues:
            if issue.name not in package:
                raise PackageError(f"package: missing issue {issue.name!r}; expected a level for every issue")
            idx = issue.index_of(package[issue.name])
            if idx is None:
                raise PackageError(
                    f"package.{issue.name}: {package[issue.name]!r} is not a level; expected {expected_level(issue)}"
                )
            out[issue.index] = idx
        return out


def expected_level(issue: CompiledIssue) -> str:
    """What a level of ``issue`` looks like, for messages."""
    if issue.kind in ("categorical", "ordinal"):
        return "one of " + ", ".join(str(display_value(x)) for x in issue.labels)
    if issue.levels is None:
        return f"a number in [{display_value(issue.lo)}, {display_value(issue.hi)}]"
    return f"a level in {display_value(issue.lo)}…{display_value(issue.hi)} (step {display_value(issue.spec.step)})"


# ---------------------------------------------------------------- compiling


#: The last few models compiled by :func:`as_deal`, by identity (each entry keeps its model alive, so an id
#: cannot be reused while cached).
_RECENT: OrderedDict[int, CompiledDeal] = OrderedDict()
_RECENT_SIZE = 8


def as_deal(model: DealModel | CompiledDeal | str | Path) -> CompiledDeal:
    """A compiled deal from a model file path, a validated model or a compiled deal.

    A validated model (frozen) is compiled once: asking again for the same object returns the same
    compiled deal, with its tables and everything engines keep with it.
    """
    if isinstance(model, CompiledDeal):
        return model
    if isinstance(model, (str, Path)):
        from dealopt.model.loading import load_model

        return compile_model(load_model(model))
    deal = _RECENT.get(id(model))
    if deal is not None and deal.model is model:
        _RECENT.move_to_end(id(model))
        return deal
    deal = compile_model(model)
    _RECENT[id(model)] = deal
    while len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)
    return deal


def compile_model(model: DealModel) -> CompiledDeal:
    """Compile a validated model (see :func:`dealopt.model.loading.load_model`)."""
    issues: list[CompiledIssue] = []
    for k, (name, spec) in enumerate(model.issues.items()):
        levels = issue_levels(spec)
        if isinstance(spec, CategoricalIssue):
            labels: tuple[Any, ...] = tuple(spec.options)
            lo = hi = None
        else:
            labels = tuple(display_value(x) for x in levels) if levels is not None else ()
            lo = float(spec.min) if hasattr(spec, "min") else float(spec.options[0])
            hi = float(spec.max) if hasattr(spec, "max") else float(spec.options[-1])
        issues.append(CompiledIssue(name, k, spec.kind, levels, labels, lo, hi, spec))
    by_name = {i.name: i for i in issues}

    def factor(f: Factor) -> CompiledFactor:
        issue = by_name[f.issue]
        if f.form == "table":
            vec = np.zeros(len(issue.labels))
            for key, value in (f.table or {}).items():
                idx = issue.index_of(key)
                assert idx is not None
                vec[idx] = value
            return CompiledFactor(issue.index, "table", table=vec)
        if f.form == "piecewise":
            pts = np.asarray(f.piecewise, dtype=float)
            return CompiledFactor(issue.index, "piecewise", xs=pts[:, 0].copy(), ys=pts[:, 1].copy())
        return CompiledFactor(issue.index, "bare")

    def utility(terms: list[Term]) -> CompiledUtility:
        return CompiledUtility(tuple(CompiledTerm(float(t.coef), tuple(factor(f) for f in t.of)) for t in terms))

    def test(name: str, t: Test) -> CompiledTest:
        issue = by_name[name]
        equals: tuple[Any, ...] | None = None
        if t.eq is not None or t.in_ is not None:
            raw = [t.eq] if t.eq is not None else list(t.in_ or [])
            if issue.kind == "categorical":
                equals = tuple(issue.index_of(v) for v in raw)
            else:
                equals = tuple(float(v) for v in raw)
        lo = None if t.min is None else float(t.min)
        hi = None if t.max is None else float(t.max)
        ct = CompiledTest(issue.index, equals, lo, hi, None)
        if issue.gridded:
            n = len(issue.labels)
            values = issue.levels if issue.levels is not None else np.full(n, np.nan)
            mask = ct.on_values(values, np.arange(n), issue.kind == "categorical")
            ct = CompiledTest(issue.index, equals, lo, hi, mask)
        return ct

    constraints = []
    for con in model.constraints:
        if con.forbid is not None:
            constraints.append(CompiledConstraint(tuple(test(k, v) for k, v in con.forbid.items()), None))
        else:
            constraints.append(
                CompiledConstraint(
                    tuple(test(k, v) for k, v in (con.if_ or {}).items()),
                    tuple(test(k, v) for k, v in (con.then or {}).items()),
                )
            )

    seller_party = model.parties.seller
    buyer_party = model.parties.buyer
    seller = utility(seller_party.utility or [])
    profiles: list[CompiledProfile] = []
    if buyer_party.profiles is not None:
        for p in buyer_party.profiles:
            pu = utility(p.utility)
            profiles.append(CompiledProfile(p.name, float(p.probability), pu, _walk(p.walk_away, pu, by_name)))
        total = sum(p.probability for p in profiles)
        buyer = CompiledUtility(tuple(t for p in profiles for t in p.utility.scaled(p.probability / total).terms))
        walks = [p.walk_away for p in profiles if p.walk_away is not None]
        buyer_walk: float | None = (
            None if len(walks) < len(profiles) else sum(p.probability / total * w for p, w in zip(profiles, walks))
        )
    else:
        buyer = utility(buyer_party.utility or [])
        buyer_walk = _walk(buyer_party.walk_away, buyer, by_name)
    return CompiledDeal(
        model=model,
        issues=tuple(issues),
        seller=seller,
        buyer=buyer,
        profiles=tuple(profiles),
        constraints=tuple(constraints),
        seller_walk_away=_walk(seller_party.walk_away, seller, by_name),
        buyer_walk_away=buyer_walk,
    )


def _walk(wa: Any, util: CompiledUtility, by_name: dict[str, CompiledIssue]) -> float | None:
    if wa is None:
        return None
    if isinstance(wa, WalkAwayPackage):
        return utility_of_values(util, {by_name[k].index: (v, by_name[k]) for k, v in wa.package.items()})
    return float(wa)


def utility_of_values(util: CompiledUtility, values: dict[int, tuple[Any, CompiledIssue]]) -> float:
    """Utility of one (possibly partial) package given as ``{position: (level, issue)}``."""
    total = 0.0
    for term in util.terms:
        prod = term.coef
        for f in term.factors:
            level, issue = values[f.issue]
            if f.form == "table":
                idx = issue.index_of(level)
                assert f.table is not None and idx is not None
                prod *= float(f.table[idx])
            else:
                prod *= float(f.on_values(np.asarray([float(level)]))[0])
        total += prod
    return total


# ---------------------------------------------------------------- components


def _build_components(deal: CompiledDeal) -> tuple[Component, ...]:
    n = len(deal.issues)
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    groups: list[frozenset[int]] = [t.issues for u in deal.utilities().values() for t in u.terms]
    groups += [c.issues for c in deal.constraints]
    for g in groups:
        first, *rest = sorted(g)
        for other in rest:
            ra, rb = find(first), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(find(i), []).append(i)
    comps = []
    for root in sorted(members):
        idx = tuple(members[root])
        comps.append(_component(deal, idx))
    return tuple(comps)


def _component(deal: CompiledDeal, idx: tuple[int, ...]) -> Component:
    issues = [deal.issues[i] for i in idx]
    if not all(i.gridded for i in issues):
        return Component(idx, (), (), None, None)
    shape = tuple(len(i.labels) for i in issues)
    strides = tuple(int(math.prod(shape[k + 1 :])) for k in range(len(shape)))
    size = math.prod(shape)
    if size > MAX_TABLE_CELLS:
        return Component(idx, shape, strides, None, None)
    axis = {issue: k for k, issue in enumerate(idx)}
    members = set(idx)
    tables: dict[str, np.ndarray] = {}
    for key, util in deal.utilities().items():
        parts = [term_tensor(deal, term, axis, len(shape)) for term in util.terms if term.issues <= members]
        total = _reduce_small_first(parts, np.add, np.zeros((1,) * len(shape)))
        tables[key] = np.ascontiguousarray(np.broadcast_to(total, shape)).reshape(-1)
    masks = []
    for con in deal.constraints:
        if con.issues <= members:
            when = _condition_tensor(con.when, axis, len(shape))
            masks.append(~when if con.then is None else ~when | _condition_tensor(con.then, axis, len(shape)))
    feasible = _reduce_small_first(masks, np.logical_and, np.ones((1,) * len(shape), dtype=bool))
    return Component(idx, shape, strides, tables, np.ascontiguousarray(np.broadcast_to(feasible, shape)).reshape(-1))


#: Past this many parts, parts of one shape are combined first (the pairwise search is cubic in the parts).
_MANY_PARTS = 32


def _reduce_small_first(parts: list[np.ndarray], op: np.ufunc, empty: np.ndarray) -> np.ndarray:
    """Combine broadcastable arrays, always joining the pair whose broadcast shape is smallest.

    Terms over few issues stay small when combined among themselves, so the
    full-size array is formed once, at the end.
    """
    parts = list(parts)
    if not parts:
        return empty
    if len(parts) > _MANY_PARTS:  # many terms (a buyer of many profiles): sum those of one shape first
        by_shape: dict[tuple[int, ...], np.ndarray] = {}
        for part in parts:
            seen = by_shape.get(part.shape)
            by_shape[part.shape] = part if seen is None else op(seen, part)
        parts = list(by_shape.values())
    while len(parts) > 1:
        best = None
        for i in range(len(parts)):
            for j in range(i + 1, len(parts)):
                size = math.prod(max(a, b) for a, b in zip(parts[i].shape, parts[j].shape, strict=True))
                if best is None or size < best[0]:
                    best = (size, i, j)
        assert best is not None
        _, i, j = best
        joined = op(parts[i], parts[j])
        parts = [p for k, p in enumerate(parts) if k not in (i, j)] + [joined]
    return parts[0]


def term_tensor(deal: CompiledDeal, term: CompiledTerm, axis: dict[int, int], ndim: int) -> np.ndarray:
    """A term's value over the joint levels of the axes in ``axis`` (broadcastable)."""
    out: np.ndarray = np.asarray(term.coef, dtype=float).reshape((1,) * ndim)
    for f in term.factors:
        vec = f.on_levels(deal.issues[f.issue])
        shape = [1] * ndim
        shape[axis[f.issue]] = len(vec)
        out = out * vec.reshape(shape)
    return out


def _condition_tensor(tests: tuple[CompiledTest, ...], axis: dict[int, int], ndim: int) -> np.ndarray:
    out = np.ones((1,) * ndim, dtype=bool)
    for t in tests:
        assert t.mask is not None
        shape = [1] * ndim
        shape[axis[t.issue]] = len(t.mask)
        out = out & t.mask.reshape(shape)
    return out


def is_stepless(issue: CompiledIssue) -> bool:
    """A continuous issue without step (solved only by engines that treat it as continuous)."""
    return isinstance(issue.spec, ContinuousIssue) and grid_size(issue.spec) is None
