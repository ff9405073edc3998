"""Behaviour-dependent agents: how much they concede depends on what the other side did.

- ``TitForTat`` follows Faratin, Sierra & Jennings (1998)'s absolute
  tit-for-tat as NegMAS's ``NaiveTitForTatNegotiator`` applies it without an
  opponent model: the other side's concession is read in the agent's own
  utility (the gain between the other side's last two offers, never
  negative) and mirrored: the next offer is the least valuable package worth
  at least the previous offer's utility minus that concession. It opens with
  its best package and, before it has two offers to compare, makes NegMAS's
  minimal initial concession (the next lower utility level). It accepts an
  offer worth at least what it would offer next (AC_next).
- ``MiCRO`` follows de Jonge (2022), "An Analysis of the Linear Bilateral
  ANAC Domains Using the MiCRO Benchmark Strategy" (IJCAI): the packages
  worth at least the reservation value, best first; it proposes the next one
  only while it has made no more distinct offers than it has received from
  the other side (m ≤ n, as NegMAS's ``MiCRONegotiator`` counts), so that
  beyond its opening offer each new offer answers a new offer of the other
  side; otherwise it repeats one of its earlier offers chosen at random. It accepts an offer worth at least the offer it would make next (or,
  when it may not concede, its lowest offer so far).
"""

from __future__ import annotations

from dealopt.negotiation.agents.base import Action, Agent, Preferences, Turn, accept, end, offer

__all__ = ["MiCRO", "TitForTat"]


class TitForTat(Agent):
    """Mirrors the other side's concession, measured in its own utility."""

    name = "tit_for_tat"

    def __init__(self, prefs: Preferences, seed: int = 0) -> None:
        super().__init__(prefs, seed)
        self.received: list[float] = []  # own utility of the other side's offers, oldest first
        self.last: float | None = None  # own utility of its previous offer

    def concession(self) -> float:
        """The other side's last concession, in own utility (0 when it did not concede)."""
        if len(self.received) < 2:
            return 0.0
        return max(0.0, self.received[-1] - self.received[-2])

    def _next(self) -> int | None:
        """Position in the sorted order of the next offer."""
        p = self.prefs
        if p.rational == 0:
            return None
        if self.last is None:
            return 0
        if len(self.received) < 2:
            return min(p.count_at_least(self.last), p.rational - 1)  # the next lower utility level
        return p.lowest_at_least(self.last - self.concession())

    def act(self, turn: Turn) -> Action:
        """AC_next, else mirror the other side's concession."""
        if turn.offer is not None:
            self.received.append(self.prefs.utility(turn.offer))
        pos = self._next()
        if pos is None:
            return end()
        bid = int(self.prefs.order[pos])
        if turn.offer is not None and self.prefs.utility(turn.offer) >= self.prefs.utility(bid):
            return accept()
        self.last = self.prefs.utility(bid)
        return offer(bid)


class MiCRO(Agent):
    """Concedes one new offer only after the other side has made a new one."""

    name = "micro"

    def __init__(self, prefs: Preferences, seed: int = 0) -> None:
        super().__init__(prefs, seed)
        self.sent = 0  # distinct offers made: the first ``sent`` packages of the order
        self.received: set[int] = set()

    @property
    def ready(self) -> bool:
        """Whether it may concede: it made no more distinct offers than it received."""
        return self.sent <= len(self.received)

    def act(self, turn: Turn) -> Action:
        """Accept per MiCRO's rule, else a new offer when ready, else an earlier one."""
        p = self.prefs
        if turn.offer is not None:
            self.received.add(turn.offer)
        can_new = self.ready and self.sent < p.rational
        if turn.offer is not None:
            if can_new:
                mine = float(p.ranked[self.sent])
            elif self.sent > 0:
                mine = float(p.ranked[self.sent - 1])
            else:
                mine = p.reservation
            u = p.utility(turn.offer)
            if u >= mine and u >= p.reservation:
                return accept()
        if can_new:
            self.sent += 1
            return offer(int(p.order[self.sent - 1]))
        if self.sent == 0:
            return end()  # no package is worth its reservation value
        return offer(int(p.order[self.rng.integers(self.sent)]))
