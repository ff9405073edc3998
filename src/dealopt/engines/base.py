"""What every frontier engine shares: the protocol, statuses, the raw result and Pareto filtering.

An engine computes the Pareto frontier of the *feasible* packages whose utilities
are at least given lower bounds (the walk-aways), one entry per distinct
(seller, buyer) utility pair, sorted by seller utility descending. Bargaining
solutions and the no-deal analysis are built on top, in :mod:`dealopt.analysis`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, overload

import numpy as np

from dealopt.model.compiled import CompiledDeal

__all__ = [
    "Engine",
    "EngineOptions",
    "IndexedPackages",
    "RawFrontier",
    "Status",
    "pareto_keep",
    "quantum",
    "at_least",
]

#: Relative resolution at which two utilities count as equal.
RELATIVE_RESOLUTION = 1e-9


class Status(enum.Enum):
    """How a frontier computation ended."""

    OPTIMAL = "optimal"  # the exact frontier (possibly empty above the bounds)
    INFEASIBLE = "infeasible"  # no package satisfies the constraints

    @property
    def has_packages(self) -> bool:
        """Whether feasible packages exist."""
        return self is Status.OPTIMAL


@dataclass(frozen=True)
class EngineOptions:
    """Options shared by all engines."""

    all_packages: bool = False  # list every package reaching each point
    max_packages_per_point: int = 1000  # cap on listed ties per point
    max_space: int = 200_000_000  # enumerate: largest outcome space it lists
    chunk_size: int = 1_000_000  # enumerate: packages per chunk
    time_limit: float | None = None  # milp: seconds per solve


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
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    @overload
    def __getitem__(self, i: int) -> list[dict[str, Any]]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[dict[str, Any]]]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [[self.deal.package_labels(row)] for row in self.index[i]]
        return [self.deal.package_labels(self.index[i])]


class Engine(Protocol):
    """A frontier engine."""

    name: ClassVar[str]
    exact: ClassVar[bool]

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


def ensure_accepts(engine: Engine, deal: CompiledDeal) -> None:
    """Raise :class:`~dealopt.errors.LimitError` (naming the engine) when ``engine`` cannot solve ``deal``."""
    reason = engine.accepts(deal)
    if reason:
        from dealopt.errors import LimitError

        raise LimitError(f"{engine.name}: {reason}")


def stepless_issue(deal: CompiledDeal) -> str | None:
    """The first continuous issue without step (whose levels cannot be listed), if any."""
    return next((i.name for i in deal.issues if not i.gridded), None)


def unlisted_levels(deal: CompiledDeal) -> str | None:
    """Why an engine that lists levels cannot take ``deal`` (a continuous issue without step), if so."""
    name = stepless_issue(deal)
    if name is None:
        return None
    return f"issue {name!r} is continuous without step, so its levels cannot be listed (give it a step, or use --engine milp)"


def quantum(values: np.ndarray | float) -> float:
    """Resolution for comparing utilities of this magnitude."""
    scale = float(np.max(np.abs(values))) if np.size(values) else 1.0
    return RELATIVE_RESOLUTION * max(1.0, scale)


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
    return order[keep_rep[group]]


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


def resolution(deal: CompiledDeal) -> tuple[float, float]:
    """The grids (seller, buyer) on which utilities are compared for this deal."""
    return (
        RELATIVE_RESOLUTION * max(1.0, utility_bound(deal, "seller")),
        RELATIVE_RESOLUTION * max(1.0, utility_bound(deal, "buyer")),
    )
