"""Write a deal model back to a file (YAML or JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from dealopt.model.levels import display_value
from dealopt.model.schema import DealModel

__all__ = ["model_to_text", "write_model"]


def _tidy(value: Any) -> Any:
    if isinstance(value, dict):
        return {_tidy_key(k): _tidy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tidy(v) for v in value]
    return display_value(value)


def _tidy_key(key: Any) -> Any:
    return key if isinstance(key, str) else display_value(key)


class _Dumper(yaml.SafeDumper):
    pass


def _flow_lists(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, (dict, list)) for v in data) or all(
        isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v) for v in data
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _flow_lists)


def model_to_text(model: DealModel, fmt: str = "yaml") -> str:
    """The model as YAML (default) or JSON text."""
    data = model.to_file_data()
    data = _tidy(data)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def write_model(model: DealModel, path: str | Path) -> None:
    """Write the model to ``path`` (JSON when it ends in ``.json``, else YAML)."""
    p = Path(path)
    p.write_text(model_to_text(model, "json" if p.suffix.lower() == ".json" else "yaml"), encoding="utf-8")
