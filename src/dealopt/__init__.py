"""dealopt: multi-variable deal optimization for B2B sales negotiation."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Every public name, imported from its module when first used: ``import dealopt`` (and the CLI's start-up)
#: loads neither the model layer nor pandas, pyarrow, SciPy or Dask until a name that needs them is asked for.
_LAZY = {
    "DealoptError": ("dealopt.errors", "DealoptError"),
    "LimitError": ("dealopt.errors", "LimitError"),
    "ModelError": ("dealopt.errors", "ModelError"),
    "PackageError": ("dealopt.errors", "PackageError"),
    "SolveError": ("dealopt.errors", "SolveError"),
    "CompiledDeal": ("dealopt.model.compiled", "CompiledDeal"),
    "DealModel": ("dealopt.model.schema", "DealModel"),
    "Evaluation": ("dealopt.model.evaluation", "Evaluation"),
    "compile_model": ("dealopt.model.compiled", "compile_model"),
    "evaluate": ("dealopt.model.evaluation", "evaluate"),
    "load_model": ("dealopt.model.loading", "load_model"),
    "model_from_data": ("dealopt.model.loading", "model_from_data"),
    "model_from_text": ("dealopt.model.loading", "model_from_text"),
    "counter": ("dealopt.negotiation.api", "counter"),
    "trades": ("dealopt.negotiation.api", "trades"),
    "Counter": ("dealopt.negotiation.counter", "Counter"),
    "Offer": ("dealopt.negotiation.counter", "Offer"),
    "Recommendation": ("dealopt.negotiation.counter", "Recommendation"),
    "FrontierPoint": ("dealopt.negotiation.frontier", "FrontierPoint"),
    "FrontierResult": ("dealopt.negotiation.frontier", "FrontierResult"),
    "NoDeal": ("dealopt.negotiation.frontier", "NoDeal"),
    "Solution": ("dealopt.negotiation.frontier", "Solution"),
    "frontier": ("dealopt.negotiation.frontier", "frontier"),
    "Trade": ("dealopt.negotiation.trades", "Trade"),
    "TradeResult": ("dealopt.negotiation.trades", "TradeResult"),
    # batch entry points (they load pandas, pyarrow and SciPy)
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

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from dealopt.batch.pricing import PricedVariants, PricingRun, price_variants, price_variants_file
    from dealopt.batch.sweep import SweepResult, sweep
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


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dealopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
