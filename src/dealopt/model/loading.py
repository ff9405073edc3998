"""Load a deal model: read the file, check its shape, check its cross-references.

``load_model`` is the one entry point; every problem becomes a one-line
:class:`~dealopt.errors.Problem` inside a single :class:`~dealopt.errors.ModelError`.

Pydantic's error locations name internal things (union branches such as
``WalkAwayPackage`` or ``float``, the ``table`` field of a factor, the ``eq``
of a test). They are translated back into paths of the file as written
(``parties.buyer.utility[3].of[0].support.premium``) by walking the raw data
alongside the location, so that each problem gets the line it is on.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from dealopt.errors import ModelError, Problem
from dealopt.model.checks import check_model
from dealopt.model.parameters import Resolved, resolve_parameters
from dealopt.model.reading import SourceData, parse_model_text, read_model_data
from dealopt.model.schema import FORMAT, DealModel

__all__ = ["load_model", "model_from_data", "model_from_text"]

_KINDS = "continuous, integer, ordinal or categorical"
_ISSUE_TEXT = ["unit", "label", "description"]
_ISSUE_KEYS = {
    "continuous": ["kind", "min", "max", "step", *_ISSUE_TEXT],
    "integer": ["kind", "min", "max", "step", *_ISSUE_TEXT],
    "ordinal": ["kind", "options", *_ISSUE_TEXT],
    "categorical": ["kind", "options", *_ISSUE_TEXT],
}
_KIND_HINTS = {
    "float": "continuous",
    "real": "continuous",
    "number": "continuous",
    "numeric": "continuous",
    "decimal": "continuous",
    "double": "continuous",
    "range": "continuous",
    "int": "integer",
    "whole": "integer",
    "count": "integer",
    "ordered": "ordinal",
    "enum": "categorical",
    "category": "categorical",
    "choice": "categorical",
    "string": "categorical",
    "str": "categorical",
    "text": "categorical",
    "discrete": "ordinal (numbers) or categorical (names)",
}

# Allowed keys by location, for "unknown key" messages (issues are handled by kind).
_KEYS: list[tuple[str, list[str]]] = [
    (r"^$", list(DealModel.model_fields)),
    (r"^issues\.[^.\[]+$", ["kind", "min", "max", "step", "options", *_ISSUE_TEXT]),
    (r"^constraints\[\d+\]$", ["forbid", "if", "then"]),
    (r"^parties$", ["seller", "buyer"]),
    (r"^parties\.seller$", ["walk_away", "utility"]),
    (r"^parties\.buyer$", ["walk_away", "utility", "profiles"]),
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

_UTILITY_MISSING = "missing; expected a list of terms, e.g. utility: [{of: [price, seats]}]"

# What a missing key should hold, by key name.
_MISSING_HINTS = {
    "format": f"format: {FORMAT}",
    "name": "a model name such as saas-renewal (lowercase letters, digits, '-')",
    "issues": "a mapping of issues, e.g. price: {kind: continuous, min: 60, max: 120}",
    "parties": "parties: {seller: {utility: […]}, buyer: {utility: […]}}",
    "seller": "the seller: {utility: [terms…], walk_away: …}",
    "buyer": "the buyer: {utility: [terms…], walk_away: …} or {profiles: […]}",
    "min": "min: a number",
    "max": "max: a number",
    "options": "options: [a list of levels]",
    "of": "of: [factors…], e.g. of: [price, seats]",
    "package": "package: {issue: level, …}",
    "probability": "probability: a number between 0 and 1",
    "utility": "a list of terms, e.g. utility: [{of: [price, seats]}]",
}

# What a list or mapping holds, by key name, for "is empty" messages.
_ITEM_NOUNS = {
    "of": "factor",
    "options": "option",
    "utility": "term",
    "constraints": "constraint",
    "profiles": "profile",
    "in": "level",
    "piecewise": "point [x, y]",
    "issues": "issue",
    "package": "{issue: level}",
    "forbid": "{issue: test}",
    "if": "{issue: test}",
    "then": "{issue: test}",
}
# What a list holds, by key name, for "is not a list" messages.
_LIST_OF = {
    "of": "factors, e.g. of: [price, seats]",
    "options": "options, e.g. options: [a, b]",
    "utility": "terms, e.g. utility: [{of: [price, seats]}]",
    "constraints": "constraints",
    "profiles": "profiles",
    "in": "levels",
    "piecewise": "points [[x, y], …]",
}

# What a mapping should look like, by location, for "is not a mapping" messages.
_MAPPING_SHAPES: list[tuple[str, str]] = [
    (r"^issues\.[^.\[]+$", "an issue {kind: …, …}"),
    (r"^issues$", "a mapping of issues {name: {kind: …}}"),
    (r"^constraints\[\d+\]$", "a constraint {forbid: {…}} or {if: {…}, then: {…}}"),
    (r"\.(forbid|if|then)$", "a condition {issue: test, …}"),
    (r"utility\[\d+\]$", "a term {coef: number, of: [factors…]}"),
    (r"^parties$", "{seller: {…}, buyer: {…}}"),
    (r"^parties\.(seller|buyer)$", "a party {utility: [terms…], walk_away: …}"),
    (r"profiles\[\d+\]$", "a profile {name, probability, utility, walk_away}"),
    (r"^policy$", "a mapping of policy settings"),
    (r"package$", "a package {issue: level, …}"),
]

_TYPE_ERRORS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "string_type": "text",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
}

_MISSING = object()
_ALIASES = {"in_": "in", "if_": "if"}
_POINT = re.compile(r"(piecewise\[\d+\])(\[\d+\])?$")
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_LINE_BREAKS = {c: repr(chr(c))[1:-1] for c in (0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029)}


@dataclass
class _Where:
    """A pydantic location translated into the file: its path and the raw data there."""

    path: str
    value: Any
    parent_path: str = ""
    parent: Any = None
    key: Any = None


def _child(path: str, key: Any) -> str:
    """The location of mapping key ``key`` under ``path`` (as :mod:`dealopt.model.reading` writes it)."""
    return f"{path}.{key}" if path else str(key)


def _item(path: str, index: int | str) -> str:
    return f"{path}[{index}]"


def _step(cur: Any, part: Any) -> tuple[list[Any], Any] | None:
    """The raw keys that pydantic's ``part`` stands for under ``cur``, and the value there."""
    if isinstance(cur, dict):
        try:
            if part in cur:
                return [part], cur[part]
        except TypeError:
            pass
        for k in cur:
            if not isinstance(k, str) and str(k) == str(part):
                return [k], cur[k]
        alias = _ALIASES.get(part) if isinstance(part, str) else None
        if alias is not None and alias in cur:
            return [alias], cur[alias]
        if part in ("table", "piecewise") and len(cur) == 1:
            ((issue, spec),) = cur.items()
            if isinstance(spec, dict):
                if part == "table":
                    return [issue], spec
                if "piecewise" in spec:
                    return [issue, "piecewise"], spec["piecewise"]
        return None
    if isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
        return [part], cur[part]
    return None


