"""The answers of the JSON API as typed models: what ``/openapi.json`` says each route returns.

The documents themselves are built once for the CLI, the API and the MCP server
(:mod:`dealopt.negotiation.documents`, the results' ``to_dict``); these models name and describe every field.
A role that may not see a field (:mod:`dealopt.service.roles`) gets the document without it, so the fields
a rep does not see are optional here and say so.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel

__all__ = [
    "CounterAnswer",
    "EvaluateAnswer",
    "FrontierAnswer",
    "Health",
    "ModelAnswer",
    "ModelList",
    "ReloadAnswer",
    "TradesAnswer",
]

_NOT_REP = " Not shown to the rep role."
Level = Union[float, str]
PackageDoc = Annotated[
    dict[str, Level],
    Field(
        description="A package: issue name → level (a number, or the name of a listed level).",
        examples=[{"price": 95, "seats": 300, "term_months": 12, "payment": "net30"}],
    ),
]
Version = Annotated[
    str, Field(description="The version (content hash) of the models the answer was computed on.", examples=["0cd1"])
]


class _Answer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Health(_Answer):
    """The service runs."""

    status: Literal["ok"] = Field(description="Always ok when the service answers.", examples=["ok"])
    models: int = Field(description="How many models are served.", examples=[3])
    model_version: Version
    worker: str = Field(description="Which worker process answered (a random name, not a pid).", examples=["9f2c"])


class ModelEntry(_Answer):
    """One model served."""

    name: str = Field(description="The model's name (the {name} of the model routes).", examples=["saas-renewal"])
    title: str | None = Field(description="The model's title.", examples=["Acme platform renewal"])
    units: str = Field(description="The unit of both sides' utilities.", examples=["USD"])
    issues: int = Field(description="How many issues the deal has.", examples=[6])
    space_size: int | None = Field(
        description="How many packages there are (none for a continuous issue without step).", examples=[199260]
    )
    model_version: Version


class ModelList(RootModel[list[ModelEntry]]):
    """The models served."""


class IssueEntry(_Answer):
    """One issue of a model."""

    name: str = Field(description="The issue's name, as packages name it.", examples=["term_months"])
    kind: str = Field(description="numeric, ordinal or categorical.", examples=["numeric"])
    label: str | None = Field(None, description="The issue in words.", examples=["Contract term"])
    unit: str | None = Field(None, description="The unit of its levels.", examples=["months"])
    levels: int | None = Field(description="How many levels it has (none: continuous without step).", examples=[3])
    values: list[Level] | None = Field(None, description="Its levels, in order.", examples=[[12, 24, 36]])
    labels: list[str] | None = Field(
        None, description="The levels as a buyer reads them (categorical, or labelled ordinal).", examples=[["Net 30"]]
    )
    range: list[Level] | None = Field(None, description="Lowest and highest value (continuous).", examples=[[0, 1]])


class WalkAways(_Answer):
    """Both sides' walk-away utilities."""

    seller: float | None = Field(description="The seller's walk-away utility.", examples=[50000.0])
    buyer: float | None = Field(description="The buyer's (estimated) walk-away utility.", examples=[235026.0])


class ProfileEntry(_Answer):
    """A buyer profile: one belief about who the buyer is."""

    name: str = Field(description="The profile's name.", examples=["cost_cutter"])
    probability: float = Field(description="How likely the buyer is this profile.", examples=[0.6])
    walk_away: float | None = Field(description="This profile's walk-away utility.", examples=[200000.0])


class ParameterEntry(_Answer):
    """A named parameter of the model: the analyst's assumption and where it is used."""

    value: Level = Field(description="Its value.", examples=[4.2])
    used_at: list[str] = Field(description="The places of the model that use it.", examples=[["parties.seller"]])


class ModelAnswer(_Answer):
    """A model's issues and levels; walk-aways, profiles, policy and parameters for the roles that see them."""

    name: str = Field(description="The model's name.", examples=["saas-renewal"])
    title: str | None = Field(description="The model's title.", examples=["Acme platform renewal"])
    units: str = Field(description="The unit of both sides' utilities.", examples=["USD"])
    issues: list[IssueEntry] = Field(description="The issues, in the model's order.")
    constraints: int = Field(description="How many constraints limit the packages.", examples=[2])
    space_size: int | None = Field(description="How many packages there are.", examples=[199260])
    components: list[list[str]] = Field(
        description="Groups of issues whose utilities interact.", examples=[[["price", "seats"], ["term_months"]]]
    )
    walk_away: WalkAways | None = Field(None, description="Both sides' walk-away utilities." + _NOT_REP)
    profiles: list[ProfileEntry] | None = Field(None, description="The buyer profiles." + _NOT_REP)
    policy: dict[str, Any] | None = Field(
        None, description="The seller's policy (discount threshold, trade size …)." + _NOT_REP, examples=[{}]
    )
    parameters: dict[str, ParameterEntry] | None = Field(None, description="Named parameters." + _NOT_REP)
    model_version: Version


