"""The Pareto frontier of a deal, its bargaining packages and the ZOPA verdict.

``frontier(model)`` picks an engine, computes the frontier of the ZOPA, locates
the Nash, Kalai–Smorodinsky, max-joint and egalitarian packages on it, and,
when there is no deal, says which walk-away binds and by how much.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dealopt.engines.base import Engine, EngineOptions, RawFrontier, Status
from dealopt.engines.filtered import FilteredFrontierEngine
from dealopt.engines.registry import explain_choice
from dealopt.engines.small import SMALL_SPACE
from dealopt.model.compiled import CompiledDeal, as_deal
from dealopt.model.schema import DealModel
from dealopt.negotiation import bargaining
from dealopt.negotiation.bargaining import Location
from dealopt.negotiation.phrasing import out_of_reach, sides_apart
from dealopt.options import SOLUTIONS, FrontierOptions

__all__ = ["FrontierPoint", "FrontierResult", "NoDeal", "Solution", "frontier"]

#: Answers kept with small compiled deals (see :func:`frontier`).
_SMALL: weakref.WeakKeyDictionary[CompiledDeal, dict[tuple[Any, ...], FrontierResult]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class FrontierPoint:
    """One point of the frontier: a distinct utility pair and the packages that reach it."""

    seller: float
    buyer: float
    segment: bool | None = None  # the line to the next point is efficient too (continuous models)
    source: Sequence[list[dict[str, Any]]] = field(default=(), repr=False, compare=False)
    position: int = field(default=0, repr=False, compare=False)

    @property
    def packages(self) -> tuple[dict[str, Any], ...]:
        """Every package listed for this point (just one unless all packages were asked for)."""
        return tuple(self.source[self.position])

    @property
    def package(self) -> dict[str, Any]:
        """The representative package."""
        return self.packages[0]

    @property
    def joint(self) -> float:
        """Seller + buyer utility."""
        return self.seller + self.buyer

    def to_dict(self, all_packages: bool = False) -> dict[str, Any]:
        """As in ``dealopt frontier --json``."""
        out: dict[str, Any] = {"seller": self.seller, "buyer": self.buyer, "package": self.package}
        if self.segment is not None:
            out["segment"] = self.segment
        if all_packages:
            out["packages"] = list(self.packages)
        return out


@dataclass(frozen=True)
class Solution:
    """A bargaining solution: its utilities and a package that reaches them."""

    seller: float
    buyer: float
    package: dict[str, Any]

    @property
    def joint(self) -> float:
        """Seller + buyer utility."""
        return self.seller + self.buyer

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"seller": self.seller, "buyer": self.buyer, "package": self.package}


@dataclass(frozen=True)
class NoDeal:
    """Why there is no deal and by how much the sides are apart."""

    reason: str  # no_feasible_package | seller_walk_away | buyer_walk_away | apart
    message: str
    best_buyer_at_seller_walk_away: float | None = None  # best buyer utility with the seller at least at its walk-away
    best_seller_at_buyer_walk_away: float | None = None
    buyer_gap: float | None = None  # buyer walk-away − best buyer utility the seller can accept
    seller_gap: float | None = None  # seller walk-away − best seller utility the buyer can accept

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "reason": self.reason,
            "message": self.message,
            "best_buyer_at_seller_walk_away": self.best_buyer_at_seller_walk_away,
            "best_seller_at_buyer_walk_away": self.best_seller_at_buyer_walk_away,
            "buyer_gap": self.buyer_gap,
            "seller_gap": self.seller_gap,
        }


@dataclass(frozen=True)
class FrontierResult:
    """The frontier of the ZOPA with its bargaining packages."""

    model: str
    engine: str
    units: str
    walk_away: tuple[float | None, float | None]
    disagreement: tuple[float | None, float | None]  # w used by the bargaining solutions
    points: tuple[FrontierPoint, ...]
    nash: Solution | None
    kalai_smorodinsky: Solution | None
    max_joint: Solution | None
    egalitarian: Solution | None
    issues: tuple[str, ...]
    no_deal: NoDeal | None = None
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    status: str = "optimal"  # see dealopt.engines.base.Status: time_limit means a partial frontier
    note: str | None = None  # why auto passed over the preferred engines, when it did

    @property
    def zopa(self) -> bool:
        """Whether some feasible package is acceptable to both sides."""
        return bool(self.points)

    @property
    def continuous(self) -> bool:
        """Whether the frontier is piecewise linear (a continuous issue without step)."""
        return any(p.segment is not None for p in self.points)

    def to_dict(self, all_packages: bool = False) -> dict[str, Any]:
        """Exactly the ``dealopt frontier --json`` document (plus ``no_deal`` when there is none)."""
        out: dict[str, Any] = {
            "model": self.model,
            "engine": self.engine,
            "units": self.units,
            "walk_away": {"seller": self.walk_away[0], "buyer": self.walk_away[1]},
            "zopa": self.zopa,
            "points": [p.to_dict(all_packages) for p in self.points],
            "nash": self.nash.to_dict() if self.nash else None,
            "kalai_smorodinsky": self.kalai_smorodinsky.to_dict() if self.kalai_smorodinsky else None,
            "max_joint": self.max_joint.to_dict() if self.max_joint else None,
            "egalitarian": self.egalitarian.to_dict() if self.egalitarian else None,
        }
        if self.no_deal is not None:
            out["no_deal"] = self.no_deal.to_dict()
        if self.status not in ("optimal", "infeasible"):
            out["status"] = self.status
        if self.note:
            out["note"] = self.note
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per frontier point: utilities, joint value, the representative package's levels."""
        rows = []
        for p in self.points:
            row: dict[str, Any] = {"seller": p.seller, "buyer": p.buyer, "joint": p.joint}
            if p.segment is not None:
                row["segment"] = p.segment
            row["alternatives"] = len(p.packages)
            row.update(p.package)
            rows.append(row)
        columns = (
            ["seller", "buyer", "joint"] + (["segment"] if self.continuous else []) + ["alternatives", *self.issues]
        )
        return pd.DataFrame(rows, columns=columns)


