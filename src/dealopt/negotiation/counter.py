"""The counter-offer engine: accept, counter (with ranked counter-offers) or walk away.

The discipline, rule by rule:

- never below the seller's walk-away or ``policy.floor_price``;
- concede over time (Boulware by default) from the seller's best utility in the
  ZOPA towards its walk-away, and never rise back above a concession already made
  (the aspiration is capped by our previous offer);
- among packages at the aspiration, prefer what is best for the buyer (expected
  utility under the current beliefs), then closest to the buyer's last offer;
- reciprocity: a counter that concedes anything relative to our previous offer
  also asks for something (unless ``policy.require_reciprocity`` is false);
- value before price: a pure price cut is never proposed while a counter that
  moves other issues reaches the same aspiration; discounts past
  ``policy.approval_discount_pct`` are flagged;
- learn the buyer: with profiles, the beliefs are updated from the buyer's offers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from dealopt.errors import PackageError
from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.beliefs import DEFAULT_RATIONALITY, posterior
from dealopt.negotiation.concession import DEFAULT_EXPONENT, aspiration
from dealopt.negotiation.packages import issue_label, partial_index
from dealopt.negotiation.space import OutcomeSpace, outcome_space
from dealopt.negotiation.trades import join_words, move_phrase, price_issue

__all__ = ["Counter", "Offer", "Recommendation", "recommend", "parse_history"]

_REL = 1e-9
#: Candidates examined, best first, when looking for counters that obey every rule.
_SCAN = 20_000


@dataclass(frozen=True)
class Offer:
    """One offer of the history: who made it and the (possibly partial) package."""

    by: str
    package: dict[str, Any]


@dataclass(frozen=True)
class Counter:
    """A counter-offer with its utilities, its framing and its flags."""

    package: dict[str, Any]
    seller: float
    buyer: float
    acceptance_probability: float | None
    sentence: str
    flags: tuple[str, ...]

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
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class Recommendation:
    """What to do next: accept, counter or walk away, and why."""

    recommendation: str  # accept | counter | walk_away
    reason: str
    aspiration: float | None
    beliefs: dict[str, float] | None
    counters: tuple[Counter, ...]
    progress: float

    def to_dict(self) -> dict[str, Any]:
        """As in ``dealopt counter --json``."""
        return {
            "recommendation": self.recommendation,
            "reason": self.reason,
            "aspiration": self.aspiration,
            "beliefs": self.beliefs,
            "counters": [c.to_dict() for c in self.counters],
        }


def parse_history(data: Any, source: str = "history") -> list[Offer]:
    """Offers from plain data: a list of ``{by: buyer|seller, package: {...}}``, oldest first."""
    if not isinstance(data, list):
        raise PackageError(f"{source}: expected a list of offers [{{by: buyer|seller, package: {{…}}}}, …]")
    out = []
    for n, item in enumerate(data):
        where = f"{source}[{n}]"
        if not isinstance(item, dict):
            raise PackageError(f"{where}: expected {{by: buyer|seller, package: {{…}}}}")
        extra = set(item) - {"by", "package"}
        if extra:
            raise PackageError(f"{where}: unknown key {sorted(extra)[0]!r}; expected by and package")
        by = item.get("by")
        if by not in ("buyer", "seller"):
            raise PackageError(f"{where}.by: {by!r}; expected buyer or seller")
        pkg = item.get("package")
        if not isinstance(pkg, dict) or not pkg:
            raise PackageError(f"{where}.package: expected a mapping {{issue: level, …}}")
        out.append(Offer(by, pkg))
    return out


@dataclass(frozen=True)
class _Context:
    deal: CompiledDeal
    space: OutcomeSpace
    buyer: np.ndarray  # expected buyer utility under the current beliefs
    acceptance: np.ndarray | None
    allowed: np.ndarray  # feasible, ≥ seller walk-away, ≥ floor price
    price: int | None  # position of the price issue
    tol_s: float


def recommend(
    deal: CompiledDeal,
    history: list[Offer],
    progress: float,
    *,
    exponent: float = DEFAULT_EXPONENT,
    top: int = 3,
    rationality: float = DEFAULT_RATIONALITY,
) -> Recommendation:
    """The next move for the seller after ``history`` at ``progress`` ∈ [0, 1] of the negotiation."""
    if not 0.0 <= progress <= 1.0:
        raise PackageError(f"--progress: {progress}; expected a number in [0, 1]")
    if exponent <= 0:
        raise PackageError(f"--exponent: {exponent}; expected a number > 0")
    if top < 1:
        raise PackageError(f"--top: {top}; expected at least 1")
    space = outcome_space(deal)
    offers = [(o.by, partial_index(deal, o.package, f"history[{n}].package")) for n, o in enumerate(history)]
    buyer_offers = [p for by, p in offers if by == "buyer"]
    seller_offers = [p for by, p in offers if by == "seller"]

    beliefs = None
    acceptance = None
    if deal.profiles:
        assert space.profiles is not None
        post = posterior(space, buyer_offers, rationality)
        beliefs = {p.name: float(x) for p, x in zip(deal.profiles, post, strict=True)}
        buyer = _weighted(post, space.profiles)
        assert space.profile_accepts is not None
        acceptance = _weighted(post, space.profile_accepts)
        buyer_ok = acceptance > 0
    else:
        buyer = space.buyer
        w_b = deal.buyer_walk_away
        buyer_ok = np.ones(space.size, dtype=bool) if w_b is None else buyer >= w_b - _REL * max(1.0, abs(w_b))

    w_s = deal.seller_walk_away
    allowed, price_pos, tol_s = _seller_limits(space)
    ctx = _Context(deal, space, buyer, acceptance, allowed, price_pos, tol_s)

    zopa = allowed & buyer_ok
    if not zopa.any():
        return Recommendation(
            "walk_away", _no_zopa_reason(deal, space, allowed, buyer, acceptance), None, beliefs, (), progress
        )

    best = float(space.seller[zopa].max())
    low = w_s if w_s is not None else float(space.seller[zopa].min())
    target = aspiration(best, low, progress, exponent)
    prev = _seller_utility_of(ctx, seller_offers[-1]) if seller_offers else None
    asp = target if prev is None else min(target, prev[0])
    asp = max(asp, low)

    last_buyer = buyer_offers[-1] if buyer_offers else None
    prev_row = prev[1] if prev is not None else None
    counters = _counters(ctx, zopa, asp, last_buyer, prev_row, top)

    if last_buyer is not None and len(last_buyer) == len(deal.issues):
        row = np.array([last_buyer[i] for i in range(len(deal.issues))])
        flat = int(space.flat(row)[0])
        offer_s = float(space.seller[flat])
        if allowed[flat] and counters and offer_s >= counters[0].seller - ctx.tol_s:
            return Recommendation(
                "accept",
                f"the buyer's last offer is worth {_money(deal, offer_s)} to us, at least the {_money(deal, counters[0].seller)} "
                "our next counter would bring",
                asp,
                beliefs,
                (),
                progress,
            )
        if allowed[flat] and progress >= 1.0:
            return Recommendation(
                "accept",
                f"the deadline is reached and the buyer's last offer ({_money(deal, offer_s)} to us) clears our walk-away",
                asp,
                beliefs,
                (),
                progress,
            )
    if progress >= 1.0:
        return Recommendation(
            "walk_away",
            "the deadline is reached and the buyer's last offer is below what we can accept"
            if last_buyer is not None
            else "the deadline is reached without an offer we can accept",
            asp,
            beliefs,
            tuple(counters),
            progress,
        )
    reason = f"aiming for {_money(deal, asp)} at {progress:.0%} of the negotiation (concession exponent {exponent:g})"
    if prev is not None and asp >= prev[0] - ctx.tol_s and target < prev[0]:
        reason += "; holding at our previous offer's level, no lower"
    return Recommendation("counter", reason, asp, beliefs, tuple(counters), progress)


def _weighted(weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Σ weights[j] · rows[j] (a plain loop: much faster than a BLAS matrix-vector product for a few rows)."""
    out = weights[0] * rows[0]
    for w, row in zip(weights[1:], rows[1:], strict=True):
        out += w * row
    return out


