"""Read a deal model file (YAML or JSON) into plain data, safely.

YAML is composed with PyYAML's safe loader (no Python tags), duplicate keys are
refused, and aliases are counted before anything is expanded so that an alias
bomb is refused at once. Each mapping key's line is remembered so that errors
can point at it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dealopt.errors import ModelError, Problem

__all__ = ["SourceData", "read_model_data", "parse_model_text"]

#: Most nodes a document may expand to (aliases counted each time they are used).
MAX_NODES = 1_000_000
#: Largest model file read, in bytes.
MAX_BYTES = 20_000_000


@dataclass
class SourceData:
    """Plain data read from a model file, with the line of each location."""

    data: Any
    source: str
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, location: str) -> int | None:
        """The line of ``location`` or of its nearest enclosing location."""
        loc = location
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            cut = max(loc.rfind("."), loc.rfind("["))
            loc = loc[:cut] if cut > 0 else ""
        return None


def _child(path: str, key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


class _Loader(yaml.SafeLoader):
    """Safe loader; we build the Python data ourselves from the node graph."""


def _expanded_size(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Number of nodes ``node`` expands to, stopping early past ``limit``."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive aliases
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo, limit)
            if total > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, limit) + _expanded_size(v, memo, limit)
            if total > limit:
                break
    memo[key] = total
    return total


class _Builder:
    def __init__(self, loader: _Loader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: str) -> Any:
        if id(node) in self.active:
            raise ModelError(
                [Problem(path, "recursive alias; expected plain data", node.start_mark.line + 1)],
                self.source,
            )
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            try:
                value = self.loader.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise ModelError(
                    [
                        Problem(
                            path,
                            f"unsupported YAML value ({_first_line(exc.problem)}); expected plain data",
                            node.start_mark.line + 1,
                        )
                    ],
                    self.source,
                ) from None
            if node.tag not in _PLAIN_TAGS:
                raise ModelError(
                    [
                        Problem(
                            path, f"YAML tag {node.tag} is not allowed; expected plain data", node.start_mark.line + 1
                        )
                    ],
                    self.source,
                )
            return value
        if node.tag not in _PLAIN_TAGS:
            raise ModelError(
                [Problem(path, f"YAML tag {node.tag} is not allowed; expected plain data", node.start_mark.line + 1)],
                self.source,
            )
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, _child(path, i)) for i, item in enumerate(node.value)]
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(
                        Problem(path, "a mapping key must be a plain value", key_node.start_mark.line + 1)
                    )
                    continue
                key = self.build(key_node, path)
                try:
                    hash(key)
                except TypeError:
                    self.problems.append(Problem(path, "unhashable key", key_node.start_mark.line + 1))
                    continue
                sub = _child(path, key)
                if key in result:
                    self.problems.append(
                        Problem(sub, f"duplicate key {key!r}; expected each key once", key_node.start_mark.line + 1)
                    )
                    continue
                self.lines[sub] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, sub)
            return result
        finally:
            self.active.discard(id(node))


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


def _first_line(text: Any) -> str:
    return str(text or "").strip().splitlines()[0] if str(text or "").strip() else "invalid"


def _parse_yaml(text: str, source: str) -> SourceData:
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            what = exc.problem or exc.context or "invalid YAML"
            raise ModelError(
                [Problem("", f"YAML syntax error: {what}; expected a valid YAML document", line)], source
            ) from None
        except yaml.YAMLError as exc:
            raise ModelError(
                [Problem("", f"YAML error: {_first_line(exc)}; expected a valid YAML document")], source
            ) from None
        if node is None:
            raise ModelError(
                [Problem("", "the file is empty; expected a deal model mapping (format: dealopt/1, …)")], source
            )
        if _expanded_size(node, {}, MAX_NODES) > MAX_NODES:
            raise ModelError(
                [
                    Problem(
                        "",
                        f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?); expected a plain model",
                    )
                ],
                source,
            )
        builder = _Builder(loader, source)
        data = builder.build(node, "")
        if builder.problems:
            raise ModelError(builder.problems, source)
        return SourceData(data, source, builder.lines)
    finally:
        loader.dispose()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid number here; expected a finite number")


def _parse_json(text: str, source: str) -> SourceData:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ModelError(
            [Problem("", f"JSON syntax error: {exc.msg}; expected valid JSON", exc.lineno)], source
        ) from None
    except ValueError as exc:
        raise ModelError([Problem("", str(exc))], source) from None
    return SourceData(data, source)


def parse_model_text(text: str, source: str = "<model>", fmt: str | None = None) -> SourceData:
    """Parse model text as JSON (``fmt="json"`` or text starting with ``{``) or YAML."""
    if not text.strip():
        raise ModelError(
            [Problem("", "the file is empty; expected a deal model mapping (format: dealopt/1, …)")], source
        )
    if fmt is None:
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
    if fmt == "json":
        return _parse_json(text, source)
    return _parse_yaml(text, source)


def read_model_data(path: str | Path) -> SourceData:
    """Read a model file into plain data; raises :class:`ModelError` on any problem."""
    p = Path(path)
    source = str(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise ModelError([Problem("", "is a directory; expected a model file")], source)
        if size > MAX_BYTES:
            raise ModelError([Problem("", f"file is {size:,} bytes; expected at most {MAX_BYTES:,}")], source)
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ModelError([Problem("", "no such file")], source) from None
    except PermissionError:
        raise ModelError([Problem("", "permission denied")], source) from None
    except IsADirectoryError:
        raise ModelError([Problem("", "is a directory; expected a model file")], source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelError(
            [Problem("", f"not UTF-8 text (byte {exc.start}); expected a YAML or JSON file")], source
        ) from None
    fmt = "json" if p.suffix.lower() == ".json" else None
    return parse_model_text(text, source, fmt)


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not bool) that is finite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
