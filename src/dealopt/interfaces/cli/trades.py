"""``dealopt trades``: "if we do this, can you do that" trades from a package, best first."""

from __future__ import annotations

from typing import Annotated

import typer

from dealopt.interfaces.cli.console import JsonOpt, ModelArg, emit_json, fmt, lit, load_deal, out

__all__ = ["register"]


def trades(
    model: ModelArg,
    from_: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="JSON|FILE|SOLUTION",
            help="The package to trade from: JSON, a YAML/JSON file, or a bargaining package ({solutions}).",
        ),
    ],
    max_issues: Annotated[
        int | None,
        typer.Option("--max-issues", help="Most issues one trade changes (default: policy, else 2)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many trades to list.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Trades from a package: "if we do this, can you do that", ranked by joint value gained."""
    from rich.table import Table
    from rich.text import Text

    from dealopt.interfaces.cli.inputs import read_package_option
    from dealopt.negotiation.api import trades as find
    from dealopt.options import SOLUTIONS

    deal = load_deal(model)
    pkg = from_ if from_ in SOLUTIONS else read_package_option(from_, "--from")
    result = find(deal, pkg, max_issues=max_issues, top=top)
    if as_json:
        emit_json(result.to_dict())
        return
    norm = deal.normalized
    unit = "normalized" if norm else deal.model.unit_label
    out.print(
        f"from: seller {fmt(result.seller, norm)}, buyer {fmt(result.buyer, norm)}; "
        f"{len(result.trades)} best trades changing at most {result.max_issues} issues"
    )
    if not result.trades:
        out.print("no trade makes both sides better off: the package is Pareto-efficient for these moves")
        return
    table = Table(show_header=True, header_style="bold")
    table.add_column("#", justify="right", no_wrap=True)
    for col, attr in (("Δ seller", "seller_gain"), ("Δ buyer", "buyer_gain"), ("Δ joint", "joint_gain")):
        cells = [fmt(getattr(t, attr), norm) for t in result.trades]
        width = max([len(c) for c in cells] + [len(col), len(unit) + 2])
        table.add_column(f"{col}\n({unit})" if unit else col, justify="right", no_wrap=True, min_width=width)
    table.add_column("trade", overflow="fold", ratio=1)
    table.add_column("flags", overflow="fold")
    for k, t in enumerate(result.trades, 1):
        flags = Text("\n").join(lit(f"⚑ {f}") for f in t.flags)
        table.add_row(
            str(k),
            fmt(t.seller_gain, norm),
            fmt(t.buyer_gain, norm),
            fmt(t.joint_gain, norm),
            lit(t.sentence),
            flags,
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add ``trades``."""
    app.command("trades")(trades)
