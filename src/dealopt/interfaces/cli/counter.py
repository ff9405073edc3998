"""``dealopt counter``: accept, counter (ranked counter-offers) or walk away, given the offers so far."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dealopt.interfaces.cli.console import JsonOpt, ModelArg, emit_json, fmt, lit, literal, load_deal, out

if TYPE_CHECKING:
    from rich.text import Text

    from dealopt.model.compiled import CompiledDeal
    from dealopt.negotiation.counter import Recommendation

__all__ = ["register"]


def counter(
    model: ModelArg,
    history: Annotated[
        Path,
        typer.Option(
            "--history", metavar="FILE", help="The offers so far (YAML or JSON list, oldest first).", show_default=False
        ),
    ],
    progress: Annotated[
        float | None,
        typer.Option(
            "--progress",
            help="How far through the negotiation we are, 0..1 (1: our last turn). Default: from --round/--deadline, "
            "else 0.5 (halfway).",
            show_default=False,
        ),
    ] = None,
    round_: Annotated[
        int | None,
        typer.Option(
            "--round",
            help="Our turn number, 1-based (with --deadline; round = deadline: last turn).",
            show_default=False,
        ),
    ] = None,
    deadline: Annotated[
        int | None, typer.Option("--deadline", help="Our last turn's number.", show_default=False)
    ] = None,
    exponent: Annotated[
        float | None,
        typer.Option(
            "--exponent",
            help="Concession exponent: < 1 Boulware, 1 linear, > 1 Conceder [default: 0.2; with --deadline, firmer "
            "the more turns (0.15 at 100)]",
            show_default=False,
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many counter-offers to list.")] = 3,
    opening: Annotated[
        str | None,
        typer.Option(
            "--opening",
            metavar="NAME",
            help="Where concession starts, {openings}: best (our best allowed package; the default) or zopa (our "
            "best package the buyer would accept; the default with buyer profiles).",
            show_default=False,
        ),
    ] = None,
    proposal_only: Annotated[
        bool,
        typer.Option("--proposal-only", help="Print only what the buyer may see: the package and its sentence."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Accept, counter (with ranked counter-offers) or walk away, given the offers so far."""
    from dealopt.interfaces.cli.inputs import read_history_option
    from dealopt.model.levels import display_value
    from dealopt.negotiation.api import counter as recommend
    from dealopt.negotiation.documents import counter_proposal

    deal = load_deal(model)
    offers = read_history_option(history)
    rec = recommend(
        deal, offers, progress=progress, round=round_, deadline=deadline, exponent=exponent, top=top, opening=opening
    )
    if proposal_only:
        proposal = counter_proposal(rec, offers)
        if as_json:
            emit_json(proposal)
        else:
            lines = [proposal["sentence"]]
            if proposal["package"]:
                lines.append(", ".join(f"{n}={display_value(v)}" for n, v in proposal["package"].items()))
            sys.stdout.write("\n".join(literal(line) for line in lines) + "\n")  # unwrapped: pasted as is
        return
    if as_json:
        emit_json(rec.to_dict())
        return
    print_recommendation(deal, rec)


def _package(pkg: dict[str, Any]) -> Text:
    from dealopt.model.levels import display_value

    return lit(", ".join(f"{n}={display_value(v)}" for n, v in pkg.items()))


def print_recommendation(deal: CompiledDeal, rec: Recommendation) -> None:
    """The recommendation as a rep reads it: the action and why, then each counter with its sentence first."""
    from rich.text import Text

    norm = deal.normalized
    action = rec.recommendation.value
    colour = {"accept": "green", "counter": "yellow", "walk_away": "red"}[action]
    out.print(Text.assemble((action, f"bold {colour}"), ": ", lit(rec.reason)))
    for note in rec.notes:
        out.print(lit(f"note: {note}"))
    if rec.aspiration is not None:
        used = f" ({rec.concession_used:.0%} of our room conceded)" if rec.concession_used is not None else ""
        out.print(f"aiming for: {fmt(rec.aspiration, norm)}{used}")
    if rec.beliefs:
        out.print(lit("beliefs about the buyer: " + ", ".join(f"{k} {v:.0%}" for k, v in rec.beliefs.items())))
    if rec.accepted_package:
        out.print(Text.assemble("sign: ", _package(rec.accepted_package)))
    shown: list[tuple[str, Any]] = [(f"{k}.", c) for k, c in enumerate(rec.counters, 1)]
    if rec.last_best_offer is not None:
        shown.append(("last best offer:", rec.last_best_offer))
    for head, c in shown:
        acc = f", acceptance {c.acceptance_probability:.0%}" if c.acceptance_probability is not None else ""
        out.print()
        out.print(Text.assemble((head, "bold"), " ", lit(c.sentence)))
        out.print(f"   seller {fmt(c.seller, norm)}, buyer {fmt(c.buyer, norm)}, joint {fmt(c.joint, norm)}{acc}")
        out.print(Text.assemble("   ", _package(c.package)))
        for flag in c.flags:
            out.print(Text.assemble("   ", ("flag:", "red"), " ", lit(flag)))


def register(app: typer.Typer) -> None:
    """Add ``counter``."""
    app.command("counter")(counter)
