"""Batch commands of the ``dealopt`` CLI: ``price-variants``.

Added to the app by :func:`register`. Like the rest of the CLI, every error in
the input files or options is one line on stderr and exit status 2; bad rows
are not errors of the command (they get an ``error`` cell in the output).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dealopt.interfaces.cli.console import JsonOpt, clip, emit_json, err, fail, literal

__all__ = ["FLAGS", "interrupted_line", "price_variants_cmd", "register", "summary_document"]

#: Rows per chunk unless --chunk-rows says otherwise (dealopt.batch.pricing.DEFAULT_CHUNK_ROWS, pinned by a test).
DEFAULT_CHUNK_ROWS = 250_000

#: The flag (or argument) each library argument is given by on the command line.
FLAGS = {
    "quotes": "QUOTES",
    "out": "-o",
    "models_dir": "--models",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "workers/scheduler": "--workers and --scheduler",
    "chunk_rows": "--chunk-rows",
    "resume": "--resume",
    "allow_model_paths": "--allow-model-paths",
}


def price_variants_cmd(
    quotes: Annotated[
        Path,
        typer.Argument(
            metavar="QUOTES",
            help="Quote variants: a CSV or Parquet file, or a directory of Parquet part files.",
            show_default=False,
        ),
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            help="Output: a .parquet or .csv file (money to the cent), or a directory (ending in /) for Parquet parts.",
            show_default=False,
        ),
    ],
    models: Annotated[
        Path | None,
        typer.Option("--models", help="Folder of the model files named in the model column.  [default: models/]"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Run on a local Dask cluster of N processes.", show_default=False)
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on the Dask cluster at tcp://HOST:PORT.", show_default=False),
    ] = None,
    chunk_rows: Annotated[
        int, typer.Option("--chunk-rows", help="Rows per chunk (memory and task size).")
    ] = DEFAULT_CHUNK_ROWS,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run into a directory: keep its verified parts.")
    ] = False,
    allow_model_paths: Annotated[
        bool,
        typer.Option(
            "--allow-model-paths", help="Also read model column cells that are paths (not only names in --models)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Price quote variants as trades from the base quote: break-evens, floor, suggested price, approval."""
    from dealopt.batch.options import OptionError
    from dealopt.batch.pricing import price_variants_file
    from dealopt.errors import DealoptError

    try:
        run = price_variants_file(
            quotes,
            out,
            models if models is not None else "models",
            workers=workers,
            scheduler=scheduler,
            quiet=quiet,
            chunk_rows=chunk_rows,
            resume=resume,
            allow_model_paths=allow_model_paths,
        )
    except OptionError as exc:
        fail(exc.shown_as(FLAGS))
        return
    except DealoptError as exc:
        fail(str(exc))
        return
    except KeyboardInterrupt:
        err.print(clip(interrupted_line(out)))
        raise typer.Exit(130) from None
    if as_json:
        emit_json(summary_document(run.summary(), out, format=run.format))
    else:
        err.print(literal(run.line()))


def interrupted_line(out: str) -> str:
    """What an interrupted run left (see :mod:`dealopt.batch.output`): the previous output, untouched."""
    from dealopt.batch.output import SUCCESS
    from dealopt.batch.pricing.files import output_kind
    from dealopt.errors import DealoptError

    try:
        kind = output_kind(out, None)
    except DealoptError:  # interrupted before the output was checked: nothing was written
        return "interrupted: no output written"
    if kind == "parts":
        return (
            f"interrupted: {out} is as it was (no new {SUCCESS}); "
            "run again with --resume to keep the parts already priced"
        )
    if Path(out).expanduser().exists():
        return f"interrupted: no output written; the previous {out} is untouched"
    return "interrupted: no output written"


def summary_document(summary: Any, out: object, **more: Any) -> dict[str, Any]:
    """A batch's summary line as JSON: rows, errors, seconds, where it ran, the output."""
    doc = {
        "out": str(out),
        "rows": summary.rows,
        "errors": summary.errors,
        "seconds": round(summary.seconds, 6),
        "where": summary.where,
        **more,
    }
    doc.update(summary.extra)
    return doc


def register(app: typer.Typer) -> None:
    """Add the batch commands to ``app``."""
    app.command("price-variants")(price_variants_cmd)
