"""The MILP of one deal, built once: blocks for tabulated components, one-hots, cells and exact products.

See ``docs/milp.md`` for the formulation. The model lives in a
:class:`~dealopt.engines.milp.backend.Backend`; two permanent rows hold the
seller and buyer utilities (scaled to order 1), and every question of the sweep
only moves their bounds or adds temporary rows (no-good cuts, a line), dropped
when the question is answered.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dealopt.engines.base import EngineOptions, Status, pareto_keep, resolution, utility_bound
from dealopt.engines.milp.backend import INF, Backend, Outcome, make_backend
from dealopt.engines.milp.choices import Block, Choice, Choices, Free
from dealopt.engines.milp.fixing import Fixing
from dealopt.engines.stepless import cells
from dealopt.errors import LimitError, SolveError
from dealopt.model.compiled import CompiledDeal, CompiledFactor, CompiledIssue, CompiledTerm, CompiledTest, Component

__all__ = ["Formulation", "TimeUp", "TOL", "MAX_SOLVES"]

#: Solver tolerance, on rows scaled to order 1 (at 1e-9 HiGHS errs far more often).
TOL = 1e-8
#: Looser MIP tolerance for a last try after solver errors.
_FALLBACK_TOL = 1e-7
#: Most solves in one frontier computation.
MAX_SOLVES = 200_000
#: Added (times a column fixed at 1) to the rows whose bounds move: utilities scaled to [-1, 1] then have
#: bounds near 2, never a tiny nonzero bound, which HiGHS handles as 0 (then rejects every solution).
SHIFT = 2.0


class TimeUp(Exception):
    """The time limit ran out (caught by the engine, which returns the frontier found so far)."""


def _snap(value: float) -> float:
    """A bound scaled to order 1, as 0 when within half the tolerance of it."""
    return 0.0 if abs(value) < 0.5 * TOL else value


def _key(values: np.ndarray | None) -> tuple[float, ...] | None:
    return None if values is None else tuple(float(v) for v in values)


@dataclass
class _Rows:
    """Permanent rows whose bounds the sweep moves."""

    seller: int = -1
    buyer: int = -1
    blocks: list[int] = field(default_factory=list)  # one-hot rows of the tabulated blocks


class Formulation:
    """The MILP of one deal, its solves, and (through :attr:`choices`) exact geometry of its choices."""

    def __init__(
        self,
        deal: CompiledDeal,
        presolve: str,
        term_level: bool,
        options: EngineOptions,
        backend: str | None = None,
    ) -> None:
        self.deal = deal
        self.q_s, self.q_b = resolution(deal)
        self.B_s = max(1.0, utility_bound(deal, "seller"))
        self.B_b = max(1.0, utility_bound(deal, "buyer"))
        self.tol_s = TOL * self.B_s
        self.tol_b = TOL * self.B_b
        self.lp: Backend = make_backend(backend)
        self.deadline = None if options.time_limit is None else time.perf_counter() + options.time_limit
        self.solves = 0
        self.round_limit_hits = 0
        self.infeasible = False
        self.rows = _Rows()
        self.blocks: list[Block] = []
        self.grid: list[int] = []  # gridded issues built term by term
        self.y: dict[int, list[int]] = {}
        self.free: list[Free] = []
        self.free_of: dict[int, Free] = {}
        self.products: dict[tuple[Any, ...], tuple[dict[int, float], float, float]] = {}
        self.expr: dict[str, dict[int, float]] = {
            k: {} for k in ("seller_block", "buyer_block", "seller_term", "buyer_term")
        }
        self.tab_min: dict[str, list[tuple[Component, int]]] = {"seller": [], "buyer": []}
        term_comps: list[Component] = []
        for comp in deal.components:
            if not term_level and comp.tables is not None and all(deal.issues[i].gridded for i in comp.issues):
                self._add_block(comp, presolve)
            else:
                term_comps.append(comp)
        members = {i for comp in term_comps for i in comp.issues}
        for i in sorted(members):
            issue = deal.issues[i]
            if issue.gridded:
                self._add_onehot(issue)
            else:
                self._add_free(issue)
        for party, util in (("seller", deal.seller), ("buyer", deal.buyer)):
            for term in util.terms:
                if term.issues <= members:
                    self._add_term(party, term)
        for con in deal.constraints:
            if con.issues <= members:
                self._add_constraint(con.when, con.then)
        self.has_terms = bool(members)
        self.K = len(self.free)
        self.seller = {**self.expr["seller_block"], **self.expr["seller_term"]}
        self.buyer = {**self.expr["buyer_block"], **self.expr["buyer_term"]}
        self.one = self._var(1.0, 1.0)
        self.rows.seller = self.lp.add_row({**self.seller, self.one: SHIFT}, -INF, INF)
        self.rows.buyer = self.lp.add_row({**self.buyer, self.one: SHIFT}, -INF, INF)
        self.binaries = sum(len(b.vars) for b in self.blocks) + sum(len(v) for v in self.y.values())
        self.binaries += sum(len(f.c) for f in self.free)
        self.choices = Choices(deal, self.blocks, self.grid, self.free, self.q_s, self.q_b)
        self.fixing = Fixing(self.blocks) if self.blocks and not self.has_terms else None
        self.limits: dict[str, tuple[float, float, float]] = {}  # active bounds: a_s·seller + a_b·buyer ≥ r

    # -- building ------------------------------------------------------
    def _var(self, lo: float, hi: float, binary: bool = False) -> int:
        return self.lp.add_col(lo, hi, binary)

    def _add(self, key: str, var: int, value: float) -> None:
        if value != 0.0:
            d = self.expr[key]
            d[var] = d.get(var, 0.0) + value

    def _add_block(self, comp: Component, presolve: str) -> None:
        assert comp.tables is not None and comp.feasible is not None
        joint = np.flatnonzero(comp.feasible)
        if len(joint) == 0:
            self.infeasible = True
            return
        s = comp.tables["seller"][joint]
        b = comp.tables["buyer"][joint]
        self.tab_min["seller"].append((comp, int(joint[int(np.argmin(s))])))
        self.tab_min["buyer"].append((comp, int(joint[int(np.argmin(b))])))
        if presolve == "none":
            groups = [np.asarray([j]) for j in range(len(joint))]
        else:  # reduced to the component's own frontier, tied levels in one column
            kept = pareto_keep(s, b, self.q_s, self.q_b, ties=True)
            ks = np.round(s[kept] / self.q_s).astype(np.int64)
            kb = np.round(b[kept] / self.q_b).astype(np.int64)
            new = np.ones(len(kept), dtype=bool)
            new[1:] = (ks[1:] != ks[:-1]) | (kb[1:] != kb[:-1])
            starts = np.flatnonzero(new)
            groups = [kept[a:z] for a, z in zip(starts, [*starts[1:], len(kept)])]
        reps = np.asarray([g[0] for g in groups])
        block = Block(comp, [joint[g] for g in groups], s[reps], b[reps], [])
        block.vars = [self._var(0, 1, binary=True) for _ in groups]
        self.rows.blocks.append(self.lp.add_row(dict.fromkeys(block.vars, 1.0), 1.0, 1.0))
        for v, sv, bv in zip(block.vars, block.seller, block.buyer):
            self._add("seller_block", v, float(sv) / self.B_s)
            self._add("buyer_block", v, float(bv) / self.B_b)
        self.blocks.append(block)

    def _add_onehot(self, issue: CompiledIssue) -> None:
        ys = [self._var(0, 1, binary=True) for _ in issue.labels]
        self.lp.add_row(dict.fromkeys(ys, 1.0), 1.0, 1.0)
        self.y[issue.index] = ys
        self.grid.append(issue.index)

    def _add_free(self, issue: CompiledIssue) -> None:
        assert issue.lo is not None and issue.hi is not None
        ranges = cells(self.deal, issue)
        if not ranges:
            self.infeasible = True
            return
        scale = max(1.0, abs(issue.lo), abs(issue.hi))
        fr = Free(issue, ranges, scale)
        for lo, hi in ranges:
            c = self._var(0, 1, binary=True)
            xi = self._var(min(0.0, _snap(lo / scale)), max(0.0, _snap(hi / scale)))
            self.lp.add_row({xi: 1.0, c: -lo / scale}, 0.0, INF)
            self.lp.add_row({xi: 1.0, c: -hi / scale}, -INF, 0.0)
            fr.c.append(c)
            fr.xi.append(xi)
        self.lp.add_row(dict.fromkeys(fr.c, 1.0), 1.0, 1.0)
        self.free.append(fr)
        self.free_of[issue.index] = fr

    def _factor(self, f: CompiledFactor) -> tuple[dict[int, float], float, float]:
        """A factor of a stepless issue as a linear expression (natural units), with its range [L, U]."""
        fr = self.free_of[f.issue]
        coefs: dict[int, float] = {}
        if f.form == "bare":
            for xi in fr.xi:
                coefs[xi] = fr.scale
            return coefs, min(lo for lo, _ in fr.cells), max(hi for _, hi in fr.cells)
        values: list[float] = []
        for (lo, hi), c, xi in zip(fr.cells, fr.c, fr.xi):
            f_lo, f_hi = (float(v) for v in f.on_values(np.asarray([lo, hi])))
            values += [f_lo, f_hi]
            if hi > lo:
                slope = (f_hi - f_lo) / (hi - lo)
                coefs[c] = f_lo - slope * lo
                coefs[xi] = slope * fr.scale
            else:
                coefs[c] = f_lo
        return coefs, min(values), max(values)

    def _add_term(self, party: str, term: CompiledTerm) -> None:
        """``coef × Π factors``: a linear seed (the stepless factor, or the first gridded issue's values)
        multiplied by each other gridded issue in turn (:meth:`_times`)."""
        key = f"{party}_term"
        scale = self.B_s if party == "seller" else self.B_b
        free = [f for f in term.factors if not self.deal.issues[f.issue].gridded]
        vecs: dict[int, np.ndarray] = {}
        for f in term.factors:
            issue = self.deal.issues[f.issue]
            if issue.gridded:
                vecs[f.issue] = vecs.get(f.issue, 1.0) * f.on_levels(issue)
        order = sorted(vecs, key=lambda i: (len(vecs[i]), i))
        if free:
            (f,) = free  # accepts() refuses two
            sig: tuple[Any, ...] = (("free", f.issue, f.form, _key(f.xs), _key(f.ys)),)
            lin, lo, hi = self._factor(f)
        else:
            first = order.pop(0)
            sig = (("grid", first, _key(vecs[first])),)
            lin = {y: float(v) for y, v in zip(self.y[first], vecs[first]) if v != 0.0}
            lo, hi = float(np.min(vecs[first])), float(np.max(vecs[first]))
        for i in order:
            sig = (*sig, ("grid", i, _key(vecs[i])))
            lin, lo, hi = self._times(sig, lin, lo, hi, i, vecs[i])
        for var, a in lin.items():
            self._add(key, var, term.coef * a / scale)

    def _times(
        self, sig: tuple[Any, ...], lin: dict[int, float], lo: float, hi: float, issue: int, vec: np.ndarray
    ) -> tuple[dict[int, float], float, float]:
        """``p × g(issue)`` for a bounded linear ``p ∈ [lo, hi]``: ``Σ_l g_l w_l`` with ``w_l = p·y_l``.

        Each product of the bounded ``p`` with a 0/1 ``y_l`` is linearized exactly (w ≤ U y, w ≥ L y,
        w ≤ p − L(1 − y), w ≥ p − U(1 − y)), plus ``Σ_l w_l = p``. The ``w`` are kept divided by
        ``M = max(|L|, |U|)``; shared by every term with the same prefix.
        """
        if sig in self.products:
            return self.products[sig]
        prods = [v * lo for v in vec] + [v * hi for v in vec]
        out_lo, out_hi = float(min(prods)), float(max(prods))
        m_abs = max(abs(lo), abs(hi))
        if m_abs == 0.0:
            self.products[sig] = ({}, 0.0, 0.0)
            return self.products[sig]
        lo_s, hi_s = _snap(lo / m_abs), _snap(hi / m_abs)
        p = {var: a / m_abs for var, a in lin.items()}
        ws = []
        for y in self.y[issue]:
            w = self._var(min(0.0, lo_s), max(0.0, hi_s))
            self.lp.add_row({w: 1.0, y: -hi_s}, -INF, 0.0)
            self.lp.add_row({w: 1.0, y: -lo_s}, 0.0, INF)
            le = {var: -a for var, a in p.items()}
            le[w] = le.get(w, 0.0) + 1.0
            le[y] = le.get(y, 0.0) - lo_s
            self.lp.add_row(le, -INF, -lo_s)
            ge = {var: -a for var, a in p.items()}
            ge[w] = ge.get(w, 0.0) + 1.0
            ge[y] = ge.get(y, 0.0) - hi_s
            self.lp.add_row(ge, -hi_s, INF)
            ws.append(w)
        total = {var: -a for var, a in p.items()}
        for w in ws:
            total[w] = total.get(w, 0.0) + 1.0
        self.lp.add_row(total, 0.0, 0.0)
        out = {w: float(v) * m_abs for w, v in zip(ws, vec) if v != 0.0}
        self.products[sig] = (out, out_lo, out_hi)
        return self.products[sig]

    def _truth(self, test: CompiledTest) -> dict[int, float]:
        issue = self.deal.issues[test.issue]
        if issue.gridded:
            assert test.mask is not None
            return {y: 1.0 for y, ok in zip(self.y[test.issue], test.mask) if ok}
        fr = self.free_of[test.issue]
        out: dict[int, float] = {}
        for (lo, hi), c in zip(fr.cells, fr.c):
            if bool(test.on_values(np.asarray([0.5 * (lo + hi)]), np.asarray([-1]), False)[0]):
                out[c] = 1.0
        return out

    def _add_constraint(self, when: tuple[CompiledTest, ...], then: tuple[CompiledTest, ...] | None) -> None:
        lhs: dict[int, float] = {}
        for t in when:
            for var, a in self._truth(t).items():
                lhs[var] = lhs.get(var, 0.0) + a
        if then is None:
            self.lp.add_row(lhs, -INF, len(when) - 1.0)
            return
        for t in then:
            row = dict(lhs)
            for var, a in self._truth(t).items():
                row[var] = row.get(var, 0.0) - a
            self.lp.add_row(row, -INF, len(when) - 1.0)

    # -- questions ---------------------------------------------------------
    @contextlib.contextmanager
    def question(self) -> Iterator[None]:
        """Bounds and rows set inside are undone on exit."""
        mark = self.lp.mark()
        try:
            yield
        finally:
            self.limits.clear()
            self.lp.drop_rows_from(mark)
            self.lp.set_row_bounds(self.rows.seller, -INF, INF)
            self.lp.set_row_bounds(self.rows.buyer, -INF, INF)

    def bound(self, party: str, lo: float | None = None, hi: float | None = None) -> None:
        """``lo ≤ utility ≤ hi`` (in natural units) for the rest of the question."""
        a = (1.0, 0.0) if party == "seller" else (0.0, 1.0)
        self.limits.pop(f"{party}_lo", None)
        self.limits.pop(f"{party}_hi", None)
        if lo is not None:
            self.limits[f"{party}_lo"] = (a[0], a[1], lo)
        if hi is not None:
            self.limits[f"{party}_hi"] = (-a[0], -a[1], -hi)
        scale = self.B_s if party == "seller" else self.B_b
        row = self.rows.seller if party == "seller" else self.rows.buyer
        lo_s = -INF if lo is None else lo / scale + SHIFT
        hi_s = INF if hi is None else hi / scale + SHIFT
        self.lp.set_row_bounds(row, lo_s, hi_s)

    def cut(self, choice: Choice) -> None:
        """A no-good cut: ``choice`` (every binary it sets) is excluded for the rest of the question."""
        ones = [b.vars[c] for b, c in zip(self.blocks, choice.cols)]
        ones += [self.y[i][lv] for i, lv in zip(self.grid, choice.levels)]
        ones += [f.c[j] for f, j in zip(self.free, choice.cells)]
        self.lp.add_row(dict.fromkeys(ones, 1.0), -INF, len(ones) - 1.0)

    def line(self, w: float, c: float) -> None:
        """``seller + w·buyer ≥ c`` (natural units) for the rest of the question."""
        self.limits["line"] = (1.0, w, c)
        norm = self.B_s + w * self.B_b
        coefs = {v: k * self.B_s / norm for v, k in self.seller.items()}
        for v, k in self.buyer.items():
            coefs[v] = coefs.get(v, 0.0) + k * w * self.B_b / norm
        coefs[self.one] = SHIFT
        self.lp.add_row(coefs, c / norm + TOL + SHIFT, INF)

    # -- solving ---------------------------------------------------------
    def solve(self, objective: dict[int, float], maximize: bool, terms_only: bool = False) -> Choice | None:
        """Optimize; the choice found, or None when infeasible.

        A solve runs without presolve (on these small models HiGHS presolve costs more than it saves). An
        "infeasible" is believed once a solve with presolve agrees: each way, HiGHS 1.16 now and then reports
        a feasible model infeasible, never the same one so far. A solver error is repeated with presolve,
        then with a looser tolerance; what a solve proposes is checked exactly by the caller.
        """
        if terms_only:
            for r in self.rows.blocks:
                self.lp.set_row_bounds(r, -INF, INF)
        try:
            infeasible = 0
            last: Outcome | None = None
            for presolve, tol in ((False, TOL), (True, TOL), (False, _FALLBACK_TOL)):
                last = self._run(objective, maximize, presolve, tol)
                if last.status is Status.OPTIMAL:
                    assert last.values is not None
                    return self.choices.read(last.values, self.y, terms_only)
                if last.status is Status.INFEASIBLE:
                    infeasible += 1
                    if infeasible == 2:
                        return None
            if infeasible:
                return None
            assert last is not None
            raise SolveError(f"milp: the solver ended with status {last.vendor!r}", engine="milp", status=last.vendor)
        finally:
            if terms_only:
                for r in self.rows.blocks:
                    self.lp.set_row_bounds(r, 1.0, 1.0)

    def _run(self, objective: dict[int, float], maximize: bool, presolve: bool, tol: float) -> Outcome:
        if self.solves >= MAX_SOLVES:
            raise LimitError(f"milp: more than {MAX_SOLVES:,} solves for one frontier")
        left = None
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise TimeUp
        if self.fixing is not None:
            self.fixing.apply(self.lp, list(self.limits.values()), self.tol_s, self.tol_b)
        out = self.lp.solve(objective, maximize, presolve, tol, left)
        self.solves += 1
        if out.status is Status.TIME_LIMIT:
            raise TimeUp
        return out

    @property
    def remaining(self) -> float:
        """Seconds left before the time limit (infinite without one)."""
        return math.inf if self.deadline is None else self.deadline - time.perf_counter()
