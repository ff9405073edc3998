"""A simulated negotiation: a seller (our engine, or a standard agent as a baseline) against a standard buyer agent.

The buyer agent always plays the true buyer utility (the most probable
profile when the model has profiles). Our engine is told the deal model as it
is (``guessed=False``) or with a guessed buyer (the seller's utility mirrored,
see :mod:`dealopt.negotiation.guess`), and must then learn from the buyer's
offers. The alternating-offers protocol of :mod:`dealopt.negotiation.protocol`
runs ``rounds`` steps, the buyer moving first by default; the result is judged
from the true utilities (:mod:`dealopt.negotiation.scoring`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from dealopt.errors import OptionError
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.negotiation.agents import AGENTS, Agent, make_agent
from dealopt.negotiation.engine_seat import ENGINE, EngineAgent
from dealopt.negotiation.guess import guessed_buyer
from dealopt.negotiation.protocol import Negotiation, Side, negotiate
from dealopt.negotiation.scoring import Score, Setting, score, setting
from dealopt.options import AGENT_NAMES, SimulateOptions

__all__ = ["BUYERS", "SELLERS", "SimulationResult", "check_names", "guessed_deal", "simulate", "simulate_all"]

#: The standard agents that can sit in the buyer's seat.
BUYERS = tuple(AGENTS)
#: Who can sit in the seller's seat: our engine, or a standard agent as the baseline.
SELLERS = (ENGINE, *AGENTS)
if AGENT_NAMES != tuple(AGENTS):  # pragma: no cover - a programming error
    raise ImportError(f"dealopt.options.AGENT_NAMES {AGENT_NAMES} does not list the standard agents")


@dataclass(frozen=True)
class SimulationResult:
    """How one simulated negotiation went, judged from the true utilities."""

    model: str
    seller_agent: str  # "engine" or a standard agent
    opponent: str  # the buyer agent
    guessed: bool  # the engine was told a guessed buyer
    rounds: int  # N
    steps: int  # steps played
    outcome: str  # agreement | ended | deadline
    ended_by: str | None
    agreement: dict[str, Any] | None  # the agreed package
    score: Score
    failures: tuple[str, ...] = ()  # answers of the engine the protocol could not play
    buyer_profile: str | None = None  # the profile playing the buyer, when the model has profiles
    transcript: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self, transcript: bool = False) -> dict[str, Any]:
        """Plain data (``dealopt simulate --json``)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("score", "transcript")}
        out["failures"] = list(self.failures)
        out.update(asdict(self.score))
        if transcript:
            out["transcript"] = self.transcript
        return out


def check_names(opponent: str | None = None, seller: str | None = None, rounds: int | None = None) -> None:
    """Raise :class:`OptionError` for an unknown buyer agent or seller, or too few rounds."""
    given = {"opponent": opponent, "seller": seller, "rounds": rounds}
    SimulateOptions.check(**{k: v for k, v in given.items() if v is not None})


def guessed_deal(deal: CompiledDeal) -> CompiledDeal:
    """``deal`` with a guessed buyer, compiled once and kept with the deal."""
    cached = deal.__dict__.get("_guessed")
    if cached is None:
        cached = deal.__dict__["_guessed"] = compile_model(guessed_buyer(deal.model))
    return cached


def _transcript(judge: Setting, run: Negotiation) -> list[dict[str, Any]]:
    deal = judge.deal
    out = []
    for m in run.transcript:
        entry: dict[str, Any] = {"step": m.step + 1, "by": m.by, "action": m.action}
        if m.package is not None:
            if m.action == "offer":
                entry["package"] = deal.package_labels(_row(deal, m.package))
            entry["seller"] = judge.seller.utility(m.package)
            entry["buyer"] = judge.buyer.utility(m.package)
        out.append(entry)
    return out


def _row(deal: CompiledDeal, flat: int) -> np.ndarray:
    return np.asarray(np.unravel_index(int(flat), deal.shape))


def simulate(
    deal: CompiledDeal,
    opponent: str = "conceder",
    rounds: int = 100,
    *,
    seller: str = ENGINE,
    guessed: bool = False,
    first: Side = "buyer",
    seed: int = 0,
) -> SimulationResult:
    """Negotiate ``rounds`` steps: ``seller`` (the engine or a standard agent) against the buyer agent ``opponent``."""
    SimulateOptions.check(opponent=opponent, rounds=rounds, seller=seller, guessed=guessed, first=first, seed=seed)
    if guessed and seller != ENGINE:
        raise OptionError(
            "guessed", guessed, f"false: only our engine is told a buyer model; seller {seller!r} reads none"
        )
    judge = setting(deal)
    seat: Agent
    if seller == ENGINE:
        seat = EngineAgent(guessed_deal(deal) if guessed else deal)
    else:
        seat = make_agent(seller, judge.seller, seed + 1)
    run = negotiate(seat, make_agent(opponent, judge.buyer, seed), rounds, first)
    flat = run.agreement
    return SimulationResult(
        model=deal.name,
        seller_agent=seller,
        opponent=opponent,
        guessed=guessed,
        rounds=rounds,
        steps=run.steps,
        outcome=run.outcome,
        ended_by=run.ended_by,
        agreement=None if flat is None else deal.package_labels(_row(deal, flat)),
        score=score(judge, run),
        failures=tuple(seat.failures) if isinstance(seat, EngineAgent) else (),
        buyer_profile=judge.buyer_profile,
        transcript=_transcript(judge, run),
    )


def simulate_all(deal: CompiledDeal, rounds: int = 100, **kwargs: Any) -> list[SimulationResult]:
    """One simulation against each standard buyer agent."""
    return [simulate(deal, name, rounds, **kwargs) for name in BUYERS]