class EvaluateAnswer(_Answer):
    """Both utilities, joint value, feasibility and acceptability of a package."""

    package: PackageDoc
    seller: float | None = Field(None, description="The seller's utility." + _NOT_REP, examples=[612000.0])
    buyer: float | None = Field(None, description="The buyer's utility." + _NOT_REP, examples=[480000.0])
    joint: float | None = Field(None, description="Seller + buyer utility." + _NOT_REP, examples=[1092000.0])
    feasible: bool = Field(description="Whether the package meets every constraint.", examples=[True])
    acceptable_seller: bool | None = Field(
        None, description="At or above the seller's walk-away." + _NOT_REP, examples=[True]
    )
    acceptable_buyer: bool | None = Field(
        None, description="At or above the buyer's walk-away." + _NOT_REP, examples=[True]
    )
    acceptable: bool = Field(description="Feasible and acceptable to both sides.", examples=[True])
    walk_away: WalkAways | None = Field(None, description="Both sides' walk-away utilities." + _NOT_REP)
    acceptance_probability: float | None = Field(
        None, description="The chance the buyer accepts, over the buyer profiles.", examples=[0.72]
    )
    profiles: dict[str, float] | None = Field(
        None, description="The buyer's utility per profile." + _NOT_REP, examples=[{"cost_cutter": 410000.0}]
    )
    model_version: Version


class Point(_Answer):
    """A point of the frontier: both utilities and a package reaching them."""

    seller: float = Field(description="The seller's utility.", examples=[565492.8])
    buyer: float = Field(description="The buyer's utility.", examples=[750230.4])
    package: PackageDoc
    segment: bool | None = Field(
        None, description="The line to the next point is efficient too (continuous).", examples=[False]
    )
    packages: list[dict[str, Level]] | None = Field(None, description="Every package reaching it (all_packages).")


class NoDealDoc(_Answer):
    """Why there is no deal, and by how much the sides are apart."""

    reason: str = Field(
        description="no_feasible_package, seller_walk_away, buyer_walk_away or apart.", examples=["apart"]
    )
    message: str = Field(description="The reason in words.", examples=["the sides are 12,000 USD apart"])
    best_buyer_at_seller_walk_away: float | None = Field(
        description="Best buyer utility the seller can accept.", examples=[180000.0]
    )
    best_seller_at_buyer_walk_away: float | None = Field(
        description="Best seller utility the buyer can accept.", examples=[42000.0]
    )
    buyer_gap: float | None = Field(
        description="Buyer walk-away − best buyer utility the seller can accept.", examples=[12000.0]
    )
    seller_gap: float | None = Field(
        description="Seller walk-away − best seller utility the buyer can accept.", examples=[8000.0]
    )


class FrontierAnswer(_Answer):
    """The exact Pareto frontier of the ZOPA and the bargaining packages on it."""

    model: str = Field(description="The model's name.", examples=["saas-renewal"])
    engine: str = Field(description="The engine that solved it.", examples=["merge"])
    units: str = Field(description="The unit of both sides' utilities.", examples=["USD"])
    walk_away: WalkAways = Field(description="Both sides' walk-away utilities.")
    zopa: bool = Field(description="Whether some package is acceptable to both sides.", examples=[True])
    points: list[Point] = Field(description="The frontier, from the seller's best to the buyer's best.")
    nash: Point | None = Field(description="The Nash bargaining package (none without a ZOPA).")
    kalai_smorodinsky: Point | None = Field(description="The Kalai–Smorodinsky package.")
    max_joint: Point | None = Field(description="The package of the highest joint value.")
    egalitarian: Point | None = Field(description="The package of equal gains over the walk-aways.")
    no_deal: NoDealDoc | None = Field(None, description="Why there is no deal (only without a ZOPA).")
    status: str | None = Field(
        None, description="time_limit or inaccurate when the frontier is partial.", examples=["time_limit"]
    )
    note: str | None = Field(
        None, description="Why auto passed over the preferred engines.", examples=["auto chose milp: …"]
    )
    model_version: Version


class Move(_Answer):
    """One issue a trade changes."""

    issue: str = Field(description="The issue.", examples=["term_months"])
    from_: Level = Field(alias="from", description="Its level before the trade.", examples=[12])
    to: Level = Field(description="Its level after the trade.", examples=[36])


