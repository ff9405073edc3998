"""What every CLI command shares: the consoles, common options, one-line failures, JSON output, literal text.

Model text (names, titles, option labels, sentences made of them) is printed literally: never read as Rich
markup, and control characters (escape sequences, OSC 8 hyperlinks) shown escaped, never sent to the terminal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from dealopt.model.compiled import CompiledDeal
    from dealopt.model.schema import DealModel

__all__ = [
    "JsonOpt",
    "ModelArg",
    "clip",
    "emit_json",
    "err",
    "fail",
    "fmt",
    "lit",
    "literal",
    "load",
    "load_deal",
    "out",
    "size_to_terminal",
]


class _LazyConsole:
    """A Rich console made when first used: Rich is not imported by a command that prints nothing with it."""

    def __init__(self, **settings: Any) -> None:
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "_console", None)

    def _get(self) -> Console:
        if self._console is None:
            from rich.console import Console

            object.__setattr__(self, "_console", Console(**self._settings))
        return cast("Console", self._console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "width" and self._console is None:
            self._settings["width"] = value
        else:
            setattr(self._get(), name, value)


#: Sized to the terminal (see :func:`size_to_terminal`); when piped, to $COLUMNS or 200 columns.
out: Console = _LazyConsole(highlight=False, markup=False, emoji=False, width=200)  # type: ignore[assignment]
err: Console = _LazyConsole(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)  # type: ignore[assignment]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ModelArg = Annotated[
    Path, typer.Argument(metavar="MODEL", help="A deal model file (YAML or JSON).", show_default=False)
]

#: C0 and C1 control characters and DEL: shown escaped, never sent to the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The longest error line: echoed input past it is cut in the middle (the start says where, the end what).
MAX_LINE = 300


def size_to_terminal() -> None:
    """Size ``out`` for this run: $COLUMNS, else the terminal's width, else 200 columns when piped."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        out.width = int(columns)
    elif sys.stdout.isatty():
        out.width = shutil.get_terminal_size().columns
    else:
        out.width = 200


def literal(text: object) -> str:
    """``text`` with every control character written as an escape (``\\x1b``): safe to print."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def lit(text: object, style: str = "") -> Text:
    """Model text as a Rich ``Text``: literal (no markup, control characters escaped)."""
    from rich.text import Text

    return Text(literal(text), style=style)


def clip(line: str, limit: int = MAX_LINE) -> str:
    """One printable line at most ``limit`` characters long: control characters escaped, the middle cut."""
    line = literal(line)
    if len(line) <= limit:
        return line
    head = limit * 2 // 3
    return f"{line[:head]} … {line[-(limit - head - 3) :]}"


def fail(message: str) -> NoReturn:
    """Print one line per problem on stderr and exit 2."""
    for line in message.splitlines() or [message]:
        err.print(f"error: {clip(line)}")
    raise typer.Exit(2)


def _json_safe(text: str) -> str:
    # json.dumps escapes C0 controls; DEL and C1 (e.g. \x9b, a one-byte CSI) are escaped here too
    return re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_json(data: Any) -> None:
    """Print JSON on stdout."""
    sys.stdout.write(_json_safe(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)) + "\n")


def load(path: Path) -> DealModel:
    """Load a model or fail with its problems."""
    from dealopt.errors import ModelError
    from dealopt.model.loading import load_model

    try:
        return load_model(path)
    except ModelError as exc:
        fail(str(exc))


#: Compiled deals by (path as given, SHA-256 of the file's bytes), most recent last (see :func:`load_deal`).
_DEALS: dict[tuple[str, bytes], CompiledDeal] = {}
_DEALS_KEPT = 4


def load_deal(path: Path) -> CompiledDeal:
    """Load and compile a model, or fail with its problems.

    Within one process (the CLI run in process, by a script or the tests), a file read again with the same bytes
    gives back the same compiled deal, and with it what was computed on it (the outcome space ``counter``
    searches): a model is evaluated once per content, not once per command.
    """
    from dealopt.model.compiled import compile_model

    digest = _digest(path)
    key = (str(path), digest) if digest is not None else None
    if key is not None and key in _DEALS:
        _DEALS[key] = _DEALS.pop(key)
        return _DEALS[key]
    deal = compile_model(load(path))
    if key is not None and _digest(path) == key[1]:  # not changed while it was read
        _DEALS[key] = deal
        while len(_DEALS) > _DEALS_KEPT:
            del _DEALS[next(iter(_DEALS))]
    return deal


def _digest(path: Path) -> bytes | None:
    """The SHA-256 of a model file's bytes; None if it is not a readable regular file of a model's size."""
    import hashlib

    from dealopt.model.reading import MAX_BYTES

    try:
        p = Path(path)
        if not p.is_file() or p.stat().st_size > MAX_BYTES:
            return None
        return hashlib.sha256(p.read_bytes()).digest()
    except OSError:  # load() names the problem
        return None


def fmt(x: float | None, normalized: bool) -> str:
    """A utility as shown in tables (see :func:`dealopt.negotiation.phrasing.cell`)."""
    from dealopt.negotiation.phrasing import cell

    return cell(x, normalized)
