"""Fast paths for sweeps that leave the outcome space as it is.

- **Walk-aways only** (and policy numbers, which the frontier does not read): the base
  model's frontier without bounds is solved once and cut at each scenario's walk-aways.
- **Utility numbers** (coefficients, table entries, piecewise points of utility terms,
  profile probabilities, walk-aways): the base model's component tables are built once; a
  scenario's tables are the base tables plus, for each changed term, its new tensor minus
  its old one (with profiles, the buyer's table is the probability-weighted sum of theirs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from dealopt.errors import DealoptError
from dealopt.model.compiled import (
    CompiledDeal,
    CompiledFactor,
    CompiledProfile,
    CompiledTerm,
    CompiledUtility,
    Component,
    compile_model,
    term_tensor,
    utility_of_values,
)
from dealopt.model.schema import DealModel, WalkAwayPackage

__all__ = ["TableSweep", "kind_of_sweep", "walk_away_engine"]

_WALK_AWAY = re.compile(r"^parties\.(seller|buyer)(\.profiles\[\d+\])?\.walk_away(\.package\..+)?$")
_POLICY = re.compile(r"^policy\.")
_TERM = re.compile(r"^parties\.(seller|buyer)(?:\.profiles\[(\d+)\])?\.utility\[(\d+)\](?:\.|$)")
_PROBABILITY = re.compile(r"^parties\.buyer\.profiles\[(\d+)\]\.probability$")


def kind_of_sweep(paths: list[str]) -> str:
    """``walk_aways`` (only walk-aways and policy), ``tables`` (utility numbers too) or ``full``."""
    if all(_WALK_AWAY.match(p) or _POLICY.match(p) for p in paths):
        return "walk_aways"
    if all(_WALK_AWAY.match(p) or _POLICY.match(p) or _TERM.match(p) or _PROBABILITY.match(p) for p in paths):
        return "tables"
    return "full"


def walk_away_engine(model: DealModel, engine: str) -> Any:
    """The base model's frontier without bounds, as an engine that cuts it (or ``engine`` when not listable)."""
    from dealopt.engines.base import EngineOptions
    from dealopt.engines.filtered import FilteredFrontierEngine
    from dealopt.engines.registry import choose_engine

    deal = compile_model(model)
    if not deal.gridded:
        return engine
    raw = choose_engine(deal, engine).solve(deal, None, None, EngineOptions())
    return FilteredFrontierEngine(raw)


def _key(deal: CompiledDeal, party: str, profile: str | None) -> str:
    if profile is not None:
        return f"profile:{deal.profiles[int(profile)].name}"
    return party


def _term(deal: CompiledDeal, key: str, t: int) -> CompiledTerm:
    if key.startswith("profile:"):
        name = key.split(":", 1)[1]
        return next(p for p in deal.profiles if p.name == name).utility.terms[t]
    return (deal.seller if key == "seller" else deal.buyer).terms[t]


