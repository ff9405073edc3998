"""dealopt: multi-variable deal optimization for B2B sales negotiation."""

from dealopt.errors import DealoptError, LimitError, ModelError, PackageError, SolveError
from dealopt.model import (
    CompiledDeal,
    DealModel,
    Evaluation,
    compile_model,
    evaluate,
    load_model,
    model_from_data,
    model_from_text,
)
from dealopt.negotiation.api import counter, trades
from dealopt.negotiation.counter import Counter, Offer, Recommendation
from dealopt.negotiation.frontier import FrontierPoint, FrontierResult, NoDeal, Solution, frontier
from dealopt.negotiation.trades import Trade, TradeResult

__version__ = "0.1.0"

__all__ = [
    "CompiledDeal",
    "DealModel",
    "DealoptError",
    "Evaluation",
    "LimitError",
    "ModelError",
    "PackageError",
    "SolveError",
    "compile_model",
    "evaluate",
    "frontier",
    "trades",
    "counter",
    "Counter",
    "Offer",
    "Recommendation",
    "Trade",
    "TradeResult",
    "FrontierPoint",
    "FrontierResult",
    "NoDeal",
    "Solution",
    "load_model",
    "model_from_data",
    "model_from_text",
]
