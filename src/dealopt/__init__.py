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
from dealopt.negotiation.frontier import FrontierPoint, FrontierResult, NoDeal, Solution, frontier

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
    "FrontierPoint",
    "FrontierResult",
    "NoDeal",
    "Solution",
    "load_model",
    "model_from_data",
    "model_from_text",
]
