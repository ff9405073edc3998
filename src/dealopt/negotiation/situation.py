"""Where a negotiation stands: the history read against the deal, the belief about the buyer, our limits.

Everything the counter-offer decision needs, computed once per call: the
buyer's last offer read exactly and valued at its best completion for us, our
previous counter valued under today's beliefs, the zone of agreement we believe
in, and the ends of our concession (our best package in that zone, and the
package in it that is best for the buyer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.beliefs import BuyerBelief, belief
from dealopt.negotiation.offers import Offer, StatedOffer, completions, read_offer
from dealopt.negotiation.rules import REL_TOL, Limits, seller_limits, within_limits
from dealopt.negotiation.space import OutcomeSpace, outcome_space

__all__ = ["BuyerOffer", "Previous", "Situation", "read_situation"]


@dataclass(frozen=True)
class BuyerOffer:
    """The buyer's last offer, and what it is worth to us at its best completion (the package we would sign)."""

    stated: StatedOffer
    row: np.ndarray | None  # nearest level indices of the best completion (None: no allowed completion)
    package: dict[str, object] | None  # the best completion, with the buyer's exact values
    seller: float  # our utility of it (-inf when nothing completes it within our limits)
    buyer: float  # its believed buyer utility
    allowed: bool  # within our limits


@dataclass(frozen=True)
class Previous:
    """Our previous counter, valued today."""

    row: np.ndarray | None  # None when we stated it partially or off the grid
    seller: float
    buyer: float | None


@dataclass(frozen=True)
class Situation:
    """The negotiation as the counter-offer decision sees it."""

    deal: CompiledDeal
    space: OutcomeSpace
    limits: Limits
    belief: BuyerBelief
    zopa: np.ndarray  # allowed and acceptable to the buyer under the belief
    offer: BuyerOffer | None
    previous: Previous | None
    offered: frozenset[int]  # flat indices of our earlier counters
    buyer_moved: bool  # the buyer's last offer is one it had not made before
    buyer_waits: bool  # it repeats itself, and has gone back to an earlier offer before: it waits for our move
    buyer_path: tuple[float, ...]  # believed buyer utility of each complete buyer offer, oldest first (nan: partial)
    we_moved: tuple[bool, ...]  # per buyer offer: whether we had made a new counter since its previous offer
    buyer_best: float  # our utility of the buyer's best offer so far (complete, on the grid, within limits; -inf: none)
    best: float  # our best utility in the zone of agreement
    low: float  # our utility where the zone ends for us: the package in it best for the buyer (≥ walk-away)
    tol_b: float

    @property
    def tol_s(self) -> float:
        """Tolerance on seller utilities."""
        return self.limits.tol_s

    def seller(self, flat: int) -> float:
        """Our utility of a package (flat index)."""
        return float(self.space.seller[flat])


def read_situation(deal: CompiledDeal, history: list[Offer], rationality: float, learn: bool = True) -> Situation:
    """Read ``history`` against ``deal``: offers, beliefs, limits and the ends of our concession."""
    space = outcome_space(deal)
    limits = seller_limits(space)
    stated = [(o.by, read_offer(deal, o.package, f"history[{n}].package")) for n, o in enumerate(history)]
    buyer_offers = [s for by, s in stated if by == "buyer"]
    ours = [s for by, s in stated if by == "seller"]
    bel = belief(space, [s.nearest(deal) for s in buyer_offers], rationality, learn)
    scale_b = float(np.max(np.abs(bel.utility[space.feasible]))) if space.feasible.any() else 1.0
    tol_b = REL_TOL * max(1.0, scale_b)
    zopa = limits.allowed & bel.acceptable
    offer = _value_offer(space, limits, bel, buyer_offers[-1]) if buyer_offers else None
    previous = _value_previous(space, limits, bel, ours[-1]) if ours else None
    offered = frozenset(f for f in (s.grid_flat(deal) for s in ours) if f is not None)
    keys = [_key(o) for o in buyer_offers]
    repeats = [k in keys[:n] for n, k in enumerate(keys)]
    moved = bool(buyer_offers) and not repeats[-1]
    waits = bool(buyer_offers) and not moved and _went_back(keys)
    path = tuple(_believed(space, bel, s) for s in buyer_offers)
    best, low = _ends(space, bel, zopa, limits)
    return Situation(
        deal,
        space,
        limits,
        bel,
        zopa,
        offer,
        previous,
        offered,
        moved,
        waits,
        path,
        _moves(stated),
        _best_offer(space, limits, buyer_offers),
        best,
        low,
        tol_b,
    )


