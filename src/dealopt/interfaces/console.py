"""What every CLI command shares: the consoles, common options, one-line failures, JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from dealopt.errors import ModelError
from dealopt.model.loading import load_model
from dealopt.model.schema import DealModel
from dealopt.negotiation.phrasing import cell

__all__ = ["JsonOpt", "ModelArg", "emit_json", "err", "fail", "fmt", "load", "out"]

out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ModelArg = Annotated[Path, typer.Argument(help="A deal model file (YAML or JSON).", show_default=False)]


def fail(message: str) -> None:
    """Print one line per problem on stderr and exit 2."""
    for line in message.splitlines():
        err.print(f"error: {line}", markup=False)
    raise typer.Exit(2)


def emit_json(data: Any) -> None:
    """Print JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def load(path: Path) -> DealModel:
    """Load a model or fail with its problems."""
    try:
        return load_model(path)
    except ModelError as exc:
        fail(str(exc))
        raise  # unreachable


#: A utility as shown in tables (see :func:`dealopt.negotiation.phrasing.cell`).
fmt = cell
