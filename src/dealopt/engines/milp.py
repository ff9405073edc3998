"""The exact frontier of a deal as a bi-objective mixed-integer linear program (PuLP + HiGHS).

This engine exists for what the listing engines cannot do: continuous issues
without a step (real variables, not grids) and groups of interacting issues too
large to tabulate. On other models it gives exactly what they give.

Formulation
-----------
Utility is additive across *components* (issues that share a term or a
constraint) and feasibility is a conjunction across them, so each component is
modelled on its own and the parts are summed.

* A tabulated component (every issue gridded, dense tables built) gets one
  binary per **feasible** joint level, exactly one chosen; both utilities are
  linear in these binaries (the component's tables). Exact for any interaction
  and any constraint.
* Any other component is built term by term. A gridded issue gets a one-hot of
  binaries ``y``. A stepless continuous issue ``x ∈ [lo, hi]`` is split into
  **cells**, the intervals between the breakpoints of every piecewise factor on
  ``x`` and the thresholds of every constraint test on ``x``: one binary
  ``c_j`` per cell (exactly one chosen) and a continuous
  ``ξ_j ∈ [l_j c_j, u_j c_j]``, so that ``x = Σ ξ_j`` (the convex-hull form of
  the disjunction). Inside a cell every piecewise factor is affine and every
  test has a fixed truth, so a factor of ``x`` is ``Σ (α_j c_j + β_j ξ_j)`` and
  a test on ``x`` is ``Σ_{j true} c_j``: exact, linear, no big-M.
  A term ``coef × Π factors`` starts from a linear seed (its factor of ``x``, or
  the values of its first gridded issue over that issue's one-hot) and is
  multiplied by each other gridded issue ``g`` in turn: ``p × g = Σ_l g_l w_l``
  with ``w_l = p·y_l``, the product of a bounded linear ``p ∈ [L, U]`` and a 0/1
  ``y_l`` linearized exactly (w ≤ U y, w ≥ L y, w ≤ p − L(1 − y),
  w ≥ p − U(1 − y), plus ``Σ_l w_l = p``); products are shared by terms with the
  same prefix, and their size adds up over a term's issues instead of
  multiplying. A term with two stepless factors (two issues, or one twice) is
  not linear in any lifting: :meth:`MilpEngine.accepts` refuses it and names it.
  Constraints become ``Σ τ ≤ |W| − 1`` (forbid) and ``Σ_W τ − τ_t ≤ |W| − 1``
  (if/then) over the 0/1 truths τ of their tests. A strict side of a test on
  ``x`` (``x < a`` for a false ``min: a``) is closed off at ``a − 2e-9·|a|``,
  just outside the tolerance the evaluator uses, so every package returned
  evaluates as feasible.
* Utilities are divided by :func:`~dealopt.engines.base.utility_bound` (the
  solver sees numbers of order 1); HiGHS runs with tolerances of 1e-8 and no
  MIP gap. Every value reported is recomputed from the chosen package
  (``evaluate_indices`` on gridded models, so the floats are the other
  engines' floats): the solver only ever *proposes* choices.

The sweep (ε-constraint)
------------------------
Fixing every binary (a *choice* σ) leaves the stepless issues in fixed cells,
where both utilities are affine and separable in them: the image of σ in the
(seller, buyer) plane is a zonotope, computed exactly in Python from ``1 + K``
evaluations (K stepless issues; a single point on gridded models). Its
efficient boundary is a concave chain of at most K edges. The frontier is the
Pareto set of the union of these polygons: vertices, consecutive ones joined
by an efficient segment or not. It is traced by increasing buyer utility:

1. **Next point.** Maximize seller subject to buyer ≥ the top of the current
   buyer grid cell (``resolution(deal)``); the exact point of the returned
   choice's polygon at that buyer is the next frontier point. The point before
   it is dropped if this one is as good for the seller (same seller grid cell,
   higher buyer): the lexicographic second solve, done by the next ε-step.
   If the previous vertex ends a piece at a breakpoint, the piece goes on in
   the adjacent cell without asking the solver (whose optimum right next to a
   vertex is unreliable); a returned chain through the previous vertex also
   continues it.
2. **Follow the piece.** Each edge A→B of the chain is checked by asking for
   the best seller strictly above the line AB (by two grid units) with buyer
   ≥ b_A and seller ≥ s_B. None: the edge is efficient (``segment`` True) and B
   a vertex. Else the exact polygon of each dominating choice T gives the
   first dominated point R of AB (the lexicographic maximum of T's polygon in
   that region). If R lies on AB the pieces cross: AB is efficient up to R and
   the frontier goes on along T's chain. If it lies above, AB is efficient up
   to R but not at R (R is weakly dominated): the vertex is put one seller grid
   cell before R, and the sweep resumes after R's buyer utility.
3. Stop when step 1 finds nothing.

Walk-aways are bounds in every solve and clip the polygons exactly, so a
frontier cut at a point (s, b) inside a segment starts at that point.
``min_seller``/``min_buyer`` come from two minimize solves over the term-level
components plus the tables' minima (the minimum of a sum of independent parts
is the sum of their minima). With ``all_packages``, every package reaching a
vertex is found with no-good cuts on the choices in a narrow window around it,
each expanded with the tied levels its tabulated columns group.

Trusting the solver
-------------------
HiGHS is not exact, so nothing it says is taken on faith. A threshold ``T``
becomes the row ``≥ T + tol``, so what HiGHS accepts is what is ≥ T; a proposal
that falls short (HiGHS' fuzz) is cut off with a no-good and the question asked
again. Every optimum is confirmed by asking for one grid cell better (HiGHS
occasionally proves a wrong optimum), and every "infeasible" by a second solve
without presolve (with presolve HiGHS sometimes rejects all its solutions after
postsolve and reports infeasibility). A tiny nonzero right-hand side, which
HiGHS presolve mishandles, is scaled up. A solve that errors is repeated with
looser tolerances.

Presolve
--------
A HiGHS MIP solve costs milliseconds even on a tiny model, and a gridded
frontier needs about three per point (the confirmations): the 437 points of
``saas-renewal`` take about ten seconds. So by default (``presolve="merge"``) a
model whose every component is tabulated needs no MILP: each component's
columns are reduced to its own frontier and the components merged exactly,
which is :class:`~dealopt.engines.merge.MergeEngine` (a sweep over that single
block would only read it back). When a MILP is needed, tabulated components
enter it reduced to their own frontiers (a package using a component level
that another level of the same component dominates is dominated), tied levels
grouped in one column. ``presolve="reduce"`` runs the sweep on gridded models
too; ``presolve="none"`` keeps one binary per feasible joint level, the
formulation above verbatim; ``term_level=True`` builds every component term by
term.

Exactness, and where it stops
-----------------------------
Utilities are compared on the ``resolution(deal)`` grids (1e-9 of each party's
utility bound), like the other engines. A segment dominated by less than about
two grid units is taken as efficient; an open end of a segment is reported one
grid cell inside it. The answers are only as right as HiGHS's after the checks
above: an error that survives them (a wrong optimum confirmed by a wrong
"nothing better", or an "infeasible" confirmed without presolve) would go
unnoticed. If more than a few dozen proposals in a row fail the exact checks,
the best found is used (``stats["round_limit_hits"]`` counts this).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import itertools
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pulp

from dealopt.engines.base import (
    EngineOptions,
    RawFrontier,
    Status,
    ensure_accepts,
    pareto_keep,
    resolution,
    utility_bound,
)
from dealopt.errors import LimitError, SolveError
from dealopt.model.compiled import (
    CompiledDeal,
    CompiledFactor,
    CompiledIssue,
    CompiledTerm,
    CompiledTest,
    Component,
    utility_of_values,
)
from dealopt.model.evaluation import evaluate, evaluate_indices
from dealopt.model.levels import display_value

__all__ = ["MilpEngine", "PRESOLVE_MODES"]

#: Solver tolerances, on rows scaled to order 1 (at 1e-9 HiGHS errs far more often, see _PRESOLVE).
_TOL = 1e-8
_HIGHS_OPTIONS: dict[str, Any] = {
    "mip_feasibility_tolerance": _TOL,
    "primal_feasibility_tolerance": _TOL,
    "dual_feasibility_tolerance": _TOL,
    # the primal heuristics cost more than they save on these small models (up to 4× per solve)
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
}
#: HiGHS presolve, then a row of the original model can end up off by just over the tolerance (after
#: aggregation, probing, or a row near its bound taken as redundant): HiGHS then rejects every solution
#: it finds and reports the model infeasible. Without presolve it errs elsewhere, more rarely. So a
#: solve runs with presolve (aggregator and parallel rows/columns off, the worst offenders), and an
#: "infeasible" is believed only once confirmed without presolve.
_PRESOLVE = {"presolve_rule_off": (1 << 12) | (1 << 13)}
_NO_PRESOLVE = {"presolve": "off"}
#: Most stepless continuous issues (a choice's polygon has 2^K corners).
MAX_STEPLESS = 8
#: Most solves in one frontier computation.
MAX_SOLVES = 200_000
#: Most proposals checked for one question to the solver.
_ROUNDS = 48
PRESOLVE_MODES = ("merge", "reduce", "none")


# ---------------------------------------------------------------- solver plumbing


def _highs() -> bool:
    try:
        return bool(pulp.HiGHS(msg=False).available())
    except Exception:  # pragma: no cover - a broken highspy install
        return False


def _cbc() -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return bool(pulp.PULP_CBC_CMD(msg=False).available())
        except Exception:  # pragma: no cover
            return False


def _make_solver(time_limit: float | None, use_highs: bool, tol: float = _TOL, presolve: bool = True) -> Any:
    if use_highs:
        options = {**_HIGHS_OPTIONS, **{k: tol for k in _HIGHS_OPTIONS if k.endswith("_tolerance")}}
        options.update(_PRESOLVE if presolve else _NO_PRESOLVE)
        return pulp.HiGHS(msg=False, gapRel=0.0, gapAbs=0.0, timeLimit=time_limit, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(
            msg=False,
            gapRel=0.0,
            gapAbs=0.0,
            timeLimit=time_limit,
            presolve=presolve,
            options=[f"primalTolerance {tol}", f"integerTolerance {tol}"],
        )


_QUIET = threading.RLock()
_LIBC: Any = None


def _flush_c_stdout() -> None:
    global _LIBC
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL(None)
        _LIBC.fflush(None)
    except Exception:  # pragma: no cover - no C runtime to flush
        pass


def _flush_py_stdout() -> None:
    with contextlib.suppress(Exception):
        sys.stdout.flush()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Send whatever the solver prints on file descriptor 1 to /dev/null (the CLI prints JSON there)."""
    with _QUIET:
        _flush_py_stdout()
        try:
            saved = os.dup(1)
        except OSError:  # pragma: no cover - no stdout at all
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            yield
        finally:
            _flush_c_stdout()
            _flush_py_stdout()
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