def _walk(loc: tuple[Any, ...], data: Any, kind: str) -> _Where:
    """Follow a pydantic location through the raw data; parts with no raw counterpart are skipped."""
    where = _Where("", data)
    for i, part in enumerate(loc):
        found = _step(where.value, part)
        if found is None:
            if kind == "missing" and i == len(loc) - 1:
                key = _ALIASES.get(part, part) if isinstance(part, str) else part
                sub = _item(where.path, key) if isinstance(where.value, list) else _child(where.path, key)
                where = _Where(sub, _MISSING, where.path, where.value, key)
            continue  # a union branch, a model name or an internal field
        keys, value = found
        path, parent = where.path, where.value
        for k in keys:
            parent_path, path = path, (_item(path, k) if isinstance(where.value, list) else _child(path, k))
        where = _Where(path, value, parent_path, parent, keys[-1])
    return where


# ---------------------------------------------------------------- showing values


def _num(x: float) -> str:
    if isinstance(x, float) and (x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return str(x) if isinstance(x, int) else repr(float(x))


def _show(value: Any) -> str:
    """A value as the user wrote it (YAML-ish), shortened."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = _num(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=True, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _what(value: Any) -> str:
    """``'95' is text``, ``[1] is a list``, … (what the value is, for type errors)."""
    if value is None:
        return "is empty (null)"
    if isinstance(value, bool):
        return f"{_show(value)} is a boolean"
    if isinstance(value, (int, float)):
        return f"{_show(value)} is a number"
    if isinstance(value, str):
        return f"{_show(value)} is text"
    if isinstance(value, list):
        return f"{_show(value)} is a list"
    if isinstance(value, dict):
        return f"{_show(value)} is a mapping"
    return f"{_show(value)} is not plain data"


def _kind_word(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "data"


def _type_message(value: Any, expected: str) -> str:
    msg = f"{_what(value)}; expected {expected}"
    if isinstance(value, str) and _NUMBER_TEXT.match(value) and ("number" in expected or "integer" in expected):
        msg += f" (write {value.strip()} without quotes)"
    elif isinstance(value, bool) and expected == "text":
        msg += " (YAML reads unquoted yes/no/on/off/true/false as true/false: quote it)"
    return msg


def _did_you_mean(word: Any, choices: list[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _expected_keys(where: _Where) -> tuple[list[str] | None, str]:
    """Keys allowed at the parent of ``where``, and a word on what the parent is."""
    parent = where.parent_path
    if re.fullmatch(r"issues\.[^.\[]+", parent) and isinstance(where.parent, dict):
        kind = where.parent.get("kind")
        if isinstance(kind, str) and kind in _ISSUE_KEYS:
            return _ISSUE_KEYS[kind], f" for {'an' if kind[0] in 'aeiou' else 'a'} {kind} issue"
    for pattern, keys in _KEYS:
        if re.search(pattern, parent):
            return keys, ""
    return None, ""


def _noun(key: Any) -> str:
    return _ITEM_NOUNS.get(key, "item") if isinstance(key, str) else "item"


def _shape(path: str) -> str:
    for pattern, shape in _MAPPING_SHAPES:
        if re.search(pattern, path):
            return shape
    return "a mapping"


# ---------------------------------------------------------------- one pydantic error


def _message(err: ErrorDetails, where: _Where) -> tuple[str, str]:
    """(path, message) for one pydantic error."""
    kind = err["type"]
    path = where.path
    value = where.value if where.value is not _MISSING else err.get("input")
    ctx = err.get("ctx") or {}
    msg = str(err.get("msg", ""))

    loc = tuple(err["loc"])
    if loc and loc[-1] == "[key]":  # a mapping key that is not text
        return path, f"the key {_what(err.get('input'))}; expected a name (text)"
    if loc and loc[-1] == "issue" and kind in _TYPE_ERRORS and isinstance(where.value, dict):
        return path, f"the issue name {_what(err.get('input'))}; expected an issue's name (text)"

    point = _POINT.search(path)
    if point and kind in ("missing", "too_short", "too_long", "tuple_type", "list_type"):
        at = path[: point.start()] + point.group(1)
        if point.group(2) is not None:  # a coordinate is missing: show the whole point
            return at, f"{_show(err.get('input'))} is not a point; expected [x, y]"
        return at, f"{_show(value)} is not a point; expected [x, y]"

    if kind == "missing" and msg == "Field required":
        key = where.key
        hint = _MISSING_HINTS.get(key) if isinstance(key, str) else None
        return path, f"missing; expected {hint or f'the key {key!r}'}"
    if kind == "missing":  # Party: neither utility nor profiles
        return _child(path, "utility"), _UTILITY_MISSING
    if kind == "party":
        if msg.startswith("'utility' is empty"):
            return _child(path, "utility"), "is empty; expected at least one term"
        return _child(path, "profiles"), msg
    if kind == "extra_forbidden":
        keys, what = _expected_keys(where)
        key = where.key
        if keys:
            hint = f"expected one of {', '.join(keys)}"
        else:
            hint = f"expected only the keys of format {FORMAT}"
        return path, f"unknown key {_show(key)}{what}{_did_you_mean(key, keys or [])}; {hint}"
    if kind == "invalid_key":
        return path, f"the key {_what(where.key)}; expected a name (text)"
    if kind == "literal_error":
        if path == "format":
            return path, f"unsupported format {_show(value)}; expected {FORMAT!r}"
        return path, f"{_show(value)} is not allowed; expected {ctx.get('expected', 'one of the allowed values')}"
    if kind == "string_pattern_mismatch":
        if path == "name" and isinstance(value, str):
            fixed = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
            eg = f", e.g. {fixed!r}" if fixed else ""
            return path, f"bad name {_show(value)}; expected lowercase letters, digits and '-' only{eg}"
        return path, f"{_show(value)} does not match {ctx.get('pattern')}; expected a matching name"
    if kind == "finite_number":
        return path, f"{_show(value)} is not a finite number; expected a finite number"
    if kind == "int_from_float":
        msg = f"{_show(value)} is not a whole number; expected an integer"
        if re.fullmatch(r"issues\.[^.\[]+\.(min|max|step)", path):
            msg += " (for fractional values use kind: continuous)"
        return path, msg
    if kind in ("dict_type", "model_type", "model_attributes_type") and path == "":
        held = "only null" if value is None else f"{_kind_word(value)} ({_show(value)})"
        return path, (
            f"the file holds {held}, not a mapping; "
            f"expected a deal model mapping (format: {FORMAT}, name: …, issues: …, parties: …)"
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return path, _type_message(value, _shape(path))
    if kind in ("list_type", "tuple_type"):
        plural = _LIST_OF.get(where.key) if isinstance(where.key, str) else None
        return path, _type_message(value, f"a list of {plural}" if plural else "a list")
    if kind in ("int_type", "int_parsing") and isinstance(value, float) and math.isfinite(value):
        if value.is_integer():
            msg = f"{value!r} is written as a decimal; expected an integer (write {int(value)})"
        else:
            msg = f"{_show(value)} is not a whole number; expected an integer"
            if re.fullmatch(r"issues\.[^.\[]+\.(min|max|step)", path):
                msg += " (for fractional values use kind: continuous)"
        return path, msg
    if kind in _TYPE_ERRORS:
        return path, _type_message(value, _TYPE_ERRORS[kind])
    if kind == "too_short":
        return path, f"is empty; expected at least one {_noun(where.key)}"

    if kind == "too_long":
        return path, f"has too many items; expected at most {ctx.get('max_length')}"
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        hint = _KIND_HINTS.get(str(tag).lower()) if tag is not None else None
        extra = f" (did you mean {hint}?)" if hint else _did_you_mean(tag, list(_ISSUE_KEYS))
        return _child(path, "kind"), f"unknown kind {_show(_raw_kind(where, tag))}{extra}; expected {_KINDS}"
    if kind == "union_tag_not_found":
        return _child(path, "kind"), f"missing; expected kind: {_KINDS}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return path, f"{_show(value)} is out of range; expected {_range_hint(path, kind, ctx)}"
    if kind == "step":
        return _child(path, "step"), msg
    # our own messages (schema validators) and anything else
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if msg.startswith("Input should be "):
        msg = f"{_show(value)} is not valid; expected {msg[len('Input should be ') :]}"
    return path, msg


def _raw_kind(where: _Where, tag: Any) -> Any:
    if isinstance(where.value, dict) and "kind" in where.value:
        return where.value["kind"]
    return tag


def _range_hint(path: str, kind: str, ctx: dict[str, Any]) -> str:
    if path.endswith(".probability"):
        return "a probability between 0 and 1"
    if path.endswith("approval_discount_pct"):
        return "a percentage between 0 and 100"
    op = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤"}[kind]
    bound = next(iter(ctx.values()), "")
    what = "an integer" if path.endswith("max_issues_per_trade") else "a number"
    return f"{what} {op} {_num(bound) if isinstance(bound, (int, float)) else bound}"


# ---------------------------------------------------------------- all errors


def _merge(path: str, value: Any, items: list[tuple[str, str]]) -> str:
    """One message for several errors at one path (a value that fits no branch of a union)."""
    kinds = [k for k, _ in items]
    msgs = list(dict.fromkeys(m for _, m in items))
    if len(msgs) == 1:
        return msgs[0]
    if "finite_number" in kinds:
        return next(m for k, m in items if k == "finite_number")
    if all(k in _TYPE_ERRORS for k in kinds):
        if path.endswith("walk_away"):
            return _type_message(value, "a number or {package: {issue: level, …}}")
        if set(kinds) <= {"int_type", "float_type", "string_type"}:
            return _type_message(value, "a level (a number, or an option's name)")
        return _type_message(value, " or ".join(dict.fromkeys(_TYPE_ERRORS[k] for k in kinds)))
    others = [m for k, m in items if k != "missing"]
    return "; ".join(list(dict.fromkeys(others or msgs))[:2])


def _problems_from_validation(exc: ValidationError, data: Any) -> list[tuple[str, str]]:
    errors = []
    for err in exc.errors(include_url=False):
        where = _walk(tuple(err["loc"]), data, err["type"])
        path, msg = _message(err, where)
        errors.append((path, err["type"], msg, where.value))
    # A type error at a path that also has errors deeper down comes from the other branch of a union.
    paths = {p for p, _, _, _ in errors}

    def deeper(p: str) -> bool:
        return any(q != p and (q.startswith(p + ".") or q.startswith(p + "[") or (p == "" and q)) for q in paths)

    by_path: dict[str, list[tuple[str, str]]] = {}
    values: dict[str, Any] = {}
    for path, kind, msg, value in errors:
        if kind in _TYPE_ERRORS and path and deeper(path):
            continue
        by_path.setdefault(path, []).append((kind, msg))
        values.setdefault(path, value)
    return [(path, _merge(path, values[path], items)) for path, items in by_path.items()]


def _raw_problems(data: Any) -> list[tuple[str, str]]:
    """Problems of the raw data that pydantic may not report when a party has other errors."""
    out: list[tuple[str, str]] = []
    parties = data.get("parties") if isinstance(data, dict) else None
    if isinstance(parties, dict):
        for side in ("seller", "buyer"):
            party = parties.get(side)
            if isinstance(party, dict) and "utility" not in party and "profiles" not in party:
                out.append((f"parties.{side}.utility", _UTILITY_MISSING))
    return out


def _one_line(text: str) -> str:
    return text.translate(_LINE_BREAKS)


def _finish(problems: list[Problem], src: SourceData | None) -> list[Problem]:
    """Lines from the source, one line per message, no repeats, in file order."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for p in problems:
        key = (p.location, p.message)
        if key in seen:
            continue
        seen.add(key)
        line = p.line if p.line is not None or src is None else src.line_of(p.location)
        out.append(Problem(_one_line(p.location), _one_line(p.message), line))
    order = {id(p): i for i, p in enumerate(out)}
    return sorted(out, key=lambda p: (p.line if p.line is not None else 0, order[id(p)]))


def model_from_data(
    data: Any, source: str | None = None, src: SourceData | None = None, *, resolved: bool = False
) -> DealModel:
    """Validate plain data as a deal model (``$name`` read from ``parameters``); raises :class:`ModelError`.

    ``resolved``: the data is known to name no parameter (as a sweep's scenarios): it is not searched.
    """
    found = Resolved(data, {}, []) if resolved else resolve_parameters(data)
    if found.problems:
        raise ModelError(_finish(found.problems, src), source)
    data = found.data
    try:
        model = DealModel.model_validate(data)
    except ValidationError as exc:
        raw = _raw_problems(data) + _problems_from_validation(exc, data)
        problems = [Problem(loc, msg) for loc, msg in raw]
        raise ModelError(_finish(problems, src), source) from None
    except RecursionError:
        raise ModelError(
            [Problem("", "the data is nested too deeply; expected a deal model mapping")], source
        ) from None
    problems = check_model(model)
    if problems:
        raise ModelError(_finish(problems, src), source)
    model._parameter_uses = found.uses
    return model


def _reading(exc: ModelError) -> ModelError:
    return ModelError(_finish(exc.problems, None), exc.source)


def model_from_text(text: str, source: str = "<model>", fmt: str | None = None) -> DealModel:
    """Parse and validate model text (YAML or JSON)."""
    try:
        src = parse_model_text(text, source, fmt)
    except ModelError as exc:
        raise _reading(exc) from None
    return model_from_data(src.data, source, src)


def load_model(path: str | Path) -> DealModel:
    """Read, check and return the deal model in ``path`` (YAML or JSON)."""
    try:
        src = read_model_data(path)
    except ModelError as exc:
        raise _reading(exc) from None
    return model_from_data(src.data, str(path), src)
