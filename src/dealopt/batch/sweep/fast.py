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
from typing import Any

import numpy as np

from dealopt.errors import DealoptError
from dealopt.model.compiled import CompiledDeal, CompiledTerm, Component, compile_model, term_tensor
from dealopt.model.schema import DealModel

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


class TableSweep:
    """Scenarios that change only utility numbers, probabilities and walk-aways of a base model."""

    def __init__(self, base: DealModel, paths: list[str]) -> None:
        self.base = compile_model(base)
        if not self.base.gridded or any(c.tables is None for c in self.base.components):
            raise ValueError("no fast path: the base model has no tables")
        self.reweigh = bool(self.base.profiles) and any(_PROBABILITY.match(p) for p in paths)
        self.terms: dict[tuple[str, int], tuple[int, np.ndarray]] = {}  # (key, term) → (component, base tensor)
        for p in paths:
            m = _TERM.match(p)
            if m is None:
                continue
            key, t = _key(self.base, m.group(1), m.group(2)), int(m.group(3))
            if key == "buyer" and self.base.profiles:
                raise ValueError("no fast path: with profiles the buyer's terms are under profiles")
            if (key, t) not in self.terms:
                term = _term(self.base, key, t)
                ci = next(n for n, c in enumerate(self.base.components) if term.issues <= set(c.issues))
                self.terms[(key, t)] = (ci, self._tensor(self.base.components[ci], term))

    def _tensor(self, comp: Component, term: CompiledTerm) -> np.ndarray:
        axis = {issue: a for a, issue in enumerate(comp.issues)}
        tensor = term_tensor(self.base, term, axis, len(comp.shape))
        return np.ascontiguousarray(np.broadcast_to(tensor, comp.shape)).reshape(-1)

    def deal_for(self, model: DealModel) -> CompiledDeal:
        """The scenario's compiled deal, its tables derived from the base tables."""
        deal = compile_model(model)
        comps = list(self.base.components)
        changed: dict[int, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}
        for (key, t), (ci, old) in self.terms.items():
            comp = comps[ci]
            tables, ftables = changed.setdefault(ci, (dict(comp.tables or {}), dict(comp.feasible_tables)))
            delta = self._tensor(comp, _term(deal, key, t)) - old
            tables[key] = tables[key] + delta
            ftables[key] = ftables[key] + delta[comp.joint]
            if key.startswith("profile:") and not self.reweigh:
                share = self._share(deal, key)
                tables["buyer"] = tables["buyer"] + share * delta
                ftables["buyer"] = ftables["buyer"] + share * delta[comp.joint]
        if self.reweigh:
            for ci, comp in enumerate(comps):
                tables, ftables = changed.setdefault(ci, (dict(comp.tables or {}), dict(comp.feasible_tables)))
                total = sum(p.probability for p in deal.profiles)
                tables["buyer"] = sum(p.probability / total * tables[f"profile:{p.name}"] for p in deal.profiles)
                ftables["buyer"] = sum(p.probability / total * ftables[f"profile:{p.name}"] for p in deal.profiles)
        for ci, (tables, ftables) in changed.items():
            comps[ci] = comps[ci].with_tables(tables, ftables)
        deal.__dict__["components"] = tuple(comps)  # a frozen dataclass: set as cached_property does
        return deal

    @staticmethod
    def _share(deal: CompiledDeal, key: str) -> float:
        name = key.split(":", 1)[1]
        total = sum(p.probability for p in deal.profiles)
        return next(p.probability for p in deal.profiles if p.name == name) / total


def table_sweep(base: DealModel, paths: list[str]) -> TableSweep | None:
    """A :class:`TableSweep` for these paths, or None when the base model has no tables."""
    try:
        return TableSweep(base, paths)
    except (ValueError, DealoptError):
        return None