# ---------------------------------------------------------------- plane geometry


class _P(NamedTuple):
    """A point of the (seller, buyer) plane and the position ``t ∈ [0, 1]^K`` of the stepless issues in their cells."""

    s: float
    b: float
    t: tuple[float, ...]


def _lerp(p: _P, q: _P, lam: float) -> _P:
    return _P(
        p.s + lam * (q.s - p.s),
        p.b + lam * (q.b - p.b),
        tuple(a + lam * (c - a) for a, c in zip(p.t, q.t)),
    )


def _hull(points: list[_P], eps_s: float, eps_b: float) -> list[_P]:
    """Convex hull, counter-clockwise (seller on the x axis), collinear points dropped."""
    pts = sorted(points, key=lambda p: (p.s, p.b))
    uniq: list[_P] = []
    for p in pts:
        if uniq and abs(uniq[-1].s - p.s) <= eps_s and abs(uniq[-1].b - p.b) <= eps_b:
            continue
        uniq.append(p)
    if len(uniq) <= 2:
        return uniq

    def turn(o: _P, a: _P, c: _P) -> bool:
        ax, ay = (a.s - o.s) / eps_s, (a.b - o.b) / eps_b
        cx, cy = (c.s - o.s) / eps_s, (c.b - o.b) / eps_b
        return ax * cy - ay * cx > 1e-9 * math.hypot(ax, ay) * math.hypot(cx, cy)

    lower: list[_P] = []
    for p in uniq:
        while len(lower) >= 2 and not turn(lower[-2], lower[-1], p):
            lower.pop()
        lower.append(p)
    upper: list[_P] = []
    for p in reversed(uniq):
        while len(upper) >= 2 and not turn(upper[-2], upper[-1], p):
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _clip(poly: list[_P], a_s: float, a_b: float, c: float) -> list[_P]:
    """The part of a convex polygon where ``a_s·s + a_b·b ≥ c`` (Sutherland–Hodgman)."""
    if not poly:
        return []
    val = [a_s * p.s + a_b * p.b - c for p in poly]
    if len(poly) == 1:
        return list(poly) if val[0] >= 0 else []
    out: list[_P] = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        vp, vq = val[i], val[(i + 1) % n]
        if vp >= 0:
            out.append(p)
        if (vp >= 0) != (vq >= 0):
            x = _lerp(p, q, vp / (vp - vq))
            if a_b == 0.0:  # land exactly on an axis-parallel bound
                x = _P(c / a_s, x.b, x.t)
            elif a_s == 0.0:
                x = _P(x.s, c / a_b, x.t)
            out.append(x)
    dedup: list[_P] = []
    for p in out:
        if dedup and dedup[-1].s == p.s and dedup[-1].b == p.b:
            continue
        dedup.append(p)
    while len(dedup) > 1 and dedup[0].s == dedup[-1].s and dedup[0].b == dedup[-1].b:
        dedup.pop()
    return dedup


def _chain(poly: list[_P]) -> list[_P]:
    """The efficient boundary of a convex polygon: from its best seller point to its best buyer point."""
    if not poly:
        return []
    n = len(poly)
    r = max(range(n), key=lambda i: (poly[i].s, poly[i].b))
    u = max(range(n), key=lambda i: (poly[i].b, poly[i].s))
    out = [poly[r]]
    i = r
    while i != u:
        i = (i + 1) % n
        p = poly[i]
        if p.b > out[-1].b and p.s < out[-1].s:
            out.append(p)
    return out


