"""Load a deal model: read the file, check its shape, check its cross-references.

``load_model`` is the one entry point; every problem becomes a one-line
:class:`~dealopt.errors.Problem` inside a single :class:`~dealopt.errors.ModelError`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dealopt.errors import ModelError, Problem
from dealopt.model.checks import check_model
from dealopt.model.reading import SourceData, parse_model_text, read_model_data
from dealopt.model.schema import FORMAT, DealModel

__all__ = ["load_model", "model_from_data", "model_from_text"]

_KINDS = "continuous, integer, ordinal or categorical"

# Allowed keys by location shape, for "unknown key" messages.
_KEYS: list[tuple[str, list[str]]] = [
    (r"^$", list(DealModel.model_fields)),
    (r"^issues\.[^.\[]+$", ["kind", "min", "max", "step", "options", "unit", "label", "description"]),
    (r"^constraints\[\d+\]$", ["forbid", "if", "then"]),
    (r"^parties$", ["seller", "buyer"]),
    (r"^parties\.(seller|buyer)$", ["walk_away", "utility", "profiles"]),
    (r"^parties\.buyer\.profiles\[\d+\]$", ["name", "probability", "utility", "walk_away"]),
    (r"utility\[\d+\]$", ["coef", "of"]),
    (r"walk_away$", ["package"]),
    (
        r"^policy$",
        [
            "price_issue",
            "list_price",
            "approval_discount_pct",
            "floor_price",
            "require_reciprocity",
            "max_issues_per_trade",
        ],
    ),
]

_TAGS = {"continuous", "integer", "ordinal", "categorical"}
_BRANCHES = {"float", "int", "str", "bool", "WalkAwayPackage", "constrained-float"}


def _format_loc(loc: tuple[Any, ...]) -> str:
    """Pydantic's error location as a file path such as ``parties.buyer.utility[3].of[0]``."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        prev = loc[i - 1] if i > 0 else None
        prev2 = loc[i - 2] if i > 1 else None
        if prev2 == "issues" and part in _TAGS:
            continue  # the discriminator's branch name
        if part in _BRANCHES and (prev in ("walk_away", "eq") or prev2 in ("package", "in_")):
            continue  # a union's branch name
        if part == "eq" and prev2 is not None:
            continue  # a test written as a bare level
        part = {"if_": "if", "in_": "in"}.get(part, part)
        out = f"{out}.{part}" if out else part
    return out


def _expected_keys(location: str) -> list[str] | None:
    for pattern, keys in _KEYS:
        if re.search(pattern, location):
            return keys
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _message(err: dict[str, Any], location: str) -> tuple[str, str]:
    """(location, message) for one pydantic error."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return location, "missing; expected this key"
    if kind == "extra_forbidden":
        parent, _, key = location.rpartition(".")
        keys = _expected_keys(parent)
        hint = f"expected one of {', '.join(keys)}" if keys else "not part of format dealopt/1"
        return location, f"unknown key {key!r}; {hint}"
    if kind == "literal_error":
        if location == "format":
            return location, f"format is {_short(value)}; expected {FORMAT!r}"
        return location, f"{_short(value)} is not allowed; expected {ctx.get('expected', 'one of the allowed values')}"
    if kind == "string_pattern_mismatch":
        if location == "name":
            return location, f"bad name {_short(value)}; expected lowercase letters, digits and '-' ([a-z0-9-]+)"
        return location, f"{_short(value)} does not match {ctx.get('pattern')}"
    if kind == "finite_number":
        return location, f"{_short(value)} is not a finite number; expected a finite number"
    if kind in ("float_type", "float_parsing"):
        return location, f"{_short(value)} is not a number; expected a number"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return location, f"{_short(value)} is not an integer; expected an integer"
    if kind == "string_type":
        return location, f"{_short(value)} is not a string; expected a string"
    if kind == "bool_type":
        return location, f"{_short(value)} is not true/false; expected a boolean"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if location == "":
            return (
                location,
                f"the file holds {type(value).__name__} {_short(value)}; expected a mapping (format: dealopt/1, …)",
            )
        return location, f"{_short(value)} is not a mapping; expected a mapping"
    if kind in ("list_type", "tuple_type"):
        return location, f"{_short(value)} is not a list; expected a list"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return location, f"is empty; expected at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long":
        return location, f"has too many items; expected at most {ctx.get('max_length')}"
    if kind == "union_tag_invalid":
        return location, f"unknown kind {ctx.get('tag')!r}; expected {_KINDS}"
    if kind == "union_tag_not_found":
        return location, f"missing 'kind'; expected {_KINDS}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤"}[kind]
        bound = next(iter(ctx.values()), "")
        return location, f"{_short(value)} is out of range; expected a value {op} {bound}"
    msg = err.get("msg", "invalid")
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return location, msg


def _problems_from_validation(exc: ValidationError, src: SourceData | None) -> list[Problem]:
    by_loc: dict[str, list[tuple[str, str]]] = {}
    for err in exc.errors(include_url=False):
        location = _format_loc(tuple(err["loc"]))
        loc, msg = _message(err, location)
        by_loc.setdefault(loc, []).append((err["type"], msg))
    problems: list[Problem] = []
    for loc, items in by_loc.items():
        msgs = list(dict.fromkeys(m for _, m in items))
        if len(msgs) > 1:
            # a value that fits no branch of a union
            if loc.endswith("walk_away"):
                msg = "expected a number or {package: {issue: level, …}}"
            elif any(t == "missing" for t, _ in items) and any(t != "missing" for t, _ in items):
                msg = next(m for t, m in items if t != "missing")
            else:
                msg = "; ".join(msgs[:2])
            msgs = [msg]
        problems.append(Problem(loc, msgs[0], src.line_of(loc) if src else None))
    return problems


def model_from_data(data: Any, source: str | None = None, src: SourceData | None = None) -> DealModel:
    """Validate plain data as a deal model; raises :class:`ModelError` listing every problem."""
    try:
        model = DealModel.model_validate(data)
    except ValidationError as exc:
        raise ModelError(_problems_from_validation(exc, src), source) from None
    problems = check_model(model)
    if problems:
        if src is not None:
            problems = [Problem(p.location, p.message, src.line_of(p.location)) for p in problems]
        raise ModelError(problems, source)
    return model


def model_from_text(text: str, source: str = "<model>", fmt: str | None = None) -> DealModel:
    """Parse and validate model text (YAML or JSON)."""
    src = parse_model_text(text, source, fmt)
    return model_from_data(src.data, source, src)


def load_model(path: str | Path) -> DealModel:
    """Read, check and return the deal model in ``path`` (YAML or JSON)."""
    src = read_model_data(path)
    return model_from_data(src.data, str(path), src)
