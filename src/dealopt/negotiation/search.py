"""Finding and ranking counter-offers at a level of our utility.

The candidates are the allowed packages worth at least ``level`` to us that
no allowed package dominates (for us and, under our beliefs, for the buyer),
that obey the discipline (no gift, reciprocity, monotone: see
:mod:`dealopt.negotiation.rules`). They are ranked best for the buyer first;
among near-equals (within a small band of buyer utility), the one that keeps
more of what was already on the table: fewer moves back toward us from our
previous counter, fewer changes to it, closest to the buyer's offer.
Alternatives differ in substance: another pair of utilities and another
non-price term.

Only the packages best for the buyer are examined first (any package that
dominates one of them is among them), widening only when the rules reject too
many, so a search costs about one pass over the outcome space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dealopt.negotiation.moves import Reference, move_table
from dealopt.negotiation.rules import ASK, monotone, no_gift, pareto_efficient, reciprocal
from dealopt.negotiation.situation import Situation

__all__ = ["Found", "obeys", "search", "LOW_ACCEPTANCE", "RANK_BAND"]

#: Below this acceptance probability (buyer profiles) a counter is flagged, and one above it is offered if any.
LOW_ACCEPTANCE = 0.5
#: Counters within this share of the buyer's utility range count as equally good for the buyer when ranking.
RANK_BAND = 0.002
_FIRST = 4096


@dataclass(frozen=True)
class Found:
    """Counters found at a level: flat indices, best first, and whether efficiency had to be restricted."""

    flats: tuple[int, ...]
    restricted: bool


def search(sit: Situation, level: float, top: int, floor: float = float("-inf")) -> Found:
    """The best ``top`` counters worth at least ``level`` to us (when our beliefs moved, possibly less, but never
    less than ``floor``)."""
    space, lim, bel = sit.space, sit.limits, sit.belief
    universe = np.flatnonzero(lim.allowed & (space.seller >= level - lim.tol_s))
    if not len(universe):
        return Found((), False)
    b_all = bel.utility[universe]
    zone = _within_zone(sit, level)
    k = _FIRST
    while True:
        if k < len(universe):
            cut = np.partition(b_all, len(b_all) - k)[len(b_all) - k]
            pool = universe[b_all >= cut]
        else:
            pool = universe
        cand = pool[pareto_efficient(space.seller[pool], bel.utility[pool], lim.tol_s, sit.tol_b)]
        chosen = _choose(sit, cand, top, zone)
        if chosen or len(pool) == len(universe):  # alternatives come from the first pool; widen only for a first
            break
        k *= 8
    restricted = False
    if not chosen and sit.previous is not None and sit.previous.buyer is not None:
        chosen = _least_concession(sit, top, floor)
    if not chosen:  # nothing efficient obeys the rules: efficient among the packages that do
        ok, _rows, _back = _obeying(sit, pool, zone)
        keep = pool[ok]
        if len(keep):
            cand = keep[pareto_efficient(space.seller[keep], bel.utility[keep], lim.tol_s, sit.tol_b)]
            chosen = _choose(sit, cand, top, zone)
            restricted = True
    return Found(tuple(int(f) for f in chosen), restricted)


def _choose(sit: Situation, cand: np.ndarray, top: int, zone: np.ndarray) -> list[int]:
    """The best ``top`` of efficient candidates that obey the rules, checking the rules a batch at a time in the
    order of buyer utility (bands whole, so the ranking inside a band is exact)."""
    if not len(cand):
        return []
    band = _band(sit)
    order = np.argsort(-np.floor(sit.belief.utility[cand] / band), kind="stable")
    cand = cand[order]
    keys = np.floor(sit.belief.utility[cand] / band)
    start, size = 0, 64
    chosen: list[int] = []
    while start < len(cand) and len(chosen) < top:
        stop = min(len(cand), start + size)
        while stop < len(cand) and keys[stop] == keys[stop - 1]:
            stop += 1
        batch = cand[:stop]
        ok, rows, back = _obeying(sit, batch, zone)
        chosen = _rank(sit, batch[ok], rows[ok], back[ok], top)
        start, size = stop, size * 4
    return chosen


def _least_concession(sit: Situation, top: int, floor: float) -> list[int]:
    """When our beliefs have moved, the efficient packages at our level may all be better for us than our previous
    counter: then the efficient packages no worse for the buyer than it, the least concession first (none below
    ``floor``)."""
    space, bel, lim = sit.space, sit.belief, sit.limits
    assert sit.previous is not None and sit.previous.buyer is not None
    pool = np.flatnonzero(lim.allowed & (bel.utility >= sit.previous.buyer - sit.tol_b))
    if not len(pool):
        return []
    cand = pool[pareto_efficient(space.seller[pool], bel.utility[pool], lim.tol_s, sit.tol_b)]
    cand = cand[(space.seller[cand] <= sit.previous.seller + lim.tol_s) & (space.seller[cand] >= floor - lim.tol_s)]
    cand = cand[np.argsort(-space.seller[cand], kind="stable")]
    for start in range(0, len(cand), 64):
        batch = cand[start : start + 64]
        ok, rows, back = _obeying(sit, batch, sit.zopa)
        if ok.any():
            first = int(np.flatnonzero(ok)[0])
            return _rank(sit, batch[first : first + 1], rows[first : first + 1], back[first : first + 1], 1)[:top]
    return []


def _band(sit: Situation) -> float:
    zopa_b = sit.belief.utility[sit.zopa] if sit.zopa.any() else sit.belief.utility
    return max(RANK_BAND * float(zopa_b.max() - zopa_b.min()), sit.tol_b, 1e-300)


def _within_zone(sit: Situation, level: float) -> np.ndarray:
    """Where counters may lie: the zone of agreement we believe in, and, when our aspiration opens above it
    (``opening="best"``), the allowed packages better for us than anything in it."""
    if level <= sit.best + sit.tol_s:
        return sit.zopa
    return sit.zopa | (sit.limits.allowed & (sit.space.seller > sit.best + sit.tol_s))


def obeys(sit: Situation, flats: np.ndarray, *, dominating: bool = False) -> np.ndarray:
    """Which packages keep to the discipline (monotone, no gift, reciprocity) in this situation; ``dominating``:
    a package better for us than our previous counter passes monotonicity when it is better for the buyer too."""
    return _obeying(sit, np.asarray(flats, dtype=np.int64), sit.zopa, dominating)[0]


def _obeying(
    sit: Situation, cand: np.ndarray, zone: np.ndarray, dominating: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which candidates lie in the zone of agreement we believe in and obey monotone, no-gift and reciprocity; their
    rows; their moves back toward us."""
    space, bel, lim = sit.space, sit.belief, sit.limits
    rows = space.rows(cand)
    s, b = space.seller[cand], bel.utility[cand]
    prev = sit.previous
    within = (
        sit.zopa
        if sit.limits.tol_s + sit.best >= float(sit.space.seller[cand].min(initial=np.inf))
        else sit.limits.allowed
    )
    mono = monotone(s, b, (prev.seller, prev.buyer) if prev else None, lim.tol_s, sit.tol_b)
    if dominating and prev is not None and prev.buyer is not None:
        mono |= (s >= prev.seller - lim.tol_s) & (b > prev.buyer + sit.tol_b)
    ok = within[cand] & mono
    stated_kinds = None
    if sit.offer is not None:
        ref = Reference(sit.offer.stated.grid, sit.offer.stated.exact)
        stated_kinds = move_table(space, bel, rows, ref, lim.tol_s, sit.tol_b)
        ok &= no_gift(stated_kinds)
    back = np.zeros(len(cand), dtype=np.int64)
    if prev is not None and prev.row is not None:
        ref_prev = Reference({i: int(x) for i, x in enumerate(prev.row)}, {})
        kinds_prev = move_table(space, bel, rows, ref_prev, lim.tol_s, sit.tol_b)
        back = (kinds_prev == ASK).sum(axis=1)
        pol = sit.deal.model.policy
        if pol is None or pol.require_reciprocity:
            ok &= reciprocal(kinds_prev, stated_kinds)
    return ok, rows, back