def _lexmax(poly: list[_P]) -> _P:
    return max(poly, key=lambda p: (p.s, p.b))


def _locate(poly: list[_P], s: float, b: float, eps_s: float, eps_b: float) -> tuple[float, ...] | None:
    """The stepless position at which a convex polygon reaches (s, b), or None when it does not."""
    if not poly:
        return None
    if len(poly) == 1:
        p = poly[0]
        return p.t if abs(p.s - s) <= eps_s and abs(p.b - b) <= eps_b else None
    if len(poly) == 2:
        p, q = poly
        ds, db = (q.s - p.s) / eps_s, (q.b - p.b) / eps_b
        den = ds * ds + db * db
        lam = 0.0 if den == 0 else (((s - p.s) / eps_s) * ds + ((b - p.b) / eps_b) * db) / den
        lam = min(1.0, max(0.0, lam))
        x = _lerp(p, q, lam)
        return x.t if abs(x.s - s) <= eps_s and abs(x.b - b) <= eps_b else None
    p0 = poly[0]
    for i in range(1, len(poly) - 1):
        p1, p2 = poly[i], poly[i + 1]
        x1, y1 = (p1.s - p0.s) / eps_s, (p1.b - p0.b) / eps_b
        x2, y2 = (p2.s - p0.s) / eps_s, (p2.b - p0.b) / eps_b
        xs, ys = (s - p0.s) / eps_s, (b - p0.b) / eps_b
        det = x1 * y2 - x2 * y1
        if det == 0:
            continue
        l1 = (xs * y2 - x2 * ys) / det
        l2 = (x1 * ys - xs * y1) / det
        slack = 1.0 / max(1.0, math.hypot(x1, y1), math.hypot(x2, y2))
        if l1 >= -slack and l2 >= -slack and l1 + l2 <= 1 + slack:
            l1, l2 = max(0.0, l1), max(0.0, l2)
            tot = l1 + l2
            if tot > 1:
                l1, l2 = l1 / tot, l2 / tot
            return tuple(a + l1 * (c - a) + l2 * (d - a) for a, c, d in zip(p0.t, p1.t, p2.t))
    return None


# ---------------------------------------------------------------- model parts


@dataclass(frozen=True)
class _Choice:
    """Every binary of a solution: a column per block, a level per gridded issue, a cell per stepless issue."""

    cols: tuple[int, ...]
    levels: tuple[int, ...]
    cells: tuple[int, ...]


@dataclass
class _Block:
    """A tabulated component: one binary per column, each column a group of tied joint levels."""

    comp: Component
    joints: list[np.ndarray]
    seller: np.ndarray
    buyer: np.ndarray
    vars: list[Any]


@dataclass
class _Free:
    """A continuous issue without step, split into cells where everything about it is affine."""

    issue: CompiledIssue
    cells: list[tuple[float, float]]
    scale: float
    c: list[Any] = field(default_factory=list)
    xi: list[Any] = field(default_factory=list)  # x / scale inside the chosen cell, 0 in the others


@dataclass
class _Vx:
    """A frontier vertex under construction."""

    s: float
    b: float
    choice: _Choice
    t: tuple[float, ...]
    seg: bool = False  # the line to the next vertex is efficient
    carrier: tuple[_Choice, tuple[float, ...], tuple[float, ...]] | None = None  # what realizes that line


def _cells(deal: CompiledDeal, issue: CompiledIssue) -> list[tuple[float, float]]:
    """Closed intervals covering [lo, hi] inside which piecewise factors are affine and tests constant."""
    assert issue.lo is not None and issue.hi is not None
    lo, hi = issue.lo, issue.hi
    if lo == hi:
        return [(lo, lo)]
    pts = {lo, hi}
    for util in (deal.seller, deal.buyer):
        for term in util.terms:
            for f in term.factors:
                if f.issue == issue.index and f.form == "piecewise":
                    assert f.xs is not None
                    pts.update(float(x) for x in f.xs if lo < x < hi)
    tests = [t for con in deal.constraints for t in con.when + (con.then or ()) if t.issue == issue.index]
    points: set[float] = set()

    def near(a: float) -> float:
        return 2e-9 * max(1.0, abs(a))

    for t in tests:
        cand: list[float] = []
        for e in t.equals or ():
            e = float(e)
            cand += [e - near(e), e, e + near(e)]
            if lo <= e <= hi:
                points.add(e)
        if t.lo is not None:
            cand += [t.lo - near(t.lo), t.lo]
        if t.hi is not None:
            cand += [t.hi, t.hi + near(t.hi)]
        pts.update(x for x in cand if lo <= x <= hi)
    ordered = sorted(pts)
    candidates = list(itertools.pairwise(ordered)) + [(e, e) for e in sorted(points)]
    if not tests:
        return sorted(candidates)

    def truth(x: float) -> tuple[bool, ...]:
        v = np.asarray([x])
        return tuple(bool(t.on_values(v, np.asarray([-1]), False)[0]) for t in tests)

    keep = [(a, b) for a, b in candidates if truth(a) == truth(b) == truth(0.5 * (a + b))]
    return sorted(keep)


def _snap(value: float) -> float:
    """A bound scaled to order 1, as 0 when within half the tolerance of it (see :func:`_small_rhs`)."""
    return 0.0 if abs(value) < 0.5 * _TOL else value


#: Smallest nonzero right-hand side given to HiGHS.
_MIN_RHS = 1e-6


def _small_rhs(expr: Any, rhs: float) -> tuple[Any, float]:
    """A row ``expr ≥ rhs`` (or ≤) whose small right-hand side HiGHS can take.

    HiGHS presolve handles a bound between its tolerance and about 1e-7 as if it were 0, then finds
    every solution of the presolved model off the original bound by more than the tolerance, and reports
    the model infeasible. Such a row is multiplied by ``1e-6 / |rhs|`` (at most a few hundred), which
    also tightens it; a bound within half the tolerance is 0.
    """
    if abs(rhs) < 0.5 * _TOL:
        return expr, 0.0
    if abs(rhs) < _MIN_RHS:
        k = _MIN_RHS / abs(rhs)
        return pulp.LpAffineExpression({v: a * k for v, a in expr.items()}), math.copysign(_MIN_RHS, rhs)
    return expr, rhs


def _key(values: np.ndarray | None) -> tuple[float, ...] | None:
    return None if values is None else tuple(float(v) for v in values)


def _term_location(deal: CompiledDeal, party: str, k: int) -> str:
    if party == "buyer" and deal.profiles:
        for p, prof in enumerate(deal.model.parties.buyer.profiles or []):
            n = len(prof.utility)
            if k < n:
                return f"parties.buyer.profiles[{p}].utility[{k}]"
            k -= n
    return f"parties.{party}.utility[{k}]"


# ---------------------------------------------------------------- the formulation


