"""The checks every registered engine must pass, and the one list of known exceptions.

``tests/engines/test_conformance.py`` generates one test per (engine, case,
check) from :data:`ENGINES`, :func:`cases` and the ``check_*`` functions here.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np

from brute_force import brute_force
from dealopt import compile_model, evaluate, model_from_data
from dealopt.engines.base import EngineOptions, RawFrontier, resolution
from dealopt.engines.registry import ENGINES, installed
from dealopt.model.compiled import CompiledDeal
from engines.cases import Case, example_cases, random_cases
from engines.envelope_reference import reference_envelope

__all__ = ["CHECKS", "KNOWN", "cases", "engine_names", "reference_of", "solve"]

#: Known exceptions: (engine, case kind, check) → why the check does not apply. Nothing else is skipped.
KNOWN: dict[tuple[str, str, str], str] = {
    (
        "merge",
        "random-stepless",
        "all_packages",
    ): "ties along a continuous issue are not listed: one package per vertex",
    (
        "merge",
        "stepless-example",
        "all_packages",
    ): "ties along a continuous issue are not listed: one package per vertex",
    (
        "milp",
        "example",
        "fresh_process",
    ): "seconds per solve in a subprocess: the fresh-process check runs on the random cases",
    ("milp", "example", "reordered"): "seconds per solve: the reordered check runs on the random and stepless cases",
    (
        "milp",
        "example",
        "all_packages",
    ): "hundreds of frontier points × a window solve each: checked on the random cases",
}

#: Frontier points compared within this many resolution grid units (open ends sit one unit inside).
GRID_UNITS = 8


def engine_names() -> list[str]:
    """Every registered engine installed here."""
    return [e.name for e in ENGINES if installed(e)]


def cases() -> list[Case]:
    """Every case, example models first."""
    return list(_cases())


@cache
def _cases() -> tuple[Case, ...]:
    """Every case, built once per process (the data is only read: a changed model is a deep copy)."""
    return (*example_cases(), *random_cases())


def known(engine: str, case: Case, check: str) -> str | None:
    """Why (engine, case, check) is a known exception, or None."""
    return KNOWN.get((engine, case.kind, check))


def solve(engine: str, deal: CompiledDeal, options: EngineOptions | None = None) -> RawFrontier:
    """The engine's frontier of the ZOPA."""
    cls = next(e for e in ENGINES if e.name == engine)
    return cls().solve(deal, deal.seller_walk_away, deal.buyer_walk_away, options or EngineOptions())


def reference_of(case: Case) -> tuple[np.ndarray, list[bool] | None]:
    """The case's reference frontier: vertices (seller, buyer) and segment flags (None for point frontiers)."""
    if case.kind in ("example", "stepless-example"):
        gold = json.loads(case.golden.read_text())
        pts = np.asarray(gold["points"], dtype=float).reshape(-1, 2)
        return pts, gold.get("segment")
    model = model_from_data(case.data)
    if case.stepless:
        verts, flags = reference_envelope(model)
        return np.asarray(verts, dtype=float).reshape(-1, 2), flags
    return np.asarray(brute_force(model)["points"], dtype=float).reshape(-1, 2), None


def as_points(raw: RawFrontier) -> np.ndarray:
    """The frontier's vertices as an (n, 2) array."""
    return np.column_stack([raw.seller, raw.buyer]) if len(raw) else np.empty((0, 2))


def same_frontier(deal: CompiledDeal, got: RawFrontier, ref: np.ndarray, flags: list[bool] | None) -> str | None:
    """Why ``got`` is not ``ref`` (within :data:`GRID_UNITS` grid units, flags equal), or None."""
    q_s, q_b = resolution(deal)
    pts = as_points(got)
    if pts.shape != ref.shape:
        return f"{len(pts)} points, expected {len(ref)}: {pts.tolist()[:6]} vs {ref.tolist()[:6]}"
    if len(pts) and not (
        np.allclose(pts[:, 0], ref[:, 0], rtol=0, atol=GRID_UNITS * q_s)
        and np.allclose(pts[:, 1], ref[:, 1], rtol=0, atol=GRID_UNITS * q_b)
    ):
        return f"points differ: {pts.tolist()[:6]} vs {ref.tolist()[:6]}"
    if flags is not None and (got.segment is None or [bool(x) for x in got.segment] != list(flags)):
        return f"segment flags {None if got.segment is None else got.segment.tolist()} vs {flags}"
    return None


def _reaches(s0: float, b0: float, s1: float, b1: float, s_min: float, b_min: float) -> bool:
    """Whether the segment (s0, b0)→(s1, b1) (seller falling, buyer rising) has a point with s ≥ s_min, b ≥ b_min."""
    lo = 0.0 if b1 == b0 else max(0.0, (b_min - b0) / (b1 - b0))
    hi = 1.0 if s1 == s0 else min(1.0, (s0 - s_min) / (s0 - s1))
    return (b1 >= b_min or (lo <= 0.0 and b0 >= b_min)) and (s0 >= s_min) and lo <= hi


def dominated_points(deal: CompiledDeal, raw: RawFrontier) -> list[int]:
    """Vertices that another vertex, or a point of an efficient segment, dominates by more than two grid units."""
    q_s, q_b = resolution(deal)
    s, b = raw.seller, raw.buyer
    out = []
    for i in range(len(s)):
        targets = ((s[i] + 2 * q_s, b[i]), (s[i], b[i] + 2 * q_b))
        hit = any(((s >= ts) & (b >= tb)).any() for ts, tb in targets)
        if not hit and raw.segment is not None:
            for j in np.flatnonzero(raw.segment[:-1]):
                if any(_reaches(s[j], b[j], s[j + 1], b[j + 1], ts, tb) for ts, tb in targets):
                    hit = True
                    break
        if hit:
            out.append(i)
    return out


def packages_off(deal: CompiledDeal, raw: RawFrontier) -> list[int]:
    """Vertices whose listed packages do not reach them (feasible, acceptable, utilities within a grid unit)."""
    q_s, q_b = resolution(deal)
    bad = []
    for i, pkgs in enumerate(raw.packages):
        ev = evaluate(deal, list(pkgs))
        ok = ev.acceptable.all() and np.allclose(ev.seller, raw.seller[i], rtol=0, atol=2 * q_s)
        if not (ok and np.allclose(ev.buyer, raw.buyer[i], rtol=0, atol=2 * q_b)):
            bad.append(i)
    return bad


def frontier_json(raw: RawFrontier) -> dict[str, Any]:
    """What must be identical between two solves: points, flags, packages."""
    return {
        "status": raw.status.value,
        "seller": [float(x) for x in raw.seller],
        "buyer": [float(x) for x in raw.buyer],
        "segment": None if raw.segment is None else [bool(x) for x in raw.segment],
        "packages": [list(p) for p in raw.packages],
    }


def compiled(case: Case) -> CompiledDeal:
    """The case's compiled deal."""
    return compile_model(model_from_data(case.data))


@cache
def compiled_case(case_name: str) -> CompiledDeal:
    """The named case's compiled deal, compiled once for every test of the session."""
    return compiled(next(c for c in cases() if c.name == case_name))


@cache
def solved_case(engine: str, case_name: str, all_packages: bool = False) -> RawFrontier:
    """The engine's frontier of the named case, solved once for every test of the session (read, not changed)."""
    return solve(engine, compiled_case(case_name), EngineOptions(all_packages=all_packages))


CHECKS = ("reference", "no_dominated", "packages", "second_solve", "reordered", "fresh_process", "all_packages")
