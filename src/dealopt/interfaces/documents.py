"""The JSON documents of the CLI's ``--json``: built below both edges, in :mod:`dealopt.negotiation.documents`."""

from __future__ import annotations

from dealopt.negotiation.documents import counter_proposal, describe_model, evaluation_document, trades_proposal

__all__ = ["counter_proposal", "describe_model", "evaluation_document", "trades_proposal"]
