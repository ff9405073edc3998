"""Named parameters: ``parameters: {name: number}`` and ``$name`` / ``-$name`` where a number goes.

A model's file means exactly what it would mean with every ``$name`` replaced by
its number. References are allowed inside ``parties`` and ``policy`` only; an
unknown ``$name``, a parameter used nowhere, or a reference in ``issues`` or
``constraints`` is a problem of the file, located where it is written.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from dealopt.errors import Problem

__all__ = ["NAME", "ParameterUse", "Resolved", "is_reference", "resolve_parameters", "with_references"]

#: A parameter's name.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REFERENCE = re.compile(r"^(-?)\$([a-z][a-z0-9_]*)$")
_ALLOWED = ("parties", "policy")
_FORBIDDEN = ("issues", "constraints")


@dataclass(frozen=True)
class ParameterUse:
    """Where a parameter is used: the location of the number (as in messages) and its sign there."""

    path: str
    sign: int
    keys: tuple[Any, ...] = ()  # the mapping keys and list positions that reach it

    def __str__(self) -> str:
        return self.path if self.sign > 0 else f"{self.path} (negated)"


@dataclass(frozen=True)
class Resolved:
    """Model data with every reference replaced by its number, where each parameter is used, and the problems."""

    data: Any
    uses: dict[str, tuple[ParameterUse, ...]]
    problems: list[Problem]


def is_reference(value: Any) -> bool:
    """Whether ``value`` is written as a parameter reference (``$name`` or ``-$name``)."""
    return isinstance(value, str) and _REFERENCE.match(value) is not None


def _child(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "…"


def _what(v: Any) -> str:
    if isinstance(v, str):
        return f"{_show(v)} is text"
    if isinstance(v, bool):
        return f"{_show(v)} is a boolean"
    if isinstance(v, (int, float)):
        return f"{_show(v)} is not a finite number"
    if isinstance(v, list):
        return "is a list"
    if isinstance(v, dict):
        return "is a mapping"
    return "is empty (null)" if v is None else f"{_show(v)} is not a number"


def _declared(data: dict[str, Any], problems: list[Problem]) -> dict[str, int | float]:
    raw = data.get("parameters")
    if raw is None:
        if "parameters" in data:
            problems.append(Problem("parameters", "is empty (null); expected a mapping {name: number, …}"))
        return {}
    if not isinstance(raw, dict):
        problems.append(Problem("parameters", f"{_what(raw)}; expected a mapping {{name: number, …}}"))
        return {}
    values: dict[str, int | float] = {}
    for name, value in raw.items():
        at = _child("parameters", name)
        if not isinstance(name, str) or not NAME.match(name):
            problems.append(
                Problem(
                    at, f"bad parameter name {_show(name)}; expected lowercase letters, digits and '_', from a letter"
                )
            )
        elif not _is_number(value):
            problems.append(Problem(at, f"{_what(value)}; expected a number"))
        else:
            values[name] = value
    return values


class _Walker:
    def __init__(self, values: dict[str, int | float], names: list[str]) -> None:
        self.values = values
        self.names = names
        self.uses: dict[str, list[ParameterUse]] = {}
        self.problems: list[Problem] = []

    def unknown(self, name: str, path: str) -> None:
        close = difflib.get_close_matches(name, self.names, n=1, cutoff=0.7)
        hint = f" (did you mean ${close[0]}?)" if close else ""
        known = ", ".join(self.names[:10]) if self.names else "none are declared"
        self.problems.append(Problem(path, f"unknown parameter ${name}{hint}; expected one under parameters ({known})"))

    def walk(self, node: Any, path: str, keys: tuple[Any, ...], allowed: bool, section: str) -> Any:
        if isinstance(node, dict):
            return {k: self.walk(v, _child(path, k), (*keys, k), allowed, section) for k, v in node.items()}
        if isinstance(node, list):
            return [self.walk(v, f"{path}[{i}]", (*keys, i), allowed, section) for i, v in enumerate(node)]
        m = _REFERENCE.match(node) if isinstance(node, str) else None
        if m is None:
            return node
        if not allowed:
            self.problems.append(
                Problem(path, f"{node} is a parameter in {section}; expected parameters only inside parties and policy")
            )
            return node
        name = m.group(2)
        if name not in self.values:
            if name not in self.names:
                self.unknown(name, path)
            return node
        sign = -1 if m.group(1) else 1
        self.uses.setdefault(name, []).append(ParameterUse(path, sign, keys))
        value = self.values[name]
        return -value if sign < 0 else value


def _has_reference(node: Any) -> bool:
    if isinstance(node, dict):
        return any(_has_reference(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_reference(v) for v in node)
    return isinstance(node, str) and "$" in node and _REFERENCE.match(node) is not None


def resolve_parameters(data: Any) -> Resolved:
    """``data`` with every ``$name`` replaced (a new structure, or ``data`` itself when it names none)."""
    if not isinstance(data, dict):
        return Resolved(data, {}, [])
    if "parameters" not in data and not _has_reference(data):
        return Resolved(data, {}, [])
    problems: list[Problem] = []
    values = _declared(data, problems)
    raw = data.get("parameters")
    names = [str(k) for k in raw] if isinstance(raw, dict) else []
    walker = _Walker(values, names)
    out: dict[Any, Any] = {}
    for key, value in data.items():
        if key in _ALLOWED:
            out[key] = walker.walk(value, str(key), (key,), True, str(key))
        elif key in _FORBIDDEN:
            out[key] = walker.walk(value, str(key), (key,), False, str(key))
        else:
            out[key] = value
    problems += walker.problems
    for name in values:
        if name not in walker.uses:
            problems.append(
                Problem(
                    _child("parameters", name),
                    f"parameter {name!r} is used nowhere; expected ${name} in parties or policy, or no such parameter",
                )
            )
    uses = {name: tuple(walker.uses[name]) for name in values if name in walker.uses}
    return Resolved(out, uses, problems)


def with_references(data: dict[str, Any], uses: dict[str, tuple[ParameterUse, ...]]) -> dict[str, Any]:
    """Resolved data (a fresh copy of it) with each use written back as ``$name`` / ``-$name``."""
    import copy

    out = copy.deepcopy(data)
    for name, where in uses.items():
        for use in where:
            node = out
            for key in use.keys[:-1]:
                node = node[_same_key(node, key)]
            node[_same_key(node, use.keys[-1])] = f"{'-' if use.sign < 0 else ''}${name}"
    return out


def _same_key(node: Any, key: Any) -> Any:
    """``key`` as ``node`` spells it (table keys may be numbers in YAML and text in dumped data)."""
    if isinstance(node, list) or key in node:
        return key
    for k in node:
        if str(k) == str(key):
            return k
        try:
            if float(k) == float(key):
                return k
        except (TypeError, ValueError):
            continue
    raise KeyError(key)