def _rank(sit: Situation, cand: np.ndarray, rows: np.ndarray, back: np.ndarray, top: int) -> list[int]:
    """Best for the buyer first; among near-equals, the most stable; then alternatives that differ in substance."""
    if not len(cand):
        return []
    space, bel = sit.space, sit.belief
    b = bel.utility[cand]
    band = _band(sit)
    changed = np.zeros(len(cand), dtype=np.int64)
    if sit.previous is not None and sit.previous.row is not None:
        changed = (rows != sit.previous.row[None, :]).sum(axis=1)
    dist = np.zeros(len(cand))
    if sit.offer is not None and sit.offer.row is not None:
        dist = (rows != sit.offer.row[None, :]).sum(axis=1).astype(float)
    repeat = np.isin(cand, list(sit.offered)) if sit.buyer_moved and sit.offered else np.zeros(len(cand), dtype=bool)
    order = np.lexsort((cand, -space.seller[cand], dist, repeat, changed, back, -np.floor(b / band)))
    price = sit.limits.price
    chosen: list[int] = []
    for j in order:
        if len(chosen) >= top:
            break
        if chosen and not _differs(sit, rows, cand, j, chosen, price):
            continue
        chosen.append(int(j))
    if bel.acceptance is not None:
        chosen = _with_likely(sit, cand, order, chosen, top)
    return [int(cand[j]) for j in chosen]


def _differs(sit: Situation, rows: np.ndarray, cand: np.ndarray, j: int, chosen: list[int], price: int | None) -> bool:
    """An alternative differs from every one chosen in its utilities and in two terms other than the price (one
    when the deal has only one other)."""
    space, bel = sit.space, sit.belief
    need = min(2, len(sit.deal.issues) - (price is not None))
    for c in chosen:
        same_s = abs(space.seller[cand[j]] - space.seller[cand[c]]) <= sit.tol_s
        same_b = abs(bel.utility[cand[j]] - bel.utility[cand[c]]) <= sit.tol_b
        if same_s and same_b:
            return False
        diff = rows[j] != rows[c]
        if price is not None:
            diff[price] = False
        if int(diff.sum()) < need:
            return False
    return True


def _with_likely(sit: Situation, cand: np.ndarray, order: np.ndarray, chosen: list[int], top: int) -> list[int]:
    """With buyer profiles: make sure one counter clears the acceptance threshold when any candidate does."""
    acc = sit.belief.acceptance
    assert acc is not None
    if any(acc[cand[j]] >= LOW_ACCEPTANCE for j in chosen):
        return chosen
    likely = [int(j) for j in order if acc[cand[j]] >= LOW_ACCEPTANCE]
    if not likely:
        return chosen
    return [*chosen[: top - 1], likely[0]]