@functools.lru_cache(maxsize=8)
def _seller_limits(space: OutcomeSpace) -> tuple[np.ndarray, int | None, float]:
    """What the seller may propose (feasible, ≥ walk-away, ≥ floor price), the price issue, the utility tolerance."""
    deal = space.deal
    w_s = deal.seller_walk_away
    allowed = space.feasible.copy()
    if w_s is not None:
        allowed &= space.seller >= w_s - _REL * max(1.0, abs(w_s))
    price_pos = None
    pname = price_issue(deal)
    if pname is not None:
        price_pos = deal.by_name[pname].index
        floor = deal.model.policy.floor_price if deal.model.policy else None
        if floor is not None:
            allowed &= _price_values(space, price_pos) >= floor - _REL * max(1.0, abs(floor))
    scale = float(np.max(np.abs(space.seller[space.feasible]))) if space.feasible.any() else 1.0
    allowed.flags.writeable = False
    return allowed, price_pos, _REL * max(1.0, scale)


def _price_values(space: OutcomeSpace, price_pos: int) -> np.ndarray:
    deal = space.deal
    levels = deal.issues[price_pos].levels
    assert levels is not None
    shape = deal.shape
    view = [1] * len(shape)
    view[price_pos] = shape[price_pos]
    return np.broadcast_to(levels.reshape(view), shape).reshape(-1)


