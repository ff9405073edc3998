"""The deal model: schema, loading, compilation, evaluation and importers.

This layer imports no solver.
"""

from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.evaluation import Evaluation, evaluate
from dealopt.model.loading import load_model, model_from_data, model_from_text
from dealopt.model.schema import DealModel

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
