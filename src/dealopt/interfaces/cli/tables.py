"""Tables of packages sized to the terminal: money never cut (abbreviated as 1.08M when narrow), units in headers.

A table has value columns (utilities, money or normalized) and the package's levels. It is laid out in the
first way that fits the console's width: levels one column per issue with full figures; the same with
abbreviated figures; then the levels together in one folded ``package`` column. Value columns never wrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dealopt.interfaces.cli.console import lit, literal

__all__ = ["PackageRow", "money", "package_table", "short_money"]


def money(x: float | None, normalized: bool) -> str:
    """A utility in full: "1,078,702.50", "0.8120", "—" when there is none."""
    if x is None:
        return "—"
    return f"{x:.4f}" if normalized else f"{x:,.2f}"


def short_money(x: float | None, normalized: bool) -> str:
    """A utility abbreviated: "1.08M", "45.2k", "950", "0.812"."""
    if x is None:
        return "—"
    if normalized:
        return f"{x:.3f}"
    size = abs(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            shown = f"{x / scale:.2f}" if size < 100 * scale else f"{x / scale:.1f}"
            return shown + suffix
    return f"{x:,.0f}"


@dataclass(frozen=True)
class PackageRow:
    """One row: its label, its values (None: blank) and its package's levels by issue (None: no package)."""

    label: str
    values: Sequence[float | None]
    package: dict[str, Any] | None
    note: str = ""


def _level(value: Any) -> str:
    from dealopt.model.levels import display_value

    return f"{value:g}" if isinstance(value, float) else str(display_value(value))


def _width(cells: Sequence[str]) -> int:
    return max((len(c) for c in cells), default=0)


def package_table(
    console: Console,
    rows: Sequence[PackageRow],
    *,
    label: str,
    value_headers: Sequence[str],
    issues: Sequence[str],
    issue_units: dict[str, str],
    unit: str,
    normalized: bool,
    title: str | None = None,
    blank_values: bool = False,
) -> Table:
    """The rows as a table that fits ``console``'s width."""
    width = console.width
    unit_line = f"({unit})" if unit else ""
    notes = any(r.note for r in rows)
    labels = [literal(r.label) for r in rows]
    levels = {n: [literal(_level(r.package[n])) if r.package and n in r.package else "" for r in rows] for n in issues}
    headers = {n: literal(n) + (f"\n({literal(issue_units[n])})" if issue_units.get(n) else "") for n in issues}

    def values(fmt: Any) -> list[list[str]]:
        return [[fmt(v, normalized) if v is not None else "" for v in r.values] for r in rows]

    def total(value_cells: list[list[str]], per_issue: bool) -> int:
        cols = [_width([label, *labels])]
        cols += [max(_width([c[k] for c in value_cells]), len(h), len(unit_line)) for k, h in enumerate(value_headers)]
        if per_issue:
            cols += [max(_width(levels[n]), *(len(x) for x in headers[n].split("\n"))) for n in issues]
        else:
            cols.append(24)  # a folded package column needs some room
        if notes:
            cols.append(_width([r.note for r in rows] + ["note"]))
        return sum(cols) + 3 * len(cols) + 1

    layouts = [(money, True), (short_money, True), (money, False), (short_money, False)]
    chosen = layouts[-1]
    for fmt, per_issue in layouts:
        if total(values(fmt), per_issue) <= width:
            chosen = (fmt, per_issue)
            break
    fmt, per_issue = chosen
    cells = values(fmt)
    table = Table(show_header=True, header_style="bold", title=title, title_justify="left")
    table.add_column(label, no_wrap=True)
    for k, head in enumerate(value_headers):
        head_text = f"{head}\n{unit_line}" if unit_line else head
        need = max(_width([c[k] for c in cells]), *(len(x) for x in head_text.split("\n")))
        table.add_column(head_text, justify="right", no_wrap=True, min_width=need)
    if per_issue:
        for n in issues:
            table.add_column(headers[n], overflow="fold")
    else:
        table.add_column("package", overflow="fold", ratio=1)
    if notes:
        table.add_column("note", overflow="fold")
    for i, (r, lab, vals) in enumerate(zip(rows, labels, cells)):
        row: list[Any] = [Text(lab), *vals]
        if per_issue:
            row += [Text(levels[n][i]) for n in issues]
        else:
            pkg = r.package or {}
            row.append(lit(", ".join(f"{n}={_level(pkg[n])}" for n in issues if n in pkg)))
        if notes:
            row.append(lit(r.note))
        table.add_row(*row)
    return table
