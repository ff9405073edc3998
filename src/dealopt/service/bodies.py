"""Request bodies of the JSON API: the library's options (:mod:`dealopt.options`) plus the data a request
carries, with strict types (``true`` is not a number, ``"3"`` is not an integer) and no unknown field."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field

from dealopt.options import (
    CounterOptions,
    FrontierOptions,
    Options,
    Package,
    SolutionName,
    TopTrades,
    TradesOptions,
)

__all__ = ["FIELDS", "CounterBody", "EvaluateBody", "FrontierBody", "OfferBody", "TradesBody", "field_of", "offers"]

#: Library parameter → body field, where they differ (the one param → field mapping of the service).
FIELDS = {"from_package": "from"}


def field_of(param: str) -> str:
    """The body field a library parameter is given by."""
    return FIELDS.get(param, param)


class EvaluateBody(Options):
    """``{"package": {...}}``: a complete package."""

    package: Package = Field(description="A complete package: a level for every issue.")


class FrontierBody(FrontierOptions):
    """Options of ``dealopt frontier``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"engine": "auto", "all_packages": False}]})


class TradesBody(TradesOptions):
    """Options of ``dealopt trades``: ``from`` is a package or a bargaining solution's name."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"from": "nash", "max_issues": 2, "top": 5}]})

    from_: Union[Package, SolutionName] = Field(
        alias="from",
        description="Where trades start: a complete package, or nash, kalai_smorodinsky, max_joint …",
        examples=["nash"],
    )
    top: TopTrades = 10


class OfferBody(Options):
    """One offer of the history."""

    by: Literal["buyer", "seller"] = Field(description="Who made the offer.", examples=["buyer"])
    package: Package = Field(description="The offer: a level (or a number between steps) per stated issue.")


class CounterBody(CounterOptions):
    """Options of ``dealopt counter``: the history, and progress (or round and deadline)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "history": [{"by": "buyer", "package": {"price": 80, "term": "12 months"}}],
                    "round": 2,
                    "deadline": 5,
                }
            ]
        }
    )

    history: Annotated[
        list[OfferBody],
        Field(
            max_length=500,
            description="The offers so far, oldest first.",
            examples=[[{"by": "buyer", "package": {"price": 80, "term": "12 months"}}]],
        ),
    ]
    include_frontier: bool = Field(
        False, description="Add the frontier's points (for the roles that see them).", examples=[False]
    )


def offers(body: CounterBody) -> list[Any]:
    """The history as negotiation offers."""
    from dealopt.negotiation.counter import Offer

    return [Offer(o.by, dict(o.package)) for o in body.history]
