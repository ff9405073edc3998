"""Judging a negotiation from the true utilities of both sides.

Utilities are normalized to [0, 1] per side by the lowest and highest
utility over the feasible packages, except in ``units: normalized`` models
(GENIUS imports), whose utilities are used as they are. The true buyer is the
model's buyer or, when the buyer has profiles, the most probable profile.
A walk-away that is not given is the side's lowest utility. The Pareto
frontier is that of every feasible package under the true utilities; the Nash
point maximizes the product of both sides' gains over their walk-aways among
the packages both accept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.agents.base import Preferences
from dealopt.negotiation.protocol import Negotiation
from dealopt.negotiation.space import outcome_space

__all__ = ["Score", "Setting", "pareto_front", "score", "setting"]

_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Setting:
    """A deal as the judge sees it: both sides' true preferences, the frontier and the Nash point."""

    deal: CompiledDeal
    seller: Preferences  # normalized
    buyer: Preferences  # the true buyer, normalized
    buyer_profile: str | None  # the profile playing the buyer, when the model has profiles
    seller_walk_away: float | None  # in model units: an agreement below it is a failure of the seller
    frontier: np.ndarray  # (points, 2): seller and buyer utility of each Pareto-efficient package
    nash: tuple[float, float] | None  # None when no package is acceptable to both


@dataclass(frozen=True)
class Score:
    """The measures of one negotiation (normalized utilities; no deal counts at the walk-aways)."""

    agreement: bool
    seller: float
    buyer: float
    joint: float
    frontier_distance: float | None  # None without agreement
    nash_distance: float | None  # None without agreement or without a Nash point
    below_walk_away: bool  # an agreement worth less to the seller than its walk-away


def _scaled(deal: CompiledDeal, raw: np.ndarray, feasible: np.ndarray, walk: float | None) -> Preferences:
    packages = np.flatnonzero(feasible)
    values = raw[packages]
    lo, hi = (0.0, 1.0) if deal.normalized else (float(values.min()), float(values.max()))
    span = hi - lo if hi > lo else 1.0
    scaled = (values - lo) / span
    reservation = float(scaled.min()) if walk is None else (walk - lo) / span
    return Preferences(packages, scaled, reservation, len(raw))


def pareto_front(seller: np.ndarray, buyer: np.ndarray) -> np.ndarray:
    """The non-dominated (seller, buyer) points, seller utility descending."""
    order = np.lexsort((-buyer, -seller))
    s, b = seller[order], buyer[order]
    prev = np.maximum.accumulate(np.concatenate(([-np.inf], b[:-1])))
    keep = b > prev + _TOL
    return np.unique(np.stack([s[keep], b[keep]], axis=1), axis=0)[::-1]


def _nash(seller: Preferences, buyer: Preferences) -> tuple[float, float] | None:
    s, b = seller.values, buyer.values  # same packages, same order
    ok = (s >= seller.reservation - _TOL) & (b >= buyer.reservation - _TOL)
    if not ok.any():
        return None
    gain = (s - seller.reservation) * (b - buyer.reservation)
    k = int(np.argmax(np.where(ok, gain, -np.inf)))
    return float(s[k]), float(b[k])


def setting(deal: CompiledDeal) -> Setting:
    """The judge's view of ``deal``, computed once and kept with the compiled deal."""
    cached: Setting | None = deal.__dict__.get("_setting")
    if cached is not None:
        return cached
    space = outcome_space(deal)
    feas = space.feasible
    buyer_raw, buyer_walk, profile = space.buyer, deal.buyer_walk_away, None
    if deal.profiles:
        assert space.profiles is not None
        j = int(np.argmax([p.probability for p in deal.profiles]))
        buyer_raw, buyer_walk, profile = space.profiles[j], deal.profiles[j].walk_away, deal.profiles[j].name
    seller = _scaled(deal, space.seller, feas, deal.seller_walk_away)
    buyer = _scaled(deal, buyer_raw, feas, buyer_walk)
    made = Setting(
        deal,
        seller,
        buyer,
        profile,
        deal.seller_walk_away,
        pareto_front(seller.values, buyer.values),
        _nash(seller, buyer),
    )
    deal.__dict__["_setting"] = made  # a frozen dataclass: stored the way cached_property does
    return made


def score(judge: Setting, run: Negotiation) -> Score:
    """The measures of ``run`` under the true utilities."""
    if run.agreement is None:
        s, b = judge.seller.reservation, judge.buyer.reservation
        return Score(False, s, b, s + b, None, None, False)
    flat = run.agreement
    s, b = judge.seller.utility(flat), judge.buyer.utility(flat)
    front = judge.frontier
    dist = float(np.sqrt(((front[:, 0] - s) ** 2 + (front[:, 1] - b) ** 2).min()))
    nash = None if judge.nash is None else math.dist((s, b), judge.nash)
    raw = float(outcome_space(judge.deal).seller[flat])
    walk = judge.seller_walk_away
    below = walk is not None and raw < walk - _TOL * max(1.0, abs(walk))
    return Score(True, s, b, s + b, dist, nash, below)
