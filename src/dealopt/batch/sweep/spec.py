"""What a sweep varies: a spec (file or options) and the scenario table it makes.

A sweep spec (YAML or JSON)::

    vary:
      cost_per_seat_month: {start: 30, stop: 50, n: 5}                 # a named parameter, on a grid
      parties.seller.walk_away: {values: [0, 100000, 200000]}          # a path to a number
      p_cost_cutter: {dist: uniform, low: 0.2, high: 0.8, normalize: true}  # a profile probability
    n: 200          # random draws (per grid point when there are grids)
    seed: 7

Grids are crossed (full factorial); random draws are seeded: ``uniform`` (low, high),
``normal`` (mean, sd), ``triangular`` (low, mode, high). ``normalize: true`` on a buyer
profile's probability scales the other profiles' probabilities to keep the sum at 1.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dealopt.batch.options import OptionError
from dealopt.batch.paths import PathError, parse_path
from dealopt.errors import LimitError, ModelError, Problem
from dealopt.model.reading import read_model_data

__all__ = [
    "DEFAULT_MAX_SCENARIOS",
    "Draw",
    "Grid",
    "SweepSpec",
    "check_size",
    "load_sweep_spec",
    "parse_vary",
    "scenario_table",
]

#: Most scenarios a sweep runs unless told otherwise (``max_scenarios``).
DEFAULT_MAX_SCENARIOS = 1_000_000

Finite = Annotated[float, Field(strict=False, allow_inf_nan=False)]


class _Vary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    normalize: bool = False


class Grid(_Vary):
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

    def bounds(self) -> tuple[float, float]:
        """The least and greatest value."""
        pts = self.points()
        return min(pts), max(pts)


class Uniform(_Vary):
    dist: Literal["uniform"]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low <= self.high:
            raise ValueError("expected low ≤ high")
        return self

    def bounds(self) -> tuple[float, float]:
        """The least and greatest value a draw can take."""
        return self.low, self.high


class Normal(_Vary):
    dist: Literal["normal"]
    mean: Finite
    sd: Annotated[float, Field(ge=0, allow_inf_nan=False)]

    def bounds(self) -> tuple[float, float]:
        """Unbounded (a point when sd = 0)."""
        return (self.mean, self.mean) if self.sd == 0 else (-np.inf, np.inf)


class Triangular(_Vary):
    dist: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("expected low ≤ mode ≤ high")
        return self

    def bounds(self) -> tuple[float, float]:
        """The least and greatest value a draw can take."""
        return self.low, self.high


Draw = Annotated[Union[Uniform, Normal, Triangular], Field(discriminator="dist")]


class SweepSpec(BaseModel):
    """What a sweep varies, and how: each key is a named parameter or a path to a number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vary: Annotated[dict[str, Union[Draw, Grid]], Field(min_length=1)]
    n: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    seed: int = 0

    @model_validator(mode="after")
    def _draws_need_n(self) -> SweepSpec:
        for key in self.vary:
            parse_path(key)
        if any(not isinstance(v, Grid) for v in self.vary.values()) and self.n is None:
            raise ValueError("random draws need n (how many)")
        return self

    @property
    def draws(self) -> tuple[str, ...]:
        """The targets drawn at random."""
        return tuple(k for k, v in self.vary.items() if not isinstance(v, Grid))

    @property
    def size(self) -> int:
        """How many scenarios (the product of the grid sizes times the draws), counted without building any."""
        grids = [
            len(v.values) if v.values is not None else int(v.n or 0) for v in self.vary.values() if isinstance(v, Grid)
        ]
        reps = self.n if self.draws else 1
        return math.prod(grids) * int(reps or 1)


def _spec_error(exc: ValidationError, source: str) -> ModelError:
    problems = []
    for e in exc.errors(include_url=False):
        loc = ".".join(
            str(p)
            for p in e["loc"]
            if p not in ("Uniform", "Normal", "Triangular", "Grid", "uniform", "normal", "triangular")
        )
        problems.append(Problem(loc, e["msg"].removeprefix("Value error, ")))
    return ModelError(problems, source)


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec file."""
    src = read_model_data(path)
    return spec_from_data(src.data, str(path))


def spec_from_data(data: Any, source: str = "<spec>") -> SweepSpec:
    """Check plain data as a sweep spec."""
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise _spec_error(exc, source) from None
    except PathError as exc:
        raise ModelError([Problem("vary", str(exc))], source) from None


def parse_vary(items: list[str], normalize: list[str] | tuple[str, ...] = ()) -> SweepSpec:
    """``TARGET=START:STOP:N`` or ``TARGET=V1,V2,…`` (a grid each); ``normalize`` lists profile probabilities."""
    vary: dict[str, Any] = {}
    for item in items:
        target, sep, rng = item.partition("=")
        if not sep or not target:
            raise OptionError("vary", f"{item!r}: expected NAME=START:STOP:N or NAME=V1,V2,… (a parameter or a path)")
        try:
            if ":" in rng:
                start, stop, n = rng.split(":")
                vary[target] = {"start": float(start), "stop": float(stop), "n": int(n)}
            else:
                vary[target] = {"values": [float(v) for v in rng.split(",")]}
        except ValueError:
            raise OptionError(
                "vary", f"{item!r}: expected NAME=START:STOP:N (numbers, N whole) or NAME=V1,V2,…"
            ) from None
    for target in normalize:
        if target not in vary:
            raise OptionError("normalize", f"{target!r} is not varied; expected one of {', '.join(vary)}")
        vary[target]["normalize"] = True
    try:
        return SweepSpec.model_validate({"vary": vary})
    except ValidationError as exc:
        raise OptionError("vary", str(_spec_error(exc, "vary")).removeprefix("vary: ")) from None
    except PathError as exc:
        raise OptionError("vary", str(exc)) from None


def check_size(spec: SweepSpec, max_scenarios: int = DEFAULT_MAX_SCENARIOS) -> int:
    """The scenario count; a :class:`~dealopt.errors.LimitError` past ``max_scenarios``, before anything is built."""
    if max_scenarios < 1:
        raise OptionError("max_scenarios", f"{max_scenarios}; expected at least 1")
    size = spec.size
    if size > max_scenarios:
        grids = [str(len(v.values) if v.values is not None else v.n) for v in spec.vary.values() if isinstance(v, Grid)]
        how = " × ".join(grids + ([f"{spec.n} draws"] if spec.draws else []))
        raise LimitError(
            f"sweep: {size:,} scenarios ({how}); expected at most {max_scenarios:,}",
            limit="max_scenarios",
            value=size,
        )
    return size


def scenario_table(spec: SweepSpec, max_scenarios: int = DEFAULT_MAX_SCENARIOS) -> pd.DataFrame:
    """One row per scenario, one column per target: grids crossed, then ``n`` seeded draws each."""
    check_size(spec, max_scenarios)
    grids = {p: v.points() for p, v in spec.vary.items() if isinstance(v, Grid)}
    draws = {p: v for p, v in spec.vary.items() if not isinstance(v, Grid)}
    combos = list(itertools.product(*grids.values())) if grids else [()]
    reps = spec.n if draws else 1
    assert reps is not None
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
