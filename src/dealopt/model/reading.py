"""Read a deal model file (YAML or JSON) into plain data, safely.

YAML is composed with PyYAML's safe loader (no Python tags), duplicate keys are
refused, and aliases are counted before anything is expanded so that an alias
bomb is refused at once. Each mapping key's line is remembered so that errors
can point at it; JSON files get the same line map from a small tokenizer.

Two YAML 1.1 surprises are smoothed over, as YAML 1.2 does: ``1e-9`` is a
number (PyYAML would read a string), and a date such as ``2024-01-01`` stays
text (PyYAML would build a ``datetime``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dealopt.errors import ModelError, Problem

__all__ = ["SAFE_LOADER", "SourceData", "read_model_data", "parse_model_text"]

#: Most nodes a document may expand to (aliases counted each time they are used).
MAX_NODES = 1_000_000
#: Largest model file read, in bytes.
MAX_BYTES = 20_000_000

_EMPTY = "the file is empty; expected a deal model mapping (format: dealopt/1, name: …, issues: …, parties: …)"
_TOO_DEEP = "the data is nested too deeply; expected a deal model mapping"


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
        return self.lines.get("")


def _child(path: str, key: Any) -> str:
    """The location of mapping key ``key`` under ``path``."""
    return f"{path}.{key}" if path else str(key)


def _item(path: str, index: int) -> str:
    """The location of list item ``index`` under ``path``."""
    return f"{path}[{index}]"


# ---------------------------------------------------------------- YAML

_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
#: YAML 1.2 numbers with an exponent but no dot (``1e-9``, ``-2E+5``), which YAML 1.1 reads as text.
_EXP_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
#: Implicit types dropped (their text stays a string): dates, and YAML 1.1's ``=`` / ``!`` oddities.
_DROPPED = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value", "tag:yaml.org,2002:yaml"}


#: libyaml's parser and composer (C, with line marks) when PyYAML was built with it; else pure Python.
SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(SAFE_LOADER):  # type: ignore[misc]
    """Safe loader; we build the Python data ourselves from the node graph."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_FLOAT, _EXP_FLOAT, list("-+0123456789"))

_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)


def _count_nodes(text: str, source: str) -> int:
    """Refuse a document of more than :data:`MAX_NODES` nodes, counted on the parser's events before any is built.

    The events stream past (constant memory); a syntax error stops the count and is reported by the composer.
    Returns how many aliases the document uses.
    """
    counter = _Loader(text)
    count = aliases = 0
    try:
        while (event := counter.get_event()) is not None:
            if isinstance(event, _NODE_EVENTS):
                count += 1
                aliases += isinstance(event, yaml.AliasEvent)
                if count > MAX_NODES:
                    raise ModelError(
                        [
                            Problem(
                                "",
                                f"the document has more than {MAX_NODES:,} values; expected a deal model "
                                f"(at most {MAX_NODES:,} values)",
                                event.start_mark.line + 1 if event.start_mark is not None else None,
                            )
                        ],
                        source,
                    )
            if isinstance(event, yaml.StreamEndEvent):
                break
    except yaml.YAMLError:
        pass
    finally:
        counter.dispose()
    return aliases


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}
_PLAIN = "expected plain data (numbers, text, lists, mappings)"


def _show_tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


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

    def fail(self, path: str, message: str, node: yaml.Node) -> ModelError:
        return ModelError([Problem(path, message, node.start_mark.line + 1)], self.source)

    def build(self, node: yaml.Node, path: str) -> Any:
        if id(node) in self.active:
            raise self.fail(path, "an alias refers to its own parent (a loop); expected plain data", node)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(path, f"YAML tag {_show_tag(node.tag)} is not allowed; {_PLAIN}", node)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return node.value
            try:
                return self.loader.construct_object(node, deep=True)
            except (yaml.constructor.ConstructorError, ValueError) as exc:
                what = _first_line(getattr(exc, "problem", None) or exc)
                raise self.fail(path, f"unreadable value {node.value!r} ({what}); {_PLAIN}", node) from None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.build_mapping(node, path)
            return [self.build(item, _item(path, i)) for i, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def build_mapping(self, node: yaml.MappingNode, path: str) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE:
                self.problems.append(
                    Problem(path, "YAML merge keys (<<) are not supported; expected every key written out", line)
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem(path, "a key is a list or mapping; expected a name or a number", line))
                continue
            key = self.build(key_node, path)
            sub = _child(path, key)
            if key in result:
                self.problems.append(Problem(sub, f"duplicate key {key!r}; expected each key once", line))
                continue
            self.lines[sub] = line
            result[key] = self.build(value_node, sub)
        return result


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0] if lines else "invalid"


