"""The deal model schema (format ``dealopt/1``) as pydantic v2 models.

These classes check the *shape* of a model file: keys, types, finite numbers.
Cross-references (a term naming an unknown issue, a table missing a level, …)
are checked by :mod:`dealopt.model.checks`, which needs the whole model.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from dealopt.model.parameters import ParameterUse

__all__ = [
    "CategoricalIssue",
    "Condition",
    "Constraint",
    "ContinuousIssue",
    "DealModel",
    "Factor",
    "IntegerIssue",
    "Issue",
    "Level",
    "OrdinalIssue",
    "Party",
    "Parties",
    "Policy",
    "Profile",
    "Term",
    "Test",
    "WalkAwayPackage",
    "FORMAT",
]

FORMAT = "dealopt/1"
NAME_PATTERN = r"^[a-z0-9-]+$"
PARAMETER_PATTERN = r"^[a-z][a-z0-9_]*$"
ISSUE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\- ]*$")

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
#: A level as written in a file: a number (numeric issues) or a string (categorical).
Level = Union[StrictInt, Number, StrictStr]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---------------------------------------------------------------- issues


class _IssueBase(_Strict):
    unit: StrictStr | None = None
    label: StrictStr | None = None
    description: StrictStr | None = None


class ContinuousIssue(_IssueBase):
    """Any real in [min, max]; listed as the grid min, min+step, … max when ``step`` is set."""

    kind: Literal["continuous"]
    min: Number
    max: Number
    step: Number | None = None

    @model_validator(mode="after")
    def _check(self) -> ContinuousIssue:
        if self.min > self.max:
            raise PydanticCustomError("min_max", f"min ({_num(self.min)}) > max ({_num(self.max)}); expected min ≤ max")
        if self.step is not None and self.step <= 0:
            raise PydanticCustomError("step", f"step is {_num(self.step)}; expected a step > 0")
        return self


class IntegerIssue(_IssueBase):
    """Whole numbers min, min+step, … ≤ max."""

    kind: Literal["integer"]
    min: StrictInt
    max: StrictInt
    step: StrictInt = 1

    @model_validator(mode="after")
    def _check(self) -> IntegerIssue:
        if self.min > self.max:
            raise PydanticCustomError("min_max", f"min ({self.min}) > max ({self.max}); expected min ≤ max")
        if self.step <= 0:
            raise PydanticCustomError("step", f"step is {self.step}; expected a step > 0")
        return self


class OrdinalIssue(_IssueBase):
    """Numeric options, strictly increasing."""

    kind: Literal["ordinal"]
    options: Annotated[list[Number], Field(min_length=1)]
    labels: dict[Number, StrictStr] | None = None

    @model_validator(mode="after")
    def _known_labels(self) -> OrdinalIssue:
        options = set(self.options)
        for key in self.labels or {}:
            if key not in options:
                raise PydanticCustomError(
                    "labels",
                    f"labels names {_num(key)}, not an option; expected one of {', '.join(map(_num, self.options))}",
                )
        return self

    @field_validator("options")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        seen: set[float] = set()
        for x in v:
            if x in seen:
                raise PydanticCustomError("options", f"option {_num(x)} appears twice; expected distinct options")
            seen.add(x)
        for a, b in itertools.pairwise(v):
            if not a < b:
                raise PydanticCustomError(
                    "options",
                    f"options are not strictly increasing ({_num(a)} then {_num(b)}); expected increasing numbers",
                )
        return v


class CategoricalIssue(_IssueBase):
    """Named options with no numeric value: used only through tables."""

    kind: Literal["categorical"]
    options: Annotated[list[StrictStr], Field(min_length=1)]
    labels: dict[StrictStr, StrictStr] | None = None

    @functools.cached_property
    def option_index(self) -> dict[str, int]:
        """Each option's position (a lookup in constant time)."""
        return {o: i for i, o in enumerate(self.options)}

    @model_validator(mode="after")
    def _known_labels(self) -> CategoricalIssue:
        for key in self.labels or {}:
            if key not in self.option_index:
                raise PydanticCustomError(
                    "labels", f"labels names {key!r}, not an option; expected one of {', '.join(self.options)}"
                )
        return self

    @field_validator("options")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for x in v:
            if not x.strip():
                raise PydanticCustomError("options", "an option is empty; expected a non-empty name")
            if x in seen:
                raise PydanticCustomError("options", f"option {x!r} appears twice; expected distinct options")
            seen.add(x)
        return v


