"""The rules of the counter-offer discipline, one function per rule: the engine applies them and the tests check them.

Every counter the engine returns obeys all of them at once:

- :func:`within_limits`: feasible, at or above the seller's walk-away and ``policy.floor_price``;
- :func:`pareto_efficient`: no allowed package is better for one side and no worse for the other;
- :func:`no_gift`: on an issue the buyer stated, never more for the buyer than it asked, unless that move pays for
  an ask on another stated issue;
- :func:`reciprocal`: a concession from our previous counter comes with an ask of the buyer;
- :func:`monotone`: never better for us, never worse for the buyer than our previous counter;
- :func:`should_accept`: a buyer offer worth at least what we would counter with is accepted instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.flags import price_issue
from dealopt.negotiation.space import OutcomeSpace

__all__ = [
    "Limits",
    "MoveKind",
    "move_kind",
    "move_kinds",
    "seller_limits",
    "within_limits",
    "pareto_efficient",
    "no_gift",
    "reciprocal",
    "monotone",
    "should_accept",
    "REL_TOL",
]

MoveKind = Literal["give", "ask", "mutual", "neutral"]
#: Relative tolerance for comparing utilities.
REL_TOL = 1e-9
_KIND_CODES = {"neutral": 0, "give": 1, "ask": 2, "mutual": 3}
GIVE, ASK, MUTUAL = 1, 2, 3


def move_kind(seller_alone: float, buyer_alone: float, tol_s: float = 0.0, tol_b: float = 0.0) -> MoveKind:
    """What one issue's move is, judged by moving it alone: ``give`` (the buyer gains and we don't), ``ask`` (we gain,
    or the buyer loses, and the buyer doesn't gain), ``mutual`` (both gain) or ``neutral`` (neither side changes)."""
    gain_b, gain_s = buyer_alone > tol_b, seller_alone > tol_s
    if gain_b and gain_s:
        return "mutual"
    if gain_b:
        return "give"
    if gain_s or buyer_alone < -tol_b:
        return "ask"
    if seller_alone < -tol_s:
        return "give"
    return "neutral"


def move_kinds(seller_alone: np.ndarray, buyer_alone: np.ndarray, tol_s: float, tol_b: float) -> np.ndarray:
    """:func:`move_kind` over arrays, as codes 0 neutral, 1 give, 2 ask, 3 mutual."""
    gain_b, gain_s = buyer_alone > tol_b, seller_alone > tol_s
    out = np.zeros(np.shape(seller_alone), dtype=np.int8)
    out[(seller_alone < -tol_s)] = GIVE
    out[gain_s | (buyer_alone < -tol_b)] = ASK
    out[gain_b] = GIVE
    out[gain_b & gain_s] = MUTUAL
    return out


@dataclass(frozen=True, eq=False)
class Limits:
    """What the seller may propose: the allowed packages, the price issue, the utility tolerance."""

    allowed: np.ndarray  # feasible, ≥ seller walk-away, price ≥ floor
    price: int | None  # position of the price issue
    floor: float | None
    tol_s: float


@functools.lru_cache(maxsize=16)
def seller_limits(space: OutcomeSpace) -> Limits:
    """The packages the policy lets the seller propose (cached per outcome space)."""
    deal = space.deal
    allowed = within_limits(deal, space.feasible, space.seller, _price_values(space))
    pname = price_issue(deal)
    price_pos = deal.by_name[pname].index if pname is not None and pname in deal.by_name else None
    floor = deal.model.policy.floor_price if deal.model.policy else None
    scale = float(np.max(np.abs(space.seller[space.feasible]))) if space.feasible.any() else 1.0
    allowed.flags.writeable = False
    return Limits(allowed, price_pos, floor, REL_TOL * max(1.0, scale))


def within_limits(deal: CompiledDeal, feasible: np.ndarray, seller: np.ndarray, price: np.ndarray | None) -> np.ndarray:
    """Feasible, at or above the seller's walk-away and at or above ``policy.floor_price``."""
    ok = feasible.copy()
    w_s = deal.seller_walk_away
    if w_s is not None:
        ok &= seller >= w_s - REL_TOL * max(1.0, abs(w_s))
    floor = deal.model.policy.floor_price if deal.model.policy else None
    if floor is not None and price is not None:
        ok &= price >= floor - REL_TOL * max(1.0, abs(floor))
    return ok


def _price_values(space: OutcomeSpace) -> np.ndarray | None:
    deal = space.deal
    pname = price_issue(deal)
    if pname is None or pname not in deal.by_name:
        return None
    issue = deal.by_name[pname]
    assert issue.levels is not None
    view = [1] * len(deal.shape)
    view[issue.index] = deal.shape[issue.index]
    return np.broadcast_to(issue.levels.reshape(view), deal.shape).reshape(-1)


def pareto_efficient(seller: np.ndarray, buyer: np.ndarray, tol_s: float, tol_b: float) -> np.ndarray:
    """Mask of the points no other point weakly dominates (≥ both, > one, beyond the tolerances); ties all kept."""
    n = len(seller)
    if n == 0:
        return np.zeros(0, dtype=bool)
    qs = np.round(seller / max(tol_s, 1e-300))
    qb = np.round(buyer / max(tol_b, 1e-300))
    order = np.lexsort((-qs, -qb))  # best for the buyer first, then best for us
    s_sorted, b_sorted = qs[order], qb[order]
    best_before = np.maximum.accumulate(np.concatenate(([-np.inf], s_sorted[:-1])))
    # a point is dominated by an earlier one (b ≥, s ≥) unless it is an exact tie of the first point of its b-group
    first_of_group = np.concatenate(([True], b_sorted[1:] != b_sorted[:-1]))
    group_start = np.maximum.accumulate(np.where(first_of_group, np.arange(n), 0))
    top_s_of_group = s_sorted[group_start]
    best_before_group = best_before[group_start]
    keep_sorted = (s_sorted == top_s_of_group) & (s_sorted > best_before_group)
    out = np.zeros(n, dtype=bool)
    out[order] = keep_sorted
    return out


def no_gift(stated_kinds: np.ndarray) -> np.ndarray:
    """Per candidate (rows) over the buyer's stated issues (columns, move codes from the stated value): no give
    unless a move on another stated issue that we gain from (an ask, or a move both sides gain from) pays for it."""
    gives = (stated_kinds == GIVE).any(axis=1)
    pays = ((stated_kinds == ASK) | (stated_kinds == MUTUAL)).any(axis=1)  # a move we gain from pays for a give
    ok: np.ndarray = ~gives | pays
    return ok


def reciprocal(kinds_from_previous: np.ndarray, stated_kinds: np.ndarray | None) -> np.ndarray:
    """Per candidate: a concession from our previous counter (a give) comes with an ask of the buyer, on the
    buyer's stated terms when it has stated any, else in the moves themselves."""
    concedes = (kinds_from_previous == GIVE).any(axis=1)
    kinds = stated_kinds if stated_kinds is not None and stated_kinds.shape[1] else kinds_from_previous
    asks = ((kinds == ASK) | (kinds == MUTUAL)).any(axis=1)
    ok: np.ndarray = ~concedes | asks
    return ok


def monotone(
    seller: np.ndarray, buyer: np.ndarray, previous: tuple[float, float | None] | None, tol_s: float, tol_b: float
) -> np.ndarray:
    """Never better for us and never worse for the buyer than our previous counter (buyer: under today's beliefs)."""
    ok = np.ones(len(seller), dtype=bool)
    if previous is None:
        return ok
    prev_s, prev_b = previous
    ok &= seller <= prev_s + tol_s
    if prev_b is not None:
        ok &= buyer >= prev_b - tol_b
    return ok


def should_accept(offer_seller: float, counter_level: float, allowed: bool, tol_s: float) -> bool:
    """Accept the buyer's offer (at its best completion for us) when it is allowed and worth at least what we
    would counter with."""
    return allowed and offer_seller >= counter_level - tol_s