def _recompile(base: CompiledDeal, model: DealModel) -> CompiledDeal:
    """``model`` compiled on ``base``: its issues and constraints are the base's (only numbers of the parties
    changed); factors written as in the base model are the base's compiled factors."""
    by_name = base.by_name
    old_model = base.model

    def factor(f: Any, old: Any, compiled: CompiledFactor) -> CompiledFactor:
        if f == old:
            return compiled
        issue = by_name[f.issue]
        if f.form == "table":
            vec = np.zeros(len(issue.labels))
            for key, value in (f.table or {}).items():
                vec[issue.index_of(key)] = value
            return CompiledFactor(issue.index, "table", table=vec)
        if f.form == "piecewise":
            pts = np.asarray(f.piecewise, dtype=float)
            return CompiledFactor(issue.index, "piecewise", xs=pts[:, 0].copy(), ys=pts[:, 1].copy())
        return CompiledFactor(issue.index, "bare")

    def utility(terms: list[Any], old_terms: list[Any], compiled: CompiledUtility) -> CompiledUtility:
        return CompiledUtility(
            tuple(
                CompiledTerm(
                    float(t.coef), tuple(factor(f, o, c) for f, o, c in zip(t.of, ot.of, ct.factors, strict=True))
                )
                for t, ot, ct in zip(terms, old_terms, compiled.terms, strict=True)
            )
        )

    def walk(wa: Any, util: CompiledUtility) -> float | None:
        if wa is None:
            return None
        if isinstance(wa, WalkAwayPackage):
            return utility_of_values(util, {by_name[k].index: (v, by_name[k]) for k, v in wa.package.items()})
        return float(wa)

    seller_party, buyer_party = model.parties.seller, model.parties.buyer
    seller = utility(seller_party.utility or [], old_model.parties.seller.utility or [], base.seller)
    profiles: list[CompiledProfile] = []
    if buyer_party.profiles is not None:
        olds = old_model.parties.buyer.profiles or []
        for p, old, cp in zip(buyer_party.profiles, olds, base.profiles, strict=True):
            util = utility(p.utility, old.utility, cp.utility)
            profiles.append(CompiledProfile(p.name, float(p.probability), util, walk(p.walk_away, util)))
        total = sum(p.probability for p in profiles)
        buyer = CompiledUtility(tuple(t for p in profiles for t in p.utility.scaled(p.probability / total).terms))
        walks = [p.walk_away for p in profiles]
        buyer_walk = (
            None
            if any(w is None for w in walks)
            else sum(p.probability / total * (p.walk_away or 0.0) for p in profiles)
        )
    else:
        buyer = utility(buyer_party.utility or [], old_model.parties.buyer.utility or [], base.buyer)
        buyer_walk = walk(buyer_party.walk_away, buyer)
    return CompiledDeal(
        model=model,
        issues=base.issues,
        seller=seller,
        buyer=buyer,
        profiles=tuple(profiles),
        constraints=base.constraints,
        seller_walk_away=walk(seller_party.walk_away, seller),
        buyer_walk_away=buyer_walk,
    )


def _accumulate(into: dict[str, np.ndarray], key: str, step: np.ndarray) -> None:
    """Add ``step`` (an array of our own) to ``into[key]``, in place."""
    if key in into:
        into[key] += step
    else:
        into[key] = step