def frontier(
    model: DealModel | CompiledDeal | str | Path,
    engine: str | Engine = "auto",
    *,
    all_packages: bool = False,
    max_space: int = 200_000_000,
    max_packages_per_point: int = 1000,
    time_limit: float | None = None,
) -> FrontierResult:
    """The exact Pareto frontier of the ZOPA and the bargaining packages on it.

    On an outcome space small enough to list, the answer is kept with the compiled deal: asking again
    (same engine name and options) returns the same result, which is to be read, not changed.
    """
    t0 = time.perf_counter()
    FrontierOptions.check(
        **({"engine": engine} if isinstance(engine, str) else {}),
        all_packages=all_packages,
        max_space=max_space,
        max_packages_per_point=max_packages_per_point,
        time_limit=time_limit,
    )
    deal = as_deal(model)
    key = (engine, all_packages, max_space, max_packages_per_point, time_limit)
    small = isinstance(engine, str) and (deal.space_size or SMALL_SPACE + 1) <= SMALL_SPACE
    if small and key in _SMALL.get(deal, {}):
        return _SMALL[deal][key]
    chosen, note = explain_choice(deal, engine) if isinstance(engine, str) else (engine, None)
    options = EngineOptions(
        all_packages=all_packages,
        max_space=max_space,
        max_packages_per_point=max_packages_per_point,
        time_limit=time_limit,
    )
    w_s, w_b = deal.seller_walk_away, deal.buyer_walk_away
    raw = chosen.solve(deal, w_s, w_b, options)
    d_s = w_s if w_s is not None else raw.min_seller
    d_b = w_b if w_b is not None else raw.min_buyer
    points = _points(raw)
    no_deal = None
    solutions: dict[str, Solution | None] = dict.fromkeys(SOLUTIONS)
    if points:
        assert d_s is not None and d_b is not None
        s, b, seg = raw.seller, raw.buyer, raw.segment
        locs = {
            "nash": bargaining.nash(s, b, d_s, d_b, seg),
            "kalai_smorodinsky": bargaining.kalai_smorodinsky(s, b, d_s, d_b, seg),
            "max_joint": bargaining.max_joint(s, b, seg),
            "egalitarian": bargaining.egalitarian(s, b, d_s, d_b, seg),
        }
        solutions = {k: _solution(deal, chosen, options, points, loc) for k, loc in locs.items()}
    else:
        no_deal = _no_deal(deal, chosen, options, raw)
    result = FrontierResult(
        model=deal.name,
        engine=chosen.name,
        units=deal.model.unit_label,
        walk_away=(w_s, w_b),
        disagreement=(d_s, d_b),
        points=points,
        issues=tuple(i.name for i in deal.issues),
        no_deal=no_deal,
        seconds=time.perf_counter() - t0,
        stats=raw.stats,
        status=raw.status.value,
        note=note,
        **solutions,
    )
    if small:
        _SMALL.setdefault(deal, {})[key] = result
    return result


