"""Request bodies of the JSON API: they mirror the CLI's options, with strict types (``true`` is not a number,
``"3"`` is not an integer) and no unknown field."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from dealopt.engines.registry import ENGINE_NAMES

__all__ = ["CounterBody", "EvaluateBody", "FrontierBody", "OfferBody", "TradesBody"]

Level = Union[Annotated[float, Field(allow_inf_nan=False)], Annotated[str, Field(max_length=200)]]
Package = Annotated[dict[Annotated[str, Field(max_length=200)], Level], Field(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EvaluateBody(_Body):
    """``{"package": {...}}``: a complete package."""

    package: Package


class FrontierBody(_Body):
    """Options of ``dealopt frontier``."""

    engine: Literal[ENGINE_NAMES] = "auto"  # type: ignore[valid-type]
    all_packages: bool = False


class TradesBody(_Body):
    """Options of ``dealopt trades``: ``from`` is a package or a bargaining solution's name."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    from_: Union[Package, Literal["nash", "kalai_smorodinsky", "max_joint", "egalitarian"]] = Field(alias="from")
    max_issues: Annotated[int, Field(ge=1, le=64)] | None = None
    top: Annotated[int, Field(ge=1, le=100)] = 10


class OfferBody(_Body):
    """One offer of the history."""

    by: Literal["buyer", "seller"]
    package: Package


class CounterBody(_Body):
    """Options of ``dealopt counter``: the history, and progress (or round and deadline)."""

    history: Annotated[list[OfferBody], Field(max_length=500)]
    progress: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    round: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    deadline: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    exponent: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] = 0.2
    top: Annotated[int, Field(ge=1, le=20)] = 3
    include_frontier: bool = False


def offers(body: CounterBody) -> list[Any]:
    """The history as negotiation offers."""
    from dealopt.negotiation.counter import Offer

    return [Offer(o.by, dict(o.package)) for o in body.history]
