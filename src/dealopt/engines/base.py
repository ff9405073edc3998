"""What every frontier engine shares: the protocol, statuses, the raw result and Pareto filtering.

An engine computes the Pareto frontier of the *feasible* packages whose utilities
are at least given lower bounds (the walk-aways), one entry per distinct
(seller, buyer) utility pair, sorted by seller utility descending. Bargaining
solutions and the no-deal analysis are built on top, in :mod:`dealopt.analysis`.
"""

from __future__ import annotations

import enum
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, overload

import numpy as np

from dealopt.engines.stepless import NONE, stepless_reason
from dealopt.errors import LimitError, ModelError, OptionError, Problem
from dealopt.model.compiled import MAX_TABLE_CELLS, CompiledDeal

__all__ = [
    "Engine",
    "EngineOptions",
    "IndexedPackages",
    "RawFrontier",
    "Status",
    "declared_reason",
    "ensure_accepts",
    "option_error",
    "pareto_keep",
    "quantum",
    "at_least",
    "cut_at",
    "drop_collinear",
]

#: Relative resolution at which two utilities count as equal.
RELATIVE_RESOLUTION = 1e-9


class Status(enum.Enum):
    """How a frontier computation ended (every engine maps its solver's statuses onto these)."""

    OPTIMAL = "optimal"  # the exact frontier (possibly empty above the bounds)
    INFEASIBLE = "infeasible"  # no package satisfies the constraints
    TIME_LIMIT = "time_limit"  # the time ran out: the frontier found so far (its high-seller end)
    INACCURATE = "inaccurate"  # the solver's answers could not all be confirmed exactly (a warning is issued)

    @property
    def has_packages(self) -> bool:
        """Whether feasible packages exist (and the frontier lists some of them)."""
        return self is not Status.INFEASIBLE

    @property
    def complete(self) -> bool:
        """Whether the answer is the whole exact frontier (or a proof that there is none)."""
        return self in (Status.OPTIMAL, Status.INFEASIBLE)


def option_error(name: str, expected: str, value: Any) -> OptionError:
    """The one message for a bad option (:class:`~dealopt.errors.OptionError`: ``name: value; expected …``)."""
    return OptionError(name, value, expected)


@dataclass(frozen=True)
class EngineOptions:
    """Options shared by all engines, checked against their declared ranges when made."""

    all_packages: bool = False  # list every package reaching each point
    max_packages_per_point: int = 1000  # cap on listed ties per point
    max_space: int = 200_000_000  # enumerate: largest outcome space it lists
    chunk_size: int = 1_000_000  # enumerate: packages per chunk
    time_limit: float | None = None  # milp: seconds for the whole frontier (then a partial frontier)

    def __post_init__(self) -> None:
        if not isinstance(self.all_packages, bool):
            raise option_error("all_packages", "true or false", self.all_packages)
        for name in ("max_packages_per_point", "max_space", "chunk_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise option_error(name, "an integer ≥ 1", value)
        t = self.time_limit
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not t > 0 or t != t):
            raise option_error("time_limit", "a number of seconds > 0, or none", t)


@dataclass(frozen=True)
class RawFrontier:
    """An engine's answer: frontier points above the bounds, and the feasible extremes."""

    engine: str
    status: Status
    seller: np.ndarray  # sorted descending
    buyer: np.ndarray
    packages: Sequence[list[dict[str, Any]]]  # per point; the first is the representative
    min_seller: float | None = None  # lowest seller utility over feasible packages
    min_buyer: float | None = None
    segment: np.ndarray | None = None  # per point: the line to the next point is efficient too
    stats: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.seller)


class IndexedPackages(Sequence[list[dict[str, Any]]]):
    """One package per point given as rows of level indices; the dicts are made on demand."""

    def __init__(self, deal: CompiledDeal, index: np.ndarray) -> None:
        self.deal = deal
        self.rows = index  # not ``index``: that name is Sequence.index

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> list[dict[str, Any]]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[dict[str, Any]]]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [[self.deal.package_labels(row)] for row in self.rows[i]]
        return [self.deal.package_labels(self.rows[i])]