def _points(raw: RawFrontier) -> tuple[FrontierPoint, ...]:
    out = []
    for i in range(len(raw.seller)):
        seg = None if raw.segment is None else bool(raw.segment[i])
        out.append(FrontierPoint(float(raw.seller[i]), float(raw.buyer[i]), seg, raw.packages, i))
    return tuple(out)


def _solution(
    deal: CompiledDeal, engine: Engine, options: EngineOptions, points: tuple[FrontierPoint, ...], loc: Location | None
) -> Solution | None:
    if loc is None:
        return None
    if loc.t == 0.0:
        p = points[loc.i]
        return Solution(p.seller, p.buyer, p.package)
    # inside an efficient segment: ask the engine for the package at exactly that point
    tol_b = 1e-9 * max(1.0, abs(loc.buyer))
    one = engine.solve(deal, loc.seller, loc.buyer - tol_b, EngineOptions(time_limit=options.time_limit))
    if len(one) == 0:
        p = points[loc.i]
        return Solution(p.seller, p.buyer, p.package)
    return Solution(float(one.seller[0]), float(one.buyer[0]), one.packages[0][0])


def _no_deal(deal: CompiledDeal, engine: Engine, options: EngineOptions, raw: RawFrontier) -> NoDeal:
    if raw.status is Status.INFEASIBLE:
        return NoDeal("no_feasible_package", "no feasible package: the constraints exclude every package")
    w_s, w_b = deal.seller_walk_away, deal.buyer_walk_away
    light = EngineOptions(max_space=options.max_space, time_limit=options.time_limit)
    unbounded = engine.solve(deal, None, None, light)
    if unbounded.segment is None:  # cut the one frontier instead of solving again
        cut = FilteredFrontierEngine(unbounded)
        at_seller, at_buyer = cut.solve(deal, w_s, None, light), cut.solve(deal, None, w_b, light)
    else:
        at_seller, at_buyer = engine.solve(deal, w_s, None, light), engine.solve(deal, None, w_b, light)
    best_b = float(np.max(at_seller.buyer)) if len(at_seller) else None  # what the seller can accept
    best_s = float(np.max(at_buyer.seller)) if len(at_buyer) else None  # what the buyer can accept
    top_s = float(np.max(unbounded.seller))
    top_b = float(np.max(unbounded.buyer))
    if best_b is None:
        return NoDeal("seller_walk_away", out_of_reach(deal, "seller", w_s or 0, top_s), seller_gap=(w_s or 0) - top_s)
    if best_s is None:
        return NoDeal("buyer_walk_away", out_of_reach(deal, "buyer", w_b or 0, top_b), buyer_gap=(w_b or 0) - top_b)
    buyer_gap = (w_b or 0) - best_b
    seller_gap = (w_s or 0) - best_s
    return NoDeal(
        "apart",
        sides_apart(deal, best_b, buyer_gap, best_s, seller_gap),
        best_buyer_at_seller_walk_away=best_b,
        best_seller_at_buyer_walk_away=best_s,
        buyer_gap=buyer_gap,
        seller_gap=seller_gap,
    )
