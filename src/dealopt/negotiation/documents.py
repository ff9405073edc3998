"""The JSON documents the CLI (``--json``), the service and the MCP server answer with: one builder each."""

from __future__ import annotations

from typing import Any

from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate
from dealopt.model.levels import display_value
from dealopt.negotiation.counter import Action, Offer, Recommendation
from dealopt.negotiation.phrasing import ACCEPT_SENTENCE, NO_DEAL_SENTENCE, value_words
from dealopt.negotiation.trades import TradeResult

__all__ = ["evaluation_document", "counter_proposal", "trades_proposal", "describe_model"]


def evaluation_document(deal: CompiledDeal, package: dict[str, Any]) -> dict[str, Any]:
    """Both utilities, joint value, feasibility and acceptability of one package."""
    ev = evaluate(deal, package)
    doc: dict[str, Any] = {
        "package": {k: display_value(v) for k, v in package.items()},
        "seller": float(ev.seller[0]),
        "buyer": float(ev.buyer[0]),
        "joint": float(ev.joint[0]),
        "feasible": bool(ev.feasible[0]),
        "acceptable_seller": bool(ev.acceptable_seller[0]),
        "acceptable_buyer": bool(ev.acceptable_buyer[0]),
        "acceptable": bool(ev.acceptable[0]),
        "walk_away": {"seller": deal.seller_walk_away, "buyer": deal.buyer_walk_away},
    }
    if ev.profiles is not None and ev.acceptance_probability is not None:
        doc["acceptance_probability"] = float(ev.acceptance_probability[0])
        doc["profiles"] = {k: float(v[0]) for k, v in ev.profiles.items()}
    return doc


def counter_proposal(rec: Recommendation, history: list[Offer]) -> dict[str, Any]:
    """What the buyer may see of a recommendation: the package and its sentence, nothing else."""
    if rec.recommendation == Action.COUNTER and rec.counters:
        return {"package": dict(rec.counters[0].package), "sentence": rec.counters[0].sentence}
    if rec.recommendation == Action.ACCEPT and rec.accepted_package is not None:
        return {"package": dict(rec.accepted_package), "sentence": rec.accepted_sentence or ACCEPT_SENTENCE}
    if rec.last_best_offer is not None:
        return {"package": dict(rec.last_best_offer.package), "sentence": rec.last_best_offer.sentence}
    return {"package": None, "sentence": NO_DEAL_SENTENCE}


def trades_proposal(result: TradeResult) -> list[dict[str, Any]]:
    """What the buyer may see of the trades: each package and its sentence."""
    return [{"package": dict(t.package), "sentence": t.sentence} for t in result.trades]


def _labelled(issue: Any) -> bool:
    return bool(getattr(issue.spec, "labels", None))


def describe_model(deal: CompiledDeal, private: bool = True) -> dict[str, Any]:
    """A model's issues (with the option words a buyer reads), outcome-space size and (when ``private``) walk-aways,
    profiles and policy."""
    m = deal.model
    issues = []
    for issue in deal.issues:
        spec = issue.spec
        entry: dict[str, Any] = {"name": issue.name, "kind": issue.kind, "label": spec.label, "unit": spec.unit}
        if issue.gridded:
            entry["levels"] = len(issue.labels)
            entry["values"] = [display_value(x) for x in issue.labels]
            # categorical options as a buyer reads them (label, else id with spaces); ordinals only when labelled
            entry["labels"] = (
                [value_words(issue, x) for x in issue.labels] if not issue.numeric or _labelled(issue) else None
            )
        else:
            entry["levels"] = None
            entry["range"] = [display_value(issue.lo), display_value(issue.hi)]
        issues.append(entry)
    doc: dict[str, Any] = {
        "name": m.name,
        "title": m.title,
        "units": m.unit_label,
        "issues": issues,
        "constraints": len(m.constraints),
        "space_size": deal.space_size,
        "components": [[deal.issues[i].name for i in c.issues] for c in deal.components],
    }
    if private:
        doc["walk_away"] = {"seller": deal.seller_walk_away, "buyer": deal.buyer_walk_away}
        doc["profiles"] = [
            {"name": p.name, "probability": p.probability, "walk_away": p.walk_away} for p in deal.profiles
        ]
        doc["policy"] = m.policy.model_dump(exclude_none=True) if m.policy else None
        uses = m.parameter_uses
        doc["parameters"] = {  # the analyst's assumptions: private like the walk-aways
            name: {"value": display_value(value), "used_at": [str(u) for u in uses.get(name, ())]}
            for name, value in (m.parameters or {}).items()
        }
    return doc
