"""The merge with continuous issues without step: Minkowski sums of segments and points, filtered exactly.

The tabulated components are merged as points first; then each component with
stepless issues, as the pieces of its efficient chains
(:mod:`dealopt.engines.pieces`), is added: every sum of a frontier piece so far
and a component piece is a chain of at most two edges, and the frontier of the
union of those chains is traced by :func:`dealopt.engines.envelope.envelope`.
Each stage remembers where its pieces come from, so a vertex of the last stage
is traced back to one gridded level per issue and one value per stepless issue;
the utilities reported are the evaluator's for that package.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from dealopt.engines.base import EngineOptions, RawFrontier, Status, cut_at, drop_collinear, resolution
from dealopt.engines.envelope import Pieces, Vertex, envelope, minkowski
from dealopt.engines.pieces import ComponentPieces, component_pieces
from dealopt.engines.point_merge import PointMerge, merge_points
from dealopt.engines.values import values_of
from dealopt.errors import SolveError
from dealopt.model.compiled import CompiledDeal
from dealopt.model.levels import display_value

__all__ = ["merge_segments"]


@dataclass
class _Stage:
    """One component added: the candidates' origins, the pieces the envelope kept, the frontier's pieces."""

    from_prev: Pieces | None  # per candidate: piece of the previous frontier (or merged point) and position
    from_comp: Pieces  # per candidate: piece of the component and position
    kept: Pieces  # per kept piece: candidate and positions on it
    frontier: Pieces  # per frontier piece: kept piece and positions on it


def _identity(p: Pieces) -> Pieces:
    n = len(p)
    return Pieces(p.s0, p.b0, p.s1, p.b1, np.arange(n), np.zeros(n), np.ones(n))


def _as_pieces(verts: list[Vertex]) -> Pieces:
    """The frontier as pieces: one per efficient edge, one per vertex joined to no edge."""
    rows = []
    for i, v in enumerate(verts):
        if v.seg and v.carrier is not None:
            k, la, lb = v.carrier
            nxt = verts[i + 1]
            rows.append((v.s, v.b, nxt.s, nxt.b, k, la, lb))
        elif not (i > 0 and verts[i - 1].seg):
            rows.append((v.s, v.b, v.s, v.b, v.piece, v.lam, v.lam))
    if not rows:
        z = np.empty(0)
        return Pieces(z, z, z, z, np.empty(0, dtype=np.int64), z, z)
    cols = list(zip(*rows))
    return Pieces(*(np.asarray(c, dtype=np.int64 if j == 4 else float) for j, c in enumerate(cols)))


def _at(p: Pieces, k: int, lam: float) -> tuple[int, float]:
    """The source piece and position of position ``lam`` on piece ``k``."""
    return int(p.src[k]), float(p.t0[k] + lam * (p.t1[k] - p.t0[k]))


@dataclass
class _Prepared:
    """What does not depend on the walk-aways: the merged points, the components' pieces, all stages but the
    last, and the last stage's candidates."""

    points: PointMerge | None
    comps: list[ComponentPieces]
    stages: list[_Stage]
    from_prev: Pieces | None
    from_comp: Pieces
    candidates: int
    min_seller: float
    min_buyer: float
    tied_points: PointMerge | None = None  # the tabulated components merged with every tie (made when asked)


_PREPARED: weakref.WeakKeyDictionary[CompiledDeal, _Prepared | None] = weakref.WeakKeyDictionary()


