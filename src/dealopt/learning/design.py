"""The buyer's utility as a linear function of the model's named parameters.

U_b(package; θ) = fixed(package) + Σ_k θ_k · feature_k(package): the fixed part is the
buyer's utility with every learned parameter at 0, and feature_k is what parameter k
multiplies (the utility with θ_k = 1, the others 0, less the fixed part). Both are
read from the model itself, so a parameter may be a coefficient, a table entry or a
piecewise y; a parameter that enters non-linearly (two in one product) is refused.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from dealopt.errors import ModelError
from dealopt.learning.errors import LearnError
from dealopt.learning.history import IssueValues
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.evaluation import _utility_on_values
from dealopt.model.loading import model_from_data
from dealopt.model.parameters import with_references
from dealopt.model.schema import DealModel

__all__ = ["Design", "buyer_parameters", "buyer_utility", "design_matrix", "model_data", "with_parameters"]

_BUYER_UTILITY = re.compile(r"^parties\.buyer\.(utility|profiles\[\d+\]\.utility)\b")
_LINEAR_TOL = 1e-7


@dataclass(frozen=True)
class Design:
    """The columns of the logistic regression: the fixed part and one feature per learned parameter."""

    names: tuple[str, ...]  # the learned parameters, in the model's order
    fixed: np.ndarray  # the buyer's utility with every learned parameter at 0
    features: np.ndarray  # (rows, parameters): what each parameter multiplies

    def utility(self, theta: np.ndarray) -> np.ndarray:
        """The buyer's utility with the parameters ``theta`` (one row per package; ``theta`` may be (draws, k))."""
        if np.ndim(theta) == 2:
            return np.asarray(self.fixed[:, None] + self.features @ np.atleast_2d(theta).T, dtype=float)
        return np.asarray(self.fixed + self.features @ theta, dtype=float)


def model_data(model: DealModel) -> dict[str, Any]:
    """The model's file data with its parameters, every use written as ``$name``."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not model.parameter_uses:
        return data
    return {**with_references(data, model.parameter_uses), "parameters": dict(model.parameters or {})}


def buyer_parameters(model: DealModel) -> tuple[str, ...]:
    """The named parameters used in the buyer's utility (its walk-away and profile probabilities are not)."""
    return tuple(
        name for name, uses in model.parameter_uses.items() if any(_BUYER_UTILITY.match(use.path) for use in uses)
    )


def with_parameters(model: DealModel, values: dict[str, float]) -> DealModel:
    """The model with some named parameters set to other numbers."""
    data = copy.deepcopy(model_data(model))
    data["parameters"] = {**data.get("parameters", {}), **values}
    try:
        return model_from_data(data, model.name)
    except ModelError as exc:
        first = exc.lines()[0] if exc.problems else str(exc)
        raise LearnError(
            f"{model.name}: the model is not valid with {', '.join(f'{k}={v:g}' for k, v in values.items())} "
            f"({first}); expected parameters that can be set to any number"
        ) from None


def buyer_utility(deal: CompiledDeal, values: IssueValues) -> np.ndarray:
    """The buyer's (expected) utility of packages given as arrays."""
    return _utility_on_values(deal.buyer, cast(Any, values), range(len(deal.issues)))


def design_matrix(model: DealModel, values: IssueValues, names: tuple[str, ...] | None = None) -> Design:
    """The fixed part and the features of the learned parameters; raises :class:`LearnError` when not linear."""
    names = buyer_parameters(model) if names is None else names
    if not names:
        raise LearnError(
            f"{model.name}: the buyer's utility uses no named parameter: nothing to learn; expected $name "
            "in parties.buyer.utility (a coefficient, a table entry or a piecewise y) declared under parameters"
        )
    zero = {n: 0.0 for n in names}
    fixed = buyer_utility(compile_model(with_parameters(model, zero)), values)
    cols = []
    for n in names:
        cols.append(buyer_utility(compile_model(with_parameters(model, {**zero, n: 1.0})), values) - fixed)
    features = np.stack(cols, axis=1) if cols else np.zeros((len(fixed), 0))
    design = Design(names, fixed, features)
    stated = np.array([float((model.parameters or {})[n]) for n in names])
    for theta in (np.ones(len(names)), stated, 2.0 * stated + 1.0):
        got = buyer_utility(
            compile_model(with_parameters(model, dict(zip(names, theta.tolist(), strict=True)))), values
        )
        want = design.utility(theta)
        scale = 1.0 + float(np.max(np.abs(got))) if len(got) else 1.0
        if len(got) and float(np.max(np.abs(got - want))) > _LINEAR_TOL * scale:
            raise LearnError(
                f"{model.name}: the buyer's utility is not linear in {', '.join(names)} (a parameter multiplies "
                "another, or sits in a piecewise x); expected each learned parameter in one coefficient, table "
                "entry or piecewise y of a term with no other parameter"
            )
    return design
