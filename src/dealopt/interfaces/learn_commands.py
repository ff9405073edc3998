"""Learning commands of the ``dealopt`` CLI: ``learn`` and ``simulate-history``.

Added to the app by :func:`register`. Every error in the inputs is one line on
stderr and exit status 2.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dealopt.errors import DealoptError, OptionError

__all__ = ["FLAGS", "learn_cmd", "register", "simulate_history_cmd"]

#: The flag each library argument is given by on the command line.
FLAGS = {"penalty": "--penalty", "n": "-n", "scale": "--scale", "draws": "--draws", "quantiles": "--quantiles"}

_out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    for line in message.splitlines() or [message]:
        _err.print(f"error: {line}", markup=False)
    raise typer.Exit(2)


def _message(exc: DealoptError) -> str:
    if isinstance(exc, OptionError):
        return str(OptionError(FLAGS.get(exc.param, "--" + exc.param.replace("_", "-")), exc.value, exc.expected))
    return str(exc)


def _finite(data: Any) -> Any:
    """NaN and infinities (a metric that could not be measured) as null."""
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def learn_cmd(
    model: Annotated[Path, typer.Argument(help="A deal model file whose buyer uses named parameters.")],
    history: Annotated[Path, typer.Argument(help="Past quotes: CSV or Parquet, one column per issue and 'won'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The fitted model (YAML).", show_default=False)],
    segment: Annotated[
        str | None, typer.Option("--segment", help="Fit one model per value of this column (OUT-VALUE.yaml).")
    ] = None,
    penalty: Annotated[
        float, typer.Option("--penalty", help="Ridge penalty (for a perfectly separated history).")
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the held-out split and the profile draws.")] = 0,
    draws: Annotated[int, typer.Option("--draws", help="Parameter draws in the fitted buyer's profiles.")] = 4,
    quantiles: Annotated[int, typer.Option("--quantiles", help="Noise quantiles per draw.")] = 8,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw calibration and win probability vs price (PNG).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Learn the buyer's named parameters, walk-away and noise from won and lost quotes."""
    from dealopt.learning import learn, reference_package
    from dealopt.model.loading import load_model

    if out.suffix.lower() not in (".yaml", ".yml"):
        _fail(f"-o: {str(out)!r}; expected a .yaml file for the fitted model")
    if plot is not None and plot.suffix.lower() != ".png":
        _fail(f"--plot: {str(plot)!r}; expected a .png file")
    try:
        m = load_model(model)
        result = learn(m, history, segment=segment, penalty=penalty, seed=seed, draws=draws, quantiles=quantiles)
        for fit in result.fits:
            fit.model()  # the fitted file must load as it is written
        paths = result.write(out)
        if plot is not None:
            from dealopt.interfaces.learn_plot import plot_learned

            fit = result.fits[0]
            try:
                package = reference_package(m)
            except DealoptError:
                package = reference_package(m, fit_frame(history))
            plot_learned(m, fit, package, plot)
    except DealoptError as exc:
        _fail(_message(exc))
        return
    except OSError as exc:
        _fail(f"{out}: cannot be written ({exc.strerror}); expected a writable path")
        return
    if as_json:
        _json(result.to_dict())
        return
    for fit in result.fits:
        title = f"{result.model_name}: buyer learned from {fit.rows} quotes"
        if fit.segment is not None:
            title += f" (segment {fit.segment})"
        table = Table(title=title, title_justify="left")
        table.add_column("what the buyer values")
        table.add_column(f"estimate ({fit.currency})" if fit.currency else "estimate", justify="right")
        table.add_column("90 % interval", justify="right")
        for line in fit.lines():
            label, rest = line.split(": ", 1)
            value, interval = rest.split(" (", 1)
            table.add_row(label, value.removesuffix(f" {fit.currency}"), interval.rstrip(")"))
        _out.print(table)
        mt = fit.metrics
        _out.print(
            f"held out ({mt.held_out} quotes): AUC {mt.auc:.3f} (price only {mt.baseline_auc:.3f}), "
            f"log loss {mt.log_loss:.4f} (price only {mt.baseline_log_loss:.4f}), Brier {mt.brier:.4f}, "
            f"calibration error {mt.ece:.3f}"
        )
    for p in paths:
        _out.print(f"fitted model: {p} ({result.fits[0].profiles} buyer profiles)")


def fit_frame(history: Path) -> Any:
    """The history as a frame, for the reference package (the most quoted levels)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    return (pq.read_table(history) if history.suffix.lower() == ".parquet" else pacsv.read_csv(history)).to_pandas()


def simulate_history_cmd(
    model: Annotated[Path, typer.Argument(help="A deal model file: its buyer is the truth.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The history: .parquet or .csv.", show_default=False)],
    n: Annotated[int, typer.Option("-n", help="Quotes to draw.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed.")] = 0,
    scale: Annotated[
        float | None, typer.Option("--scale", help="Noise τ in money (default: a tenth of the price swing).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the truth as JSON.")] = False,
) -> None:
    """Draw quotes and outcomes from the model's buyer (its stated parameters are the truth)."""
    from dealopt.learning import simulate_history
    from dealopt.model.loading import load_model

    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        _fail(f"-o: {str(out)!r}; expected a .parquet or .csv file")
    try:
        frame = simulate_history(load_model(model), n, seed, scale=scale)
    except DealoptError as exc:
        _fail(_message(exc))
        return
    truth = frame.attrs.pop("truth")
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        tmp.replace(out)
    except OSError as exc:
        _fail(f"{out}: cannot be written ({exc.strerror}); expected a writable path")
    if as_json:
        _json({"rows": len(frame), "won": int(frame["won"].sum()), "truth": truth})
    else:
        _out.print(f"{out}: {len(frame)} quotes, {int(frame['won'].sum())} won; truth: {truth}")


def register(app: typer.Typer) -> None:
    """Add the learning commands to ``app``."""
    app.command("learn")(learn_cmd)
    app.command("simulate-history")(simulate_history_cmd)
