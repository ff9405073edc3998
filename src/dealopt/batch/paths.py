"""Addressing a number inside a model's data by a path such as ``parties.buyer.utility[2].coef``."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from dealopt.errors import PathError

__all__ = ["PathError", "parse_path", "get_path", "set_path", "with_values"]

_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def parse_path(path: str) -> list[str | int]:
    """``a.b[2].c`` → ``["a", "b", 2, "c"]``."""
    parts: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        if m.start() != pos:
            break
        parts.append(int(m.group(1)) if m.group(1) is not None else m.group(2))
        pos = m.end()
    if pos != len(path) or not parts:
        raise PathError(f"{path!r} is not a path; expected something like parties.buyer.utility[2].coef")
    return parts


def _step(node: Any, part: str | int, path: str, done: str) -> tuple[Any, Any]:
    """The child of ``node`` named by ``part`` and the key that reaches it."""
    if isinstance(part, int):
        if not isinstance(node, list) or part >= len(node):
            size = len(node) if isinstance(node, list) else 0
            raise PathError(f"{path}: {done or 'the model'} has no item [{part}] ({size} items)")
        return node[part], part
    if isinstance(node, dict):
        if part in node:
            return node[part], part
        for key in node:  # table keys may be numbers (YAML) or text (JSON)
            if str(key) == part or (_num(key) is not None and _num(key) == _num(part)):
                return node[key], key
        keys = ", ".join(map(str, list(node)[:10]))
        raise PathError(f"{path}: {done or 'the model'} has no key {part!r}; expected one of {keys}")
    if isinstance(node, str) and isinstance(part, str):
        raise PathError(f"{path}: {done} is {node!r}, not a mapping")
    raise PathError(f"{path}: {done or 'the model'} is not a mapping or list")


def _num(x: Any) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def get_path(data: Any, path: str) -> Any:
    """The value at ``path``."""
    node = data
    done = ""
    for part in parse_path(path):
        node, key = _step(node, part, path, done)
        done += f"[{key}]" if isinstance(part, int) else (f".{key}" if done else str(key))
    return node


def set_path(data: Any, path: str, value: float) -> None:
    """Set the number at ``path`` (which must already hold a number, or be a missing walk-away)."""
    parts = parse_path(path)
    node = data
    done = ""
    for part in parts[:-1]:
        node, key = _step(node, part, path, done)
        done += f"[{key}]" if isinstance(part, int) else (f".{key}" if done else str(key))
    last = parts[-1]
    if isinstance(last, str) and isinstance(node, dict) and last not in node and last in ("walk_away", "coef"):
        node[last] = value  # a walk-away (or coefficient) the model leaves out
        return
    _, key = _step(node, last, path, done)
    current = node[key]
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise PathError(f"{path}: holds {current!r}, not a number; expected the path of a number")
    if not math.isfinite(value):
        raise PathError(f"{path}: {value} is not finite")
    node[key] = value


def with_values(data: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A deep copy of model data with each path set to its value."""
    out = copy.deepcopy(data)
    for path, value in values.items():
        set_path(out, path, value)
    return out
