"""``dealopt simulate``: our engine (or a standard agent) as the seller against standard buyer agents."""

from __future__ import annotations

from typing import Annotated

import typer

from dealopt.interfaces.cli.console import JsonOpt, ModelArg, emit_json, load_deal

__all__ = ["register"]


def simulate(
    model: ModelArg,
    opponent: Annotated[str, typer.Option("--opponent", help="The buyer: a standard agent ({agents}) or all.")] = "all",
    rounds: Annotated[int, typer.Option("--rounds", help="Steps of alternating offers before the deadline.")] = 100,
    guessed: Annotated[
        bool,
        typer.Option("--guessed", help="Tell our engine a guessed buyer (the seller's utility mirrored)."),
    ] = False,
    seller: Annotated[
        str, typer.Option("--seller", help="Who sells: engine (ours) or a standard agent ({agents}), as the baseline.")
    ] = "engine",
    transcript: Annotated[bool, typer.Option("--transcript", help="Show every move.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Negotiate as the seller (our engine, or a standard agent) against standard buyer agents."""
    from dealopt.interfaces.cli.simulation_table import print_simulations
    from dealopt.negotiation.simulate import BUYERS, check_names
    from dealopt.negotiation.simulate import simulate as play

    check_names(opponent=None if opponent == "all" else opponent, seller=seller, rounds=rounds)
    deal = load_deal(model)
    names = BUYERS if opponent == "all" else (opponent,)
    results = [play(deal, name, rounds, seller=seller, guessed=guessed) for name in names]
    if as_json:
        emit_json([r.to_dict(transcript) for r in results])
        return
    print_simulations(results, transcript)


def register(app: typer.Typer) -> None:
    """Add ``simulate``."""
    app.command("simulate")(simulate)