class _Formulation:
    """The MILP of one deal, its solves, and exact geometry of its choices."""

    def __init__(
        self,
        deal: CompiledDeal,
        presolve: str,
        term_level: bool,
        options: EngineOptions,
        use_highs: bool,
    ) -> None:
        self.deal = deal
        self.options = options
        self.q_s, self.q_b = resolution(deal)
        self.B_s = max(1.0, utility_bound(deal, "seller"))
        self.B_b = max(1.0, utility_bound(deal, "buyer"))
        self.tol_s = _TOL * self.B_s
        self.tol_b = _TOL * self.B_b
        self.solver = _make_solver(options.time_limit, use_highs)
        self.confirm = _make_solver(options.time_limit, use_highs, presolve=False)
        # HiGHS may refuse its own optimum when a row is off by a hair over the tolerance ("solve error"):
        # that solve is repeated with looser tolerances (what it proposes is checked exactly anyway)
        self.fallback = _make_solver(options.time_limit, use_highs, tol=1e-6)
        self.solves = 0
        self.round_limit_hits = 0
        self.owner = pulp.LpProblem("dealopt_vars", pulp.LpMaximize)
        self.rows_block: list[Any] = []
        self.rows_term: list[Any] = []
        self.blocks: list[_Block] = []
        self.grid: list[int] = []  # gridded issues built term by term
        self.y: dict[int, list[Any]] = {}
        self.free: list[_Free] = []
        self.free_of: dict[int, _Free] = {}
        self.products: dict[tuple[Any, ...], tuple[dict[Any, float], float, float]] = {}
        self.expr: dict[str, dict[Any, float]] = {
            k: {} for k in ("seller_block", "buyer_block", "seller_term", "buyer_term")
        }
        self.infeasible = False
        self.tab_min: dict[str, list[tuple[Component, int]]] = {"seller": [], "buyer": []}
        self._n_names = 0
        self._poly_cache: dict[_Choice, list[_P]] = {}
        self._row_cache: dict[_Choice, np.ndarray] = {}

        term_comps: list[Component] = []
        for comp in deal.components:
            issues = [deal.issues[i] for i in comp.issues]
            if not term_level and comp.tables is not None and all(i.gridded for i in issues):
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
        self.exprs = {k: pulp.LpAffineExpression(v) for k, v in self.expr.items()}
        self.seller = pulp.LpAffineExpression({**self.expr["seller_block"], **self.expr["seller_term"]})
        self.buyer = pulp.LpAffineExpression({**self.expr["buyer_block"], **self.expr["buyer_term"]})
        self.binaries = sum(len(b.vars) for b in self.blocks) + sum(len(v) for v in self.y.values())
        self.binaries += sum(len(f.c) for f in self.free)

    # -- building ------------------------------------------------------
    def _name(self, prefix: str) -> str:
        self._n_names += 1
        return f"{prefix}{self._n_names}"

    def _var(self, prefix: str, lo: float, hi: float, binary: bool = False) -> Any:
        cat = pulp.LpBinary if binary else pulp.LpContinuous
        return self.owner.add_variable(self._name(prefix), lo, hi, cat)

    def _row(self, rows: list[Any], coefs: dict[Any, float], sense: int, rhs: float) -> None:
        rows.append(pulp.LpConstraint(pulp.LpAffineExpression(coefs), sense, self._name("r"), rhs))

    def _add(self, key: str, var: Any, value: float) -> None:
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
        else:
            kept = pareto_keep(s, b, self.q_s, self.q_b, ties=True)
            ks = np.round(s[kept] / self.q_s).astype(np.int64)
            kb = np.round(b[kept] / self.q_b).astype(np.int64)
            new = np.ones(len(kept), dtype=bool)
            new[1:] = (ks[1:] != ks[:-1]) | (kb[1:] != kb[:-1])
            starts = np.flatnonzero(new)
            groups = [kept[a:z] for a, z in zip(starts, [*starts[1:], len(kept)])]
        reps = np.asarray([g[0] for g in groups])
        block = _Block(comp, [joint[g] for g in groups], s[reps], b[reps], [])
        block.vars = [self._var("v", 0, 1, binary=True) for _ in groups]
        self._row(self.rows_block, dict.fromkeys(block.vars, 1.0), pulp.LpConstraintEQ, 1.0)
        for v, sv, bv in zip(block.vars, block.seller, block.buyer):
            self._add("seller_block", v, float(sv) / self.B_s)
            self._add("buyer_block", v, float(bv) / self.B_b)
        self.blocks.append(block)

    def _add_onehot(self, issue: CompiledIssue) -> None:
        ys = [self._var("y", 0, 1, binary=True) for _ in issue.labels]
        self._row(self.rows_term, dict.fromkeys(ys, 1.0), pulp.LpConstraintEQ, 1.0)
        self.y[issue.index] = ys
        self.grid.append(issue.index)

    def _add_free(self, issue: CompiledIssue) -> None:
        assert issue.lo is not None and issue.hi is not None
        cells = _cells(self.deal, issue)
        if not cells:
            self.infeasible = True
            return
        scale = max(1.0, abs(issue.lo), abs(issue.hi))
        fr = _Free(issue, cells, scale)
        for lo, hi in cells:
            c = self._var("c", 0, 1, binary=True)
            xi = self._var("x", min(0.0, _snap(lo / scale)), max(0.0, _snap(hi / scale)))
            self._row(self.rows_term, {xi: 1.0, c: -lo / scale}, pulp.LpConstraintGE, 0.0)
            self._row(self.rows_term, {xi: 1.0, c: -hi / scale}, pulp.LpConstraintLE, 0.0)
            fr.c.append(c)
            fr.xi.append(xi)
        self._row(self.rows_term, dict.fromkeys(fr.c, 1.0), pulp.LpConstraintEQ, 1.0)
        self.free.append(fr)
        self.free_of[issue.index] = fr

    def _factor(self, f: CompiledFactor) -> tuple[dict[Any, float], float, float]:
        """A factor of a stepless issue as a linear expression (natural units), with its range [L, U]."""
        fr = self.free_of[f.issue]
        coefs: dict[Any, float] = {}
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
        self, sig: tuple[Any, ...], lin: dict[Any, float], lo: float, hi: float, issue: int, vec: np.ndarray
    ) -> tuple[dict[Any, float], float, float]:
        """``p × g(issue)`` for a bounded linear ``p ∈ [lo, hi]``: ``Σ_l g_l w_l`` with ``w_l = p·y_l``.

        Each product of the bounded ``p`` with a 0/1 ``y_l`` is linearized exactly (McCormick: w ≤ U y,
        w ≥ L y, w ≤ p − L(1 − y), w ≥ p − U(1 − y)), plus ``Σ_l w_l = p`` (one ``y_l`` is 1). The
        ``w`` are kept divided by ``M = max(|L|, |U|)``; shared by every term with the same prefix.
        """
        if sig in self.products:
            return self.products[sig]
        prods = [v * lo for v in vec] + [v * hi for v in vec]
        out_lo, out_hi = float(min(prods)), float(max(prods))
        m_abs = max(abs(lo), abs(hi))
        if m_abs == 0.0:
            result: tuple[dict[Any, float], float, float] = ({}, 0.0, 0.0)
            self.products[sig] = result
            return result
        lo_s, hi_s = _snap(lo / m_abs), _snap(hi / m_abs)
        p = {var: a / m_abs for var, a in lin.items()}
        ws = []
        for y in self.y[issue]:
            w = self._var("w", min(0.0, lo_s), max(0.0, hi_s))
            self._row(self.rows_term, {w: 1.0, y: -hi_s}, pulp.LpConstraintLE, 0.0)
            self._row(self.rows_term, {w: 1.0, y: -lo_s}, pulp.LpConstraintGE, 0.0)
            le = {var: -a for var, a in p.items()}
            le[w] = le.get(w, 0.0) + 1.0
            le[y] = le.get(y, 0.0) - lo_s
            self._row(self.rows_term, le, pulp.LpConstraintLE, -lo_s)
            ge = {var: -a for var, a in p.items()}
            ge[w] = ge.get(w, 0.0) + 1.0
            ge[y] = ge.get(y, 0.0) - hi_s
            self._row(self.rows_term, ge, pulp.LpConstraintGE, -hi_s)
            ws.append(w)
        total = {var: -a for var, a in p.items()}
        for w in ws:
            total[w] = total.get(w, 0.0) + 1.0
        self._row(self.rows_term, total, pulp.LpConstraintEQ, 0.0)
        out = {w: float(v) * m_abs for w, v in zip(ws, vec) if v != 0.0}
        result = (out, out_lo, out_hi)
        self.products[sig] = result
        return result

    def _truth(self, test: CompiledTest) -> dict[Any, float]:
        issue = self.deal.issues[test.issue]
        if issue.gridded:
            assert test.mask is not None
            return {y: 1.0 for y, ok in zip(self.y[test.issue], test.mask) if ok}
        fr = self.free_of[test.issue]
        out: dict[Any, float] = {}
        for (lo, hi), c in zip(fr.cells, fr.c):
            if bool(test.on_values(np.asarray([0.5 * (lo + hi)]), np.asarray([-1]), False)[0]):
                out[c] = 1.0
        return out

    def _add_constraint(self, when: tuple[CompiledTest, ...], then: tuple[CompiledTest, ...] | None) -> None:
        lhs: dict[Any, float] = {}
        for t in when:
            for var, a in self._truth(t).items():
                lhs[var] = lhs.get(var, 0.0) + a
        if then is None:
            self._row(self.rows_term, lhs, pulp.LpConstraintLE, len(when) - 1.0)
            return
        for t in then:
            row = dict(lhs)
            for var, a in self._truth(t).items():
                row[var] = row.get(var, 0.0) - a
            self._row(self.rows_term, row, pulp.LpConstraintLE, len(when) - 1.0)

    # -- solving ---------------------------------------------------------
    def solve(self, objective: Any, sense: int, extra: list[Any], terms_only: bool = False) -> _Choice | None:
        """Optimize; the choice found, or None when infeasible."""
        if self.solves >= MAX_SOLVES:
            raise LimitError(f"milp: more than {MAX_SOLVES:,} solves for one frontier")
        prob = pulp.LpProblem("dealopt_milp", sense)
        prob.setObjective(objective.copy())  # PuLP may add a dummy variable to a constant objective
        for r in self.rows_term:
            prob.addConstraint(r)
        if not terms_only:
            for r in self.rows_block:
                prob.addConstraint(r)
        for r in extra:
            prob.addConstraint(r)
        limit = self.options.time_limit
        infeasible = 0
        for solver in (self.solver, self.confirm, self.fallback):
            t0 = time.perf_counter()
            try:
                with _quiet():
                    prob.solve(solver)
            except pulp.PulpSolverError as exc:  # pragma: no cover - solver crash
                raise SolveError(f"milp: the solver failed: {exc}", engine="milp") from exc
            self.solves += 1
            if prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal:
                return self._read(terms_only)
            if prob.status == pulp.LpStatusInfeasible:
                infeasible += 1
                if infeasible == 2:
                    return None
                continue
            if limit is not None and time.perf_counter() - t0 >= 0.9 * limit:
                raise LimitError(
                    f"milp: a solve stopped at the time limit of {limit:g} s before proving optimality; "
                    "raise the time limit"
                )
        if infeasible:
            return None
        raise SolveError(
            f"milp: the solver ended with status {pulp.LpStatus.get(prob.status, prob.status)!r}",
            engine="milp",
            status=str(prob.status),
        )

    @staticmethod
    def _argmax(vs: list[Any]) -> int:
        return int(np.argmax([v.varValue or 0.0 for v in vs]))

    def _read(self, terms_only: bool) -> _Choice:
        cols = () if terms_only else tuple(self._argmax(b.vars) for b in self.blocks)
        levels = tuple(self._argmax(self.y[i]) for i in self.grid)
        cells = tuple(self._argmax(f.c) for f in self.free)
        return _Choice(cols, levels, cells)

    def ge(self, expr: Any, rhs: float, name: str) -> Any:
        e, r = _small_rhs(expr, rhs)
        return pulp.LpConstraint(e, pulp.LpConstraintGE, name, r)

    def le(self, expr: Any, rhs: float, name: str) -> Any:
        e, r = _small_rhs(expr, rhs)
        return pulp.LpConstraint(e, pulp.LpConstraintLE, name, r)

    def nogood(self, choice: _Choice, name: str) -> Any:
        ones = [b.vars[c] for b, c in zip(self.blocks, choice.cols)]
        ones += [self.y[i][lv] for i, lv in zip(self.grid, choice.levels)]
        ones += [f.c[j] for f, j in zip(self.free, choice.cells)]
        return pulp.LpConstraint(
            pulp.LpAffineExpression(dict.fromkeys(ones, 1.0)), pulp.LpConstraintLE, name, len(ones) - 1.0
        )

    # -- exact values ------------------------------------------------------
    def levels_of(self, choice: _Choice) -> np.ndarray:
        """Level index per issue (−1 for stepless issues)."""
        row = self._row_cache.get(choice)
        if row is None:
            row = np.full(len(self.deal.issues), -1, dtype=np.int64)
            for blk, col in zip(self.blocks, choice.cols):
                for issue, lv in zip(blk.comp.issues, np.unravel_index(int(blk.joints[col][0]), blk.comp.shape)):
                    row[issue] = int(lv)
            for i, lv in zip(self.grid, choice.levels):
                row[i] = lv
            self._row_cache[choice] = row
        return row

    def x_of(self, choice: _Choice, t: tuple[float, ...]) -> list[float]:
        out = []
        for fr, j, tk in zip(self.free, choice.cells, t):
            lo, hi = fr.cells[j]
            out.append(min(hi, max(lo, lo + tk * (hi - lo))) if tk < 1.0 else hi)
        return out

    def exact(self, row: np.ndarray, x: list[float]) -> tuple[float, float]:
        """Seller and buyer utility of one package, as the evaluator computes them."""
        if not self.free:
            ev = evaluate_indices(self.deal, row[None, :])
            if not ev.feasible[0]:
                raise SolveError("milp: the solver chose an infeasible package", engine="milp")
            return float(ev.seller[0]), float(ev.buyer[0])
        values: dict[int, tuple[Any, CompiledIssue]] = {}
        for issue in self.deal.issues:
            if issue.gridded:
                values[issue.index] = (issue.labels[int(row[issue.index])], issue)
        for fr, xv in zip(self.free, x):
            values[fr.issue.index] = (xv, fr.issue)
        return utility_of_values(self.deal.seller, values), utility_of_values(self.deal.buyer, values)

    def polygon(self, choice: _Choice) -> list[_P]:
        """The exact image of a choice in the (seller, buyer) plane, counter-clockwise."""
        poly = self._poly_cache.get(choice)
        if poly is not None:
            return poly
        row = self.levels_of(choice)
        if not self.free:
            s, b = self.exact(row, [])
            poly = [_P(s, b, ())]
        else:
            x0 = [fr.cells[j][0] for fr, j in zip(self.free, choice.cells)]
            s0, b0 = self.exact(row, x0)
            gens = []
            for k, (fr, j) in enumerate(zip(self.free, choice.cells)):
                lo, hi = fr.cells[j]
                if hi == lo:
                    gens.append((0.0, 0.0))
                    continue
                xk = list(x0)
                xk[k] = hi
                sk, bk = self.exact(row, xk)
                gens.append((sk - s0, bk - b0))
            corners = []
            for bits in itertools.product((0.0, 1.0), repeat=self.K):
                s = s0 + sum(bit * g[0] for bit, g in zip(bits, gens))
                b = b0 + sum(bit * g[1] for bit, g in zip(bits, gens))
                corners.append(_P(s, b, bits))
            poly = _hull(corners, self.q_s * 1e-3, self.q_b * 1e-3)
        self._poly_cache[choice] = poly
        return poly

    def package(self, choice: _Choice, t: tuple[float, ...], joints: tuple[int, ...] | None = None) -> dict[str, Any]:
        row = self.levels_of(choice)
        if joints is not None:
            row = row.copy()
            for blk, j in zip(self.blocks, joints):
                for issue, lv in zip(blk.comp.issues, np.unravel_index(int(j), blk.comp.shape)):
                    row[issue] = int(lv)
        xs = dict(zip((fr.issue.index for fr in self.free), self.x_of(choice, t)))
        out: dict[str, Any] = {}
        for issue in self.deal.issues:
            if issue.gridded:
                out[issue.name] = display_value(issue.labels[int(row[issue.index])])
            else:
                out[issue.name] = float(xs[issue.index])
        return out

    def expand(self, choice: _Choice, t: tuple[float, ...], cap: int) -> list[dict[str, Any]]:
        """The packages of a choice at t, one per combination of tied columns (up to ``cap``)."""
        out = []
        for joints in itertools.product(*(blk.joints[c] for blk, c in zip(self.blocks, choice.cols))):
            out.append(self.package(choice, t, tuple(int(j) for j in joints)))
            if len(out) >= cap:
                break
        return out


