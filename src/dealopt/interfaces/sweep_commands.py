"""CLI commands for analysts: ``dealopt sweep`` and ``dealopt plot``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from dealopt.batch.options import OptionError
from dealopt.errors import LimitError
from dealopt.interfaces.console import ModelArg, err, fail, load

__all__ = ["FLAGS", "read_table", "register"]

#: The flag each library argument is given by on the command line.
FLAGS = {
    "out": "-o",
    "vary": "--vary",
    "normalize": "--normalize",
    "workers": "--workers",
    "scheduler": "--scheduler",
    "workers/scheduler": "--workers and --scheduler",
    "table": "TABLE",
    "x": "--x",
    "y": "--y",
    "hue": "--hue",
    "heat": "--heat",
    "max_scenarios": "--max-scenarios",
}


def read_table(path: Path) -> pd.DataFrame:
    """Read a Parquet file or directory, or a CSV file (a sweep's output)."""
    if not path.exists():
        raise OptionError("table", f"{path}: no such file")
    try:
        if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise OptionError("table", f"{path}: cannot read ({str(exc).splitlines()[0]})") from None
    raise OptionError("table", f"{path}: unknown extension {path.suffix!r}; expected .parquet or .csv")


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``plot`` to the CLI."""

    @app.command("sweep")
    def sweep_cmd(
        model: ModelArg,
        output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the rows (.parquet or .csv).")],
        spec: Annotated[Path | None, typer.Option("--spec", help="A sweep spec (YAML or JSON).")] = None,
        vary: Annotated[
            list[str] | None,
            typer.Option("--vary", help="NAME=START:STOP:N or NAME=V1,V2,…: a named parameter or a path (repeatable)."),
        ] = None,
        normalize: Annotated[
            list[str] | None,
            typer.Option("--normalize", help="A varied profile probability: scale the other profiles to sum to 1."),
        ] = None,
        engine: Annotated[str, typer.Option("--engine", help="Frontier engine for every scenario.")] = "auto",
        workers: Annotated[
            int | None, typer.Option("--workers", help="Run on a local Dask cluster of N processes.")
        ] = None,
        scheduler: Annotated[
            str | None, typer.Option("--scheduler", help="Run on the Dask cluster at tcp://HOST:PORT.")
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
        max_scenarios: Annotated[
            int, typer.Option("--max-scenarios", help="Refuse a sweep of more scenarios (grids × draws).")
        ] = 1_000_000,
    ) -> None:
        """Solve the model under many scenarios (grids or seeded random draws); one row per scenario."""
        from dealopt.batch.executor import executor
        from dealopt.batch.sweep import load_sweep_spec, output_format, parse_vary, sweep
        from dealopt.batch.sweep.spec import check_size

        if (spec is None) == (not vary):
            fail("--spec or --vary: give a sweep spec file or one or more --vary NAME=START:STOP:N, not both")
        try:
            output_format(output)
            plan = load_sweep_spec(spec) if spec is not None else parse_vary(list(vary or []), list(normalize or []))
            if spec is not None and normalize:
                fail("--normalize: goes with --vary; in a spec file write normalize: true under the name")
            check_size(plan, max_scenarios)
            base = load(model)
            with executor(workers, scheduler) as ex:
                result = sweep(
                    base, plan, engine=engine, executor=ex, out=output, quiet=quiet, max_scenarios=max_scenarios
                )
        except OptionError as exc:
            fail(exc.shown_as(FLAGS))
            return
        except LimitError as exc:
            fail(f"{exc} (raise the limit with --max-scenarios)")
            return
        err.print(result.summary().line("scenario") + f" → {output}", markup=False)

    @app.command("plot")
    def plot_cmd(
        table: Annotated[Path, typer.Argument(help="A sweep's output (.parquet or .csv).", show_default=False)],
        x: Annotated[str, typer.Option("--x", help="The column on the x axis (a swept parameter).")],
        y: Annotated[str, typer.Option("--y", help="The column to plot (or, with --heat, the second parameter).")],
        output: Annotated[Path, typer.Option("-o", "--output", help="The PNG to write.")],
        hue: Annotated[str | None, typer.Option("--hue", help="One line per value of this column.")] = None,
        heat: Annotated[str | None, typer.Option("--heat", help="A heat map of this column over --x and --y.")] = None,
    ) -> None:
        """Draw a sweep: a column against a parameter (by --hue), or a heat map over two parameters."""
        from dealopt.interfaces.sweep_plot import plot_sweep

        if output.suffix.lower() != ".png":
            fail(f"-o: {output}: expected a .png file")
        try:
            plot_sweep(read_table(table), x, y, path=output, hue=hue, heat=heat)
        except OptionError as exc:
            fail(exc.shown_as(FLAGS))
            return
        err.print(f"plot written to {output}", markup=False)
