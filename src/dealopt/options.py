"""The options of dealopt's main calls, declared once.

Each model below lists the options of one call — :func:`~dealopt.frontier`, :func:`~dealopt.trades`,
:func:`~dealopt.counter`, ``simulate``, :func:`~dealopt.sweep` and :func:`~dealopt.price_variants` —
with their types, defaults and bounds. The library validates its arguments with them
(:meth:`Options.check` raises :class:`~dealopt.errors.OptionError` naming the field), the service's
request bodies are them (subclassed to add the data a request carries), and the CLI reads its choices
and bounds from them (:func:`choices`, :func:`bounds`).

Strict types: ``true`` is not a number and ``"3"`` is not an integer; an unknown option is refused.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo

from dealopt.errors import OptionError

__all__ = [
    "AGENT_NAMES",
    "ENGINE_NAMES",
    "OPENINGS",
    "SOLUTIONS",
    "AgentName",
    "ClusterOptions",
    "CounterOptions",
    "EngineName",
    "FrontierOptions",
    "Level",
    "Opening",
    "Options",
    "Package",
    "PricingOptions",
    "SimulateOptions",
    "SolutionName",
    "SweepOptions",
    "TopCounters",
    "TopTrades",
    "TradesOptions",
    "as_option_error",
    "bounds",
    "choices",
]

#: The engines, ``auto`` first then in preference order (the registry checks it lists exactly these).
EngineName = Literal["auto", "merge", "enumerate", "milp"]
ENGINE_NAMES: tuple[str, ...] = get_args(EngineName)

#: The bargaining packages of a frontier, by name (a trade may start from one of them).
SolutionName = Literal["nash", "kalai_smorodinsky", "max_joint", "egalitarian"]
SOLUTIONS: tuple[str, ...] = get_args(SolutionName)

#: Where a counter-offer's concession starts.
Opening = Literal["zopa", "best"]
OPENINGS: tuple[str, ...] = get_args(Opening)

#: The standard negotiating agents (``dealopt.negotiation.agents`` checks it makes exactly these).
AgentName = Literal["boulware", "linear", "conceder", "aspiration", "tit_for_tat", "micro", "random", "hardliner"]
AGENT_NAMES: tuple[str, ...] = get_args(AgentName)

#: A level of a package: a number, or the name of a listed level.
Level = Union[Annotated[float, Field(allow_inf_nan=False)], Annotated[str, Field(max_length=200)]]
#: A package: issue name → level.
Package = Annotated[
    dict[Annotated[str, Field(max_length=200)], Level],
    Field(min_length=1, max_length=200, examples=[{"price": 95, "term": "24 months"}]),
]
#: How many trades to list.
TopTrades = Annotated[int, Field(ge=1, le=100, description="How many trades to list, best first.", examples=[10])]
#: How many counter-offers to list.
TopCounters = Annotated[
    int, Field(ge=1, le=20, description="How many counter-offers to list, best first.", examples=[3])
]
_Engine = Annotated[
    EngineName, Field(description="The frontier engine; auto picks the fastest exact one.", examples=["auto"])
]

_O = TypeVar("_O", bound="Options")


class Options(BaseModel):
    """Base of every options model: frozen, strict, no unknown field."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    #: Library parameter names that differ from the field names (``from`` is ``from_package``).
    param_names: ClassVar[dict[str, str]] = {}

    @classmethod
    def check(cls: type[_O], **values: Any) -> _O:
        """The options from keyword arguments; :class:`OptionError` (param = field name) for the first bad one."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _option_error(cls, exc) from None


def as_option_error(exc: ValidationError) -> OptionError:
    """The first error of a validation of arguments (a tool's, a function's) as one-line :class:`OptionError`."""
    error = exc.errors(include_url=False)[0]
    loc = [str(p) for p in error.get("loc", ())]
    return OptionError(".".join(loc) or "arguments", error.get("input", OptionError.NO_VALUE), _expected(error))


def _option_error(cls: type[Options], exc: ValidationError) -> OptionError:
    """The first error of a validation as an :class:`OptionError` naming the library's parameter."""
    error = exc.errors(include_url=False)[0]
    loc = [p for p in error.get("loc", ()) if isinstance(p, str)]
    field = str(loc[0]) if loc else "options"
    aliases = {f.alias: name for name, f in cls.model_fields.items() if f.alias}
    field = aliases.get(field, field)
    param = cls.param_names.get(field, field)
    value = error.get("input", OptionError.NO_VALUE)
    expected = _expected(error)
    if error.get("type") in _RANGE and field in cls.model_fields:
        low, high = bounds(cls, field)
        if low is not None and high is not None:
            expected = f"a number in [{low:g}, {high:g}]"
    return OptionError(param, value, expected)