class FlagDoc(_Answer):
    """A warning: a stable code and words for people."""

    code: str = Field(description="Stable code.", examples=["needs_approval"])
    detail: str = Field(description="The warning in words.", examples=["discount 20.8% exceeds 15%"])


class TradeDoc(_Answer):
    """A trade: what we give, what we ask, and the sentence that says it."""

    gives: list[Move] = Field(description="The issues we concede on.")
    asks: list[Move] = Field(description="The issues we ask for in return.")
    seller_gain: float | None = Field(None, description="The seller's gain." + _NOT_REP, examples=[611496.0])
    buyer_gain: float | None = Field(None, description="The buyer's gain." + _NOT_REP, examples=[241878.0])
    joint_gain: float | None = Field(None, description="The joint gain." + _NOT_REP, examples=[853374.0])
    package: PackageDoc
    sentence: str = Field(description="The trade as a rep says it.", examples=["If we extend the term …"])
    flags: list[FlagDoc] = Field(description="Warnings (a discount past approval …).")
    price_range: list[Level] | None = Field(description="The prices of the trades collapsed into this one.")


class Proposal(_Answer):
    """What the buyer may see: a package and its sentence."""

    package: dict[str, Level] | None = Field(description="The package proposed (none: walk away).")
    sentence: str = Field(description="The sentence to send.", examples=["If you raise the price …"])


class TradesAnswer(_Answer):
    """Trades from a package, best first, and what the buyer may see of them."""

    from_: dict[str, Level] = Field(alias="from", description="The package the trades start from.")
    trades: list[TradeDoc] = Field(description="The trades, best (highest joint gain) first.")
    method: str | None = Field(
        None, description="How they were found: listed or merge." + _NOT_REP, examples=["listed"]
    )
    proposal: list[Proposal] = Field(description="Each trade as the buyer may see it.")
    model_version: Version


class CounterOffer(_Answer):
    """A counter-offer."""

    package: PackageDoc
    seller: float | None = Field(None, description="The seller's utility." + _NOT_REP, examples=[1177483.2])
    buyer: float | None = Field(None, description="The buyer's (expected) utility." + _NOT_REP, examples=[112837.6])
    joint: float | None = Field(None, description="Seller + buyer utility." + _NOT_REP, examples=[1290320.8])
    acceptance_probability: float | None = Field(description="The chance the buyer accepts.", examples=[0.4])
    sentence: str = Field(description="The counter-offer as a rep says it.", examples=["If you raise the price …"])
    gives: list[str] = Field(description="The issues it concedes on.", examples=[["term_months"]])
    asks: list[str] = Field(description="The issues it asks for.", examples=[["price"]])
    flags: list[FlagDoc] = Field(description="Warnings.")


class CounterAnswer(_Answer):
    """Accept, counter or walk away, with ranked counter-offers and the words to send."""

    recommendation: Literal["accept", "counter", "walk_away"] = Field(description="What to do.", examples=["counter"])
    reason: str = Field(description="Why, in words a rep acts on.", examples=["opening with our strongest package"])
    counters: list[CounterOffer] = Field(description="Ranked counter-offers (when countering).")
    accepted_package: dict[str, Level] | None = Field(description="The buyer's offer to accept (when accepting).")
    accepted_sentence: str | None = Field(description="The sentence accepting it.", examples=["We accept."])
    last_best_offer: CounterOffer | None = Field(description="Our last best offer (when walking away).")
    aspiration: float | None = Field(
        None, description="This turn's aspiration utility." + _NOT_REP, examples=[1176061.8]
    )
    concession_used: float | None = Field(description="How much of the room has been conceded (0–1).", examples=[0.0])
    progress: float = Field(description="How far the negotiation is (0–1).", examples=[0.4])
    turns_left: int | None = Field(description="Our turns left after this one.", examples=[3])
    beliefs: dict[str, float] | None = Field(None, description="Belief per buyer profile." + _NOT_REP)
    notes: list[str] = Field(description="Notes on how the request was read.")
    proposal: Proposal = Field(description="What the buyer may see.")
    frontier: list[list[float]] | None = Field(
        None, description="The frontier's [seller, buyer] points (include_frontier)." + _NOT_REP
    )
    model_version: Version


class ReloadAnswer(_Answer):
    """What a reload did."""

    previous: str = Field(description="The model version before.", examples=["0cd150802ed9e59a"])
    changed: bool = Field(description="Whether the models changed.", examples=[True])
    models: list[str] = Field(description="The models now served.", examples=[["saas-renewal"]])
    model_version: Version
