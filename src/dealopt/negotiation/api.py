"""The negotiation functions of the public API: ``trades`` and ``counter``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dealopt.errors import OptionError, PackageError
from dealopt.model.compiled import CompiledDeal, as_deal
from dealopt.model.schema import DealModel
from dealopt.negotiation.concession import DEFAULT_EXPONENT
from dealopt.negotiation.counter import OPENINGS, Offer, Recommendation, parse_history, recommend
from dealopt.negotiation.packages import package_index
from dealopt.negotiation.trades import TradeResult, find_trades

__all__ = ["SOLUTIONS", "as_deal", "counter", "resolve_package", "trades"]

#: Names accepted for ``--from``: the bargaining packages of the frontier.
SOLUTIONS = ("nash", "kalai_smorodinsky", "max_joint", "egalitarian")


def resolve_package(deal: CompiledDeal, package: dict[str, Any] | str, where: str = "--from") -> dict[str, Any]:
    """A package given as a mapping, or by the name of a bargaining solution."""
    if isinstance(package, str):
        if package not in SOLUTIONS:
            raise PackageError(f"{where}: {package!r}; expected a package or one of {', '.join(SOLUTIONS)}")
        from dealopt.negotiation.frontier import frontier

        sol = getattr(frontier(deal), package)
        if sol is None:
            raise PackageError(f"{where}: {package}: there is no ZOPA, so no {package} package")
        return dict(sol.package)
    return package


def trades(
    model: DealModel | CompiledDeal | str | Path,
    from_package: dict[str, Any] | str,
    *,
    max_issues: int | None = None,
    top: int | None = 10,
) -> TradeResult:
    """Every trade from a package (or ``"nash"`` …) changing at most ``max_issues`` issues, best first."""
    deal = as_deal(model)
    pkg = resolve_package(deal, from_package)
    if max_issues is None:
        pol = deal.model.policy
        max_issues = min(pol.max_issues_per_trade if pol else 2, len(deal.issues))
    if top is not None and top < 1:
        raise OptionError("top", top, "at least 1")
    return find_trades(deal, package_index(deal, pkg, "--from"), max_issues, top)


def counter(
    model: DealModel | CompiledDeal | str | Path,
    history: list[Offer] | list[dict[str, Any]],
    *,
    progress: float | None = None,
    round: int | None = None,
    deadline: int | None = None,
    exponent: float = DEFAULT_EXPONENT,
    top: int = 3,
    opening: str | None = None,
    learn: bool = True,
) -> Recommendation:
    """Accept, counter or walk away after ``history``.

    Where the negotiation stands: ``round`` R of ``deadline`` D (R = D is our last turn: the last-turn rules fire
    there whatever the clock says), or ``progress`` ∈ [0, 1] (1 is the last turn); with neither, 0.5 with a note.
    ``opening``: where concession starts, ``best`` (our best allowed package) or ``zopa`` (our best package the buyer
    would accept); default ``best``, ``zopa`` with buyer profiles. ``learn``: without buyer profiles, let a utility learned from the buyer's offers compete with the model's.
    """
    deal = as_deal(model)
    offers = [h for h in history if isinstance(h, Offer)]
    if len(offers) < len(history):
        offers = parse_history(history)
    progress, turns_left, notes = negotiation_clock(progress, round, deadline)
    if exponent <= 0:
        raise OptionError("exponent", exponent, "a number > 0")
    if top < 1:
        raise OptionError("top", top, "at least 1")
    if opening is not None and opening not in OPENINGS:
        raise OptionError("opening", opening, "one of " + ", ".join(OPENINGS))
    return recommend(
        deal,
        list(offers),
        progress,
        turns_left=turns_left,
        exponent=exponent,
        top=top,
        opening=opening,
        learn=learn,
        notes=notes,
    )


def negotiation_clock(
    progress: float | None, round: int | None, deadline: int | None
) -> tuple[float, int | None, tuple[str, ...]]:
    """(progress, our turns left after this one, notes) from a progress value or a round of a deadline."""
    if progress is not None and (round is not None or deadline is not None):
        raise OptionError("progress", progress, "either progress or round with deadline, not both")
    if round is not None or deadline is not None:
        if round is None or deadline is None:
            raise OptionError("round", round, "round and deadline together")
        if isinstance(round, bool) or isinstance(deadline, bool) or deadline < 1 or not 1 <= round <= deadline:
            raise OptionError("round", f"{round}/{deadline}", "1 ≤ round ≤ deadline")
        return min(1.0, round / deadline), deadline - round, ()
    if progress is None:
        return 0.5, None, ("no progress given: read as halfway through the negotiation (0.5)",)
    if isinstance(progress, bool) or not 0.0 <= progress <= 1.0:
        raise OptionError("progress", progress, "a number in [0, 1]")
    return float(progress), None, ()