# ---------------------------------------------------------------- the sweep


def _rounds(form: _Formulation) -> Iterator[int]:
    """Up to ``_ROUNDS`` proposals for one question; counts the questions that ran out."""
    yield from range(_ROUNDS)
    form.round_limit_hits += 1


class _Sweep:
    """ε-constraint sweep with exact continuation along the pieces of a piecewise-linear frontier."""

    def __init__(self, form: _Formulation, seller_min: float | None, buyer_min: float | None) -> None:
        self.f = form
        self.smin = None if seller_min is None else seller_min - 1e-9 * max(1.0, abs(seller_min))
        self.bmin = None if buyer_min is None else buyer_min - 1e-9 * max(1.0, abs(buyer_min))

    # -- helpers -------------------------------------------------------
    def bounded(self, poly: list[_P], buyer_from: float | None = None) -> list[_P]:
        out = poly
        for lo in (self.bmin, buyer_from):
            if lo is not None:
                out = _clip(out, 0.0, 1.0, lo)
        if self.smin is not None:
            out = _clip(out, 1.0, 0.0, self.smin)
        return out

    def cell_s(self, s: float) -> int:
        return round(s / self.f.q_s)

    def grid_next(self, b: float) -> float:
        """The top of the buyer grid cell of ``b``: anything above is a different buyer utility."""
        q_b = self.f.q_b
        top = (math.floor(b / q_b + 0.5) + 0.5) * q_b
        return top if top > b else top + q_b  # b on a cell edge, up to rounding

    def floor_rows(self) -> list[Any]:
        return [] if self.smin is None else [self.f.ge(self.f.seller, self.smin / self.f.B_s, "floor")]

    def best(
        self, beta: float | None, strict: bool, exclude: list[_Choice] | None = None
    ) -> tuple[_Choice, list[_P]] | None:
        """The choice with the best seller utility at buyer ≥ beta, and its polygon cut there.

        The solver only proposes. A threshold ``T`` becomes the row ``≥ T + tol``, so what the solver
        accepts (within its tolerance) is what is ≥ T; each proposal is checked on its exact polygon, and
        one that falls short (let through by the solver's fuzz) is cut off with a no-good and the solve
        repeated. The answer is then confirmed by asking for a seller utility one grid cell better until
        nothing (exactly) better is left: HiGHS now and then proves a wrong optimum, and the optimum is
        fragile near a vertex of a polygon. ``exclude``: choices known not to reach ``beta``.
        """
        f = self.f
        rows = self.floor_rows()
        if beta is not None:
            rows.append(f.ge(f.buyer, (beta + (f.tol_b if strict else 0.0)) / f.B_b, "eps"))
        cuts = [f.nogood(ch, f"ex{k}") for k, ch in enumerate(exclude or ())]
        found: tuple[_Choice, list[_P], float] | None = None
        for _ in _rounds(f):
            better = [] if found is None else [f.ge(f.seller, (found[2] + f.q_s + f.tol_s) / f.B_s, "better")]
            choice = f.solve(f.seller, pulp.LpMaximize, rows + better + cuts)
            if choice is None:
                break
            cuts.append(f.nogood(choice, f"ng{len(cuts)}"))
            poly = f.polygon(choice)
            if beta is not None:
                poly = _clip(poly, 0.0, 1.0, beta)
            poly = self.bounded(poly)
            if not poly:  # the solver's tolerance let it through
                continue
            top = _chain(poly)[0].s
            if found is None or top > found[2]:
                found = (choice, poly, top)
        return None if found is None else (found[0], found[1])

    def dominated(self, a: _Vx, b: _P, own: _Choice) -> tuple[_P, _Choice, float, float] | None:
        """What dominates the first points of the edge a→b: the exact top of the best choice strictly above it.

        Returns (top, its choice, w, c) for the line ``s + w·b = c``, or None when the whole edge is
        efficient. The top is the lexicographic maximum of that choice's polygon above the line with
        buyer ≥ b_a and seller ≥ s_b: the edge is dominated from the point with the top's seller on.
        Proposals are checked exactly and cut off once accounted for, until none is left.
        """
        f = self.f
        w = (a.s - b.s) / (b.b - a.b)
        c = a.s + w * a.b
        unit = f.q_s + w * f.q_b
        norm = f.B_s + w * f.B_b
        line = pulp.LpAffineExpression({v: k * f.B_s / norm for v, k in f.seller.items()})
        for v, k in f.buyer.items():
            line[v] = line.get(v, 0.0) + k * w * f.B_b / norm
        rows = [f.ge(line, (c + 2 * unit) / norm + _TOL, "line"), f.ge(f.buyer, a.b / f.B_b, "eps")]
        cuts = [f.nogood(own, "ng_own")]  # a chain's own choice lies below each of its edges
        found: tuple[_P, _Choice] | None = None
        floor = b.s
        for _ in _rounds(f):
            choice = f.solve(f.seller, pulp.LpMaximize, [*rows, f.ge(f.seller, floor / f.B_s, "floor"), *cuts])
            if choice is None:
                break
            cuts.append(f.nogood(choice, f"ng{len(cuts)}"))
            q = _clip(self.bounded(f.polygon(choice), a.b), 1.0, 0.0, b.s)
            q = _clip(q, 1.0, w, c)
            if not q or max(p.s + w * p.b - c for p in q) <= 0.5 * unit:
                continue  # only within the solver's tolerance of the line
            top = _lexmax(q)
            if found is None or top.s > found[0].s:
                found = (top, choice)
                floor = top.s + f.q_s + f.tol_s  # what is left to find dominates earlier points
        return None if found is None else (found[0], found[1], w, c)

    # -- the sweep ---------------------------------------------------------
    def run(self) -> list[_Vx]:
        f = self.f
        F: list[_Vx] = []
        b_cur: float | None = None
        while True:
            if F and f.K and b_cur is not None and F[-1].b == b_cur:
                cont = self.continuation(F[-1])
                if cont is not None:
                    b_new = self.follow(F, *cont)
                    if b_new > b_cur:
                        b_cur = b_new
                        continue
            beta = self.bmin if b_cur is None else self.grid_next(b_cur)
            exclude = []
            if F and beta is not None and max(p.b for p in f.polygon(F[-1].choice)) < beta:
                exclude.append(F[-1].choice)
            got = self.best(beta, strict=b_cur is not None, exclude=exclude)
            if got is None:
                break
            choice, poly = got
            if F and f.K and b_cur is not None and F[-1].b == b_cur:
                cont = _chain(self.bounded(f.polygon(choice), F[-1].b))
                if len(cont) > 1 and abs(cont[0].s - F[-1].s) <= 2 * f.q_s and abs(cont[0].b - F[-1].b) <= 2 * f.q_b:
                    b_new = self.follow(F, choice, cont)
                    b_cur = max(b_new, beta) if beta is not None else b_new
                    continue
            chain = _chain(poly)
            start = chain[0]
            self.push(F, _Vx(start.s, start.b, choice, start.t))
            b_new = self.follow(F, choice, chain)
            b_cur = max(b_new, beta) if beta is not None else b_new
        return F

    def continuation(self, v: _Vx) -> tuple[_Choice, list[_P]] | None:
        """The piece that goes on from vertex ``v`` without a jump, found without a solve.

        It is ``v``'s own choice when ``v`` lies inside its chain, else the same choice with a stepless
        issue moved into the adjacent cell when ``v`` sits on their common end (a piecewise breakpoint).
        Asking the solver instead (buyer ≥ just above ``v``) puts its optimum within the solver's tolerance of
        a vertex, where it is unreliable.
        """
        f = self.f
        options: list[list[int]] = []
        for fr, j, tk in zip(f.free, v.choice.cells, v.t):
            alt = [j]
            if tk <= 0.0 and j > 0 and fr.cells[j - 1][1] == fr.cells[j][0]:
                alt.append(j - 1)
            if tk >= 1.0 and j + 1 < len(fr.cells) and fr.cells[j + 1][0] == fr.cells[j][1]:
                alt.append(j + 1)
            options.append(alt)
        best: tuple[float, _Choice, list[_P]] | None = None
        for cells in itertools.product(*options):
            choice = dataclasses.replace(v.choice, cells=tuple(cells))
            chain = _chain(self.bounded(f.polygon(choice), v.b))
            if len(chain) < 2 or abs(chain[0].s - v.s) > 2 * f.q_s or abs(chain[0].b - v.b) > 2 * f.q_b:
                continue
            rate = (chain[0].s - chain[1].s) / (chain[1].b - chain[0].b)
            if best is None or rate < best[0]:
                best = (rate, choice, chain)
        return None if best is None else (best[1], best[2])

    def push(self, F: list[_Vx], v: _Vx) -> None:
        """Append a vertex after a gap, dropping what it dominates (same seller cell, higher buyer)."""
        q_s = self.f.q_s
        while F and self.cell_s(v.s) >= self.cell_s(F[-1].s):
            gone = F.pop()
            if F and F[-1].seg and F[-1].carrier is not None:
                a = F[-1]
                ch, ta, tb = a.carrier
                s_r = v.s + q_s
                if a.s > s_r > gone.s:
                    lam = (a.s - s_r) / (a.s - gone.s)
                    r = _lerp(_P(a.s, a.b, ta), _P(gone.s, gone.b, tb), lam)
                    a.carrier = (ch, ta, r.t)
                    F.append(_Vx(r.s, r.b, ch, r.t))
                else:
                    a.seg, a.carrier = False, None
        if F:
            F[-1].seg, F[-1].carrier = False, None
        F.append(v)

    def follow(self, F: list[_Vx], choice: _Choice, chain: list[_P]) -> float:
        """Walk the efficient edges of a chain from its first vertex (F[-1]); the buyer utility reached."""
        q_s = self.f.q_s
        t_a = chain[0].t
        for b in chain[1:]:
            a = F[-1]
            if b.b <= a.b or b.s >= a.s:
                continue
            dom = self.dominated(a, b, choice)
            if dom is None:
                a.seg, a.carrier = True, (choice, t_a, b.t)
                F.append(_Vx(b.s, b.b, choice, b.t))
                t_a = b.t
                continue
            top, t_choice, w, c = dom
            s_r = min(top.s, a.s)
            lam = (a.s - s_r) / (a.s - b.s)
            edge_a = _P(a.s, a.b, t_a)
            if top.s + w * top.b - c <= 0.5 * (self.f.q_s + w * self.f.q_b):
                # the pieces cross at `top`: efficient up to there, closed
                if lam <= 1e-12:
                    return a.b
                r = _lerp(edge_a, b, lam)
                a.seg, a.carrier = True, (choice, t_a, r.t)
                F.append(_Vx(top.s, top.b, t_choice, top.t))
                return top.b
            # `top` lies above the line: the edge is efficient up to R (open), R being weakly dominated
            b_r = a.b + lam * (b.b - a.b)
            s_r2 = s_r + q_s
            lam2 = (a.s - s_r2) / (a.s - b.s)
            if lam2 > 1e-12:
                r2 = _lerp(edge_a, b, lam2)
                a.seg, a.carrier = True, (choice, t_a, r2.t)
                F.append(_Vx(r2.s, r2.b, choice, r2.t))
            return b_r
        return F[-1].b