def _money(deal: CompiledDeal, x: float) -> str:
    if deal.normalized:
        return f"{x:.4f}"
    return f"{x:,.0f} {deal.model.currency}"


def _seller_utility_of(ctx: _Context, partial: dict[int, int]) -> tuple[float, np.ndarray | None]:
    """Our utility of one of our own offers (a partial one at its best allowed completion) and its row if complete."""
    space = ctx.space
    if len(partial) == len(ctx.deal.issues):
        row = np.array([partial[i] for i in range(len(ctx.deal.issues))])
        return float(space.seller[int(space.flat(row)[0])]), row
    mask = space.matching(partial) & ctx.allowed
    if not mask.any():
        mask = space.matching(partial) & space.feasible
    return (float(space.seller[mask].max()) if mask.any() else -np.inf), None


def _no_zopa_reason(
    deal: CompiledDeal, space: OutcomeSpace, allowed: np.ndarray, buyer: np.ndarray, acceptance: np.ndarray | None
) -> str:
    if not space.feasible.any():
        return "no feasible package: the constraints exclude every package"
    if not allowed.any():
        best = float(space.seller[space.feasible].max())
        return f"no feasible package reaches our walk-away or floor price (our best is {_money(deal, best)})"
    best_b = float(buyer[allowed].max())
    if acceptance is not None:
        return f"no package we can accept is acceptable to any buyer profile (best expected buyer utility {_money(deal, best_b)})"
    w_b = deal.buyer_walk_away or 0.0
    return (
        f"no ZOPA: at our walk-away the buyer gets at most {_money(deal, best_b)}, "
        f"{_money(deal, w_b - best_b)} short of its walk-away of {_money(deal, w_b)}"
    )


