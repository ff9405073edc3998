"""Error answers: one line naming the field and what was expected, input echoed only in part."""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

__all__ = [
    "FieldProblem",
    "Problem",
    "clip",
    "field_problem",
    "problem",
    "validation_answer",
]


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="The field, dotted (history.0.package.price).", examples=["progress"])
    message: str = Field(description="What is wrong with it.", examples=["expected a number in [0, 1]"])


class Problem(BaseModel):
    """Every error answer: one line saying what is wrong (and, for invalid input, each field)."""

    detail: str = Field(
        description="What is wrong, in one line.", examples=["progress: 1.5; expected a number in [0, 1]"]
    )
    errors: list[FieldProblem] | None = Field(None, description="Each invalid field of the request (invalid input).")


MAX_DETAIL = 300  # characters of a message; input quoted in it is cut to fit
MAX_FIELD = 80


def clip(text: Any, limit: int = MAX_DETAIL) -> str:
    """``text`` on one line, at most ``limit`` characters (an ellipsis says it was cut)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def problem(status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error answer: ``detail`` (one line) and, for invalid input, the field."""
    body: dict[str, Any] = {"detail": clip(detail)}
    if field is not None:
        message = detail[len(field) + 2 :] if detail.startswith(f"{field}: ") else detail
        body["errors"] = [{"field": clip(field, MAX_FIELD), "message": clip(message)}]
    return JSONResponse(body, status_code=status, headers=headers)


_UNION_MEMBER = re.compile(r"^(?:constrained-|function-)|\[")
_SCALAR_MEMBERS = {"float", "int", "str", "bool"}


def field_problem(error: dict[str, Any]) -> tuple[str, str]:
    """The field an input error is about (dotted, without pydantic's union-member tags) and what is wrong."""
    loc = list(error.get("loc", ()))
    if loc[:1] == ["body"]:
        loc = loc[1:]
    if error.get("type") == "json_invalid":
        return "body", "not valid JSON (expected a JSON object)"
    parts = [p for p in loc if not (isinstance(p, str) and _UNION_MEMBER.search(p))]
    if len(parts) > 1 and parts[-1] in _SCALAR_MEMBERS:  # a level is a number or a text: a union's member tag
        parts = parts[:-1]
    field = ".".join(clip(p, 40) for p in parts) or "body"
    message = str(error.get("msg", "invalid"))
    if error.get("type") in {"float_type", "int_type", "bool_type", "string_type"}:
        message += f" (got {_json_kind(error.get('input'))})"
    return field, message


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"


def validation_answer(errors: list[dict[str, Any]]) -> JSONResponse:
    """422 for pydantic's errors: every field named once, the first in ``detail``."""
    merged: dict[str, list[str]] = {}
    for e in errors:
        field, message = field_problem(e)
        if message not in merged.setdefault(field, []):
            merged[field].append(message)
    listed = [{"field": clip(f, MAX_FIELD), "message": clip(" or ".join(m))} for f, m in merged.items()]
    first = listed[0] if listed else {"field": "body", "message": "invalid"}
    return JSONResponse({"detail": clip(f"{first['field']}: {first['message']}"), "errors": listed}, status_code=422)
