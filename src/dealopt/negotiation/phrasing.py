"""Every sentence, label and money format: what a buyer reads and what a rep acts on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dealopt.model.compiled import CompiledDeal, CompiledIssue
from dealopt.model.levels import display_value

if TYPE_CHECKING:
    from dealopt.negotiation.situation import Situation

__all__ = [
    "issue_words",
    "value_words",
    "money",
    "join_words",
    "move_words",
    "package_words",
    "counter_sentence",
]


def issue_words(issue: CompiledIssue) -> str:
    """How an issue is named in a sentence."""
    return (issue.spec.label or issue.name.replace("_", " ")).strip()


def value_words(issue: CompiledIssue, value: Any) -> str:
    """A level as a buyer reads it."""
    labels = getattr(issue.spec, "labels", None) or {}
    if value in labels:
        return str(labels[value])
    value = display_value(value)
    if issue.kind == "categorical":
        return str(value).replace("_", " ")
    text = f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)
    unit = issue.spec.unit
    return f"{text} {unit}" if unit else text


def money(deal: CompiledDeal, x: float) -> str:
    """An amount in the deal's units."""
    if deal.normalized:
        return f"{x:.3f}"
    return f"{x:,.0f} {deal.model.currency or ''}".strip()


def join_words(parts: list[str]) -> str:
    """Words joined as "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def move_words(deal: CompiledDeal, issue_name: str, old: Any, new: Any) -> str:
    """A move in words."""
    issue = deal.by_name[issue_name]
    return f"{issue_words(issue)} {value_words(issue, new)}"


def package_words(deal: CompiledDeal, package: dict[str, Any], issues: list[str] | None = None) -> str:
    """The listed issues of a package as a buyer reads them."""
    names = issues if issues is not None else [i.name for i in deal.issues]
    return join_words([f"{issue_words(deal.by_name[n])} {value_words(deal.by_name[n], package[n])}" for n in names])


def counter_sentence(
    deal: CompiledDeal, package: dict[str, Any], stated: dict[str, Any] | None, gives: list[str], asks: list[str]
) -> str:
    """The buyer-facing sentence for a counter-offer: every term that differs from what the buyer said or that it
    left out."""
    if not stated:
        return f"We propose {package_words(deal, package)}."
    rest = [i.name for i in deal.issues if i.name not in stated]
    you = join_words([move_words(deal, n, stated[n], package[n]) for n in asks])
    we = join_words([move_words(deal, n, stated[n], package[n]) for n in gives])
    if you and we:
        text = f"If you agree to {you}, we can do {we}."
    elif you:
        text = f"If you agree to {you}, we have a deal."
    elif we:
        text = f"We can do {we}."
    else:
        text = "We can agree to your terms."
    if rest:
        text += f" The rest of the package: {package_words(deal, package, rest)}."
    return text


def accept_sentence(deal: CompiledDeal, package: dict[str, Any], stated: dict[str, Any]) -> str:
    """The buyer-facing sentence when we accept: the terms the buyer left open are spelled out."""
    rest = [i.name for i in deal.issues if i.name not in stated]
    if not rest:
        return "We accept your offer."
    return f"We accept your offer, with {package_words(deal, package, rest)}."


# ---------------------------------------------------------------- reasons: what the rep acts on


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
        "accept: this is the last turn and their offer is within our limits"
        if last_turn
        else "accept: their offer is worth at least what our next counter would ask"
    )
    rest = [i.name for i in sit.deal.issues if i.name not in offer.stated.values]
    if rest:
        head += f"; sign it with {package_words(sit.deal, offer.package, rest)}"
    return head


def reason_no_zopa(sit: Situation) -> str:
    """Why walk away when nothing within our limits works for the buyer."""
    if not sit.space.feasible.any():
        return "walk away: the constraints exclude every package"
    if not sit.limits.allowed.any():
        return "walk away: no package reaches our walk-away or floor price"
    return "walk away: no package within our limits works for this buyer; leave our last best offer on the table"


def reason_deadline(had_offer: bool) -> str:
    """Why walk away at the deadline."""
    if had_offer:
        return "walk away: the deadline has come and their last offer is outside our limits; leave our last best offer"
    return "walk away: the deadline has come without an offer we can accept; leave our last best offer"


def reason_nothing_at_level() -> str:
    """Why walk away when no counter keeps to the rules."""
    return "walk away: no package at our current level keeps to the rules; leave our last best offer on the table"
