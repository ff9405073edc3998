"""What the MILP engine asks besides the sweep: the lowest utilities, and every package reaching a vertex."""

from __future__ import annotations

from typing import Any

import numpy as np

from dealopt.engines.milp.formulation import Formulation
from dealopt.engines.milp.geometry import locate
from dealopt.engines.milp.sweep import Vx

__all__ = ["minima", "ties"]


def minima(form: Formulation) -> tuple[float, float] | None:
    """(lowest seller, lowest buyer) over feasible packages, or None when none is feasible.

    The minimum of a sum of independent parts is the sum of their minima: the tables' minima plus one
    minimize solve over the term-level components per party.
    """
    out = []
    for k, party in enumerate(("seller", "buyer")):
        row = np.full(len(form.deal.issues), -1, dtype=np.int64)
        for comp, joint in form.tab_min[party]:
            for issue, lv in zip(comp.issues, np.unravel_index(joint, comp.shape)):
                row[issue] = int(lv)
        x: list[float] = []
        if form.has_terms:
            with form.question():
                choice = form.solve(form.expr[f"{party}_term"], maximize=False, terms_only=True)
            if choice is None:
                return None
            for i, level in zip(form.grid, choice.levels):
                row[i] = level
            x = [fr.cells[j][0] for fr, j in zip(form.free, choice.cells)]
            for j, (fr, cell) in enumerate(zip(form.free, choice.cells)):
                xk = list(x)
                xk[j] = fr.cells[cell][1]
                if form.choices.exact(row, xk)[k] < form.choices.exact(row, x)[k]:
                    x = xk
        out.append(form.choices.exact(row, x)[k])
    return out[0], out[1]


def ties(form: Formulation, v: Vx, cap: int) -> list[dict[str, Any]]:
    """Every package reaching a vertex (up to ``cap``): no-good cuts on the choices in a narrow window around it."""
    ch = form.choices
    out = ch.expand(v.choice, v.t, cap)
    seen = {tuple(sorted(p.items())) for p in out}
    ws, wb = 0.5 * form.q_s + form.tol_s, 0.5 * form.q_b + form.tol_b
    cell = (round(v.s / form.q_s), round(v.b / form.q_b))
    with form.question():
        form.cut(v.choice)
        form.bound("seller", lo=v.s - ws, hi=v.s + ws)
        form.bound("buyer", lo=v.b - wb, hi=v.b + wb)
        while len(out) < cap:
            choice = form.solve(form.seller, maximize=True)
            if choice is None:
                break
            form.cut(choice)
            t = locate(ch.polygon(choice), v.s, v.b, 0.5 * form.q_s, 0.5 * form.q_b)
            if t is None:
                continue
            row = ch.levels_of(choice)
            s, b = ch.exact(row, ch.x_of(choice, t))
            if not form.free and (round(s / form.q_s), round(b / form.q_b)) != cell:
                continue
            for p in ch.expand(choice, t, cap - len(out)):
                key = tuple(sorted(p.items()))
                if key not in seen:
                    seen.add(key)
                    out.append(p)
    return out