def _prepare(deal: CompiledDeal, q_s: float, q_b: float) -> _Prepared | None:
    """The deal's stages up to the last one (None when no package is feasible); cached per deal."""
    if deal in _PREPARED:
        return _PREPARED[deal]
    tabulated = tuple(c for c in deal.components if c.tables is not None)
    points: PointMerge | None = None
    lo_s = lo_b = 0.0
    out: _Prepared | None = None
    if tabulated:
        points = merge_points(tabulated, q_s, q_b, ties=False)
    comps = [component_pieces(deal, c) for c in deal.components if c.tables is None]
    if (points is not None or not tabulated) and all(cp.feasible for cp in comps):
        if points is not None:
            lo_s, lo_b = points.min_seller, points.min_buyer
        current: Pieces | None = None
        if points is not None:
            n = len(points.seller)
            z = np.zeros(n)
            current = Pieces(points.seller, points.buyer, points.seller, points.buyer, np.arange(n), z, z)
        stages: list[_Stage] = []
        candidates = 0
        for k, cp in enumerate(comps):
            if current is None:
                from_prev, from_comp = None, _identity(cp.pieces)
            else:
                from_prev, from_comp = minkowski(current, cp.pieces)
            candidates += len(from_comp)
            if k == len(comps) - 1:
                break
            verts, kept = envelope(_identity(from_comp), q_s, q_b)
            current = _as_pieces(verts)
            stages.append(_Stage(from_prev, from_comp, kept, current))
        lo_s += sum(cp.min_seller for cp in comps)
        lo_b += sum(cp.min_buyer for cp in comps)
        out = _Prepared(points, comps, stages, from_prev, from_comp, candidates, lo_s, lo_b)
    _PREPARED[deal] = out
    return out


def merge_segments(
    engine: str, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
) -> RawFrontier:
    """The piecewise-linear frontier of a deal whose stepless issues enter its utilities affinely."""
    q_s, q_b = resolution(deal)
    prep = _prepare(deal, q_s, q_b)
    if prep is None:
        return RawFrontier(engine, Status.INFEASIBLE, np.empty(0), np.empty(0), [], segment=np.zeros(0, dtype=bool))
    verts, kept = envelope(_identity(prep.from_comp), q_s, q_b, cut_at(seller_min), cut_at(buyer_min))
    stages = [*prep.stages, _Stage(prep.from_prev, prep.from_comp, kept, _as_pieces(verts))]
    seller = np.asarray([v.s for v in verts])
    buyer = np.asarray([v.b for v in verts])
    seg = np.asarray([v.seg for v in verts], dtype=bool)
    verts = [verts[i] for i in drop_collinear(seller, buyer, seg, q_s, q_b)]
    stats = {"components": len(deal.components), "stepless_components": len(prep.comps), "pieces": prep.candidates}
    if not verts:
        return RawFrontier(
            engine, Status.OPTIMAL, np.empty(0), np.empty(0), [], prep.min_seller, prep.min_buyer,
            np.zeros(0, dtype=bool), stats,
        )  # fmt: skip
    index = np.zeros((len(verts), len(deal.issues)), dtype=np.int64)
    x = np.full((len(verts), len(deal.issues)), np.nan)
    for r, v in enumerate(verts):
        _locate(prep, stages, v, index, x, r)
    s_val, b_val, feasible = values_of(deal, index, x)
    if not feasible.all():
        raise SolveError("merge: a frontier package evaluates as infeasible", engine=engine)
    packages = [[_labels(deal, index[r], x[r])] for r in range(len(verts))]
    if options.all_packages:
        for r, v in enumerate(verts):
            packages[r] += _ties(deal, prep, stages, v, options.max_packages_per_point, packages[r][0], q_s, q_b)
    seg = np.asarray([v.seg for v in verts], dtype=bool)
    seg[-1] = False
    return RawFrontier(engine, Status.OPTIMAL, s_val, b_val, packages, prep.min_seller, prep.min_buyer, seg, stats)


