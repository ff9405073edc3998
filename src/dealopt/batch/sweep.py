"""Scenario sweeps: vary numbers in a model over grids or seeded random draws; one row per scenario.

A sweep spec (YAML or JSON)::

    vary:
      parties.seller.walk_away: {start: 0, stop: 200000, n: 5}          # a grid (full factorial)
      parties.seller.utility[1].coef: {values: [-45, -38, -30]}         # a grid of listed values
      parties.buyer.utility[3].of[0].term_months.36: {dist: uniform, low: -80000, high: -40000}
    n: 200          # random draws (per grid point when there are grids)
    seed: 7

Distributions: ``uniform`` (low, high), ``normal`` (mean, sd), ``triangular`` (low, mode, high).

Each row: the scenario number and parameters; ``zopa``, and when there is none
``no_deal`` (why) with ``seller_gap`` / ``buyer_gap``; ``frontier_points``; the
Nash, Kalai–Smorodinsky and max-joint packages (``nash.seller``, ``nash.buyer``,
``nash.ISSUE`` …); ``max_joint_value``; ``seller_room`` / ``buyer_room`` (how
far the ZOPA reaches above each side's walk-away); ``nash.seller_share`` (the
seller's share of the gains at the Nash package); ``error`` for a scenario the
model cannot take (the row is kept).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dealopt.batch.executor import BatchSummary, Executor, Progress
from dealopt.batch.paths import PathError, get_path, parse_path, with_values
from dealopt.errors import DealoptError, ModelError, Problem
from dealopt.model.loading import load_model, model_from_data
from dealopt.model.reading import read_model_data
from dealopt.model.schema import DealModel

__all__ = ["SweepSpec", "load_sweep_spec", "parse_vary", "scenario_table", "sweep", "SOLUTION_COLUMNS"]

SOLUTION_COLUMNS = ("nash", "kalai_smorodinsky", "max_joint")

Finite = Annotated[float, Field(strict=False, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grid(_Strict):
    """``{start, stop, n}`` (evenly spaced, both ends included) or ``{values: [...]}``."""

    start: Finite | None = None
    stop: Finite | None = None
    n: Annotated[int, Field(ge=1, le=100_000)] | None = None
    values: Annotated[list[Finite], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Grid:
        ranged = (self.start, self.stop, self.n)
        if self.values is not None:
            if any(x is not None for x in ranged):
                raise ValueError("give either values or start/stop/n, not both")
        elif any(x is None for x in ranged):
            raise ValueError("a grid needs start, stop and n (or values)")
        return self

    def points(self) -> list[float]:
        """The grid's values."""
        if self.values is not None:
            return [float(v) for v in self.values]
        assert self.start is not None and self.stop is not None and self.n is not None
        return [float(x) for x in np.linspace(self.start, self.stop, self.n)]


class Uniform(_Strict):
    dist: Literal["uniform"]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError("expected low ≤ high")
        return self


class Normal(_Strict):
    dist: Literal["normal"]
    mean: Finite
    sd: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Triangular(_Strict):
    dist: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("expected low ≤ mode ≤ high")
        return self


Draw = Annotated[Union[Uniform, Normal, Triangular], Field(discriminator="dist")]


class SweepSpec(_Strict):
    """What a sweep varies, and how."""

    vary: Annotated[dict[str, Union[Draw, Grid]], Field(min_length=1)]
    n: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _draws_need_n(self) -> SweepSpec:
        for path in self.vary:
            parse_path(path)
        if any(not isinstance(v, Grid) for v in self.vary.values()) and self.n is None:
            raise ValueError("random draws need n (how many)")
        return self


