"""The work done in solver processes: frontier documents, compiled from the same bytes the web worker serves."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from dealopt.model.compiled import CompiledDeal
from dealopt.service.catalog import ModelSource, compile_source

__all__ = ["frontier_document", "frontier_summary"]

_DEALS: OrderedDict[str, CompiledDeal] = OrderedDict()
_KEEP = 8


def _deal(src: ModelSource) -> CompiledDeal:
    """The compiled model of ``src``, kept for the next jobs on the same bytes."""
    deal = _DEALS.get(src.digest)
    if deal is None:
        deal = compile_source(src)
        _DEALS[src.digest] = deal
        while len(_DEALS) > _KEEP:
            _DEALS.popitem(last=False)
    _DEALS.move_to_end(src.digest)
    return deal


def frontier_document(src: ModelSource, options: dict[str, Any]) -> dict[str, Any]:
    """``dealopt frontier --json`` of the model, with the options of :class:`dealopt.options.FrontierOptions`."""
    from dealopt.service.answers import frontier_document as document

    return document(_deal(src), options)


def frontier_summary(src: ModelSource) -> dict[str, Any]:
    """The frontier points ``[[seller, buyer], …]`` and the bargaining packages (None where there is no ZOPA)."""
    from dealopt.negotiation.frontier import frontier
    from dealopt.options import SOLUTIONS

    result = frontier(_deal(src))
    solutions = {}
    for name in SOLUTIONS:
        sol = getattr(result, name)
        solutions[name] = dict(sol.package) if sol is not None else None
    return {"points": [[p.seller, p.buyer] for p in result.points], "solutions": solutions}
