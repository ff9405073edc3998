"""The counter-offer engine: accept, counter (with ranked counter-offers) or walk away.

:func:`recommend` reads the situation, sets our aspiration for this turn, looks
for counters at it and decides. The rules every counter obeys live in
:mod:`dealopt.negotiation.rules`, the search and ranking in
:mod:`dealopt.negotiation.search`, the words in :mod:`dealopt.negotiation.phrasing`.

The aspiration concedes over time (Boulware by default) from our best package
in the zone of agreement we believe in towards our walk-away (a stronger
alternative: a slower concession), and stops where that zone ends for us (the
package in it best for the buyer: conceding further gives the buyer nothing); it never rises
back above a counter already made, and never falls below what the buyer's own
last offer lets us ask (the most we get while giving the buyer at least what it
offered itself), nor below the best the buyer has offered us before (a buyer
that has conceded since would take that again). On the last turn, any buyer offer within our limits is
accepted; the turn before, our counter is our last best offer (never more for the buyer than
what its own offer asked, improved for us where the buyer loses nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation import phrasing
from dealopt.negotiation.beliefs import DEFAULT_RATIONALITY
from dealopt.negotiation.concession import DEFAULT_EXPONENT, aspiration
from dealopt.negotiation.flags import Flag, approval_flag
from dealopt.negotiation.moves import Reference, move_table
from dealopt.negotiation.offers import Offer, parse_history
from dealopt.negotiation.pace import pace_hold, smallest_step
from dealopt.negotiation.rules import GIVE, MUTUAL, pareto_efficient, should_accept
from dealopt.negotiation.search import LOW_ACCEPTANCE, obeys, search
from dealopt.negotiation.situation import Situation, read_situation
from dealopt.options import OPENINGS

__all__ = ["Action", "Counter", "Offer", "Recommendation", "parse_history", "recommend", "default_opening", "OPENINGS"]


def default_opening(deal: CompiledDeal) -> str:
    """``best`` for a buyer we model as one utility (measured in benchmarks/negotiation.py: +0.01 at 100 rounds,
    +0.007 at 20 over ``zopa``: an opening inside the zone leaves money with accommodating buyers and gives
    reciprocal ones no room to see us move); ``zopa`` with buyer profiles, where aiming past the expected zone
    makes counters most profiles reject."""
    return "zopa" if deal.profiles else "best"


class Action(StrEnum):
    """What the rep should do next."""

    ACCEPT = "accept"
    COUNTER = "counter"
    WALK_AWAY = "walk_away"


@dataclass(frozen=True)
class Counter:
    """A counter-offer with its utilities, its words and its flags."""

    package: dict[str, Any]
    seller: float
    buyer: float
    acceptance_probability: float | None
    sentence: str
    flags: tuple[Flag, ...]
    gives: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()

    @property
    def joint(self) -> float:
        """Seller + (expected) buyer utility."""
        return self.seller + self.buyer

    def to_dict(self) -> dict[str, Any]:
        """As in ``dealopt counter --json``."""
        return {
            "package": self.package,
            "seller": self.seller,
            "buyer": self.buyer,
            "joint": self.joint,
            "acceptance_probability": self.acceptance_probability,
            "sentence": self.sentence,
            "gives": list(self.gives),
            "asks": list(self.asks),
            "flags": [f.to_dict() for f in self.flags],
        }


@dataclass(frozen=True)
class Recommendation:
    """What to do next, why (in words a rep acts on), and the numbers behind it."""

    recommendation: Action
    reason: str
    aspiration: float | None
    beliefs: dict[str, float] | None
    counters: tuple[Counter, ...]
    progress: float
    turns_left: int | None = None
    accepted_package: dict[str, Any] | None = None
    last_best_offer: Counter | None = None
    concession_used: float | None = None
    notes: tuple[str, ...] = ()
    accepted_sentence: str | None = None  # for the buyer, when accepting

    def to_dict(self) -> dict[str, Any]:
        """As in ``dealopt counter --json``."""
        return {
            "recommendation": self.recommendation.value,
            "reason": self.reason,
            "counters": [c.to_dict() for c in self.counters],
            "accepted_package": self.accepted_package,
            "accepted_sentence": self.accepted_sentence,
            "last_best_offer": self.last_best_offer.to_dict() if self.last_best_offer else None,
            "aspiration": self.aspiration,
            "concession_used": self.concession_used,
            "progress": self.progress,
            "turns_left": self.turns_left,
            "beliefs": self.beliefs,
            "notes": list(self.notes),
        }


def recommend(
    deal: CompiledDeal,
    history: list[Offer],
    progress: float,
    *,
    turns_left: int | None = None,
    exponent: float = DEFAULT_EXPONENT,
    top: int = 3,
    rationality: float = DEFAULT_RATIONALITY,
    opening: str | None = None,
    learn: bool = True,
    notes: tuple[str, ...] = (),
) -> Recommendation:
    """The next move for the seller after ``history`` at ``progress`` ∈ [0, 1] (``turns_left``: our turns after this)."""
    sit = read_situation(deal, history, rationality, learn)  # limits, beliefs, the offers read
    clock = _Clock(progress, turns_left, notes + (sit.offer.stated.notes if sit.offer else ()))
    if not sit.zopa.any():
        return _walk_away(sit, phrasing.reason_no_zopa(sit), clock)
    # the aspiration, held up by the buyer's own pace of concession, then by what its offer lets us ask
    target = pace_hold(sit, _target(sit, progress, exponent, opening), clock.turns_left)
    floor = _earlier_offer(sit)  # never less than the buyer has offered us before: it would take that again
    level = max(_hold(sit, target), floor)
    offer = sit.offer  # taken only when our efficient answer at the buyer's own utility would not get us more
    if offer is not None and offer.allowed and (clock.last or should_accept(offer.seller, level, True, sit.tol_s)):
        return _accept(sit, target, clock)
    if clock.last:
        return _walk_away(sit, phrasing.reason_deadline(offer is not None), clock)
    if sit.buyer_waits and not clock.final:  # it moves only when we do: our smallest step
        level = max(min(level, smallest_step(sit, level)), floor)
    found = search(sit, level, top, floor)  # the candidates
    flats = found.flats or _fallback(sit)
    # no counter keeps to the rules, or (our beliefs moved) the one found asks no more than their offer: take it
    if (
        offer is not None
        and offer.allowed
        and (not flats or should_accept(offer.seller, sit.seller(flats[0]), True, sit.tol_s))
    ):
        return _accept(sit, target, clock)
    if flats:
        return _countering(sit, level, flats, found.restricted, clock)
    return _walk_away(sit, phrasing.reason_nothing_at_level(), clock)


@dataclass(frozen=True)
class _Clock:
    """Where the negotiation stands."""

    progress: float
    turns_left: int | None
    notes: tuple[str, ...]

    @property
    def last(self) -> bool:
        """Our last turn: the deadline rules fire here, whatever the progress value."""
        return self.turns_left == 0 if self.turns_left is not None else self.progress >= 1.0

    @property
    def final(self) -> bool:
        """The turn before the last: our counter is our last best offer."""
        return self.turns_left == 1


def _countering(
    sit: Situation, level: float, flats: tuple[int, ...], restricted: bool, clock: _Clock
) -> Recommendation:
    counters = tuple(_counter(sit, f, restricted, clock.final) for f in flats)
    level = min(level, counters[0].seller)  # our beliefs moved: keeping the buyer whole cost a step
    used = _used(sit, level)
    reason = phrasing.reason_counter(sit, level, used, clock.final, clock.turns_left)
    return Recommendation(
        Action.COUNTER,
        reason,
        level,
        sit.belief.weights,
        counters,
        clock.progress,
        clock.turns_left,
        None,
        None,
        used,
        clock.notes,
    )


def _target(sit: Situation, progress: float, exponent: float, opening: str | None) -> float:
    """This turn's aspiration: time-based, from our opening to the end of the zone; never above our last counter."""
    best = sit.best
    if (opening or default_opening(sit.deal)) == "best":
        best = float(sit.space.seller[sit.limits.allowed].max())
    w_s = sit.deal.seller_walk_away
    target = aspiration(best, w_s if w_s is not None else sit.low, progress, exponent)
    if sit.previous is not None:
        target = min(target, sit.previous.seller)
    return max(target, sit.low)


