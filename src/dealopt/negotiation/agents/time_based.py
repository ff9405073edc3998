"""Time-dependent agents: how much they demand depends only on the time left.

- ``TimeDependent`` (Boulware, Linear, Conceder) follows Faratin, Sierra &
  Jennings (1998), "Negotiation decision functions for autonomous agents", as
  GENIUS's ``TimeDependentAgent`` implements it: the target utility is
  ``P(t) = Pmin + (Pmax − Pmin) · (1 − t^(1/e))`` with ``Pmax`` the best
  utility, ``Pmin`` the larger of the worst utility and the reservation value
  (k = 0: the first offer is the best package). It offers the package whose
  utility is nearest the target (among those worth its reservation value) and
  accepts an offer worth at least what it would offer now (AC_next).
  Exponents as in GENIUS: Boulware e = 0.2, Linear e = 1, Conceder e = 2.
- ``Aspiration`` follows NegMAS's ``AspirationNegotiator`` (polynomial
  "boulware" aspiration, exponent 4): the aspiration is
  ``Pmin + (Pmax − Pmin) · (1 − t^4)``; it offers the least valuable package
  worth at least the aspiration and accepts any offer worth at least it.
"""

from __future__ import annotations

from dealopt.negotiation.agents.base import EPS, Action, Agent, Preferences, Turn, accept, end, offer

__all__ = ["Aspiration", "Boulware", "Conceder", "Linear", "TimeDependent", "faratin_target"]


def faratin_target(prefs: Preferences, t: float, e: float) -> float:
    """Faratin's time-dependent target utility at relative time ``t`` (k = 0)."""
    hi, lo = prefs.best, prefs.floor
    return lo + (hi - lo) * (1.0 - float(t ** (1.0 / e)))


class TimeDependent(Agent):
    """Faratin's time-dependent tactic with concession exponent ``e``; offers nearest its target."""

    name = "time_dependent"
    e: float = 1.0

    def __init__(self, prefs: Preferences, seed: int = 0, e: float | None = None) -> None:
        super().__init__(prefs, seed)
        if e is not None:
            self.e = e

    def target(self, t: float) -> float:
        """The utility aimed at, at relative time ``t``."""
        return faratin_target(self.prefs, t, self.e)

    def planned(self, t: float) -> int | None:
        """The package (flat index) it offers at ``t``; None when no package is worth its reservation value."""
        pos = self.prefs.nearest(self.target(t))
        return None if pos is None else int(self.prefs.order[pos])

    def act(self, turn: Turn) -> Action:
        """AC_next, else the package nearest the target."""
        bid = self.planned(turn.time)
        if bid is None:
            return end()
        if turn.offer is not None and self.prefs.utility(turn.offer) >= self.prefs.utility(bid):
            return accept()
        return offer(bid)


class Boulware(TimeDependent):
    """Concedes little until close to the deadline (e = 0.2)."""

    name = "boulware"
    e = 0.2


class Linear(TimeDependent):
    """Concedes at a constant rate (e = 1)."""

    name = "linear"
    e = 1.0


class Conceder(TimeDependent):
    """Concedes quickly early on (e = 2)."""

    name = "conceder"
    e = 2.0


class Aspiration(Agent):
    """NegMAS's aspiration agent: a polynomial aspiration ``1 − t^exponent``; offers just above it."""

    name = "aspiration"
    exponent = 4.0

    def aspiration(self, t: float) -> float:
        """The aspiration level at relative time ``t``, in utility."""
        hi, lo = self.prefs.best, self.prefs.floor
        return lo + (hi - lo) * (1.0 - float(t**self.exponent))

    def act(self, turn: Turn) -> Action:
        """Accept what reaches the aspiration, else offer the least valuable package that does."""
        level = self.aspiration(turn.time)
        if turn.offer is not None:
            u = self.prefs.utility(turn.offer)
            if u >= level - EPS and u >= self.prefs.reservation - EPS:
                return accept()
        pos = self.prefs.lowest_at_least(level)
        if pos is None:
            return end()
        return offer(int(self.prefs.order[pos]))
