"""Agents that ignore time and the other side: a random agent and a hard-liner.

- ``RandomAgent`` follows NegMAS's ``RandomNegotiator``, kept rational: it
  offers a package drawn uniformly (seeded) among those worth at least its
  reservation value, and accepts an offer worth at least its reservation
  value with probability 0.15 (NegMAS's ``p_acceptance``). It never ends the
  negotiation (NegMAS's ``p_ending`` is set to 0 so that runs last to the
  deadline).
- ``Hardliner`` follows NegMAS's ``ToughNegotiator``: it always offers its
  best package and accepts only an offer worth as much as that.
"""

from __future__ import annotations

from dealopt.negotiation.agents.base import EPS, Action, Agent, Preferences, Turn, accept, end, offer

__all__ = ["Hardliner", "RandomAgent"]


class RandomAgent(Agent):
    """Random rational offers; accepts a rational offer with probability ``p_accept``."""

    name = "random"

    def __init__(self, prefs: Preferences, seed: int = 0, p_accept: float = 0.15) -> None:
        super().__init__(prefs, seed)
        self.p_accept = p_accept

    def act(self, turn: Turn) -> Action:
        """A coin for acceptance, then a random rational package."""
        p = self.prefs
        if p.rational == 0:
            return end()
        draw = self.rng.random()
        if turn.offer is not None and p.utility(turn.offer) >= p.reservation - EPS and draw < self.p_accept:
            return accept()
        return offer(int(p.order[self.rng.integers(p.rational)]))


class Hardliner(Agent):
    """Always its best package; accepts nothing less."""

    name = "hardliner"

    def act(self, turn: Turn) -> Action:
        """Accept only the best; offer the best."""
        p = self.prefs
        if p.rational == 0:
            return end()
        if turn.offer is not None and p.utility(turn.offer) >= p.best - EPS:
            return accept()
        return offer(int(p.order[0]))