def _hold(sit: Situation, target: float) -> float:
    """No lower than what the buyer's own offer lets us ask: the most for us among the efficient packages in the zone
    of agreement we believe in that are no worse for the buyer than its offer under every hypothesis we still hold
    (so that the buyer takes it), else the most for us at the buyer's expected utility of its offer; never above our
    previous counter."""
    offer = sit.offer
    if offer is None or not np.isfinite(offer.buyer):
        return target
    space, bel = sit.space, sit.belief
    ok = sit.zopa & (bel.utility >= offer.buyer - sit.tol_b)  # within the zone we believe in, never past it
    if not ok.any():
        return target
    match = float(space.seller[ok].max())
    cap = sit.previous.seller if sit.previous is not None else match
    if offer.row is not None:
        sure = _surely_efficient(sit, ok, cap, int(space.flat(offer.row)[0]))
        if sure is not None:
            return max(target, sure)
    return max(target, min(match, cap))


def _earlier_offer(sit: Situation) -> float:
    """Our utility of the buyer's best offer so far (a buyer that conceded since still takes it), at most our
    previous counter; -inf when it made none we can read as a whole package."""
    prev = sit.previous.seller if sit.previous is not None else float("inf")
    return min(sit.buyer_best, prev)


def _surely_efficient(sit: Situation, ok: np.ndarray, cap: float, at: int) -> float | None:
    """Our utility of the best package for us, at most ``cap``, among the packages in ``ok`` (those the buyer values
    at least as much as package ``at``, on average) that every live buyer hypothesis values at least as much as
    ``at`` and that no allowed package dominates under our beliefs; None with a single hypothesis (the plain match
    is that package) or when none is found among the best ``_TOP`` for us."""
    hyps = _hypotheses(sit)
    if len(hyps) < 2:
        return None
    space, bel = sit.space, sit.belief
    idx = np.flatnonzero(ok)  # any package dominating one of these is one of them
    if len(idx) > _TOP:
        idx = idx[np.argpartition(-space.seller[idx], _TOP - 1)[:_TOP]]
    idx = idx[np.lexsort((idx, -bel.utility[idx], -space.seller[idx]))]  # best for us first, ties best for buyer
    b = bel.utility[idx]
    keep = b >= np.maximum.accumulate(b) - sit.tol_b  # nothing at least as good for us gives the buyer more
    keep &= space.seller[idx] <= cap + sit.tol_s
    for u in hyps:
        keep &= u[idx] >= u[at] - sit.tol_b
    if not keep.any():
        return None
    return float(space.seller[idx[int(np.argmax(keep))]])


