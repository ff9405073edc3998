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

#: Batch entry points, imported when first used (they load pandas, pyarrow and SciPy).
_LAZY = {
    "sweep": ("dealopt.batch.sweep", "sweep"),
    "SweepResult": ("dealopt.batch.sweep", "SweepResult"),
    "price_variants": ("dealopt.batch.pricing", "price_variants"),
    "price_variants_file": ("dealopt.batch.pricing", "price_variants_file"),
    "PricedVariants": ("dealopt.batch.pricing", "PricedVariants"),
    "PricingRun": ("dealopt.batch.pricing", "PricingRun"),
    "learn": ("dealopt.learning", "learn"),
    "simulate_history": ("dealopt.learning", "simulate_history"),
    "LearnResult": ("dealopt.learning", "LearnResult"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dealopt' has no attribute {name!r}")


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
    "sweep",
    "SweepResult",
    "price_variants",
    "price_variants_file",
    "PricedVariants",
    "PricingRun",
    "learn",
    "simulate_history",
    "LearnResult",
]
