"""Running a sweep: check every target and the output first, solve the scenarios, return typed rows."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from dealopt.batch.executor import BatchSummary, Executor, Progress
from dealopt.batch.options import OptionError
from dealopt.batch.output import atomic_file
from dealopt.batch.paths import PathError
from dealopt.batch.sweep.fast import kind_of_sweep
from dealopt.batch.sweep.rows import Job, columns, solve_chunk
from dealopt.batch.sweep.spec import (
    DEFAULT_MAX_SCENARIOS,
    SweepSpec,
    check_size,
    load_sweep_spec,
    scenario_table,
    spec_from_data,
)
from dealopt.batch.sweep.targets import Target, model_data, resolve_targets
from dealopt.model.loading import load_model
from dealopt.model.schema import DealModel
from dealopt.options import SweepOptions

__all__ = ["SweepResult", "output_format", "sweep"]

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def output_format(path: str | Path) -> str:
    """``parquet`` or ``csv`` by extension, checked before anything runs."""
    p = Path(path)
    fmt = _FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise OptionError("out", f"{path}: unknown extension {p.suffix or '(none)'!r}; expected .parquet or .csv")
    if not p.expanduser().parent.is_dir():
        raise OptionError("out", f"{path}: the directory {p.parent} does not exist; expected an existing directory")
    return fmt


@dataclass(frozen=True)
class SweepResult:
    """One typed row per scenario, in scenario order, and what the columns mean."""

    frame: pd.DataFrame = field(repr=False)
    model: str
    units: str  # the currency, or "normalized"
    targets: tuple[str, ...]
    money_targets: tuple[str, ...]
    draws: tuple[str, ...]  # the targets drawn at random (not on a grid)
    seconds: float
    where: str

    @property
    def errors(self) -> int:
        """Scenarios the model could not take."""
        return int(self.frame["error"].notna().sum())

    def summary(self) -> BatchSummary:
        """Scenarios, errors, time and where it ran."""
        return BatchSummary(len(self.frame), self.errors, self.seconds, self.where)

    def meta(self) -> dict[str, Any]:
        """What a plot needs to know about the columns (kept in ``DataFrame.attrs`` and Parquet metadata)."""
        return {
            "model": self.model,
            "units": self.units,
            "targets": list(self.targets),
            "money_targets": list(self.money_targets),
            "draws": list(self.draws),
        }

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (``attrs["dealopt"]`` says the units and which targets were drawn)."""
        frame = self.frame.copy(deep=False)
        frame.attrs["dealopt"] = self.meta()
        return frame

    def write(self, path: str | Path) -> None:
        """Write Parquet or CSV by extension (Parquet keeps the dtypes and :meth:`meta`), renamed into place when complete."""
        fmt = output_format(path)
        try:
            with atomic_file(Path(path).expanduser()) as tmp:
                if fmt == "parquet":
                    self.to_frame().to_parquet(tmp, index=False)
                else:
                    self.frame.to_csv(tmp, index=False)
        except OSError as exc:
            raise OptionError("out", f"{path}: cannot write ({exc.strerror or exc})") from None

    def plot(self, x: str, y: str, *, hue: str | None = None, heat: str | None = None, ax: Any = None) -> Any:
        """A matplotlib Figure of ``y`` against ``x`` (see :func:`dealopt.interfaces.sweep_plot.plot_sweep`)."""
        from dealopt.interfaces.sweep_plot import plot_sweep

        return plot_sweep(self.to_frame(), x, y, hue=hue, heat=heat, ax=ax)


def _spec(spec: SweepSpec | Mapping[str, Any] | str | Path) -> SweepSpec:
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, Mapping):
        return spec_from_data(dict(spec))
    return load_sweep_spec(spec)


def sweep(
    model: DealModel | str | Path,
    spec: SweepSpec | Mapping[str, Any] | str | Path,
    *,
    engine: str = "auto",
    executor: Executor | None = None,
    out: str | Path | None = None,
    chunk_size: int = 25,
    quiet: bool = True,
    max_scenarios: int = DEFAULT_MAX_SCENARIOS,
) -> SweepResult:
    """Solve the model under every scenario of ``spec``; one typed row per scenario, in scenario order.

    ``spec`` is a :class:`SweepSpec`, its data (``{"vary": {...}, "n": …, "seed": …}``) or a spec
    file. Each varied name is a named parameter of the model or a path to a number; every one of
    them, and ``out`` (written at the end when given), is checked before the first scenario. A plan of
    more than ``max_scenarios`` scenarios is refused (:class:`~dealopt.errors.LimitError`) before
    anything is built.
    """
    t0 = time.perf_counter()
    SweepOptions.check(engine=engine, chunk_size=chunk_size, quiet=quiet)
    plan = _spec(spec)
    check_size(plan, max_scenarios)
    if out is not None:
        output_format(out)
    base = load_model(model) if isinstance(model, (str, Path)) else model
    try:
        targets = resolve_targets(base, plan)
    except PathError as exc:
        raise OptionError("vary", str(exc)) from None
    # The scenario table's columns are text (pandas-stubs type record keys as any Hashable).
    rows = cast(list[dict[str, Any]], scenario_table(plan, max_scenarios).to_dict("records"))
    fast = kind_of_sweep([p for t in targets for p in t.paths]) != "full"
    # a fast path pays a base solve per chunk: larger chunks, but still a dozen or more to share out
    size = max(chunk_size, min(chunk_size * 8, len(rows) // 16)) if fast else chunk_size
    data = model_data(base)
    jobs = [Job(data, base, tuple(targets), rows[i : i + size], engine) for i in range(0, len(rows), size)]
    run = executor or Executor()
    progress = Progress(len(jobs), "sweep", quiet=quiet)
    try:
        chunks = run.map(solve_chunk, jobs, progress)
    finally:
        progress.close()
    cols = columns(base, targets)
    frame = pd.DataFrame.from_records([r for chunk in chunks for r in chunk], columns=list(cols))
    for col, dtype in cols.items():
        frame[col] = frame[col].astype(dtype)
    result = SweepResult(
        frame=frame,
        model=base.name,
        units=base.unit_label,
        targets=tuple(t.name for t in targets),
        money_targets=tuple(t.name for t in targets if _money(base, t)),
        draws=plan.draws,
        seconds=time.perf_counter() - t0,
        where=run.where,
    )
    if out is not None:
        result.write(out)
    return result


_MONEY = re.compile(r"(\.walk_away|\.of\[\d+\]\.[^.\[]+\.[^.\[]+|piecewise\[\d+\]\[1\]|^policy\.(list|floor)_price)$")


def _money(model: DealModel, target: Target) -> bool:
    """Whether the target's values are amounts of the model's currency (walk-aways, table entries, prices)."""
    if model.normalized:
        return False
    price = (model.policy.price_issue if model.policy else None) or "price"
    return all(_MONEY.search(p) or p.endswith(f".walk_away.package.{price}") for p in target.paths)