_TOP = 4096


#: A buyer hypothesis (profile, or the model's buyer beside what we learned) with at least this weight is live.
_LIVE = 0.01


def _hypotheses(sit: Situation) -> list[np.ndarray]:
    """The buyer utilities we still believe in, each over the outcome space."""
    space, bel = sit.space, sit.belief
    if space.profiles is not None and bel.profile_weights is not None:
        return [space.profiles[j] for j in np.flatnonzero(bel.profile_weights > _LIVE)]
    out = [space.buyer] if bel.model_weight > _LIVE else []
    if bel.learned is not None and bel.model_weight < 1.0 - _LIVE:
        out.append(bel.learned)
    return out


def _fallback(sit: Situation) -> tuple[int, ...]:
    """Our previous counter again, when it is still within our limits, keeps to the rules against the buyer's new
    terms, and is worth more to us than that offer — or, when what we learned of the buyer shows it dominated, the
    package best for the buyer among those better for both sides (offering the dominated one would leave value on
    the table)."""
    prev = sit.previous
    if prev is None or prev.row is None:
        return ()
    flat = int(sit.space.flat(prev.row)[0])
    if not sit.limits.allowed[flat] or (
        sit.offer is not None and sit.offer.allowed and sit.offer.seller >= prev.seller
    ):
        return ()
    better = _dominating(sit, flat)
    if better is not None:
        return (better,)
    return (flat,) if obeys(sit, np.array([flat]))[0] else ()


def _dominating(sit: Situation, flat: int) -> int | None:
    """The efficient package best for the buyer among the allowed ones at least as good for us as package ``flat``
    and better for the buyer (today's beliefs), that keeps to the rules; None when none does."""
    space, bel, lim = sit.space, sit.belief, sit.limits
    s0, b0 = float(space.seller[flat]), float(bel.utility[flat])
    pool = np.flatnonzero(lim.allowed & (space.seller >= s0 - lim.tol_s) & (bel.utility > b0 + sit.tol_b))
    if not len(pool):
        return None
    pool = pool[pareto_efficient(space.seller[pool], bel.utility[pool], lim.tol_s, sit.tol_b)]
    pool = pool[obeys(sit, pool, dominating=True)]
    if not len(pool):
        return None
    return _best_for_buyer(sit, pool)