def _spec_error(exc: ValidationError, source: str) -> ModelError:
    problems = []
    for e in exc.errors(include_url=False):
        loc = ".".join(
            str(p)
            for p in e["loc"]
            if p not in ("Uniform", "Normal", "Triangular", "Grid", "uniform", "normal", "triangular")
        )
        msg = e["msg"].removeprefix("Value error, ")
        problems.append(Problem(loc, msg))
    return ModelError(problems, source)


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec file."""
    src = read_model_data(path)
    try:
        return SweepSpec.model_validate(src.data)
    except ValidationError as exc:
        raise _spec_error(exc, str(path)) from None
    except PathError as exc:
        raise ModelError([Problem("vary", str(exc))], str(path)) from None


def parse_vary(items: list[str]) -> SweepSpec:
    """``PATH=START:STOP:N`` or ``PATH=V1,V2,…`` options as a grid spec."""
    vary: dict[str, Any] = {}
    for item in items:
        path, sep, rng = item.partition("=")
        if not sep or not path:
            raise DealoptError(f"--vary {item!r}: expected PATH=START:STOP:N or PATH=V1,V2,…")
        try:
            if ":" in rng:
                start, stop, n = rng.split(":")
                vary[path] = {"start": float(start), "stop": float(stop), "n": int(n)}
            else:
                vary[path] = {"values": [float(v) for v in rng.split(",")]}
        except ValueError:
            raise DealoptError(
                f"--vary {item!r}: expected PATH=START:STOP:N (numbers, N whole) or PATH=V1,V2,…"
            ) from None
    try:
        return SweepSpec.model_validate({"vary": vary})
    except ValidationError as exc:
        raise _spec_error(exc, "--vary") from None
    except PathError as exc:
        raise DealoptError(f"--vary: {exc}") from None


def scenario_table(spec: SweepSpec) -> pd.DataFrame:
    """One row per scenario, one column per varied path: grids crossed, then ``n`` seeded draws each."""
    grids = {p: v.points() for p, v in spec.vary.items() if isinstance(v, Grid)}
    draws = {p: v for p, v in spec.vary.items() if not isinstance(v, Grid)}
    combos = list(itertools.product(*grids.values())) if grids else [()]
    reps = spec.n if draws else 1
    rows = len(combos) * reps
    table: dict[str, np.ndarray] = {}
    for k, path in enumerate(grids):
        table[path] = np.repeat(np.array([c[k] for c in combos], dtype=float), reps)
    rng = np.random.default_rng(spec.seed)
    for path, d in draws.items():
        if isinstance(d, Uniform):
            table[path] = rng.uniform(d.low, d.high, rows)
        elif isinstance(d, Normal):
            table[path] = rng.normal(d.mean, d.sd, rows)
        else:
            table[path] = rng.triangular(d.low, d.mode, d.high, rows) if d.low < d.high else np.full(rows, d.low)
    frame = pd.DataFrame({p: table[p] for p in spec.vary})
    frame.insert(0, "scenario", np.arange(rows, dtype=np.int64))
    return frame


#: Paths that change only walk-aways: the feasible frontier stays the same.
_WALK_AWAY_PATH = re.compile(r"^parties\.(seller|buyer)(\.profiles\[\d+\])?\.walk_away(\.package\..+)?$")


#: Paths that change only a term's coefficient: the tables change by Δcoef × that term.
_COEF_PATH = re.compile(r"^parties\.(seller|buyer)\.utility\[(\d+)\]\.coef$")


class _CoefficientSweep:
    """Scenarios that change only coefficients of the seller's or buyer's terms.

    (With buyer profiles only seller paths take this form: a profile's terms sit under ``profiles``.)

    The base model's component tables are built once; a scenario's tables are the base
    tables plus Δcoef × the changed term, at every joint level and at the feasible ones.
    """

    def __init__(self, data: dict[str, Any], paths: list[str]) -> None:
        from dealopt.model.compiled import CompiledTerm, compile_model, term_tensor

        self.base = compile_model(model_from_data(data))
        if not self.base.gridded or any(c.tables is None for c in self.base.components):
            raise ValueError("no fast path")
        self.changes: list[tuple[str, int, str, int, np.ndarray, np.ndarray, float]] = []
        for path in paths:
            m = _COEF_PATH.match(path)
            assert m is not None
            party, k = m.group(1), int(m.group(2))
            util = self.base.seller if party == "seller" else self.base.buyer
            term = util.terms[k]
            ci = next(n for n, c in enumerate(self.base.components) if term.issues <= set(c.issues))
            comp = self.base.components[ci]
            axis = {issue: a for a, issue in enumerate(comp.issues)}
            unit = term_tensor(self.base, CompiledTerm(1.0, term.factors), axis, len(comp.shape))
            full = np.ascontiguousarray(np.broadcast_to(unit, comp.shape)).reshape(-1)
            self.changes.append((party, k, path, ci, full, full[comp.joint], term.coef))

    def deal_for(self, model: DealModel) -> Any:
        """The scenario's compiled deal, with its tables derived from the base tables."""
        from dealopt.model.compiled import compile_model

        deal = compile_model(model)
        comps = list(self.base.components)
        updates: dict[int, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}
        for party, k, _path, ci, full, feasible, base_coef in self.changes:
            terms = (model.parties.seller if party == "seller" else model.parties.buyer).utility or []
            delta = float(terms[k].coef) - base_coef
            tables, ftables = updates.setdefault(ci, (dict(comps[ci].tables or {}), dict(comps[ci].feasible_tables)))
            tables[party] = tables[party] + delta * full
            ftables[party] = ftables[party] + delta * feasible
        for ci, (tables, ftables) in updates.items():
            comps[ci] = comps[ci].with_tables(tables, ftables)
        deal.__dict__["components"] = tuple(comps)  # a frozen dataclass: set the way cached_property does
        return deal


@dataclass(frozen=True)
class _Job:
    data: dict[str, Any]
    issues: tuple[str, ...]
    rows: list[dict[str, Any]]  # scenario id and parameter values
    engine: str
    walk_aways_only: bool


def _feasible_frontier(job: _Job) -> Any:
    """For walk-away sweeps: the base model's frontier without bounds, as an engine that cuts it."""
    from dealopt.engines.base import EngineOptions
    from dealopt.engines.filtered import FilteredFrontierEngine
    from dealopt.engines.registry import choose_engine
    from dealopt.model.compiled import compile_model

    deal = compile_model(model_from_data(job.data))
    if not deal.gridded:
        return job.engine
    raw = choose_engine(deal, job.engine).solve(deal, None, None, EngineOptions())
    return FilteredFrontierEngine(raw)


def _solve_chunk(job: _Job) -> list[dict[str, Any]]:
    """Solve every scenario of one chunk (runs in a worker)."""
    from dealopt.negotiation.frontier import frontier

    engine: Any = job.engine
    coefficients = None
    if job.walk_aways_only:
        try:
            engine = _feasible_frontier(job)
        except DealoptError:
            engine = job.engine
    elif (
        job.rows
        and all(_COEF_PATH.match(k) for k in job.rows[0] if k != "scenario")
        and job.engine in ("auto", "merge")
    ):
        try:
            coefficients = _CoefficientSweep(job.data, [k for k in job.rows[0] if k != "scenario"])
        except (ValueError, DealoptError):
            coefficients = None
    out = []
    for row in job.rows:
        values = {k: v for k, v in row.items() if k != "scenario"}
        rec: dict[str, Any] = {"scenario": row["scenario"], **values}
        try:
            model = model_from_data(with_values(job.data, values), source=f"scenario {row['scenario']}")
            res = frontier(coefficients.deal_for(model) if coefficients is not None else model, engine)
        except DealoptError as exc:
            rec["error"] = str(exc).splitlines()[0]
            out.append(rec)
            continue
        rec["zopa"] = res.zopa
        rec["frontier_points"] = len(res.points)
        if res.no_deal is not None:
            rec["no_deal"] = res.no_deal.reason
            rec["seller_gap"] = res.no_deal.seller_gap
            rec["buyer_gap"] = res.no_deal.buyer_gap
        for name in SOLUTION_COLUMNS:
            sol = getattr(res, name)
            if sol is None:
                continue
            rec[f"{name}.seller"] = sol.seller
            rec[f"{name}.buyer"] = sol.buyer
            for issue in job.issues:
                rec[f"{name}.{issue}"] = sol.package[issue]
        rec["max_joint_value"] = res.max_joint.joint if res.max_joint else None
        if res.points:
            d_s, d_b = res.disagreement
            assert d_s is not None and d_b is not None and res.nash is not None
            rec["seller_room"] = res.points[0].seller - d_s  # how far the ZOPA reaches above each walk-away
            rec["buyer_room"] = res.points[-1].buyer - d_b
            gain_s, gain_b = res.nash.seller - d_s, res.nash.buyer - d_b
            rec["nash.seller_share"] = gain_s / (gain_s + gain_b) if gain_s + gain_b > 0 else None
        out.append(rec)
    return out


def _columns(model: DealModel, paths: list[str]) -> dict[str, str]:
    """The output's columns and their dtypes."""
    cols: dict[str, str] = {"scenario": "int64"}
    cols.update(dict.fromkeys(paths, "float64"))
    cols.update(
        {
            "zopa": "boolean",
            "no_deal": "string",
            "seller_gap": "float64",
            "buyer_gap": "float64",
            "frontier_points": "Int64",
        }
    )
    for name in SOLUTION_COLUMNS:
        cols[f"{name}.seller"] = "float64"
        cols[f"{name}.buyer"] = "float64"
        for issue_name, issue in model.issues.items():
            cols[f"{name}.{issue_name}"] = "string" if issue.kind == "categorical" else "float64"
    cols["max_joint_value"] = "float64"
    cols["seller_room"] = "float64"
    cols["buyer_room"] = "float64"
    cols["nash.seller_share"] = "float64"
    cols["error"] = "string"
    return cols


def sweep(
    model: DealModel | str | Path,
    spec: SweepSpec,
    *,
    engine: str = "auto",
    executor: Executor | None = None,
    chunk_size: int = 25,
    quiet: bool = True,
    summary: BatchSummary | None = None,
) -> pd.DataFrame:
    """Solve the model under every scenario of ``spec``; one typed row per scenario, in scenario order."""
    base = load_model(model) if isinstance(model, (str, Path)) else model
    data = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    for path in spec.vary:
        try:
            current = get_path(data, path)
        except PathError:
            if path.endswith(("walk_away", "coef")):
                continue  # left out of the file: the sweep sets it
            raise
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise PathError(f"{path}: holds {current!r}, not a number; expected the path of a number")
    table = scenario_table(spec)
    rows = table.to_dict("records")
    walk_only = all(_WALK_AWAY_PATH.match(p) for p in spec.vary)
    fast = walk_only or all(_COEF_PATH.match(p) for p in spec.vary)
    # a fast path pays a base solve per chunk: larger chunks, but still a dozen or more to share out
    size = max(chunk_size, min(chunk_size * 8, len(rows) // 16)) if fast else chunk_size
    jobs = [_Job(data, tuple(base.issues), rows[i : i + size], engine, walk_only) for i in range(0, len(rows), size)]
    run = executor or Executor()
    progress = Progress(len(jobs), "sweep", quiet=quiet)
    t0 = time.perf_counter()
    try:
        chunks = run.map(_solve_chunk, jobs, progress)
    finally:
        progress.close()
    records = [r for chunk in chunks for r in chunk]
    cols = _columns(base, list(spec.vary))
    frame = pd.DataFrame.from_records(records, columns=list(cols))
    for col, dtype in cols.items():
        frame[col] = frame[col].astype(dtype)
    if summary is not None:
        summary.rows = len(frame)
        summary.errors = int(frame["error"].notna().sum())
        summary.seconds = time.perf_counter() - t0
        summary.where = run.where
    return frame
