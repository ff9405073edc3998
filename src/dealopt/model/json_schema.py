"""The published JSON Schema of format ``dealopt/1``."""

from __future__ import annotations

from typing import Any

from dealopt.model.schema import DealModel

__all__ = ["model_json_schema"]


def model_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a deal model file."""
    schema = DealModel.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://dealopt.dev/schema/dealopt-1.json"
    schema["title"] = "dealopt/1 deal model"
    return schema
