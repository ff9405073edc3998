"""The documents the service's routes and the MCP server's tools answer with, built once for both.

Each builder returns the whole document; :func:`shown` applies the caller's role (:mod:`dealopt.service.roles`)
and adds the ``model_version`` it was computed on.
"""

from __future__ import annotations

from typing import Any

from dealopt.errors import LimitError
from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.counter import Offer
from dealopt.negotiation.documents import counter_proposal, describe_model, evaluation_document, trades_proposal
from dealopt.service.catalog import Catalog
from dealopt.service.roles import visible

__all__ = [
    "counter_document",
    "evaluate_document",
    "frontier_document",
    "model_document",
    "models_document",
    "shown",
    "start_of_trades",
    "trades_document",
    "within_space",
]


def shown(role: str, kind: str, doc: Any, version: str) -> Any:
    """What ``role`` may see of ``doc`` (an answer of ``kind``), with the model version it was computed on."""
    seen = visible(role, kind, doc)
    if isinstance(seen, dict):
        return {**seen, "model_version": version}
    return [{**entry, "model_version": version} for entry in seen]


def models_document(catalog: Catalog) -> list[dict[str, Any]]:
    """The models served: name, title, units, number of issues and outcome-space size."""
    return [
        {
            "name": d.name,
            "title": d.model.title,
            "units": d.model.unit_label,
            "issues": len(d.issues),
            "space_size": d.space_size,
        }
        for d in catalog.deals.values()
    ]


def model_document(deal: CompiledDeal) -> dict[str, Any]:
    """A model's issues and levels, walk-aways, profiles, policy and parameters (roles cut what they may not see)."""
    return describe_model(deal)


def evaluate_document(deal: CompiledDeal, package: dict[str, Any]) -> dict[str, Any]:
    """Both utilities, joint value, feasibility and acceptability of a complete package."""
    return evaluation_document(deal, dict(package))


def within_space(deal: CompiledDeal, max_space: int) -> None:
    """:class:`LimitError` when the model's outcome space is over the service's limit."""
    size = deal.space_size
    if size is not None and size > max_space:
        raise LimitError(
            f"model {deal.name!r} has {size:,} packages, more than this service's limit of {max_space:,}",
            limit="max_space",
            value=max_space,
        )


def frontier_document(deal: CompiledDeal, options: dict[str, Any]) -> dict[str, Any]:
    """The exact frontier and the bargaining packages (``options``: :class:`dealopt.options.FrontierOptions`)."""
    from dealopt.negotiation.frontier import frontier

    return frontier(deal, **options).to_dict(options.get("all_packages", False))


def start_of_trades(deal: CompiledDeal, start: dict[str, Any] | str) -> dict[str, Any]:
    """The package trades start from: as given, or the bargaining package named (PackageError without a ZOPA)."""
    if not isinstance(start, str):
        return dict(start)
    from dealopt.negotiation.api import resolve_package

    return resolve_package(deal, start)


def trades_document(deal: CompiledDeal, start: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Trades from a complete package, best first, plus the buyer-facing ``proposal``."""
    from dealopt.negotiation.api import trades

    result = trades(deal, start, **options)
    return {**result.to_dict(), "proposal": trades_proposal(result)}


def counter_document(
    deal: CompiledDeal, history: list[Offer], options: dict[str, Any], points: list[list[float]] | None = None
) -> dict[str, Any]:
    """Accept, counter or walk away, plus the buyer-facing ``proposal`` (and the frontier's points when given)."""
    from dealopt.negotiation.api import counter

    rec = counter(deal, history, **options)
    doc = {**rec.to_dict(), "proposal": counter_proposal(rec, history)}
    if points is not None:
        doc["frontier"] = points
    return doc