def _best_offer(space: OutcomeSpace, limits: Limits, offers: list[StatedOffer]) -> float:
    """Our utility of the buyer's best offer for us so far, among its complete offers on the grid within our limits."""
    flats = (s.grid_flat(space.deal) for s in offers)
    ok = [f for f in flats if f is not None and limits.allowed[f]]
    return float(space.seller[ok].max()) if ok else float("-inf")


def _moves(stated: list[tuple[str, StatedOffer]]) -> tuple[bool, ...]:
    """Per buyer offer: whether our latest counter before it differs from our latest counter before the one before."""
    out: list[bool] = []
    ours: tuple[tuple[int, float], ...] | None = None
    at_last: tuple[tuple[int, float], ...] | None = None
    for by, s in stated:
        if by == "seller":
            ours = _key(s)
        else:
            out.append(ours != at_last)
            at_last = ours
    return tuple(out)


def _believed(space: OutcomeSpace, bel: BuyerBelief, offer: StatedOffer) -> float:
    """The believed buyer utility of a complete offer (at its nearest levels); nan for a partial one."""
    flat = offer.near_flat(space.deal)
    return float("nan") if flat is None else float(bel.utility[flat])


def _went_back(keys: list[tuple[tuple[int, float], ...]]) -> bool:
    """Whether the buyer ever returned to an offer older than its latest new one: a buyer that concedes only in
    answer to our moves (a time-dependent buyer never goes back)."""
    latest: tuple[tuple[int, float], ...] | None = None
    seen: set[tuple[tuple[int, float], ...]] = set()
    for k in keys:
        if k in seen and k != latest:
            return True
        if k not in seen:
            latest = k
            seen.add(k)
    return False


def _key(offer: StatedOffer) -> tuple[tuple[int, float], ...]:
    return tuple(sorted([(i, float(x)) for i, x in offer.grid.items()] + [(i, x) for i, x in offer.exact.items()]))


def _ends(space: OutcomeSpace, bel: BuyerBelief, zopa: np.ndarray, limits: Limits) -> tuple[float, float]:
    if not zopa.any():
        return float("nan"), float("nan")
    s = space.seller[zopa]
    b = bel.utility[zopa]
    best = float(s.max())
    top_b = b.max()
    low = float(s[b >= top_b - REL_TOL * max(1.0, abs(float(top_b)))].max())
    w_s = space.deal.seller_walk_away
    return best, max(low, w_s) if w_s is not None else low


def _value_offer(space: OutcomeSpace, limits: Limits, bel: BuyerBelief, stated: StatedOffer) -> BuyerOffer:
    """The buyer's offer at its best completion for us (exact values, within our limits when possible)."""
    deal = space.deal
    rows, ev = completions(deal, stated)
    price: np.ndarray | None = None
    if limits.price is not None:
        issue = deal.issues[limits.price]
        exact = stated.exact.get(limits.price, None)
        assert issue.levels is not None
        price = np.full(len(rows), exact) if exact is not None else issue.levels[rows[:, limits.price]]
    ok = within_limits(deal, ev.feasible, ev.seller, price)
    buyer = bel.of(ev, rows)
    pool = np.flatnonzero(ok) if ok.any() else np.flatnonzero(ev.feasible)
    if not len(pool):
        return BuyerOffer(stated, None, None, float("-inf"), float("-inf"), False)
    j = int(pool[np.lexsort((pool, -buyer[pool], -ev.seller[pool]))[0]])
    package = deal.package_labels(rows[j])
    package.update({k: v for k, v in stated.values.items()})
    return BuyerOffer(stated, rows[j], package, float(ev.seller[j]), float(buyer[j]), bool(ok[j]))


def _value_previous(space: OutcomeSpace, limits: Limits, bel: BuyerBelief, stated: StatedOffer) -> Previous:
    deal = space.deal
    if stated.complete(deal) and not stated.exact:
        row = np.array([stated.grid[i] for i in range(len(deal.issues))])
        flat = int(space.flat(row)[0])
        return Previous(row, float(space.seller[flat]), float(bel.utility[flat]))
    _rows, ev = completions(deal, stated)
    ok = ev.feasible
    return Previous(None, float(ev.seller[ok].max()) if ok.any() else float("-inf"), None)