def _best_for_buyer(sit: Situation, pool: np.ndarray) -> int:
    """Of the packages ``pool`` (ascending flat indices), the best for the buyer, then for us, then the first: one
    pass, no sort."""
    pool = pool[sit.belief.utility[pool] == sit.belief.utility[pool].max()]
    return int(pool[sit.space.seller[pool] == sit.space.seller[pool].max()][0])


def _used(sit: Situation, level: float) -> float | None:
    span = sit.best - sit.low
    return float(min(1.0, max(0.0, (sit.best - level) / span))) if span > 0 else None


def _counter(sit: Situation, flat: int, restricted: bool, final: bool) -> Counter:
    """One counter: its package, utilities, the buyer-facing sentence and the flags."""
    deal, space, bel = sit.deal, sit.space, sit.belief
    row = space.rows(np.array([flat]))[0]
    package = deal.package_labels(row)
    gives: list[str] = []
    asks: list[str] = []
    stated = sit.offer.stated.values if sit.offer is not None else None
    if sit.offer is not None:
        ref = Reference(sit.offer.stated.grid, sit.offer.stated.exact)
        kinds = move_table(space, bel, row[None, :], ref, sit.tol_s, sit.tol_b)[0]
        for code, i in zip(kinds, ref.issues, strict=True):
            name = deal.issues[i].name
            if package[name] == stated.get(name):  # type: ignore[union-attr]
                continue
            if code in (GIVE, MUTUAL):
                gives.append(name)
            else:  # an ask, or a change neither side gains from alone: the buyer has to agree to it
                asks.append(name)
    acc = None if bel.acceptance is None else float(bel.acceptance[flat])
    seller = float(space.seller[flat])
    flags = _flags(sit, row, flat, seller, acc, restricted, final)
    sentence = phrasing.counter_sentence(deal, package, stated, gives, asks)
    return Counter(package, seller, float(bel.utility[flat]), acc, sentence, tuple(flags), tuple(gives), tuple(asks))


def _flags(
    sit: Situation, row: np.ndarray, flat: int, seller: float, acc: float | None, restricted: bool, final: bool
) -> list[Flag]:
    deal = sit.deal
    flags = []
    if sit.limits.price is not None:
        f = approval_flag(deal, float(deal.issues[sit.limits.price].labels[row[sit.limits.price]]))
        if f is not None:
            flags.append(f)
    if deal.seller_walk_away is not None and seller <= deal.seller_walk_away + sit.tol_s:
        flags.append(Flag("at_walk_away", "at our limit: nothing left to give"))
    if final:
        flags.append(Flag("last_best_offer", "the last offer the buyer can accept before the deadline"))
    if acc is not None and acc < LOW_ACCEPTANCE:
        flags.append(Flag("low_acceptance", f"{acc:.0%} of the buyer profiles would accept"))
    if flat in sit.offered:
        flags.append(Flag("repeats_previous_offer", "the same package as one of our earlier counters"))
    prev = sit.previous
    if prev is not None and prev.row is not None and sit.limits.price is not None:
        diff = row != prev.row
        p = sit.limits.price
        if diff[p] and diff.sum() == 1 and row[p] < prev.row[p]:
            flags.append(Flag("price_cut_only", "only the price moves: no other term reaches this level"))
    if restricted:
        flags.append(Flag("restricted_efficiency", "the best package that keeps the buyer's stated terms"))
    return flags


def _accept(sit: Situation, target: float, clock: _Clock) -> Recommendation:
    offer = sit.offer
    assert offer is not None and offer.package is not None
    return Recommendation(
        Action.ACCEPT,
        phrasing.reason_accept(sit, clock.last),
        target,
        sit.belief.weights,
        (),
        clock.progress,
        clock.turns_left,
        dict(offer.package),
        None,
        _used(sit, target),
        clock.notes,
        phrasing.accept_sentence(sit.deal, offer.package, offer.stated.values),
    )


def _walk_away(sit: Situation, reason: str, clock: _Clock) -> Recommendation:
    """Walk away, leaving the last best offer on the table: the package at our limit that is best for the buyer."""
    lim, bel = sit.limits, sit.belief
    last = None
    if lim.allowed.any():
        last = _counter(sit, _best_for_buyer(sit, np.flatnonzero(lim.allowed)), False, True)
    return Recommendation(
        Action.WALK_AWAY, reason, None, bel.weights, (), clock.progress, clock.turns_left, None, last, None, clock.notes
    )
