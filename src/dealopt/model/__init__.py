"""The deal model: schema, loading, compilation, evaluation and importers.

This layer imports no solver. Its names are imported from their modules when first used, so that reading a
model file (``dealopt validate``) does not load the compiler and the evaluator.
"""

from typing import TYPE_CHECKING

_LAZY = {
    "CompiledDeal": "dealopt.model.compiled",
    "compile_model": "dealopt.model.compiled",
    "Evaluation": "dealopt.model.evaluation",
    "evaluate": "dealopt.model.evaluation",
    "load_model": "dealopt.model.loading",
    "model_from_data": "dealopt.model.loading",
    "model_from_text": "dealopt.model.loading",
    "DealModel": "dealopt.model.schema",
}

if TYPE_CHECKING:
    from dealopt.model.compiled import CompiledDeal, compile_model
    from dealopt.model.evaluation import Evaluation, evaluate
    from dealopt.model.loading import load_model, model_from_data, model_from_text
    from dealopt.model.schema import DealModel


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dealopt.model' has no attribute {name!r}")


__all__ = [
    "CompiledDeal",
    "DealModel",
    "Evaluation",
    "compile_model",
    "evaluate",
    "load_model",
    "model_from_data",
    "model_from_text",
]
