"""An alternating-offers protocol (SAOP-like) between a seller agent and a buyer agent.

The negotiation has N steps. In each step the first mover acts, then the
other side: accept the standing offer, make an offer (which becomes the
standing offer) or end the negotiation. Both see the relative time
``(step + 1) / (N + 1)``, which never reaches 1 (as in NegMAS). After N steps
without agreement there is no deal. By default the buyer moves first, so the
seller's history starts with a buyer's offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dealopt.negotiation.agents.base import Action, Agent, Turn

__all__ = ["Move", "Negotiation", "negotiate"]

Side = Literal["seller", "buyer"]


@dataclass(frozen=True)
class Move:
    """One act of the transcript."""

    step: int
    by: Side
    action: str  # accept | offer | end
    package: int | None  # the offer made or accepted; None when ending


@dataclass(frozen=True)
class Negotiation:
    """How a negotiation ended: the agreement (flat package index) or None, and every move."""

    agreement: int | None
    steps: int  # steps played (1-based step of the last move)
    ended_by: Side | None  # who accepted or ended; None when the deadline passed
    transcript: tuple[Move, ...] = field(default=(), repr=False)

    @property
    def outcome(self) -> str:
        """``agreement``, ``ended`` (a side walked away) or ``deadline``."""
        if self.agreement is not None:
            return "agreement"
        return "ended" if self.ended_by is not None else "deadline"


def negotiate(seller: Agent, buyer: Agent, rounds: int, first: Side = "buyer") -> Negotiation:
    """Run ``rounds`` steps of alternating offers; ``first`` moves first in each step."""
    if rounds < 1:
        raise ValueError(f"rounds: {rounds}; expected at least 1")
    if first not in ("seller", "buyer"):
        raise ValueError(f"first: {first!r}; expected seller or buyer")
    order: tuple[tuple[Side, Agent], ...] = (("seller", seller), ("buyer", buyer))
    if first == "buyer":
        order = order[::-1]
    standing: int | None = None
    moves: list[Move] = []
    for step in range(rounds):
        for side, agent in order:
            action = agent.act(Turn(step, rounds, standing))
            _check(action, standing, side)
            shown = {"offer": action.package, "accept": standing}.get(action.kind)
            moves.append(Move(step, side, action.kind, shown))
            if action.kind == "accept":
                return Negotiation(standing, step + 1, side, tuple(moves))
            if action.kind == "end":
                return Negotiation(None, step + 1, side, tuple(moves))
            standing = action.package
    return Negotiation(None, rounds, None, tuple(moves))


def _check(action: Action, standing: int | None, side: Side) -> None:
    if action.kind == "accept" and standing is None:
        raise ValueError(f"{side} accepted with no offer on the table")
    if action.kind == "offer" and action.package is None:
        raise ValueError(f"{side} made an offer without a package")
    if action.kind not in ("accept", "offer", "end"):
        raise ValueError(f"{side}: unknown action {action.kind!r}")