# ---------------------------------------------------------------- the engine


class MilpEngine:
    """Exact frontier by ε-constraint on a MILP; handles stepless continuous issues (piecewise-linear frontiers).

    ``presolve``: ``"merge"`` (default) answers a model whose every component is tabulated without a
    MILP; ``"reduce"`` runs the sweep anyway, on components reduced to their own frontiers; ``"none"``
    keeps one binary per feasible joint level. ``term_level``: build every component term by term,
    as if none could be tabulated. All give the same frontier.
    """

    name: ClassVar[str] = "milp"
    exact: ClassVar[bool] = True

    def __init__(self, presolve: str = "merge", term_level: bool = False) -> None:
        if presolve not in PRESOLVE_MODES:
            raise ValueError(f"presolve={presolve!r}; expected one of {', '.join(PRESOLVE_MODES)}")
        self.presolve = presolve
        self.term_level = term_level

    def accepts(self, deal: CompiledDeal) -> str | None:
        """None when the model is linear in a lifting of its issues and a solver is installed, else why not."""
        if not (_highs() or _cbc()):
            return "no MILP solver is installed (install highspy, or CBC for PuLP)"
        stepless = [i for i in deal.issues if not i.gridded]
        if len(stepless) > MAX_STEPLESS:
            names = ", ".join(repr(i.name) for i in stepless)
            return f"{len(stepless)} continuous issues without step ({names}); at most {MAX_STEPLESS} are supported"
        for party, util in (("seller", deal.seller), ("buyer", deal.buyer)):
            for k, term in enumerate(util.terms):
                free = [deal.issues[f.issue].name for f in term.factors if not deal.issues[f.issue].gridded]
                where = _term_location(deal, party, k)
                if len(free) >= 2:
                    if len(set(free)) == 1:
                        return (
                            f"{where}: the term multiplies the continuous issue {free[0]!r} (no step) by itself, "
                            "which no MILP models exactly; give it a step or use a piecewise factor"
                        )
                    return (
                        f"{where}: the term multiplies the continuous issues {free[0]!r} and {free[1]!r} "
                        "(both without step), which no MILP models exactly; give one of them a step"
                    )
        return None

    def solve(
        self, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
    ) -> RawFrontier:
        """The frontier of feasible packages with utilities ≥ the given minima."""
        ensure_accepts(self, deal)
        if self.presolve == "merge" and not self.term_level and deal.gridded:
            from dealopt.engines.merge import MergeEngine

            merge = MergeEngine()
            if merge.accepts(deal) is None:
                try:
                    raw = merge.solve(deal, seller_min, buyer_min, options)
                except LimitError:
                    pass
                else:
                    return dataclasses.replace(
                        raw, engine=self.name, stats={**raw.stats, "presolve": "merge", "milp_solves": 0}
                    )
        presolve = "reduce" if self.presolve == "merge" else self.presolve
        form = _Formulation(deal, presolve, self.term_level, options, _highs())
        continuous = bool(form.free) or not deal.gridded
        empty = RawFrontier(
            self.name,
            Status.INFEASIBLE,
            np.empty(0),
            np.empty(0),
            [],
            segment=np.zeros(0, dtype=bool) if continuous else None,
        )
        if form.infeasible:
            return empty
        lows = self._minima(form)
        if lows is None:
            return empty
        sweep = _Sweep(form, seller_min, buyer_min)
        verts = sweep.run()
        cap = options.max_packages_per_point if options.all_packages else 1
        packages = [self._ties(form, v, cap) if options.all_packages else [form.package(v.choice, v.t)] for v in verts]
        seller, buyer = self._values(form, deal, [p[0] for p in packages], verts)
        segment = np.asarray([v.seg for v in verts], dtype=bool) if continuous else None
        if segment is not None and len(segment):
            segment[-1] = False
        if not continuous and len(seller):
            keep = pareto_keep(seller, buyer, form.q_s, form.q_b)
            seller, buyer, packages = seller[keep], buyer[keep], [packages[int(k)] for k in keep]
        return RawFrontier(
            self.name,
            Status.OPTIMAL,
            seller,
            buyer,
            packages,
            min_seller=lows[0],
            min_buyer=lows[1],
            segment=segment,
            stats={
                "presolve": presolve,
                "milp_solves": form.solves,
                "binaries": form.binaries,
                "components_tabulated": len(form.blocks),
                "stepless_issues": len(form.free),
                "round_limit_hits": form.round_limit_hits,
            },
        )

    # -- parts ---------------------------------------------------------------
    @staticmethod
    def _minima(form: _Formulation) -> tuple[float, float] | None:
        """(lowest seller, lowest buyer) over feasible packages, or None when none is feasible."""
        out = []
        for party in ("seller", "buyer"):
            row = np.full(len(form.deal.issues), -1, dtype=np.int64)
            for comp, joint in form.tab_min[party]:
                for issue, lv in zip(comp.issues, np.unravel_index(joint, comp.shape)):
                    row[issue] = int(lv)
            x: list[float] = []
            if form.has_terms:
                objective = form.exprs[f"{party}_term"]
                choice = form.solve(objective, pulp.LpMinimize, [], terms_only=True)
                if choice is None:
                    return None
                for i, lv in zip(form.grid, choice.levels):
                    row[i] = lv
                x = [fr.cells[j][0] for fr, j in zip(form.free, choice.cells)]
                for k, (fr, j) in enumerate(zip(form.free, choice.cells)):
                    hi = fr.cells[j][1]
                    xk = list(x)
                    xk[k] = hi
                    if (
                        form.exact(row, xk)[0 if party == "seller" else 1]
                        < form.exact(row, x)[0 if party == "seller" else 1]
                    ):
                        x = xk
            out.append(form.exact(row, x)[0 if party == "seller" else 1])
        return out[0], out[1]

    @staticmethod
    def _ties(form: _Formulation, v: _Vx, cap: int) -> list[dict[str, Any]]:
        """Every package reaching a vertex (up to ``cap``): no-good cuts on the choices near it."""
        out = form.expand(v.choice, v.t, cap)
        seen = {tuple(sorted(p.items())) for p in out}
        cuts = [form.nogood(v.choice, "ng0")]
        ws, wb = 0.5 * form.q_s + form.tol_s, 0.5 * form.q_b + form.tol_b
        window = [
            form.ge(form.seller, (v.s - ws) / form.B_s, "s_lo"),
            form.le(form.seller, (v.s + ws) / form.B_s, "s_hi"),
            form.ge(form.buyer, (v.b - wb) / form.B_b, "b_lo"),
            form.le(form.buyer, (v.b + wb) / form.B_b, "b_hi"),
        ]
        cell = (round(v.s / form.q_s), round(v.b / form.q_b))
        while len(out) < cap:
            choice = form.solve(form.seller, pulp.LpMaximize, window + cuts)
            if choice is None:
                break
            cuts.append(form.nogood(choice, f"ng{len(cuts)}"))
            t = _locate(form.polygon(choice), v.s, v.b, 0.5 * form.q_s, 0.5 * form.q_b)
            if t is None:
                continue
            row = form.levels_of(choice)
            s, b = form.exact(row, form.x_of(choice, t))
            if not form.free and (round(s / form.q_s), round(b / form.q_b)) != cell:
                continue
            for p in form.expand(choice, t, cap - len(out)):
                key = tuple(sorted(p.items()))
                if key not in seen:
                    seen.add(key)
                    out.append(p)
        return out

    @staticmethod
    def _values(
        form: _Formulation, deal: CompiledDeal, reps: list[dict[str, Any]], verts: list[_Vx]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The reported utilities: the evaluator's values of the representative packages."""
        if not reps:
            return np.empty(0), np.empty(0)
        if deal.gridded:
            rows = np.stack([form.levels_of(v.choice) for v in verts])
            ev = evaluate_indices(deal, rows)
        else:
            ev = evaluate(deal, reps)
        if not ev.feasible.all():
            raise SolveError("milp: a frontier package evaluates as infeasible", engine="milp")
        return ev.seller.astype(float), ev.buyer.astype(float)
