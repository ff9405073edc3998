"""The negotiation functions of the public API: ``trades`` and ``counter``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dealopt.errors import PackageError
from dealopt.model.compiled import CompiledDeal, as_deal
from dealopt.model.schema import DealModel
from dealopt.negotiation.concession import DEFAULT_EXPONENT
from dealopt.negotiation.counter import Offer, Recommendation, parse_history, recommend
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
        raise PackageError(f"--top: {top}; expected at least 1")
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
) -> Recommendation:
    """Accept, counter or walk away after ``history``, at ``progress`` (or ``round`` of ``deadline``)."""
    deal = as_deal(model)
    offers = history if all(isinstance(h, Offer) for h in history) else parse_history(history)
    if progress is None:
        if round is None or deadline is None:
            raise PackageError("--progress: missing; expected --progress 0..1, or --round R with --deadline D")
        if deadline < 1 or round < 0:
            raise PackageError(f"--round/--deadline: {round}/{deadline}; expected 0 ≤ round and deadline ≥ 1")
        progress = min(1.0, round / deadline)
    return recommend(deal, list(offers), progress, exponent=exponent, top=top)  # type: ignore[arg-type]
