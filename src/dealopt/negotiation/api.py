"""The negotiation functions of the public API: ``trades`` and ``counter``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dealopt.errors import OptionError, PackageError
from dealopt.model.compiled import CompiledDeal, as_deal
from dealopt.model.schema import DealModel
from dealopt.negotiation.concession import deadline_exponent
from dealopt.negotiation.counter import Offer, Recommendation, parse_history, recommend
from dealopt.negotiation.packages import package_index
from dealopt.negotiation.trades import TradeResult, find_trades
from dealopt.options import SOLUTIONS, CounterOptions, TradesOptions

__all__ = ["SOLUTIONS", "as_deal", "counter", "negotiation_clock", "resolve_package", "trades"]


def resolve_package(deal: CompiledDeal, package: dict[str, Any] | str, where: str = "from_package") -> dict[str, Any]:
    """A package given as a mapping, or by the name of a bargaining solution (``where``: the parameter's name)."""
    if isinstance(package, str):
        if package not in SOLUTIONS:
            raise OptionError(where, package, "a package or one of " + ", ".join(SOLUTIONS))
        from dealopt.negotiation.frontier import frontier

        sol = getattr(frontier(deal), package)
        if sol is None:
            raise PackageError(f"{where}: {package}: there is no ZOPA, so no {package} package", where)
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
    TradesOptions.check(max_issues=max_issues, top=top)
    deal = as_deal(model)
    pkg = resolve_package(deal, from_package)
    if max_issues is None:
        pol = deal.model.policy
        max_issues = min(pol.max_issues_per_trade if pol else 2, len(deal.issues))
    return find_trades(deal, package_index(deal, pkg, "from_package"), max_issues, top)


def counter(
    model: DealModel | CompiledDeal | str | Path,
    history: list[Offer] | list[dict[str, Any]],
    *,
    progress: float | None = None,
    round: int | None = None,
    deadline: int | None = None,
    exponent: float | None = None,
    top: int = 3,
    opening: str | None = None,
    learn: bool = True,
) -> Recommendation:
    """Accept, counter or walk away after ``history``.

    Where the negotiation stands: ``round`` R of ``deadline`` D (R = D is our last turn: the last-turn rules fire
    there whatever the clock says), or ``progress`` ∈ [0, 1] (1 is the last turn); with neither, 0.5 with a note.
    ``opening``: where concession starts, ``best`` (our best allowed package) or ``zopa`` (our best package the buyer
    would accept); default ``best``, ``zopa`` with buyer profiles. ``exponent``: how we concede over time (< 1 firm,
    1 linear, > 1 fast); default 0.2, firmer with a longer ``deadline`` (0.15 at 100 turns). ``learn``: without buyer profiles, let a utility learned from the buyer's offers compete with the model's.
    """
    CounterOptions.check(
        progress=progress, round=round, deadline=deadline, exponent=exponent, top=top, opening=opening, learn=learn
    )
    deal = as_deal(model)
    given: list[Any] = list(history)
    offers = given if all(isinstance(h, Offer) for h in given) else parse_history(given)
    progress, turns_left, notes = negotiation_clock(progress, round, deadline)
    return recommend(
        deal,
        offers,
        progress,
        turns_left=turns_left,
        exponent=exponent if exponent is not None else deadline_exponent(deadline),
        top=top,
        opening=opening,
        learn=learn,
        notes=notes,
    )


def negotiation_clock(
    progress: float | None, round: int | None, deadline: int | None
) -> tuple[float, int | None, tuple[str, ...]]:
    """(progress, our turns left after this one, notes) from a progress value or a round of a deadline."""
    CounterOptions.check(progress=progress, round=round, deadline=deadline)
    if round is not None and deadline is not None:
        return min(1.0, round / deadline), deadline - round, ()
    if progress is None:
        return 0.5, None, ("no progress given: read as halfway through the negotiation (0.5)",)
    return float(progress), None, ()