class Engine(Protocol):
    """A frontier engine: its name, what it needs (as data), ``accepts`` and ``solve``.

    The class attributes say what the engine needs, so that the registry can
    tell which engines are installed and :func:`declared_reason` which deals
    they take, without importing any solver.
    """

    name: ClassVar[str]
    exact: ClassVar[bool]
    listed_levels: ClassVar[bool]  # every issue's levels must be listable
    tables: ClassVar[bool]  # every component's (gridded) joint levels must be tabulable
    stepless: ClassVar[str]  # which continuous issues without step it takes (see dealopt.engines.stepless)
    requires: ClassVar[tuple[str, ...]]  # modules it needs …
    fallback: ClassVar[tuple[str, ...]]  # … or, failing those, these

    def accepts(self, deal: CompiledDeal) -> str | None:
        """None when the engine can solve ``deal`` exactly, else the reason it cannot."""
        ...

    def solve(
        self,
        deal: CompiledDeal,
        seller_min: float | None,
        buyer_min: float | None,
        options: EngineOptions,
    ) -> RawFrontier:
        """The frontier of feasible packages with utilities ≥ the given minima."""
        ...


_REASONS: weakref.WeakKeyDictionary[CompiledDeal, dict[str, str | None]] = weakref.WeakKeyDictionary()


def declared_reason(engine: Engine, deal: CompiledDeal) -> str | None:
    """Why ``deal`` is outside what ``engine`` declares it takes (levels, tables, stepless issues), or None."""
    known = _REASONS.setdefault(deal, {})
    if engine.name not in known:
        known[engine.name] = _declared_reason(engine, deal)
    return known[engine.name]


def _declared_reason(engine: Engine, deal: CompiledDeal) -> str | None:
    if engine.listed_levels or engine.stepless == NONE:
        reason = stepless_reason(deal, NONE)
    else:
        reason = stepless_reason(deal, engine.stepless)
    if reason:
        return reason
    if engine.tables:
        return untabulated(deal)
    return None


def untabulated(deal: CompiledDeal) -> str | None:
    """Why some component's gridded joint levels are too many to tabulate, or None."""
    for comp in deal.components:
        grid = [i for i in comp.issues if deal.issues[i].gridded]
        size = math.prod(len(deal.issues[i].labels) for i in grid)
        if size > MAX_TABLE_CELLS:
            names = ", ".join(deal.issues[i].name for i in grid)
            return (
                f"issues {names} interact in {size:,} joint levels, more than {MAX_TABLE_CELLS:,} (use the engine milp)"
            )
    return None


def ensure_accepts(engine: Engine, deal: CompiledDeal) -> None:
    """Raise a :class:`~dealopt.errors.ModelError` for an empty deal, a :class:`LimitError` (naming the
    engine) when ``engine`` cannot solve ``deal``."""
    if not deal.issues:
        raise ModelError([Problem("issues", "is empty; expected at least one issue")], source=deal.name)
    reason = engine.accepts(deal)
    if reason:
        raise LimitError(f"{engine.name}: {reason}")


def stepless_issue(deal: CompiledDeal) -> str | None:
    """The first continuous issue without step (whose levels cannot be listed), if any."""
    return next((i.name for i in deal.issues if not i.gridded), None)


def quantum(values: np.ndarray | float) -> float:
    """Resolution for comparing utilities of this magnitude."""
    scale = float(np.max(np.abs(values))) if np.size(values) else 1.0
    return RELATIVE_RESOLUTION * max(1.0, scale)


def cut_at(bound: float | None) -> float | None:
    """Where a piecewise-linear frontier crossing a walk-away is cut: just inside the tolerance with which
    the evaluator accepts a package (so the package found there is acceptable despite rounding)."""
    return None if bound is None else bound - 0.9e-9 * max(1.0, abs(bound))


def at_least(values: np.ndarray, bound: float | None) -> np.ndarray:
    """``values ≥ bound`` with the tolerance used everywhere for walk-aways."""
    if bound is None:
        return np.ones(len(values), dtype=bool)
    return values >= bound - 1e-9 * max(1.0, abs(bound))


