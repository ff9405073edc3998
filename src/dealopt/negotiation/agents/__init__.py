"""Standard negotiating agents, written from their published descriptions, and their registry.

Each agent works on the gridded outcome space of a deal from its own
:class:`Preferences` only; ``AGENTS`` maps a stable name to a factory
``(prefs, seed) -> Agent``.
"""

from __future__ import annotations

from collections.abc import Callable

from dealopt.negotiation.agents.base import Action, Agent, Preferences, Turn
from dealopt.negotiation.agents.behaviour import MiCRO, TitForTat
from dealopt.negotiation.agents.simple import Hardliner, RandomAgent
from dealopt.negotiation.agents.time_based import Aspiration, Boulware, Conceder, Linear

__all__ = ["AGENTS", "Action", "Agent", "Preferences", "Turn", "make_agent"]

#: The standard agents by stable name.
AGENTS: dict[str, Callable[[Preferences, int], Agent]] = {
    cls.name: cls for cls in (Boulware, Linear, Conceder, Aspiration, TitForTat, MiCRO, RandomAgent, Hardliner)
}


def make_agent(name: str, prefs: Preferences, seed: int = 0) -> Agent:
    """The standard agent ``name`` playing ``prefs``; KeyError if the name is unknown."""
    return AGENTS[name](prefs, seed)
