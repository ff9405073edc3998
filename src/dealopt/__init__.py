"""dealopt: multi-variable deal optimization for B2B sales negotiation.

The public names below are the whole supported surface (pinned by ``tests/test_exported_members.py``); deeper
modules may change between versions. Each name is imported from its module when first used, so ``import dealopt``
loads neither the model layer nor pandas, pyarrow, SciPy or Dask.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Public name → (module, attribute), grouped by layer.
_LAZY: dict[str, tuple[str, str]] = {
    # errors
    "DealoptError": ("dealopt.errors", "DealoptError"),
    "LimitError": ("dealopt.errors", "LimitError"),
    "ModelError": ("dealopt.errors", "ModelError"),
    "OptionError": ("dealopt.errors", "OptionError"),
    "PackageError": ("dealopt.errors", "PackageError"),
    "SolveError": ("dealopt.errors", "SolveError"),
    "EngineError": ("dealopt.errors", "EngineError"),
    "EngineNotApplicable": ("dealopt.errors", "EngineNotApplicable"),
    # options (what the library, the CLI and the service accept)
    "CounterOptions": ("dealopt.options", "CounterOptions"),
    "FrontierOptions": ("dealopt.options", "FrontierOptions"),
    "PricingOptions": ("dealopt.options", "PricingOptions"),
    "SimulateOptions": ("dealopt.options", "SimulateOptions"),
    "SweepOptions": ("dealopt.options", "SweepOptions"),
    "TradesOptions": ("dealopt.options", "TradesOptions"),
    # model
    "CompiledDeal": ("dealopt.model.compiled", "CompiledDeal"),
    "DealModel": ("dealopt.model.schema", "DealModel"),
    "Evaluation": ("dealopt.model.evaluation", "Evaluation"),
    "compile_model": ("dealopt.model.compiled", "compile_model"),
    "evaluate": ("dealopt.model.evaluation", "evaluate"),
    "import_genius": ("dealopt.model.importers.genius", "import_genius"),
    "load_model": ("dealopt.model.loading", "load_model"),
    "model_from_data": ("dealopt.model.loading", "model_from_data"),
    "model_from_text": ("dealopt.model.loading", "model_from_text"),
    # negotiation
    "Counter": ("dealopt.negotiation.counter", "Counter"),
    "FrontierPoint": ("dealopt.negotiation.frontier", "FrontierPoint"),
    "FrontierResult": ("dealopt.negotiation.frontier", "FrontierResult"),
    "NoDeal": ("dealopt.negotiation.frontier", "NoDeal"),
    "Offer": ("dealopt.negotiation.counter", "Offer"),
    "Recommendation": ("dealopt.negotiation.counter", "Recommendation"),
    "SimulationResult": ("dealopt.negotiation.simulate", "SimulationResult"),
    "Solution": ("dealopt.negotiation.frontier", "Solution"),
    "Trade": ("dealopt.negotiation.trades", "Trade"),
    "TradeResult": ("dealopt.negotiation.trades", "TradeResult"),
    "counter": ("dealopt.negotiation.api", "counter"),
    "frontier": ("dealopt.negotiation.frontier", "frontier"),
    "simulate": ("dealopt.negotiation.simulate", "simulate"),
    "trades": ("dealopt.negotiation.api", "trades"),
    # learning
    "LearnResult": ("dealopt.learning", "LearnResult"),
    "learn": ("dealopt.learning", "learn"),
    "simulate_history": ("dealopt.learning", "simulate_history"),
    # batch (pandas, pyarrow, SciPy and Dask load with these)
    "PricedVariants": ("dealopt.batch.pricing", "PricedVariants"),
    "PricingRun": ("dealopt.batch.pricing", "PricingRun"),
    "SweepResult": ("dealopt.batch.sweep", "SweepResult"),
    "price_variants": ("dealopt.batch.pricing", "price_variants"),
    "price_variants_file": ("dealopt.batch.pricing", "price_variants_file"),
    "sweep": ("dealopt.batch.sweep", "sweep"),
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers, IDEs and the API reference
    from dealopt.batch.pricing import PricedVariants, PricingRun, price_variants, price_variants_file
    from dealopt.batch.sweep import SweepResult, sweep
    from dealopt.errors import (
        DealoptError,
        EngineError,
        EngineNotApplicable,
        LimitError,
        ModelError,
        OptionError,
        PackageError,
        SolveError,
    )
    from dealopt.learning import LearnResult, learn, simulate_history
    from dealopt.model.compiled import CompiledDeal, compile_model
    from dealopt.model.evaluation import Evaluation, evaluate
    from dealopt.model.importers.genius import import_genius
    from dealopt.model.loading import load_model, model_from_data, model_from_text
    from dealopt.model.schema import DealModel
    from dealopt.negotiation.api import counter, trades
    from dealopt.negotiation.counter import Counter, Offer, Recommendation
    from dealopt.negotiation.frontier import FrontierPoint, FrontierResult, NoDeal, Solution, frontier
    from dealopt.negotiation.simulate import SimulationResult, simulate
    from dealopt.negotiation.trades import Trade, TradeResult
    from dealopt.options import (
        CounterOptions,
        FrontierOptions,
        PricingOptions,
        SimulateOptions,
        SweepOptions,
        TradesOptions,
    )

    __version__: str


def _version() -> str:
    """The installed distribution's version (written once, in pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dealopt")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> object:
    if name == "__version__":
        value: object = _version()
    elif name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
    else:
        raise AttributeError(f"module 'dealopt' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})


__all__ = [
    "CompiledDeal",
    "Counter",
    "CounterOptions",
    "DealModel",
    "DealoptError",
    "EngineError",
    "EngineNotApplicable",
    "Evaluation",
    "FrontierOptions",
    "FrontierPoint",
    "FrontierResult",
    "LearnResult",
    "LimitError",
    "ModelError",
    "NoDeal",
    "Offer",
    "OptionError",
    "PackageError",
    "PricedVariants",
    "PricingOptions",
    "PricingRun",
    "Recommendation",
    "SimulateOptions",
    "SimulationResult",
    "Solution",
    "SolveError",
    "SweepOptions",
    "SweepResult",
    "Trade",
    "TradeResult",
    "TradesOptions",
    "compile_model",
    "counter",
    "evaluate",
    "frontier",
    "import_genius",
    "learn",
    "load_model",
    "model_from_data",
    "model_from_text",
    "price_variants",
    "price_variants_file",
    "simulate",
    "simulate_history",
    "sweep",
    "trades",
]
