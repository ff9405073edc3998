"""What the rep acts on: the reason behind a recommendation, in words (the numbers are in their own fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dealopt.negotiation.phrasing.words import package_words

if TYPE_CHECKING:
    from dealopt.negotiation.situation import Situation

__all__ = ["reason_accept", "reason_counter", "reason_deadline", "reason_no_zopa", "reason_nothing_at_level"]


def reason_counter(sit: Situation, level: float, used: float | None, final: bool, turns_left: int | None) -> str:
    """Why this counter, in words a rep acts on (the numbers are in their own fields)."""
    if final:
        return "this is our last best offer: the buyer has one turn left to take it"
    if sit.previous is None:
        return "opening with our strongest package that works for this buyer: trade every move later, never discount"
    if used is not None and used >= 0.999:
        return "we are at the end of our room: hold here, and walk away rather than go lower"
    if used is not None and used < 0.25:
        return f"holding firm: {used:.0%} of our room conceded so far; ask for something in return for every move"
    share = f"{used:.0%}" if used is not None else "some"
    return f"conceding step by step ({share} of our room used): every move comes with an ask"


def reason_accept(sit: Situation, last_turn: bool) -> str:
    """Why accept, and how to complete a partial offer."""
    offer = sit.offer
    assert offer is not None and offer.package is not None
    head = (
        "this is the last turn and their offer is within our limits"
        if last_turn
        else "their offer is worth at least what our next counter would ask"
    )
    rest = [i.name for i in sit.deal.issues if i.name not in offer.stated.values]
    if rest:
        head += f"; sign it with {package_words(sit.deal, offer.package, rest)}"
    return head


def reason_no_zopa(sit: Situation) -> str:
    """Why walk away when nothing within our limits works for the buyer."""
    if not sit.space.feasible.any():
        return "the constraints exclude every package"
    if not sit.limits.allowed.any():
        return "no package reaches our walk-away or floor price"
    return "no package within our limits works for this buyer; leave our last best offer on the table"


def reason_deadline(had_offer: bool) -> str:
    """Why walk away at the deadline."""
    if had_offer:
        return "the deadline has come and their last offer is outside our limits; leave our last best offer"
    return "the deadline has come without an offer we can accept; leave our last best offer"


def reason_nothing_at_level() -> str:
    """Why walk away when no counter keeps to the rules."""
    return "no package at our current level keeps to the rules; leave our last best offer on the table"
