"""``dealopt frontier``: the answer first (verdict, bargaining packages), then the frontier condensed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dealopt.interfaces.cli.console import JsonOpt, ModelArg, emit_json, fail, fmt, lit, literal, load_deal, out

if TYPE_CHECKING:
    from dealopt.model.compiled import CompiledDeal
    from dealopt.negotiation.frontier import FrontierResult

__all__ = ["evenly_spread", "print_frontier", "register"]

#: Frontier points shown by default.
DEFAULT_TOP = 15


def evenly_spread(n: int, top: int) -> list[int]:
    """``top`` indices out of ``range(n)``, evenly spread, both ends included (all of them when n ≤ top)."""
    if n <= top:
        return list(range(n))
    if top == 1:
        return [0]
    return sorted({round(k * (n - 1) / (top - 1)) for k in range(top)})


def frontier(
    model: ModelArg,
    engine: Annotated[str, typer.Option("--engine", "-e", help="Frontier engine: {engines}.")] = "auto",
    top: Annotated[
        int, typer.Option("--top", help="Frontier points to show, evenly spread (the table only; ≥ 1).")
    ] = DEFAULT_TOP,
    show_all: Annotated[bool, typer.Option("--all", help="Show every frontier point.")] = False,
    all_packages: Annotated[
        bool, typer.Option("--all-packages", help="List every package reaching each point.")
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", metavar="PNG", help="Draw the frontier to this PNG file.")
    ] = None,
    max_space: Annotated[
        int, typer.Option("--max-space", help="enumerate: largest outcome space to list.")
    ] = 200_000_000,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            metavar="SECONDS",
            help="milp: stop after this many seconds with the frontier found so far (status time_limit).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The ZOPA verdict and the bargaining packages, then the Pareto frontier of the ZOPA."""
    from dealopt.negotiation.frontier import frontier as solve

    if top < 1:
        fail(f"--top: {top}; expected a number ≥ 1")
    if plot is not None and (plot.suffix.lower() != ".png" or plot.is_dir() or not plot.parent.is_dir()):
        fail(f"--plot: {plot}; expected a .png file in an existing folder")
    deal = load_deal(model)
    result = solve(deal, engine, all_packages=all_packages, max_space=max_space, time_limit=time_limit)
    if plot is not None:
        from dealopt.interfaces.plot import plot_frontier

        plot_frontier(result, deal, plot)
    if as_json:
        doc = result.to_dict(all_packages=all_packages)
        if plot is not None:
            doc["plot"] = str(plot)
        emit_json(doc)
        return
    print_frontier(result, deal, all_packages, None if show_all else top)
    if plot is not None:
        out.print(literal(f"plot written to {plot}"))


def _units(deal: CompiledDeal) -> tuple[str, dict[str, str]]:
    unit = "normalized" if deal.normalized else deal.model.unit_label
    return unit, {i.name: i.spec.unit for i in deal.issues if getattr(i.spec, "unit", None)}


def print_frontier(result: FrontierResult, deal: CompiledDeal, all_packages: bool, top: int | None) -> None:
    """Verdict, bargaining packages, then the frontier (``top`` evenly spread points, or all of them)."""
    from rich.text import Text

    from dealopt.interfaces.cli.tables import PackageRow, package_table

    norm = deal.normalized
    w_s, w_b = result.walk_away
    n = len(result.points)
    if result.zopa:
        so_far = " found before the time limit" if result.status == "time_limit" else ""
        verdict = Text.assemble(("ZOPA: yes", "bold green"), f" — {n} efficient package{'s' * (n != 1)}{so_far}")
    else:
        verdict = Text.assemble(("no deal", "bold red"), ": ", lit(result.no_deal.message if result.no_deal else ""))
    out.print(Text.assemble(lit(result.model, "bold"), ": ", verdict))
    out.print(
        f"engine {result.engine}, {result.seconds * 1e3:.1f} ms; "
        f"walk-away seller {fmt(w_s, norm)}, buyer {fmt(w_b, norm)}"
    )
    if result.note:
        out.print(lit(result.note))
    if result.status == "time_limit":
        out.print(
            Text.assemble(
                ("status: time_limit", "bold yellow"),
                " — the time limit ran out: the frontier found so far (its high-seller end), not all of it; "
                "the bargaining packages below are those of this part",
            )
        )
    elif result.status not in ("optimal", "infeasible"):
        out.print(lit(f"status: {result.status}"))
    if not result.zopa:
        return
    unit, issue_units = _units(deal)
    names = list(result.issues)
    solutions = [
        ("Nash", result.nash),
        ("Kalai–Smorodinsky", result.kalai_smorodinsky),
        ("max joint value", result.max_joint),
        ("egalitarian", result.egalitarian),
    ]
    rows = [PackageRow(label, (s.seller, s.buyer, s.joint), s.package) for label, s in solutions if s is not None]
    common: dict[str, Any] = {
        "value_headers": ("seller", "buyer", "joint"),
        "issues": names,
        "issue_units": issue_units,
        "unit": unit,
        "normalized": norm,
    }
    out.print(package_table(out, rows, label="solution", title="bargaining packages", **common))
    shown = evenly_spread(n, top) if top is not None else list(range(n))
    points: list[PackageRow] = []
    for k in shown:
        p = result.points[k]
        note = f"+{len(p.packages) - 1} alt." if len(p.packages) > 1 and not all_packages else ""
        if p.segment:
            note = (note + " segment→").strip()
        points.append(PackageRow(str(k + 1), (p.seller, p.buyer, p.joint), p.package, note))
        if all_packages:
            points += [PackageRow("", (None, None, None), alt, "or") for alt in p.packages[1:]]
    title = (
        f"frontier: {len(shown)} of {n} points, evenly spread (--all for every one)"
        if len(shown) < n
        else f"frontier: {n} point{'s' * (n != 1)}"
    )
    out.print(package_table(out, points, label="#", title=title, **common))


def register(app: typer.Typer) -> None:
    """Add ``frontier``."""
    app.command("frontier")(frontier)