def _explained(text: str, exc: yaml.MarkedYAMLError) -> yaml.MarkedYAMLError:
    """libyaml's error, or PyYAML's more specific one for the same line (from the text up to just past it)."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None or SAFE_LOADER is yaml.SafeLoader:
        return exc
    end = 0
    for _ in range(mark.line + 2):
        end = text.find("\n", end) + 1
        if end == 0:
            end = len(text)
            break
    slow = yaml.SafeLoader(text[:end])
    try:
        slow.get_single_node()
    except yaml.MarkedYAMLError as better:
        where = better.problem_mark or better.context_mark
        if where is not None and where.line == mark.line:
            return better
    except (yaml.YAMLError, RecursionError):
        pass
    finally:
        slow.dispose()
    return exc


def _parse_yaml(text: str, source: str) -> SourceData:
    aliases = _count_nodes(text, source)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as fast:
            if "nesting depth" in _first_line(fast.problem or fast.context or ""):
                # libyaml's depth limit: said as it is (PyYAML's pure-Python re-read of such text, for a better
                # message, takes time quadratic in the depth — half a second for 50,000 brackets)
                raise ModelError([Problem("", _TOO_DEEP)], source) from None
            exc = _explained(text, fast)
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            what = _first_line(exc.problem or exc.context or "invalid YAML")
            if "another document" in what:
                msg = "the file holds more than one YAML document (---); expected a single deal model"
            else:
                msg = f"YAML syntax error: {what}; expected valid YAML"
            raise ModelError([Problem("", msg, line)], source) from None
        except yaml.YAMLError as exc:
            raise ModelError([Problem("", f"YAML error: {_first_line(exc)}; expected valid YAML")], source) from None
        if node is None:
            raise ModelError([Problem("", _EMPTY)], source)
        if aliases and _expanded_size(node, {}, MAX_NODES) > MAX_NODES:
            raise ModelError(
                [
                    Problem(
                        "",
                        f"the document expands to more than {MAX_NODES:,} values through aliases "
                        "(an alias bomb?); expected a plain model",
                        node.start_mark.line + 1,
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


# ---------------------------------------------------------------- JSON

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


def _json_lines(text: str) -> tuple[dict[str, int], list[Problem]]:
    """Line of each location of (already valid) JSON text, and its duplicate keys."""
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    # each frame: [path, is_object, next index or current key, keys seen, expecting a key]
    stack: list[list[Any]] = []
    line, pos = 1, 0
    path = ""
    for m in _JSON_TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        tok = m.group()
        top = stack[-1] if stack else None
        if tok == ":":
            continue
        if tok == ",":
            if top is not None:
                if top[1]:
                    top[4] = True
                else:
                    top[2] += 1
            continue
        if tok in ("}", "]"):
            stack.pop()
            continue
        if top is not None and top[1] and top[4]:  # a key
            key = json.loads(tok)
            sub = _child(top[0], key)
            if key in top[3]:
                problems.append(Problem(sub, f"duplicate key {key!r}; expected each key once", line))
            top[3].add(key)
            lines[sub] = line
            top[2] = key
            top[4] = False
            continue
        if top is None:
            path = ""
        else:
            path = _child(top[0], top[2]) if top[1] else _item(top[0], top[2])
        lines.setdefault(path, line)
        if tok == "{":
            stack.append([path, True, None, set(), True])
        elif tok == "[":
            stack.append([path, False, 0, set(), False])
    return lines, problems


def _json_constant(name: str) -> float:
    # NaN and ±Infinity are read as numbers so that the schema reports them where they are.
    return float(name.replace("Infinity", "inf"))


_JSON_VALUE = re.compile(r'"(?:[^"\\]|\\.)*"|[{\[]|[^\s{}\[\]:,"]+', re.S)


def _count_json(text: str, source: str) -> None:
    """Refuse JSON text of more than :data:`MAX_NODES` values (keys counted), before any is built."""
    for count, m in enumerate(_JSON_VALUE.finditer(text), 1):
        if count > MAX_NODES:
            line = text.count("\n", 0, m.start()) + 1
            message = (
                f"the document has more than {MAX_NODES:,} values; expected a deal model (at most {MAX_NODES:,} values)"
            )
            raise ModelError([Problem("", message, line)], source)


def _parse_json(text: str, source: str) -> SourceData:
    _count_json(text, source)
    try:
        data = json.loads(text, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise ModelError(
            [Problem("", f"JSON syntax error: {exc.msg} (column {exc.colno}); expected valid JSON", exc.lineno)],
            source,
        ) from None
    except ValueError:  # an integer past Python's digit limit for int(str)
        raise ModelError(
            [Problem("", "a number has too many digits; expected numbers of at most 4,300 digits")], source
        ) from None
    lines, problems = _json_lines(text)
    if problems:
        raise ModelError(problems, source)
    return SourceData(data, source, lines)


# ---------------------------------------------------------------- entry points


def parse_model_text(
    text: str, source: str = "<model>", fmt: str | None = None, expected: str | None = None
) -> SourceData:
    """Parse model text as JSON (``fmt="json"``) or YAML (``"yaml"``); by default JSON when it starts with ``{``.

    ``expected`` says what the text should hold, in messages about empty or too deeply nested text (default: a
    deal model mapping).
    """
    if not text.strip():
        raise ModelError(
            [Problem("", _EMPTY if expected is None else f"the file is empty; expected {expected}")], source
        )
    try:
        if fmt == "json":
            return _parse_json(text, source)
        if fmt is None and text.lstrip().startswith("{"):
            try:
                return _parse_json(text, source)
            except ModelError as exc:
                if not exc.problems[0].message.startswith("JSON syntax error"):
                    raise
                # not JSON: perhaps a YAML flow mapping; YAML reports its own syntax errors
        return _parse_yaml(text, source)
    except RecursionError:
        too_deep = _TOO_DEEP if expected is None else f"the data is nested too deeply; expected {expected}"
        raise ModelError([Problem("", too_deep)], source) from None


def read_model_data(path: str | Path, kind: str = "model file", expected: str | None = None) -> SourceData:
    """Read a model file into plain data; raises :class:`ModelError` on any problem.

    ``kind`` names the file in messages ("history file"), ``expected`` what it should hold (see
    :func:`parse_model_text`): the same reader serves other YAML/JSON inputs.
    """
    p = Path(path)
    source = str(path)

    def fail(message: str, line: int | None = None) -> ModelError:
        return ModelError([Problem("", message, line)], source)

    try:
        if p.is_dir():
            raise fail(f"is a directory; expected a {kind} (YAML or JSON)")
        if not p.exists():
            raise fail(f"no such file; expected the path of a {kind} (YAML or JSON)")
        if not p.is_file():
            raise fail(f"is not a regular file; expected a {kind} (YAML or JSON)")
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise fail(f"the file is {size:,} bytes; expected at most {MAX_BYTES:,}")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise fail(f"no such file; expected the path of a {kind} (YAML or JSON)") from None
    except PermissionError:
        raise fail(f"permission denied; expected a readable {kind}") from None
    except IsADirectoryError:
        raise fail(f"is a directory; expected a {kind} (YAML or JSON)") from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or type(exc).__name__}); expected a readable {kind}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); expected a YAML or JSON file in UTF-8",
            line,
        ) from None
    if "\x00" in text:
        raise fail("the file holds NUL bytes (a binary file?); expected a YAML or JSON text file")
    fmt = "json" if p.suffix.lower() == ".json" else None
    return parse_model_text(text, source, fmt, expected)


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not bool) that is finite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