Issue = Annotated[
    Union[ContinuousIssue, IntegerIssue, OrdinalIssue, CategoricalIssue],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- utilities


class Factor(_Strict):
    """One factor of a term: a bare issue, a table over its levels, or a piecewise-linear curve.

    In a file it is written ``issue``, ``{issue: {level: value, …}}`` or
    ``{issue: {piecewise: [[x, y], …]}}``.
    """

    issue: StrictStr
    table: dict[Any, Number] | None = None
    piecewise: list[tuple[Number, Number]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_file(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"issue": data}
        if isinstance(data, dict) and "issue" in data and not (len(data) == 1 and isinstance(data["issue"], dict)):
            return data  # already in internal form
        if not isinstance(data, dict):
            hint = " (a constant goes in coef)" if _is_number(data) else ""
            raise PydanticCustomError(
                "factor",
                f"{_brief(data)} is not a factor{hint}; "
                "expected an issue name, {issue: {level: value, …}} or {issue: {piecewise: [[x, y], …]}}",
            )
        if len(data) != 1:
            if not data:
                raise PydanticCustomError(
                    "factor",
                    "is empty; expected an issue name, {issue: {level: value, …}} or {issue: {piecewise: [[x, y], …]}}",
                )
            names = ", ".join(str(k) for k in data)
            names = names if len(names) <= 40 else names[:37] + "…"
            raise PydanticCustomError(
                "factor",
                f"has {len(data)} issues ({names}); expected one issue per factor, "
                "e.g. of: [{a: {…}}, {b: {…}}]",
            )
        ((issue, spec),) = data.items()
        if not isinstance(spec, dict):
            raise PydanticCustomError(
                "factor",
                f"{issue!r} maps to {_brief(spec)}; expected a table {{level: value, …}} or {{piecewise: [[x, y], …]}}",
            )
        if not spec:
            raise PydanticCustomError(
                "factor", f"the table for {issue!r} is empty; expected {{level: value, …}} with every level"
            )
        if "piecewise" in spec:
            if len(spec) != 1:
                extra = ", ".join(str(k) for k in spec if k != "piecewise")
                raise PydanticCustomError(
                    "factor", f"piecewise factor has extra keys ({extra[:40]}); expected only 'piecewise'"
                )
            return {"issue": issue, "piecewise": spec["piecewise"]}
        return {"issue": issue, "table": spec}

    @field_validator("piecewise")
    @classmethod
    def _increasing(cls, v: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if v is None:
            return v
        if not v:
            raise PydanticCustomError("piecewise", "piecewise has no points; expected at least one [x, y]")
        for (a, _), (b, _) in itertools.pairwise(v):
            if not a < b:
                raise PydanticCustomError(
                    "piecewise",
                    f"piecewise x is not strictly increasing ({_num(a)} then {_num(b)}); expected increasing x",
                )
        return v

    @property
    def form(self) -> str:
        """``bare``, ``table`` or ``piecewise``."""
        if self.table is not None:
            return "table"
        if self.piecewise is not None:
            return "piecewise"
        return "bare"

    @model_serializer
    def _to_file(self) -> Any:
        if self.table is not None:
            return {self.issue: dict(self.table)}
        if self.piecewise is not None:
            return {self.issue: {"piecewise": [list(p) for p in self.piecewise]}}
        return self.issue

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "title": "Factor",
            "description": "An issue name (its numeric value), a table {issue: {level: value}}, "
            "or {issue: {piecewise: [[x, y], ...]}} (linear interpolation, constant outside).",
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": {
                        "oneOf": [
                            {
                                "type": "object",
                                "properties": {
                                    "piecewise": {
                                        "type": "array",
                                        "minItems": 1,
                                        "items": {
                                            "type": "array",
                                            "items": {"type": "number"},
                                            "minItems": 2,
                                            "maxItems": 2,
                                        },
                                    }
                                },
                                "required": ["piecewise"],
                                "additionalProperties": False,
                            },
                            {"type": "object", "additionalProperties": {"type": "number"}, "minProperties": 1},
                        ]
                    },
                },
            ],
        }