def pareto_keep(seller: np.ndarray, buyer: np.ndarray, q_s: float, q_b: float, ties: bool = False) -> np.ndarray:
    """Indices of non-dominated points (maximizing both), sorted by seller descending.

    Utilities are compared on grids of ``q_s`` and ``q_b``. Among points equal on
    both, the first (lowest index) is kept, or all of them when ``ties``.
    """
    if len(seller) == 0:
        return np.empty(0, dtype=np.intp)
    candidates = _bucket_filter(seller, buyer, 2 * q_b) if len(seller) > 4096 else np.arange(len(seller))
    ks = np.round(seller[candidates] / q_s).astype(np.int64)
    kb = np.round(buyer[candidates] / q_b).astype(np.int64)
    sort = np.lexsort((candidates, -kb, -ks))  # seller desc, buyer desc, index asc
    order = candidates[sort]
    ks_o, kb_o = ks[sort], kb[sort]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (ks_o[1:] != ks_o[:-1]) | (kb_o[1:] != kb_o[:-1])
    group = np.cumsum(first) - 1
    reps = order[first]
    kb_rep = kb_o[first]
    prev_max = np.empty(len(reps), dtype=np.int64)
    prev_max[0] = np.iinfo(np.int64).min
    if len(reps) > 1:
        prev_max[1:] = np.maximum.accumulate(kb_rep[:-1])
    keep_rep = kb_rep > prev_max
    if not ties:
        return reps[keep_rep]
    kept: np.ndarray = order[keep_rep[group]]
    return kept


def _bucket_filter(seller: np.ndarray, buyer: np.ndarray, margin: float, buckets: int = 2048) -> np.ndarray:
    """Indices of the points not clearly dominated by a point of a higher seller bucket (cheap and safe).

    A point is dropped only when a point with a larger seller utility has a buyer
    utility more than ``margin`` higher: it is then dominated on the comparison grids too.
    """
    lo, hi = float(seller.min()), float(seller.max())
    if not hi > lo:
        return np.arange(len(seller))
    bucket = ((seller - lo) * ((buckets - 1) / (hi - lo))).astype(np.int64)  # monotone in seller
    top = np.full(buckets + 1, -np.inf)
    np.maximum.at(top, bucket, buyer)
    above = np.maximum.accumulate(top[::-1])[::-1]  # above[j] = best buyer utility in buckets ≥ j
    strictly_above = np.append(above[1:], -np.inf)
    return np.flatnonzero(buyer >= strictly_above[bucket] - margin)


def drop_collinear(seller: np.ndarray, buyer: np.ndarray, segment: np.ndarray, q_s: float, q_b: float) -> np.ndarray:
    """Indices of the vertices of a piecewise-linear frontier that are corners of it.

    A vertex between two efficient segments is dropped when it lies within two grid units of the
    line joining its neighbours; a vertex followed by a gap narrower than two grid units (a constraint
    threshold's closed-off band) is dropped too, the frontier going on from the next vertex.
    """
    out: list[int] = []
    for i in range(len(seller)):
        last = out[-1] if out else None
        if last is not None and not segment[last] and len(out) >= 2 and segment[out[-2]]:
            if abs(seller[i] - seller[last]) <= 2 * q_s and abs(buyer[i] - buyer[last]) <= 2 * q_b:
                out.pop()
        if len(out) >= 2 and segment[out[-1]] and segment[out[-2]]:
            a, m = out[-2], out[-1]
            ax, ay = (seller[m] - seller[a]) / q_s, (buyer[m] - buyer[a]) / q_b
            cx, cy = (seller[i] - seller[a]) / q_s, (buyer[i] - buyer[a]) / q_b
            if abs(ax * cy - ay * cx) <= 2.0 * math.hypot(cx, cy):
                out.pop()
        out.append(i)
    return np.asarray(out, dtype=np.intp)


def utility_bound(deal: CompiledDeal, which: str) -> float:
    """An upper bound on |utility| of a party (``seller`` or ``buyer``) over all packages."""
    util = deal.seller if which == "seller" else deal.buyer
    total = 0.0
    for term in util.terms:
        prod = abs(term.coef)
        for f in term.factors:
            issue = deal.issues[f.issue]
            if f.form == "table":
                assert f.table is not None
                prod *= float(np.max(np.abs(f.table)))
            elif f.form == "piecewise":
                assert f.ys is not None
                prod *= float(np.max(np.abs(f.ys)))
            else:
                prod *= max(abs(issue.lo or 0.0), abs(issue.hi or 0.0))
        total += prod
    return total


_RESOLUTION: weakref.WeakKeyDictionary[CompiledDeal, tuple[float, float]] = weakref.WeakKeyDictionary()


def resolution(deal: CompiledDeal) -> tuple[float, float]:
    """The grids (seller, buyer) on which utilities are compared for this deal (kept with the deal)."""
    got = _RESOLUTION.get(deal)
    if got is None:
        got = _RESOLUTION[deal] = (
            RELATIVE_RESOLUTION * max(1.0, utility_bound(deal, "seller")),
            RELATIVE_RESOLUTION * max(1.0, utility_bound(deal, "buyer")),
        )
    return got