_RANGE = ("greater_than_equal", "greater_than", "less_than_equal", "less_than")


def _expected(error: Any) -> str:
    """What an option should have been, said for a user (not pydantic's wording)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "")
        return f"a number {sign} {bound:g}" if isinstance(bound, (int, float)) else f"a number {sign} {bound}"
    if kind == "literal_error":
        return "one of " + str(ctx.get("expected", "")).replace("'", "")
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return "an integer"
    if kind in ("float_type", "float_parsing"):
        return "a number"
    if kind == "finite_number":
        return "a finite number"
    if kind in ("bool_type", "bool_parsing"):
        return "true or false"
    if kind in ("string_type", "string_too_long"):
        return "a text" + (f" of at most {ctx['max_length']} characters" if "max_length" in ctx else "")
    if kind == "extra_forbidden":
        return "no such option"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "")))
    return str(error.get("msg", "a valid value"))


def _between(low: float, high: float) -> Any:
    return Field(ge=low, le=high, allow_inf_nan=False)


class FrontierOptions(Options):
    """Options of :func:`dealopt.frontier` (``dealopt frontier``)."""

    engine: _Engine = "auto"
    all_packages: bool = Field(False, description="List every package reaching each point, not one.", examples=[False])
    max_space: int = Field(
        200_000_000, ge=1, description="enumerate: the largest outcome space it lists.", examples=[5_000_000]
    )
    max_packages_per_point: int = Field(
        1000, ge=1, description="With all_packages: the most packages per point.", examples=[10]
    )
    time_limit: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = Field(
        None,
        description="Seconds for the engine; past it, the frontier found so far (status time_limit).",
        examples=[2.0],
    )


class TradesOptions(Options):
    """Options of :func:`dealopt.trades` (``dealopt trades``), besides the package to start from."""

    max_issues: Annotated[int, Field(ge=1, le=64)] | None = Field(
        None, description="The most issues one trade changes (default: the model's policy, else 2).", examples=[2]
    )
    top: TopTrades | None = 10


class CounterOptions(Options):
    """Options of :func:`dealopt.counter` (``dealopt counter``), besides the history of offers.

    Where the negotiation stands: ``round`` of ``deadline`` (``round = deadline`` is our last turn), or
    ``progress`` in [0, 1] — not both.
    """

    deadline: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None, description="Our last turn's number (with round).", examples=[6]
    )
    round: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None,
        description="Our turn number, 1-based (with deadline; round = deadline is our last turn).",
        examples=[3],
        validate_default=True,
    )
    progress: Annotated[float, _between(0, 1)] | None = Field(
        None,
        description="How far the negotiation is, 0 (start) to 1 (our last turn), instead of round and deadline; "
        "with neither, 0.5.",
        examples=[0.4],
        validate_default=True,
    )
    exponent: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = Field(
        None,
        description="Concession exponent: < 1 Boulware (firm), 1 linear, > 1 Conceder; default 0.2, firmer with a "
        "longer deadline (0.15 at 100 turns).",
        examples=[0.2],
    )
    top: TopCounters = 3
    opening: Opening | None = Field(
        None,
        description="Where concession starts: best (our best allowed package) or zopa (default with profiles).",
        examples=["best"],
    )
    learn: bool = Field(
        True,
        description="Without buyer profiles, let a utility learned from the buyer's offers compete.",
        examples=[True],
    )

    @field_validator("round")
    @classmethod
    def _round(cls, round: int | None, info: ValidationInfo) -> int | None:
        deadline = info.data.get("deadline")
        if (round is None) != (deadline is None) and "deadline" in info.data:
            raise ValueError("round and deadline together")
        if round is not None and deadline is not None and round > deadline:
            raise ValueError(f"1 ≤ round ≤ deadline (round {round}, deadline {deadline})")
        return round

    @field_validator("progress")
    @classmethod
    def _progress(cls, progress: float | None, info: ValidationInfo) -> float | None:
        if progress is not None and (info.data.get("round") is not None or info.data.get("deadline") is not None):
            raise ValueError("either progress or round with deadline, not both")
        return progress


class SimulateOptions(Options):
    """Options of ``dealopt.negotiation.simulate.simulate`` (``dealopt simulate``)."""

    opponent: AgentName = Field("conceder", description="The buyer: a standard agent.")
    rounds: int = Field(100, ge=1, le=100_000, description="Steps of alternating offers before the deadline.")
    seller: Literal["engine", AgentName] = Field(
        "engine", description="Who sells: engine (ours) or a standard agent, as the baseline."
    )
    guessed: bool = Field(False, description="Tell our engine a guessed buyer (the seller's utility mirrored).")
    first: Literal["buyer", "seller"] = Field("buyer", description="Who makes the first offer.")
    seed: int = Field(0, ge=0, description="Seed of the agents that draw at random.")


class ClusterOptions(Options):
    """Where batch work runs: in process, on a local Dask cluster of ``workers``, or at ``scheduler``."""

    workers: Annotated[int, Field(ge=1, le=4096)] | None = Field(
        None, description="Run on a local Dask cluster of this many processes."
    )
    scheduler: Annotated[str, Field(max_length=500)] | None = Field(
        None, description="Run on the Dask cluster at this address (tcp://HOST:PORT)."
    )

    @field_validator("scheduler")
    @classmethod
    def _one_place(cls, scheduler: str | None, info: ValidationInfo) -> str | None:
        if scheduler is not None and info.data.get("workers") is not None:
            raise ValueError("workers or scheduler, not both")
        if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
            raise ValueError("an address such as tcp://127.0.0.1:8786")
        return scheduler


class SweepOptions(Options):
    """Options of :func:`dealopt.sweep` (``dealopt sweep``)."""

    engine: _Engine = "auto"
    chunk_size: int = Field(25, ge=1, le=1_000_000, description="Scenarios per task.")
    quiet: bool = Field(True, description="No progress bar.")


class PricingOptions(ClusterOptions):
    """Options of :func:`dealopt.price_variants` (``dealopt price-variants``)."""

    chunk_rows: int = Field(250_000, ge=1, description="Rows priced per chunk (and per task on a cluster).")


def choices(options: type[Options], field: str) -> tuple[str, ...]:
    """The values a field takes when it is one of a few names (engine, opening …); () otherwise."""
    names: list[str] = []

    def walk(tp: Any) -> None:
        for arg in get_args(tp):
            if isinstance(arg, str):
                names.append(arg)
            elif not isinstance(arg, FieldInfo):
                walk(arg)

    walk(options.model_fields[field].annotation)
    return tuple(dict.fromkeys(names))


def bounds(options: type[Options], field: str) -> tuple[float | None, float | None]:
    """The (lowest, highest) value a numeric field takes, None where unbounded (CLI ``min``/``max``)."""
    low: float | None = None
    high: float | None = None

    def read(meta: Any) -> None:
        nonlocal low, high
        for m in getattr(meta, "metadata", None) or [meta]:
            for name, attr in (("ge", "low"), ("gt", "low"), ("le", "high"), ("lt", "high")):
                value = getattr(m, name, None)
                if isinstance(value, (int, float)) and not math.isinf(value):
                    if attr == "low":
                        low = value
                    else:
                        high = value

    info = options.model_fields[field]
    read(info)

    def walk(tp: Any) -> None:
        for arg in get_args(tp):
            if isinstance(arg, FieldInfo):
                read(arg)
            else:
                walk(arg)

    walk(info.annotation)
    return low, high
