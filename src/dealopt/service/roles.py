"""The one table of what each role may do and see; every route's answer goes through :func:`visible`.

A role may use a set of *actions* (one per route) and *sees* part of each answer *kind*: a view names the
fields it keeps (``True`` keeps a field whole, a nested view keeps part of an object or of each object of a
list); anything a view does not name is dropped, so a field the engines add later stays hidden from a
restricted role until the table says otherwise. ``None`` sees every field.

The rep works a negotiation: packages, words, warnings, the chance the buyer accepts and how much room has
been used. The numbers behind them (either side's utilities and gains, walk-aways, the aspiration level,
beliefs about the buyer, buyer profiles, policy, the frontier) are for the deal desk and analysts: from them
the seller's walk-away can be read off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

__all__ = ["ACTIONS", "REP_SEES", "ROLES", "Role", "View", "sees_field", "visible"]

View = Mapping[str, Union[bool, "View"]]

#: Every action a route may need; the routes name theirs.
ACTIONS = ("models", "evaluate", "trades", "counter", "frontier", "reload")

_MODEL_ENTRY: View = {"name": True, "title": True, "units": True, "issues": True, "space_size": True}
_OFFER: View = {  # a counter-offer (and the last best offer) as a rep sees it
    "package": True,
    "sentence": True,
    "gives": True,
    "asks": True,
    "flags": True,
    "acceptance_probability": True,
}
_TRADE: View = {"gives": True, "asks": True, "package": True, "sentence": True, "flags": True, "price_range": True}

#: What a rep sees of each kind of answer.
REP_SEES: Mapping[str, View] = {
    "models": _MODEL_ENTRY,  # each entry of the list
    "model": {**_MODEL_ENTRY, "constraints": True, "components": True},
    "evaluate": {"package": True, "feasible": True, "acceptable": True, "acceptance_probability": True},
    "trades": {"from": True, "trades": _TRADE, "proposal": True},
    "counter": {
        "recommendation": True,
        "reason": True,
        "counters": _OFFER,
        "accepted_package": True,
        "accepted_sentence": True,
        "last_best_offer": _OFFER,
        "concession_used": True,
        "progress": True,
        "turns_left": True,
        "notes": True,
        "proposal": True,
    },
}


@dataclass(frozen=True)
class Role:
    """What a role may do (actions) and see (a view per answer kind; ``None``: everything)."""

    may: frozenset[str]
    sees: Mapping[str, View] | None = None


_NEGOTIATE = frozenset({"models", "evaluate", "trades", "counter"})

#: The roles an API key may have (keys file or DEALOPT_API_KEYS).
ROLES: dict[str, Role] = {
    "rep": Role(_NEGOTIATE, REP_SEES),  # sales reps and their CRM
    "desk": Role(_NEGOTIATE),  # the deal desk: also walk-aways, utilities, beliefs, the frontier alongside a counter
    "analyst": Role(_NEGOTIATE | {"frontier"}),  # and the frontier route (any engine)
    "admin": Role(_NEGOTIATE | {"frontier", "reload"}),  # and reloading the models
}


def _keep(value: Any, view: View | bool) -> Any:
    if view is True:
        return value
    if view is False:
        return None
    if isinstance(value, list):
        return [_keep(v, view) for v in value]
    if isinstance(value, dict):
        return {k: _keep(v, view[k]) for k, v in value.items() if view.get(k, False) is not False}
    return value


def visible(role: str, kind: str, doc: Any) -> Any:
    """What ``role`` may see of an answer of ``kind`` (a kind the table does not list: nothing)."""
    sees = ROLES[role].sees
    if sees is None:
        return doc
    view = sees.get(kind)
    if view is None:
        return {} if isinstance(doc, dict) else []
    return _keep(doc, view)


def sees_field(role: str, kind: str, field: str) -> bool:
    """Whether ``role`` sees the top-level ``field`` of answers of ``kind`` (so it is worth computing)."""
    sees = ROLES[role].sees
    return sees is None or field in sees.get(kind, {})
