"""The MILP engine: the exact frontier by an ε-constraint sweep on a mixed-integer linear program.

It exists for what the merge cannot take: continuous issues without step read
through piecewise factors, and groups of interacting issues too large to
tabulate. On other models it gives exactly what the other engines give. The
formulation, the sweep and where exactness stops are in ``docs/milp.md``.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from dealopt.engines.base import (
    EngineOptions,
    RawFrontier,
    Status,
    declared_reason,
    drop_collinear,
    ensure_accepts,
    pareto_keep,
)
from dealopt.engines.milp.backend import backend_name
from dealopt.engines.milp.formulation import Formulation, TimeUp
from dealopt.engines.milp.sweep import Sweep, Vx
from dealopt.engines.milp.ties import minima, ties
from dealopt.engines.stepless import LINEAR
from dealopt.engines.values import values_of
from dealopt.errors import LimitError, SolveError
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices

__all__ = ["MilpEngine", "PRESOLVE_MODES", "MAX_STEPLESS"]

#: Most stepless continuous issues (a choice's polygon has 2^K corners).
MAX_STEPLESS = 8
PRESOLVE_MODES = ("reduce", "none")


class MilpEngine:
    """Exact frontier by ε-constraint on a MILP; handles stepless continuous issues (piecewise-linear frontiers).

    ``presolve``: ``"reduce"`` (default) enters each tabulated component reduced to its own frontier;
    ``"none"`` keeps one binary per feasible joint level. ``term_level``: build every component term by
    term, as if none could be tabulated. ``backend``: ``"highs"`` or ``"pulp"`` (default: highs when
    highspy is installed). All give the same frontier.
    """

    name: ClassVar[str] = "milp"
    exact: ClassVar[bool] = True
    listed_levels: ClassVar[bool] = False
    tables: ClassVar[bool] = False
    stepless: ClassVar[str] = LINEAR
    requires: ClassVar[tuple[str, ...]] = ("highspy",)
    fallback: ClassVar[tuple[str, ...]] = ("pulp",)

    def __init__(self, presolve: str = "reduce", term_level: bool = False, backend: str | None = None) -> None:
        if presolve not in PRESOLVE_MODES:
            raise ValueError(f"presolve={presolve!r}; expected one of {', '.join(PRESOLVE_MODES)}")
        if backend not in (None, "highs", "pulp"):
            raise ValueError(f"backend={backend!r}; expected highs or pulp")
        self.presolve = presolve
        self.term_level = term_level
        self.backend = backend

    def accepts(self, deal: CompiledDeal) -> str | None:
        """None when the model is linear in a lifting of its issues and a solver is installed, else why not."""
        if (self.backend or backend_name()) is None:
            return "no MILP solver is installed (install highspy, or PuLP for its bundled CBC)"
        reason = declared_reason(self, deal)
        if reason:
            return reason
        stepless = [i for i in deal.issues if not i.gridded]
        if len(stepless) > MAX_STEPLESS:
            names = ", ".join(repr(i.name) for i in stepless)
            return f"{len(stepless)} continuous issues without step ({names}); at most {MAX_STEPLESS} are supported"
        return None

    def solve(
        self, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
    ) -> RawFrontier:
        """The frontier of feasible packages with utilities ≥ the given minima.

        When ``options.time_limit`` runs out, the vertices confirmed so far (the high-seller end of the
        frontier) come back with :attr:`Status.TIME_LIMIT`; a :class:`LimitError` if there are none.
        """
        ensure_accepts(self, deal)
        form = Formulation(deal, self.presolve, self.term_level, options, self.backend)
        continuous = bool(form.free)
        empty = RawFrontier(
            self.name, Status.INFEASIBLE, np.empty(0), np.empty(0), [],
            segment=np.zeros(0, dtype=bool) if continuous else None,
        )  # fmt: skip
        status = Status.OPTIMAL
        sweep = Sweep(form, seller_min, buyer_min)
        lows: tuple[float, float] | None = None
        try:
            if form.infeasible:
                return empty
            lows = minima(form)
            if lows is None:
                return empty
            verts = sweep.run()
        except TimeUp:
            verts, status = self._partial(sweep, options), Status.TIME_LIMIT
        if form.round_limit_hits and status is Status.OPTIMAL:
            status = Status.INACCURATE
            warnings.warn(
                f"milp: {form.round_limit_hits} questions to the solver ran out of proposals that pass the exact "
                "checks; the frontier may be inexact (status inaccurate)",
                RuntimeWarning,
                stacklevel=2,
            )
        packages = self._packages(form, verts, options, status)
        seller, buyer = self._values(form, deal, verts)
        segment = np.asarray([v.seg for v in verts], dtype=bool) if continuous else None
        if segment is not None and len(segment):
            segment[-1] = False
            keep = drop_collinear(seller, buyer, segment, form.q_s, form.q_b)
            seller, buyer, segment = seller[keep], buyer[keep], segment[keep]
            packages = [packages[int(k)] for k in keep]
        if not continuous and len(seller):
            keep = pareto_keep(seller, buyer, form.q_s, form.q_b)
            seller, buyer, packages = seller[keep], buyer[keep], [packages[int(k)] for k in keep]
        return RawFrontier(
            self.name,
            status,
            seller,
            buyer,
            packages,
            min_seller=None if lows is None else lows[0],
            min_buyer=None if lows is None else lows[1],
            segment=segment,
            stats={
                "backend": form.lp.name,
                "presolve": self.presolve,
                "milp_solves": form.solves,
                "binaries": form.binaries,
                "components_tabulated": len(form.blocks),
                "stepless_issues": len(form.free),
                "round_limit_hits": form.round_limit_hits,
            },
        )

    @staticmethod
    def _partial(sweep: Sweep, options: EngineOptions) -> list[Vx]:
        """The vertices confirmed before the time ran out; a LimitError when there are none."""
        verts = list(sweep.F)
        if not verts:
            raise LimitError(
                f"milp: the time limit of {options.time_limit:g} s ran out before any frontier point was confirmed; "
                "raise the time limit"
            )
        verts[-1].seg, verts[-1].carrier = False, None
        return verts

    @staticmethod
    def _packages(form: Formulation, verts: list[Vx], options: EngineOptions, status: Status) -> list[Any]:
        if options.all_packages and status is not Status.TIME_LIMIT:
            try:
                return [ties(form, v, options.max_packages_per_point) for v in verts]
            except TimeUp:
                pass
        return [[form.choices.package(v.choice, v.t)] for v in verts]

    @staticmethod
    def _values(form: Formulation, deal: CompiledDeal, verts: list[Vx]) -> tuple[np.ndarray, np.ndarray]:
        """The reported utilities: the evaluator's values of the representative packages."""
        if not verts:
            return np.empty(0), np.empty(0)
        rows = np.stack([form.choices.levels_of(v.choice) for v in verts])
        if deal.gridded:
            ev = evaluate_indices(deal, rows)
            s, b, ok = ev.seller, ev.buyer, ev.feasible
        else:
            x = np.full(rows.shape, np.nan)
            for r, v in enumerate(verts):
                for fr, xv in zip(form.free, form.choices.x_of(v.choice, v.t)):
                    x[r, fr.issue.index] = xv
            s, b, ok = values_of(deal, rows, x)
        if not ok.all():
            raise SolveError("milp: a frontier package evaluates as infeasible", engine="milp")
        return np.asarray(s, dtype=float), np.asarray(b, dtype=float)