def _counters(
    ctx: _Context,
    zopa: np.ndarray,
    asp: float,
    last_buyer: dict[int, int] | None,
    prev_row: np.ndarray | None,
    top: int,
) -> list[Counter]:
    """The best ``top`` counters at the aspiration that obey every rule."""
    space = ctx.space
    in_reach = zopa & (space.seller >= asp - ctx.tol_s)
    cand_all = np.flatnonzero(in_reach)
    if not len(cand_all):
        return []
    b_all = ctx.buyer[cand_all]
    band = max(1e-4 * float(b_all.max() - b_all.min()), _REL * max(1.0, float(np.max(np.abs(b_all)))))
    key = -np.round(b_all / band)  # best for the buyer first
    # value before price: is there a counter at the aspiration other than a pure price cut of our last offer?
    cuts = _price_cuts(ctx, prev_row)
    other_than_cuts = len(cand_all) > int(np.count_nonzero(in_reach[cuts])) if len(cuts) else True
    # rank the few best for the buyer first; widen to all candidates only if the rules reject too many
    for limit in (2_000, None):
        if limit is not None and len(cand_all) > limit:
            cand = cand_all[key <= np.partition(key, limit)[limit]]
        else:
            cand = cand_all
        out = _pick(ctx, cand, band, last_buyer, prev_row, top, other_than_cuts)
        if len(out) >= top or len(cand) == len(cand_all):
            return out
    return out


def _price_cuts(ctx: _Context, prev_row: np.ndarray | None) -> np.ndarray:
    """Flat indices of our previous offer with only its price lowered."""
    if prev_row is None or ctx.price is None:
        return np.empty(0, dtype=np.int64)
    p = ctx.price
    rows = np.repeat(prev_row[None, :], int(prev_row[p]), axis=0)
    rows[:, p] = np.arange(int(prev_row[p]))
    return ctx.space.flat(rows) if len(rows) else np.empty(0, dtype=np.int64)


def _pick(
    ctx: _Context,
    cand: np.ndarray,
    band: float,
    last_buyer: dict[int, int] | None,
    prev_row: np.ndarray | None,
    top: int,
    other_than_cuts: bool,
) -> list[Counter]:
    deal, space = ctx.deal, ctx.space
    rows = space.rows(cand)
    b = ctx.buyer[cand]
    dist = _distance(deal, rows, last_buyer)
    order = np.lexsort((cand, -space.seller[cand], dist, -np.round(b / band)))[:_SCAN]
    rows, cand = rows[order], cand[order]
    pol = deal.model.policy
    reciprocity = pol.require_reciprocity if pol is not None else True
    ok = np.ones(len(cand), dtype=bool)
    pure_cut = np.zeros(len(cand), dtype=bool)
    if prev_row is not None:
        gives, asks = _move_kinds(ctx, prev_row)
        changed = rows != prev_row[None, :]
        concedes = np.zeros(len(cand), dtype=bool)
        asks_any = np.zeros(len(cand), dtype=bool)
        for i in range(len(deal.issues)):
            concedes |= changed[:, i] & gives[i][rows[:, i]]
            asks_any |= changed[:, i] & asks[i][rows[:, i]]
        if reciprocity:
            ok &= ~concedes | asks_any
        if ctx.price is not None:
            p = ctx.price
            pure_cut = changed[:, p] & (changed.sum(axis=1) == 1) & (rows[:, p] < prev_row[p])
            if other_than_cuts:
                ok &= ~pure_cut  # value before price
    out: list[Counter] = []
    seen: set[tuple[float, float]] = set()
    for j in np.flatnonzero(ok):
        flat = int(cand[j])
        key = (round(float(space.seller[flat]) / ctx.tol_s), round(float(ctx.buyer[flat]) / max(band, 1e-300)))
        if key in seen:
            continue
        seen.add(key)
        out.append(_counter(ctx, rows[j], flat, last_buyer, prev_row, bool(pure_cut[j])))
        if len(out) >= top:
            break
    return out


def _distance(deal: CompiledDeal, rows: np.ndarray, partial: dict[int, int] | None) -> np.ndarray:
    """How far packages are from a (partial) offer: issues that differ, then level distance."""
    if not partial:
        return np.zeros(len(rows))
    d = np.zeros(len(rows))
    for i, level in partial.items():
        n = max(1, len(deal.issues[i].labels) - 1)
        diff = rows[:, i] != level
        if deal.issues[i].kind == "categorical":
            d += diff
        else:
            d += diff + np.abs(rows[:, i] - level) / n * 0.999
    return d


