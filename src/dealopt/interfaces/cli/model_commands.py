"""Commands about one model file: ``validate``, ``show``, ``evaluate`` and ``schema``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dealopt.interfaces.cli.console import JsonOpt, ModelArg, clip, emit_json, err, fmt, lit, literal, load_deal, out

__all__ = ["register"]


def validate(
    models: Annotated[list[Path], typer.Argument(metavar="MODEL...", help="Model files to check.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Check model files; report every problem, one per line (exit 2 if any)."""
    from dealopt.errors import ModelError
    from dealopt.model.loading import load_model

    results: list[dict[str, Any]] = []
    bad = False
    for path in models:
        try:
            model = load_model(path)
            results.append({"file": str(path), "valid": True, "name": model.name, "problems": []})
        except ModelError as exc:
            bad = True
            results.append({"file": str(path), "valid": False, "name": None, "problems": exc.lines()})
    if as_json:
        emit_json(results)
    else:
        for r in results:
            if r["valid"]:
                out.print(literal(f"ok: {r['file']} ({r['name']})"))
            for line in r["problems"]:
                err.print(f"error: {clip(line)}")
    if bad:
        raise typer.Exit(2)


def _levels_text(entry: dict[str, Any]) -> str:
    if entry["levels"] is None:
        lo, hi = entry["range"]
        return f"any value in [{lo}, {hi}]"
    vals = entry["values"]
    words = entry.get("labels") or [None] * len(vals)
    shown = [f"{v} ({w})" if w is not None and w != str(v) else str(v) for v, w in zip(vals, words, strict=True)]
    if len(shown) <= 8:
        return ", ".join(shown)
    return f"{shown[0]}, {shown[1]}, {shown[2]}, …, {shown[-1]}"


def show(model: ModelArg, as_json: JsonOpt = False) -> None:
    """Show a model's issues, levels, outcome-space size and walk-aways."""
    from rich.table import Table
    from rich.text import Text

    from dealopt.negotiation.documents import describe_model

    deal = load_deal(model)
    info = describe_model(deal)
    if as_json:
        emit_json(info)
        return
    norm = deal.normalized
    out.print(Text.assemble(lit(info["name"], "bold"), lit(f" — {info['title']}" if info["title"] else "")))
    table = Table(show_header=True, header_style="bold")
    for col in ("issue", "kind", "levels", "values", "unit"):
        table.add_column(col)
    for e in info["issues"]:
        table.add_row(lit(e["name"]), e["kind"], str(e["levels"] or "∞"), lit(_levels_text(e)), lit(e["unit"] or ""))
    out.print(table)
    size = info["space_size"]
    out.print(
        f"outcome space: {size:,} packages"
        if size is not None
        else "outcome space: continuous (a continuous issue has no step)"
    )
    out.print(literal(f"constraints: {info['constraints']}; utility units: {info['units']}"))
    out.print(f"walk-away: seller {fmt(deal.seller_walk_away, norm)}, buyer {fmt(deal.buyer_walk_away, norm)}")
    for p in info["profiles"]:
        out.print(
            literal(
                f"  buyer profile {p['name']}: probability {p['probability']:.3g}, "
                f"walk-away {fmt(p['walk_away'], norm)}"
            )
        )
    if info["parameters"]:
        ptable = Table(show_header=True, header_style="bold", title="parameters")
        for col in ("parameter", "value", "used at"):
            ptable.add_column(col, justify="right" if col == "value" else "left")
        for name, entry in info["parameters"].items():
            ptable.add_row(lit(name), f"{entry['value']:,}", lit("; ".join(entry["used_at"])))
        out.print(ptable)


def evaluate(
    model: ModelArg,
    package: Annotated[
        str,
        typer.Option(
            "--package",
            "-p",
            metavar="JSON|FILE",
            help="A package as JSON, e.g. '{\"price\": 95, …}', or a YAML/JSON file holding one.",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Both utilities, joint value, feasibility and acceptability of one package."""
    from rich.table import Table

    from dealopt.interfaces.cli.inputs import read_package_option
    from dealopt.negotiation.documents import evaluation_document

    deal = load_deal(model)
    result = evaluation_document(deal, read_package_option(package, "--package"))
    if as_json:
        emit_json(result)
        return
    norm = deal.normalized
    unit = "" if norm else f" ({literal(deal.model.unit_label)})"
    table = Table(show_header=True, header_style="bold")
    for col in ("", f"utility{unit}", "walk-away", "acceptable"):
        table.add_column(col, justify="left" if not col else "right")
    table.add_row(
        "seller", fmt(result["seller"], norm), fmt(deal.seller_walk_away, norm), _yes(result["acceptable_seller"])
    )
    table.add_row(
        "buyer", fmt(result["buyer"], norm), fmt(deal.buyer_walk_away, norm), _yes(result["acceptable_buyer"])
    )
    table.add_row("joint", fmt(result["joint"], norm), "", "")
    out.print(table)
    out.print(f"feasible: {_yes(result['feasible'])}; in the ZOPA: {_yes(result['acceptable'])}")
    if "acceptance_probability" in result:
        out.print(f"acceptance probability (buyer profiles): {result['acceptance_probability']:.3f}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def schema(as_json: JsonOpt = False) -> None:
    """Print the JSON Schema of the deal model format (JSON always; --json is accepted for uniformity)."""
    from dealopt.model.json_schema import model_json_schema

    emit_json(model_json_schema())


def register(app: typer.Typer) -> None:
    """Add ``validate``, ``show``, ``evaluate`` and ``schema``."""
    app.command("validate")(validate)
    app.command("show")(show)
    app.command("evaluate")(evaluate)
    app.command("schema")(schema)