class Term(_Strict):
    """``coef × factor₁ × factor₂ × …``; a party's utility is the sum of its terms."""

    coef: Number = 1.0
    of: Annotated[list[Factor], Field(min_length=1)]


# ---------------------------------------------------------------- constraints


class Test(_Strict):
    """A test on one issue: a level (equality), ``{in: [levels]}`` or ``{min: x, max: y}``."""

    eq: Level | None = None
    in_: list[Level] | None = Field(default=None, alias="in")
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_file(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "eq" in data:
                return data
            if not data:
                raise PydanticCustomError("test", f"is empty ({{}}); expected {_TEST_FORMS}")
            unknown = [k for k in data if k not in ("in", "min", "max")]
            if unknown:
                raise PydanticCustomError("test", f"unknown key {_brief(unknown[0])} in a test; expected {_TEST_FORMS}")
            if "in" in data and len(data) > 1:
                raise PydanticCustomError(
                    "test", "mixes 'in' with min/max; expected either {in: [levels…]} or {min: x} / {max: x}"
                )
            return data
        if isinstance(data, list):
            raise PydanticCustomError(
                "test",
                f"{_brief(data)} is a list; expected {{in: [levels…]}} for a set of levels, "
                "a single level, or {min: x} / {max: x}",
            )
        if data is None:
            raise PydanticCustomError("test", f"is empty (null); expected {_TEST_FORMS}")
        return {"eq": data}

    @model_validator(mode="after")
    def _check(self) -> Test:
        if self.in_ is not None and not self.in_:
            raise PydanticCustomError("test", "'in' is empty; expected at least one level")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("min_max", f"min ({_num(self.min)}) > max ({_num(self.max)}); expected min ≤ max")
        return self

    @model_serializer
    def _to_file(self) -> Any:
        if self.eq is not None:
            return self.eq
        if self.in_ is not None:
            return {"in": list(self.in_)}
        out: dict[str, float] = {}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        return out

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "title": "Test",
            "oneOf": [
                {"type": ["string", "number"], "description": "equal to this level"},
                {
                    "type": "object",
                    "properties": {"in": {"type": "array", "items": {"type": ["string", "number"]}, "minItems": 1}},
                    "required": ["in"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"min": {"type": "number"}, "max": {"type": "number"}},
                    "minProperties": 1,
                    "additionalProperties": False,
                },
            ],
        }


Condition = Annotated[dict[StrictStr, Test], Field(min_length=1)]


class Constraint(_Strict):
    """``forbid: CONDITION`` or ``if: CONDITION`` + ``then: CONDITION``."""

    forbid: Condition | None = None
    if_: Condition | None = Field(default=None, alias="if")
    then: Condition | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Constraint:
        if self.forbid is not None:
            if self.if_ is not None or self.then is not None:
                raise PydanticCustomError("constraint", "has 'forbid' together with 'if'/'then'; expected one form")
            return self
        if self.if_ is not None and self.then is None:
            raise PydanticCustomError("constraint", "'if' without 'then'; expected both 'if' and 'then'")
        if self.then is not None and self.if_ is None:
            raise PydanticCustomError("constraint", "'then' without 'if'; expected both 'if' and 'then'")
        if self.if_ is None:
            raise PydanticCustomError("constraint", "empty constraint; expected 'forbid' or 'if' + 'then'")
        return self

    @model_serializer
    def _to_file(self) -> Any:
        if self.forbid is not None:
            return {"forbid": {k: t._to_file() for k, t in self.forbid.items()}}
        assert self.if_ is not None and self.then is not None
        return {
            "if": {k: t._to_file() for k, t in self.if_.items()},
            "then": {k: t._to_file() for k, t in self.then.items()},
        }


# ---------------------------------------------------------------- parties


class WalkAwayPackage(_Strict):
    """A walk-away given as a package: the party's own utility of it."""

    package: Annotated[dict[StrictStr, Level], Field(min_length=1)]


WalkAway = Union[Number, WalkAwayPackage]


class Profile(_Strict):
    """One candidate buyer type, with its probability."""

    name: StrictStr
    probability: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
    utility: Annotated[list[Term], Field(min_length=1)]
    walk_away: WalkAway | None = None


