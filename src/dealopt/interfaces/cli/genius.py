"""``dealopt import-genius``: a GENIUS/ANAC domain and two profiles as a dealopt/1 model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dealopt.interfaces.cli.console import JsonOpt, emit_json, err, fail, literal

__all__ = ["register"]


def import_genius(
    domain: Annotated[Path, typer.Argument(metavar="DOMAIN", help="GENIUS domain XML.", show_default=False)],
    seller: Annotated[Path, typer.Argument(metavar="SELLER", help="Seller's utility-space XML.", show_default=False)],
    buyer: Annotated[Path, typer.Argument(metavar="BUYER", help="Buyer's utility-space XML.", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", metavar="FILE", help="Write the model here (default: stdout).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Model name (default: from the domain file).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a GENIUS/ANAC domain and two profiles as a dealopt/1 model (units: normalized)."""
    from dealopt.model.importers.genius import import_genius as read_genius
    from dealopt.model.writing import model_to_text, write_model

    model = read_genius(domain, seller, buyer, name=name)
    if output is None:
        sys.stdout.write(model_to_text(model, "json" if as_json else "yaml"))
        return
    try:
        write_model(model, output)
    except OSError as exc:
        fail(f"{output}: cannot write ({exc.strerror or exc}); expected a writable file path")
    if as_json:
        emit_json({"written": str(output), "name": model.name, "issues": len(model.issues)})
    else:
        err.print(literal(f"wrote {output} ({model.name}, {len(model.issues)} issues)"))


def register(app: typer.Typer) -> None:
    """Add ``import-genius``."""
    app.command("import-genius")(import_genius)
