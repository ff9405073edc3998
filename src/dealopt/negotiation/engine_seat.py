"""Our counter-offer engine in the seller's seat of the alternating-offers protocol.

The engine is called through the public API, as a rep's tool would call it:
``dealopt.counter(deal, history, round=step + 1, deadline=N, top=1)`` with the
history of offers so far as ``dealopt.Offer(by, package)``. It answers
``accept`` (the buyer's standing offer), ``walk_away`` (the negotiation ends
with no deal) or ``counter`` (its top counter becomes our offer). An answer
the protocol cannot play — ``counter`` with no counter, a counter off the
grid, ``accept`` with nothing on the table — ends the negotiation and is
recorded in :attr:`EngineAgent.failures`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import dealopt
from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.agents.base import Action, Agent, Turn, accept, end, offer

__all__ = ["ENGINE", "EngineAgent", "FAILURES"]

#: The name of the engine's seat in simulations and benchmarks.
ENGINE = "engine"
#: Kinds of failure recorded when the engine's answer cannot be played.
FAILURES = ("empty_counter", "off_grid_counter", "accept_without_offer")


class EngineAgent(Agent):
    """The engine as the seller: keeps the history as ``dealopt.Offer`` and asks ``dealopt.counter``."""

    name = ENGINE

    def __init__(self, deal: CompiledDeal) -> None:
        # No Preferences: the engine reads the deal model it is told (known or guessed buyer).
        self.deal = deal
        self.history: list[dealopt.Offer] = []
        self.failures: list[str] = []
        self.answers: list[str] = []  # the engine's recommendation at each of its turns

    def labels(self, flat: int) -> dict[str, Any]:
        """A flat package index as ``{issue: level}``."""
        row = np.unravel_index(int(flat), self.deal.shape)
        return self.deal.package_labels(np.asarray(row))

    def flat(self, package: dict[str, Any]) -> int | None:
        """The flat index of a complete package ``{issue: level}``; None when a level is off the grid."""
        row = []
        for issue in self.deal.issues:
            idx = issue.index_of(package.get(issue.name))
            if idx is None:
                return None
            row.append(idx)
        return int(np.ravel_multi_index(tuple(row), self.deal.shape))

    def act(self, turn: Turn) -> Action:
        """Ask the engine, given the buyer's standing offer."""
        if turn.offer is not None:
            self.history.append(dealopt.Offer("buyer", self.labels(turn.offer)))
        rec = dealopt.counter(self.deal, list(self.history), round=turn.step + 1, deadline=turn.rounds, top=1)
        self.answers.append(str(rec.recommendation))
        if rec.recommendation == "accept":
            return accept() if turn.offer is not None else self._fail("accept_without_offer")
        if rec.recommendation == "walk_away":
            return end()
        if not rec.counters:
            return self._fail("empty_counter")
        package = dict(rec.counters[0].package)
        flat = self.flat(package)
        if flat is None:
            return self._fail("off_grid_counter")
        self.history.append(dealopt.Offer("seller", package))
        return offer(flat)

    def _fail(self, kind: str) -> Action:
        self.failures.append(kind)
        return end()
