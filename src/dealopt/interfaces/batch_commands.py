"""Batch commands of the ``dealopt`` CLI: ``price-variants``.

Added to the app by :func:`register`. Like the rest of the CLI, every error in
the input files or options is one line on stderr and exit status 2; bad rows
are not errors of the command (they get an ``error`` cell in the output).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dealopt.batch.options import OptionError
from dealopt.batch.pricing import DEFAULT_CHUNK_ROWS, price_variants_file
from dealopt.errors import DealoptError
from dealopt.interfaces.console import err, fail

__all__ = ["FLAGS", "register", "price_variants_cmd"]

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
            help="Quote variants: a CSV or Parquet file, or a directory of Parquet part files.", show_default=False
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
) -> None:
    """Price quote variants as trades from the base quote: break-evens, floor, suggested price, approval."""
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
    err.print(run.line(), markup=False)


def register(app: typer.Typer) -> None:
    """Add the batch commands to ``app``."""
    app.command("price-variants")(price_variants_cmd)
