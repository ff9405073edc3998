"""The ε-constraint sweep: the frontier traced by increasing buyer utility, pieces followed exactly.

See ``docs/milp.md``. The solver only proposes choices; each proposal is checked
on its exact polygon and cut off with a no-good once accounted for.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from dealopt.engines.base import cut_at
from dealopt.engines.milp.choices import Choice
from dealopt.engines.milp.formulation import Formulation
from dealopt.engines.milp.geometry import P, chain, clip, lerp, lexmax

__all__ = ["Sweep", "Vx", "ROUNDS"]

#: Most proposals checked for one question to the solver.
ROUNDS = 48


@dataclass
class Vx:
    """A frontier vertex under construction."""

    s: float
    b: float
    choice: Choice
    t: tuple[float, ...]
    seg: bool = False  # the line to the next vertex is efficient
    carrier: tuple[Choice, tuple[float, ...], tuple[float, ...]] | None = None  # what realizes that line


def _rounds(form: Formulation) -> Iterator[int]:
    """Up to ``ROUNDS`` proposals for one question; counts the questions that ran out."""
    yield from range(ROUNDS)
    form.round_limit_hits += 1


class Sweep:
    """ε-constraint sweep with exact continuation along the pieces of a piecewise-linear frontier."""

    def __init__(self, form: Formulation, seller_min: float | None, buyer_min: float | None) -> None:
        self.f = form
        self.F: list[Vx] = []
        self.smin = cut_at(seller_min)
        self.bmin = cut_at(buyer_min)

    # -- helpers -------------------------------------------------------
    def bounded(self, poly: list[P], buyer_from: float | None = None) -> list[P]:
        out = poly
        for lo in (self.bmin, buyer_from):
            if lo is not None:
                out = clip(out, 0.0, 1.0, lo)
        if self.smin is not None:
            out = clip(out, 1.0, 0.0, self.smin)
        return out

    def cell_s(self, s: float) -> int:
        return round(s / self.f.q_s)

    def grid_next(self, b: float) -> float:
        """The top of the buyer grid cell of ``b``: anything above is a different buyer utility."""
        q_b = self.f.q_b
        top = (math.floor(b / q_b + 0.5) + 0.5) * q_b
        return top if top > b else top + q_b  # b on a cell edge, up to rounding

    def best(
        self, beta: float | None, strict: bool, exclude: list[Choice] | None = None
    ) -> tuple[Choice, list[P]] | None:
        """The choice with the best seller utility at buyer ≥ beta, and its polygon cut there.

        The solver only proposes. A threshold ``T`` becomes the row ``≥ T + tol``, so what the solver
        accepts (within its tolerance) is what is ≥ T; each proposal is checked on its exact polygon, and
        one that falls short (let through by the solver's fuzz) is cut off with a no-good and the solve
        repeated. The answer is then confirmed by asking for a seller utility one grid cell better until
        nothing (exactly) better is left: HiGHS now and then proves a wrong optimum, and the optimum is
        fragile near a vertex of a polygon. ``exclude``: choices known not to reach ``beta``.
        """
        f = self.f
        found: tuple[Choice, list[P], float] | None = None
        with f.question():
            if beta is not None:
                f.bound("buyer", lo=beta + (f.tol_b if strict else 0.0))
            for ch in exclude or ():
                f.cut(ch)
            for _ in _rounds(f):
                lows = [v for v in (self.smin, None if found is None else found[2] + f.q_s + f.tol_s) if v is not None]
                f.bound("seller", lo=max(lows) if lows else None)
                choice = f.solve(f.seller, maximize=True)
                if choice is None:
                    break
                f.cut(choice)
                poly = f.choices.polygon(choice)
                if beta is not None:
                    poly = clip(poly, 0.0, 1.0, beta)
                poly = self.bounded(poly)
                if not poly:  # the solver's tolerance let it through
                    continue
                top = chain(poly)[0].s
                if found is None or top > found[2]:
                    found = (choice, poly, top)
        return None if found is None else (found[0], found[1])

    def dominated(self, a: Vx, b: P, own: Choice) -> tuple[P, Choice, float, float] | None:
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
        found: tuple[P, Choice] | None = None
        floor = b.s
        with f.question():
            f.line(w, c + 2 * unit)
            f.bound("buyer", lo=a.b)
            f.cut(own)  # a chain's own choice lies below each of its edges
            for _ in _rounds(f):
                f.bound("seller", lo=floor)
                choice = f.solve(f.seller, maximize=True)
                if choice is None:
                    break
                f.cut(choice)
                q = clip(self.bounded(f.choices.polygon(choice), a.b), 1.0, 0.0, b.s)
                q = clip(q, 1.0, w, c)
                if not q or max(p.s + w * p.b - c for p in q) <= 0.5 * unit:
                    continue  # only within the solver's tolerance of the line
                top = lexmax(q)
                if found is None or top.s > found[0].s:
                    found = (top, choice)
                    floor = top.s + f.q_s + f.tol_s  # what is left to find dominates earlier points
        return None if found is None else (found[0], found[1], w, c)

    # -- the sweep ---------------------------------------------------------
    def run(self) -> list[Vx]:
        """The vertices of the frontier; on :class:`TimeUp`, :attr:`F` holds those found so far."""
        f = self.f
        F = self.F
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
            if F and beta is not None and max(p.b for p in f.choices.polygon(F[-1].choice)) < beta:
                exclude.append(F[-1].choice)
            got = self.best(beta, strict=b_cur is not None, exclude=exclude)
            if got is None:
                break
            choice, poly = got
            if F and f.K and b_cur is not None and F[-1].b == b_cur:
                line = chain(self.bounded(f.choices.polygon(choice), F[-1].b))
                if len(line) > 1 and abs(line[0].s - F[-1].s) <= 2 * f.q_s and abs(line[0].b - F[-1].b) <= 2 * f.q_b:
                    b_new = self.follow(F, choice, line)
                    b_cur = max(b_new, beta) if beta is not None else b_new
                    continue
            edges = chain(poly)
            start = edges[0]
            self.push(F, Vx(start.s, start.b, choice, start.t))
            b_new = self.follow(F, choice, edges)
            b_cur = max(b_new, beta) if beta is not None else b_new
        return F

    def continuation(self, v: Vx) -> tuple[Choice, list[P]] | None:
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
        best: tuple[float, Choice, list[P]] | None = None
        for cells in itertools.product(*options):
            choice = dataclasses.replace(v.choice, cells=tuple(cells))
            edges = chain(self.bounded(f.choices.polygon(choice), v.b))
            if len(edges) < 2 or abs(edges[0].s - v.s) > 2 * f.q_s or abs(edges[0].b - v.b) > 2 * f.q_b:
                continue
            rate = (edges[0].s - edges[1].s) / (edges[1].b - edges[0].b)
            if best is None or rate < best[0]:
                best = (rate, choice, edges)
        return None if best is None else (best[1], best[2])

    def push(self, F: list[Vx], v: Vx) -> None:
        """Append a vertex after a gap, dropping what it dominates (same seller cell, higher buyer)."""
        q_s = self.f.q_s
        while F and self.cell_s(v.s) >= self.cell_s(F[-1].s):
            gone = F.pop()
            if F and F[-1].seg and (carrier := F[-1].carrier) is not None:
                a = F[-1]
                ch, ta, tb = carrier
                s_r = v.s + q_s
                if a.s > s_r > gone.s:
                    lam = (a.s - s_r) / (a.s - gone.s)
                    r = lerp(P(a.s, a.b, ta), P(gone.s, gone.b, tb), lam)
                    a.carrier = (ch, ta, r.t)
                    F.append(Vx(r.s, r.b, ch, r.t))
                else:
                    a.seg, a.carrier = False, None
        if F:
            F[-1].seg, F[-1].carrier = False, None
        F.append(v)

    def follow(self, F: list[Vx], choice: Choice, edges: list[P]) -> float:
        """Walk the efficient edges of a chain from its first vertex (F[-1]); the buyer utility reached."""
        q_s = self.f.q_s
        t_a = edges[0].t
        for b in edges[1:]:
            a = F[-1]
            if b.b <= a.b or b.s >= a.s:
                continue
            dom = self.dominated(a, b, choice)
            if dom is None:
                a.seg, a.carrier = True, (choice, t_a, b.t)
                F.append(Vx(b.s, b.b, choice, b.t))
                t_a = b.t
                continue
            top, t_choice, w, c = dom
            s_r = min(top.s, a.s)
            lam = (a.s - s_r) / (a.s - b.s)
            edge_a = P(a.s, a.b, t_a)
            if top.s + w * top.b - c <= 0.5 * (self.f.q_s + w * self.f.q_b):
                # the pieces cross at `top`: efficient up to there, closed
                if lam <= 1e-12:
                    return a.b
                r = lerp(edge_a, b, lam)
                a.seg, a.carrier = True, (choice, t_a, r.t)
                F.append(Vx(top.s, top.b, t_choice, top.t))
                return top.b
            # `top` lies above the line: the edge is efficient up to R (open), R being weakly dominated
            b_r = a.b + lam * (b.b - a.b)
            s_r2 = s_r + q_s
            lam2 = (a.s - s_r2) / (a.s - b.s)
            if lam2 > 1e-12:
                r2 = lerp(edge_a, b, lam2)
                a.seg, a.carrier = True, (choice, t_a, r2.t)
                F.append(Vx(r2.s, r2.b, choice, r2.t))
            return b_r
        return F[-1].b