class Party(_Strict):
    """A side of the deal: its utility (or, for the buyer, profiles) and walk-away."""

    walk_away: WalkAway | None = None
    utility: list[Term] | None = None
    profiles: Annotated[list[Profile], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Party:
        if self.profiles is not None:
            if self.utility is not None or self.walk_away is not None:
                raise PydanticCustomError(
                    "party", "has 'profiles' together with 'utility'/'walk_away'; expected profiles to carry them"
                )
        elif self.utility is None:
            raise PydanticCustomError("missing", "no 'utility'; expected a list of terms (or 'profiles' for the buyer)")
        elif not self.utility:
            raise PydanticCustomError("party", "'utility' is empty; expected at least one term")
        return self


class Parties(_Strict):
    seller: Party
    buyer: Party


class ApprovalTier(_Strict):
    """A discount past ``above_discount_pct`` needs ``approver``."""

    above_discount_pct: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=100)]
    approver: Annotated[StrictStr, Field(min_length=1)]


class Policy(_Strict):
    """The seller's negotiating rules."""

    price_issue: StrictStr | None = None
    list_price: Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)] | None = None
    approval_discount_pct: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=100)] | None = None
    floor_price: Number | None = None
    require_reciprocity: StrictBool = True
    max_issues_per_trade: Annotated[StrictInt, Field(ge=1)] = 2
    approval_tiers: list[ApprovalTier] | None = None
    value_share: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)] = 0.5

    @field_validator("approval_tiers")
    @classmethod
    def _increasing_tiers(cls, v: list[ApprovalTier] | None) -> list[ApprovalTier] | None:
        for a, b in itertools.pairwise(v or []):
            if not a.above_discount_pct < b.above_discount_pct:
                raise PydanticCustomError(
                    "tiers",
                    f"approval tiers are not increasing ({_num(a.above_discount_pct)} then {_num(b.above_discount_pct)}); "
                    "expected increasing above_discount_pct",
                )
        return v

    def tiers(self) -> list[ApprovalTier]:
        """The approval tiers, lowest first (``approval_discount_pct`` is one tier named ``approval``)."""
        if self.approval_tiers:
            return list(self.approval_tiers)
        if self.approval_discount_pct is not None:
            return [ApprovalTier(above_discount_pct=self.approval_discount_pct, approver="approval")]
        return []


# ---------------------------------------------------------------- the model


class DealModel(_Strict):
    """A whole deal model file, format ``dealopt/1``."""

    format: Literal["dealopt/1"]
    name: Annotated[StrictStr, Field(pattern=NAME_PATTERN)]
    title: StrictStr | None = None
    description: StrictStr | None = None
    currency: StrictStr | None = None
    units: Literal["currency", "normalized"] | None = None
    # Not dumped: a dumped model has every $name replaced by its number, so it loads again as it is.
    parameters: dict[Annotated[StrictStr, Field(pattern=PARAMETER_PATTERN)], Number] | None = Field(
        default=None,
        exclude=True,
        description="Named numbers; $name (or -$name) uses one where parties or policy want a number.",
    )
    issues: Annotated[dict[StrictStr, Issue], Field(min_length=1)]
    constraints: list[Constraint] = Field(default_factory=list)
    parties: Parties
    policy: Policy | None = None
    _parameter_uses: dict[str, tuple[ParameterUse, ...]] = PrivateAttr(default_factory=dict)

    @property
    def parameter_uses(self) -> dict[str, tuple[ParameterUse, ...]]:
        """Where each named parameter is used (set by the loader)."""
        return dict(self._parameter_uses)

    @property
    def normalized(self) -> bool:
        """True when utilities are on each party's own scale (``units: normalized``)."""
        return self.units == "normalized"

    @property
    def unit_label(self) -> str:
        """``normalized`` or the currency code."""
        return "normalized" if self.normalized else (self.currency or "")

    def to_file_data(self) -> dict[str, Any]:
        """Plain data as it would be written to a model file (defaults omitted), every ``$name`` as its number."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)


_TEST_FORMS = "a level, {in: [levels…]} or {min: x} / {max: x} / both"


def _brief(value: Any) -> str:
    """A value as written in a file, shortened, for one-line messages."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))
