"""The published JSON Schema of format ``dealopt/1``."""

from __future__ import annotations

from typing import Any

from dealopt.model.schema import PARAMETER_PATTERN, DealModel

__all__ = ["model_json_schema"]

#: Definitions whose numbers may be written as a parameter reference (inside ``parties`` and ``policy``).
_WITH_REFERENCES = ("Party", "Profile", "Term", "Factor", "Policy", "ApprovalTier")
_REFERENCE = {
    "type": "string",
    "pattern": r"^-?\$[a-z][a-z0-9_]*$",
    "description": "A named parameter ($name), or its negative (-$name).",
}


def _allow_references(node: Any) -> Any:
    """Every number (or integer) below ``node`` may also be a parameter reference."""
    if isinstance(node, list):
        return [_allow_references(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _allow_references(v) for k, v in node.items()}
    if out.get("type") in ("number", "integer"):
        title = out.pop("title", None)
        description = out.pop("description", None)
        default = out.pop("default", None) if "default" in out else None
        wrapped: dict[str, Any] = {"anyOf": [out, {"$ref": "#/$defs/ParameterReference"}]}
        for key, value in (("title", title), ("description", description), ("default", default)):
            if value is not None:
                wrapped[key] = value
        return wrapped
    return out


def model_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a deal model file."""
    schema = DealModel.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://dealopt.dev/schema/dealopt-1.json"
    schema["title"] = "dealopt/1 deal model"
    defs = schema["$defs"]
    for name in _WITH_REFERENCES:
        if name in defs:
            defs[name] = _allow_references(defs[name])
    defs["ParameterReference"] = dict(_REFERENCE)
    params = schema["properties"]["parameters"]
    for branch in params.get("anyOf", []):
        if branch.get("type") == "object":
            branch["propertyNames"] = {"pattern": PARAMETER_PATTERN}
            branch["additionalProperties"] = False
    return schema
