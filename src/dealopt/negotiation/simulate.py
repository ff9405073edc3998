"""A simulated negotiation: our counter-offer engine as the seller against scripted buyers.

Buyers follow the standard time-dependent tactics of the negotiation literature:

- ``conceding``: concedes linearly from its best package towards its walk-away;
  each round it offers, among the packages at its current target, the one most
  similar to our last offer (a trade-off offer), and accepts our counter when it
  is worth at least its current target;
- ``hardline``: the same with a Boulware exponent: it barely moves until the end;
- ``mismatched``: a conceding buyer whose true preferences differ from what the
  seller believes: the least likely of the model's profiles or, without profiles,
  a buyer whose true walk-away is well above the modelled one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dealopt.errors import PackageError
from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.concession import DEFAULT_EXPONENT, aspiration
from dealopt.negotiation.counter import Offer, recommend
from dealopt.negotiation.space import OutcomeSpace, outcome_space

__all__ = ["BUYERS", "SimulationResult", "simulate", "simulate_all"]

BUYERS = ("conceding", "hardline", "mismatched")
_EXPONENTS = {"conceding": 1.0, "hardline": 0.1, "mismatched": 1.0}


@dataclass(frozen=True)
class SimulationResult:
    """How one simulated negotiation ended."""

    model: str
    buyer: str
    agreement: dict[str, Any] | None
    rounds: int
    accepted_by: str | None
    seller: float | None
    buyer_utility: float | None  # the buyer's true utility
    joint: float | None
    max_joint: float
    joint_share: float | None  # joint value as a share of the maximum joint value in the ZOPA
    seller_share: float | None  # the seller's share of the surplus above both walk-aways
    transcript: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self, transcript: bool = False) -> dict[str, Any]:
        """Plain data (``dealopt simulate --json``)."""
        out = {
            "model": self.model,
            "buyer": self.buyer,
            "agreement": self.agreement,
            "rounds": self.rounds,
            "accepted_by": self.accepted_by,
            "seller": self.seller,
            "buyer_utility": self.buyer_utility,
            "joint": self.joint,
            "max_joint": self.max_joint,
            "joint_share": self.joint_share,
            "seller_share": self.seller_share,
        }
        if transcript:
            out["transcript"] = self.transcript
        return out


def _true_buyer(deal: CompiledDeal, space: OutcomeSpace, kind: str) -> tuple[np.ndarray, float]:
    """The scripted buyer's true utility over the space and its true walk-away."""
    feas = space.feasible
    if deal.profiles:
        assert space.profiles is not None
        probs = np.array([p.probability for p in deal.profiles])
        j = int(np.argmin(probs)) if kind == "mismatched" else int(np.argmax(probs))
        util = space.profiles[j]
        w = deal.profiles[j].walk_away
        return util, float(w if w is not None else util[feas].min())
    util = space.buyer
    w = deal.buyer_walk_away if deal.buyer_walk_away is not None else float(util[feas].min())
    if kind == "mismatched":
        w = w + 0.25 * (float(util[feas].max()) - w)
    return util, float(w)


def simulate(
    deal: CompiledDeal, buyer: str = "conceding", rounds: int = 20, exponent: float = DEFAULT_EXPONENT
) -> SimulationResult:
    """Negotiate ``rounds`` rounds against a scripted buyer; the buyer opens each round."""
    if buyer not in BUYERS:
        raise PackageError(f"--buyer: {buyer!r}; expected one of {', '.join(BUYERS)}")
    if rounds < 1:
        raise PackageError(f"--rounds: {rounds}; expected at least 1")
    space = outcome_space(deal)
    u_b, w_b = _true_buyer(deal, space, buyer)
    feas = space.feasible
    w_s = deal.seller_walk_away if deal.seller_walk_away is not None else float(space.seller[feas].min())
    zopa = feas & (space.seller >= w_s - 1e-9 * max(1.0, abs(w_s))) & (u_b >= w_b - 1e-9 * max(1.0, abs(w_b)))
    joint = space.seller + u_b
    max_joint = float(joint[zopa].max()) if zopa.any() else float("nan")
    best_b = float(u_b[feas].max())
    e_b = _EXPONENTS[buyer]
    shape = np.array(deal.shape, dtype=float)
    history: list[Offer] = []
    transcript: list[dict[str, Any]] = []
    last_seller_row: np.ndarray | None = None

    def finish(flat: int | None, r: int, by: str | None) -> SimulationResult:
        if flat is None:
            return SimulationResult(
                deal.name, buyer, None, r, None, None, None, None, max_joint, None, None, transcript
            )
        s, b = float(space.seller[flat]), float(u_b[flat])
        surplus = (s - w_s) + (b - w_b)
        return SimulationResult(
            deal.name,
            buyer,
            deal.package_labels(space.rows(np.array([flat]))[0]),
            r,
            by,
            s,
            b,
            s + b,
            max_joint,
            (s + b) / max_joint if max_joint and np.isfinite(max_joint) else None,
            (s - w_s) / surplus if surplus > 0 else None,
            transcript,
        )

    for r in range(1, rounds + 1):
        t = r / rounds
        target_b = aspiration(best_b, w_b, (r - 1) / rounds, e_b)
        ok = feas & (u_b >= target_b - 1e-9 * max(1.0, abs(target_b)))
        cand = np.flatnonzero(ok)
        if last_seller_row is None:
            flat = int(cand[np.lexsort((cand, -u_b[cand]))[0]])
        else:
            rows = space.rows(cand)
            dist = (np.abs(rows - last_seller_row[None, :]) / np.maximum(shape - 1, 1)).sum(axis=1)
            flat = int(cand[np.lexsort((cand, -u_b[cand], dist))[0]])
        offer = deal.package_labels(space.rows(np.array([flat]))[0])
        history.append(Offer("buyer", offer))
        transcript.append(
            {
                "round": r,
                "by": "buyer",
                "package": offer,
                "seller": float(space.seller[flat]),
                "buyer": float(u_b[flat]),
            }
        )
        rec = recommend(deal, history, t, exponent=exponent, top=1)
        if rec.recommendation == "accept":
            transcript.append({"round": r, "by": "seller", "action": "accept"})
            return finish(flat, r, "seller")
        if rec.recommendation == "walk_away" or not rec.counters:
            transcript.append({"round": r, "by": "seller", "action": "walk_away", "reason": rec.reason})
            return finish(None, r, None)
        counter = rec.counters[0]
        history.append(Offer("seller", counter.package))
        row = np.array([deal.by_name[k].index_of(v) for k, v in counter.package.items()])
        last_seller_row = row
        cflat = int(space.flat(row)[0])
        transcript.append(
            {
                "round": r,
                "by": "seller",
                "package": counter.package,
                "seller": counter.seller,
                "buyer": float(u_b[cflat]),
            }
        )
        target_next = aspiration(best_b, w_b, t, e_b)
        if u_b[cflat] >= target_next - 1e-9 * max(1.0, abs(target_next)) and u_b[cflat] >= w_b:
            transcript.append({"round": r, "by": "buyer", "action": "accept"})
            return finish(cflat, r, "buyer")
    return finish(None, rounds, None)


def simulate_all(deal: CompiledDeal, rounds: int = 20, exponent: float = DEFAULT_EXPONENT) -> list[SimulationResult]:
    """One simulation against each scripted buyer."""
    return [simulate(deal, b, rounds, exponent) for b in BUYERS]