def _same_factor(a: Any, b: Any) -> bool:
    if a.issue != b.issue or a.form != b.form:
        return False
    return all(
        (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
        for x, y in ((a.table, b.table), (a.xs, b.xs), (a.ys, b.ys))
    )


class _Change:
    """One changed term of a component: its old values over its own issues and where each joint level reads them."""

    def __init__(self, base: CompiledDeal, ci: int, key: str, t: int) -> None:
        comp = base.components[ci]
        self._base_for_unit = base
        self.ci, self.key, self.t = ci, key, t
        self.axis = {issue: a for a, issue in enumerate(comp.issues)}
        self.ndim = len(comp.shape)
        small = term_tensor(base, _term(base, key, t), self.axis, self.ndim)
        self.old = small.ravel()
        strides = [int(np.prod(small.shape[a + 1 :])) if small.shape[a] > 1 else 0 for a in range(self.ndim)]
        levels = np.unravel_index(comp.joint, comp.shape)
        self.at_feasible = sum((lv * st for lv, st in zip(levels, strides) if st), np.zeros(len(comp.joint), np.intp))
        self._strides = strides
        self._shape = comp.shape
        term = _term(base, key, t)
        self._coef = term.coef
        self._factors = term.factors
        self._unit_feasible: np.ndarray | None = None  # the term with coef 1 at the feasible levels

    def delta(self, deal: CompiledDeal) -> np.ndarray:
        """New minus old values of the term over its own issues (flat)."""
        change: np.ndarray = term_tensor(deal, _term(deal, self.key, self.t), self.axis, self.ndim).ravel() - self.old
        return change

    def feasible_delta(self, deal: CompiledDeal, delta: np.ndarray) -> np.ndarray:
        """The change at the feasible levels: Δcoef × the term when only its coefficient changed, else a gather."""
        term = _term(deal, self.key, self.t)
        if all(a is b or _same_factor(a, b) for a, b in zip(term.factors, self._factors, strict=True)):
            if self._unit_feasible is None:
                unit = term_tensor(self._base_for_unit, CompiledTerm(1.0, self._factors), self.axis, self.ndim)
                self._unit_feasible = np.take(unit.ravel(), self.at_feasible)
            return (term.coef - self._coef) * self._unit_feasible
        return np.take(delta, self.at_feasible)  # take: faster than indexing

    def at_every(self) -> np.ndarray:
        """Where every joint level (feasible or not) reads the term's values."""
        levels = np.indices(self._shape, sparse=True)
        flat = sum((lv * st for lv, st in zip(levels, self._strides) if st), np.zeros(self._shape, np.intp))
        return np.broadcast_to(flat, self._shape).reshape(-1)


class _LazyTables(dict):  # type: ignore[type-arg]
    """A component's full tables, each computed on first use (the merge engine reads only the feasible ones)."""

    def __init__(self, make: dict[str, Any]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: str) -> np.ndarray:
        value: np.ndarray = self._make[key]()
        self[key] = value
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._make

    def __iter__(self) -> Any:
        return iter(self._make)

    def __len__(self) -> int:
        return len(self._make)

    def keys(self) -> Any:
        return self._make.keys()

    def items(self) -> Any:
        return [(k, self[k]) for k in self._make]

    def values(self) -> Any:
        return [self[k] for k in self._make]


class TableSweep:
    """Scenarios that change only utility numbers, probabilities and walk-aways of a base model."""

    def __init__(self, base: DealModel, paths: list[str]) -> None:
        self.base = compile_model(base)
        if not self.base.gridded or any(c.tables is None for c in self.base.components):
            raise ValueError("no fast path: the base model has no tables")
        self.reweigh = bool(self.base.profiles) and any(_PROBABILITY.match(p) for p in paths)
        self.changes: list[_Change] = []
        seen: set[tuple[str, int]] = set()
        for p in paths:
            m = _TERM.match(p)
            if m is None:
                continue
            key, t = _key(self.base, m.group(1), m.group(2)), int(m.group(3))
            if key == "buyer" and self.base.profiles:
                raise ValueError("no fast path: with profiles the buyer's terms are under profiles")
            if (key, t) not in seen:
                seen.add((key, t))
                term = _term(self.base, key, t)
                ci = next(n for n, c in enumerate(self.base.components) if term.issues <= set(c.issues))
                self.changes.append(_Change(self.base, ci, key, t))
        self._every: dict[tuple[str, int], np.ndarray] = {}

    def _every_index(self, change: _Change) -> np.ndarray:
        key = (change.key, change.t)
        if key not in self._every:
            self._every[key] = change.at_every()
        return self._every[key]

    def deal_for(self, model: DealModel) -> CompiledDeal:
        """The scenario's compiled deal, its tables derived from the base tables."""
        deal = _recompile(self.base, model)
        comps = list(self.base.components)
        weights = {
            f"profile:{p.name}": p.probability / sum(q.probability for q in deal.profiles) for p in deal.profiles
        }
        touched = set(range(len(comps))) if self.reweigh else {c.ci for c in self.changes}
        for ci in touched:
            comp = comps[ci]
            deltas = [(c, c.delta(deal)) for c in self.changes if c.ci == ci]
            feasible = dict(comp.feasible_tables)
            added: dict[str, np.ndarray] = {}  # the change of each table, summed in arrays of our own
            for c, d in deltas:
                step = c.feasible_delta(deal, d)
                if c.key.startswith("profile:") and not self.reweigh:
                    _accumulate(added, "buyer", weights[c.key] * step)
                _accumulate(added, c.key, step)
            for key, change in added.items():
                change += feasible[key]
                feasible[key] = change
            if self.reweigh:
                feasible["buyer"] = _weighted(feasible, weights)
            comps[ci] = comp.with_tables(self._full(comp, deltas, weights), feasible)
        deal.__dict__["components"] = tuple(comps)  # a frozen dataclass: set as cached_property does
        return deal

    def _full(self, comp: Component, deltas: list[tuple[_Change, np.ndarray]], weights: dict[str, float]) -> Any:
        base = comp.tables or {}

        def make(key: str) -> Any:
            def build() -> np.ndarray:
                if key == "buyer" and self.reweigh:
                    return _weighted(tables, weights)
                out = base[key]
                for c, d in deltas:
                    if c.key == key or (key == "buyer" and c.key in weights):
                        scale = weights[c.key] if key == "buyer" else 1.0
                        out = out + scale * np.take(d, self._every_index(c))
                return out

            return build

        tables = _LazyTables({k: make(k) for k in base})
        return tables


def table_sweep(base: DealModel, paths: list[str]) -> TableSweep | None:
    """A :class:`TableSweep` for these paths, or None when the base model has no tables."""
    try:
        return TableSweep(base, paths)
    except (ValueError, DealoptError):
        return None


def _weighted(tables: Mapping[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Σ w · tables[k] over the buyer profiles' weights (there is at least one profile)."""
    total = sum(w * tables[k] for k, w in weights.items())
    assert isinstance(total, np.ndarray)
    return total