def _labels(deal: CompiledDeal, row: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    return {i.name: display_value(i.labels[int(row[i.index])]) if i.gridded else float(x[i.index]) for i in deal.issues}


def _locate(prep: _Prepared, stages: list[_Stage], v: Vertex, index: np.ndarray, x: np.ndarray, r: int) -> None:
    """Write the package reaching vertex ``v`` of the last stage into row ``r`` of ``index`` and ``x``."""
    piece, lam = v.piece, v.lam
    for k in range(len(stages) - 1, -1, -1):
        st = stages[k]
        cand, tau = _at(st.kept, piece, lam)
        c_piece, c_pos = _at(st.from_comp, cand, tau)
        cp = prep.comps[k]
        if cp.grid:
            for issue, level in zip(cp.grid, np.unravel_index(int(cp.joint[c_piece]), cp.shape)):
                index[r, issue] = int(level)
        t = min(1.0, max(0.0, c_pos))
        for issue, a, b in zip(cp.free, cp.x0[c_piece], cp.x1[c_piece]):
            x[r, issue] = a + t * (b - a) if a != b else a
        if st.from_prev is None:
            return
        prev, pos = _at(st.from_prev, cand, tau)
        if k == 0:
            assert prep.points is not None
            prep.points.fill(index[r : r + 1], np.asarray([prev]))
            return
        piece, lam = _at(stages[k - 1].frontier, prev, pos)


def _through(p: Pieces, s: float, b: float, q_s: float, q_b: float) -> tuple[np.ndarray, np.ndarray]:
    """The pieces passing within a grid unit and a half of (s, b), and the position on each."""
    ds, db = p.s1 - p.s0, p.b1 - p.b0
    by_buyer = np.abs(db) / q_b >= np.abs(ds) / q_s
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(by_buyer, (b - p.b0) / db, (s - p.s0) / ds)
    tau = np.where((ds == 0) & (db == 0), 0.0, np.clip(np.nan_to_num(tau), 0.0, 1.0))
    ok = (np.abs(p.s0 + tau * ds - s) <= 1.5 * q_s) & (np.abs(p.b0 + tau * db - b) <= 1.5 * q_b)
    return np.flatnonzero(ok), tau[ok]


def _ties(
    deal: CompiledDeal,
    prep: _Prepared,
    stages: list[_Stage],
    v: Vertex,
    cap: int,
    first: dict[str, Any],
    q_s: float,
    q_b: float,
) -> list[dict[str, Any]]:
    """Every other package reaching vertex ``v`` (up to ``cap`` in all): each stage's candidates through the
    point, traced back stage by stage, the tabulated components' ties expanded."""
    if prep.points is not None and prep.tied_points is None:
        tabulated = tuple(c for c in deal.components if c.tables is not None)
        prep.tied_points = merge_points(tabulated, q_s, q_b, ties=True)
    n = len(deal.issues)
    # a stepless value found twice (through two pieces meeting at the vertex) up to rounding is one package
    unit = {i.index: 1e-8 * max(1.0, abs(i.lo or 0.0), abs(i.hi or 0.0)) for i in deal.issues if not i.gridded}

    def key_of(pkg: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(round(pkg[i.name] / unit[i.index]) if i.index in unit else pkg[i.name] for i in deal.issues)

    seen = {key_of(first)}
    out: list[dict[str, Any]] = []

    def emit(row: np.ndarray, x: np.ndarray) -> None:
        pkg = _labels(deal, row, x)
        key = key_of(pkg)
        if key not in seen and len(out) + 1 < cap:
            seen.add(key)
            out.append(pkg)

    def walk(k: int, s: float, b: float, row: np.ndarray, x: np.ndarray) -> None:
        st = stages[k]
        cands, taus = _through(st.from_comp, s, b, q_s, q_b)
        for cand, tau in zip(cands, taus):
            if len(out) + 1 >= cap:
                return
            row, x = row.copy(), x.copy()
            c_piece, c_pos = _at(st.from_comp, int(cand), float(tau))
            cp = prep.comps[k]
            if cp.grid:
                for issue, level in zip(cp.grid, np.unravel_index(int(cp.joint[c_piece]), cp.shape)):
                    row[issue] = int(level)
            t = min(1.0, max(0.0, c_pos))
            for issue, a, c in zip(cp.free, cp.x0[c_piece], cp.x1[c_piece]):
                x[issue] = a + t * (c - a) if a != c else a
            if st.from_prev is None:
                emit(row, x)
                continue
            prev, pos = _at(st.from_prev, int(cand), float(tau))
            if k == 0:
                assert prep.tied_points is not None
                for levels in prep.tied_points.packages(deal, prev, cap, [int(r) for r in row]):
                    emit(np.asarray(levels), x)
                continue
            fp = stages[k - 1].frontier
            walk(
                k - 1,
                fp.s0[prev] + pos * (fp.s1[prev] - fp.s0[prev]),
                fp.b0[prev] + pos * (fp.b1[prev] - fp.b0[prev]),
                row,
                x,
            )

    walk(len(stages) - 1, v.s, v.b, np.zeros(n, dtype=np.int64), np.full(n, np.nan))
    return out
