"""Utility as a function of the price, one curve per row: const + lin·p + Σ K_t·g_t(p)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dealopt.batch.pricing.model import Combos, Split
from dealopt.model.compiled import CompiledFactor

__all__ = ["Curve", "curve_of_combos", "curve_of_levels"]

Factors = tuple[CompiledFactor, ...]


def _g(factors: Factors, p: np.ndarray) -> np.ndarray:
    out = np.ones_like(p, dtype=float)
    for f in factors:
        out = out * f.on_values(p)
    return out


class Curve:
    """Per-row utility of the price; ``other`` holds the terms where the price is not a bare factor."""

    __slots__ = ("const", "lin", "other")

    def __init__(self, const: np.ndarray, lin: np.ndarray, other: Sequence[tuple[np.ndarray, Factors]] = ()) -> None:
        self.const = const
        self.lin = lin
        self.other = tuple(other)

    @property
    def affine(self) -> bool:
        """Whether the curve is a + b·p."""
        return not self.other

    def rows(self, sl: slice | np.ndarray) -> Curve:
        """The curves of some rows."""
        return Curve(self.const[sl], self.lin[sl], [(k[sl], g) for k, g in self.other])

    def at(self, p: np.ndarray) -> np.ndarray:
        """Utility at prices ``p``: one per row, shape (n,), or a row of prices per row, shape (n, m)."""
        col = (slice(None), None) if p.ndim == 2 else (slice(None),)
        out = self.const[col] + self.lin[col] * p
        for k, g in self.other:
            out = out + k[col] * _g(g, p)
        result: np.ndarray = out
        return result

    def on_grid(self, grid: np.ndarray) -> np.ndarray:
        """Utility at the same prices for every row: shape (n, len(grid))."""
        out = self.const[:, None] + self.lin[:, None] * grid[None, :]
        for k, g in self.other:
            out = out + k[:, None] * _g(g, grid)[None, :]
        result: np.ndarray = out
        return result

    def shifted(self, by: np.ndarray) -> Curve:
        """The curve minus ``by`` (per row)."""
        return Curve(self.const - by, self.lin, self.other)

    def combined(self, a: float, other: Curve, b: float) -> Curve:
        """a·self + b·other."""
        return Curve(
            a * self.const + b * other.const,
            a * self.lin + b * other.lin,
            [(a * k, g) for k, g in self.other] + [(b * k, g) for k, g in other.other],
        )

    def function(self) -> tuple[Callable[..., np.ndarray], tuple[np.ndarray, ...]]:
        """``(f, args)`` with f(p, *args) the curve, elementwise (as ``scipy.optimize.elementwise`` calls it)."""
        groups = tuple(g for _, g in self.other)

        def f(p: np.ndarray, const: np.ndarray, lin: np.ndarray, *ks: np.ndarray) -> np.ndarray:
            out = const + lin * p
            for k, g in zip(ks, groups):
                out = out + k * _g(g, p)
            result: np.ndarray = out
            return result

        return f, (self.const, self.lin, *(k for k, _ in self.other))


def curve_of_combos(table: Combos, combo: np.ndarray) -> Curve:
    """Rows' curves read from a side's tables at their combos."""
    return Curve(
        np.take(table.const, combo), np.take(table.lin, combo), [(np.take(k, combo), g) for k, g in table.other]
    )


def curve_of_levels(splits: Sequence[Split], value: list[np.ndarray], index: list[np.ndarray], n: int) -> Curve:
    """Rows' curves term by term, from each issue's values and level indices."""
    const = np.zeros(n)
    lin = np.zeros(n)
    other: list[tuple[np.ndarray, Factors]] = []
    for s in splits:
        k = np.full(n, s.coef)
        for f, table in zip(s.rest, s.tables):
            k = k * (table[np.maximum(index[f.issue], 0)] if table is not None else f.on_values(value[f.issue]))
        if s.shape == "const":
            const = const + k
        elif s.shape == "lin":
            lin = lin + k
        else:
            other.append((k, s.price))
    return Curve(const, lin, other)