def _move_kinds(ctx: _Context, base: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per issue and level: does moving there alone from ``base`` raise the buyer's utility (a give) or only ours (an ask)."""
    space = ctx.space
    base_flat = int(space.flat(base)[0])
    s0, b0 = float(space.seller[base_flat]), float(ctx.buyer[base_flat])
    gives, asks = [], []
    for issue in ctx.deal.issues:
        rows = np.repeat(base[None, :], len(issue.labels), axis=0)
        rows[:, issue.index] = np.arange(len(issue.labels))
        flats = space.flat(rows)
        ds = space.seller[flats] - s0
        db = ctx.buyer[flats] - b0
        tol = ctx.tol_s
        moved = np.arange(len(issue.labels)) != base[issue.index]
        gives.append(moved & (db > tol))  # a concession: the buyer gains from this move alone
        asks.append(moved & (ds > tol) & ~gives[-1])  # a real ask: we gain from it alone
    return gives, asks


def _counter(
    ctx: _Context,
    row: np.ndarray,
    flat: int,
    last_buyer: dict[int, int] | None,
    prev_row: np.ndarray | None,
    pure_cut: bool,
) -> Counter:
    deal, space = ctx.deal, ctx.space
    seller = float(space.seller[flat])
    buyer = float(ctx.buyer[flat])
    acc = None if ctx.acceptance is None else float(ctx.acceptance[flat])
    flags = []
    pol = deal.model.policy
    if ctx.price is not None and pol is not None and pol.list_price and pol.approval_discount_pct is not None:
        price = float(deal.issues[ctx.price].labels[row[ctx.price]])
        discount = 100.0 * (pol.list_price - price) / pol.list_price
        if discount > pol.approval_discount_pct + 1e-9:
            flags.append(f"needs_approval: discount {discount:.1f}% exceeds {pol.approval_discount_pct:g}%")
    if deal.seller_walk_away is not None and seller <= deal.seller_walk_away + ctx.tol_s:
        flags.append("at_walk_away")
    if acc is not None and acc < 0.5:
        flags.append(f"low_acceptance: {acc:.0%} of the buyer profiles accept")
    if prev_row is not None and np.array_equal(row, prev_row):
        flags.append("repeats_previous_offer")
    if pure_cut:
        flags.append("price_cut_only: no other move reaches the aspiration")
    return Counter(deal.package_labels(row), seller, buyer, acc, _framing(ctx, row, last_buyer), tuple(flags))


def _framing(ctx: _Context, row: np.ndarray, last_buyer: dict[int, int] | None) -> str:
    """The counter phrased against the buyer's last offer: "If you …, we can …"."""
    deal = ctx.deal
    if not last_buyer:
        return (
            "We propose "
            + join_words([f"{_name(deal, i)} {deal.issues[i].labels[row[i]]}" for i in range(len(row))])
            + "."
        )
    base = row.copy()
    for i, level in last_buyer.items():
        base[i] = level
    gives, _asks = _move_kinds(ctx, base)
    we, you = [], []
    for i in range(len(row)):
        if i not in last_buyer or row[i] == last_buyer[i]:
            continue
        phrase = move_phrase(deal, deal.issues[i].name, int(last_buyer[i]), int(row[i]))
        (we if gives[i][row[i]] else you).append(phrase)
    if we and you:
        return f"If you {join_words(you)}, we can {join_words(we)}."
    if you:
        return f"If you {join_words(you)}, we have a deal."
    if we:
        return f"We can {join_words(we)}, and keep the rest of your offer."
    return "We can agree to your offer as it stands."


def _name(deal: CompiledDeal, i: int) -> str:
    return issue_label(deal.issues[i])
