"""`dealopt simulate` output: one row per opponent, then the agreements and, on request, every move."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from dealopt.interfaces.cli.console import lit, literal, out
from dealopt.model.levels import display_value

if TYPE_CHECKING:
    from dealopt.negotiation.simulate import SimulationResult

__all__ = ["print_simulations"]


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def print_simulations(results: list[SimulationResult], transcript: bool) -> None:
    """The simulations as one table, one row per opponent, then the agreements and transcripts."""
    first = results[0]
    who = (
        "our engine" + (" (guessed buyer)" if first.guessed else "")
        if first.seller_agent == "engine"
        else first.seller_agent
    )
    out.print(Text.assemble(lit(first.model, "bold"), f": {who} sells, {first.rounds} steps, the buyer moves first"))
    if first.buyer_profile is not None:
        out.print(literal(f"the buyer plays the most probable profile, {first.buyer_profile}"))
    table = Table(
        show_header=True,
        header_style="bold",
        caption="deal: an agreement, or why none; utilities normalized to [0, 1] (no deal: walk-aways); ↔: distance",
    )
    for col in ("opponent", "deal", "ours", "buyer's", "joint", "↔ frontier", "↔ Nash", "rounds"):
        text = col in ("opponent", "deal")  # headers and words fold; names and numbers are never cut
        least = max(len(r.opponent) for r in results) if col == "opponent" else 3 if text else 5
        table.add_column(col, justify="left" if text else "right", overflow="fold", min_width=least)
    for r in results:
        sc = r.score
        agreed = "yes" if sc.agreement else f"no ({r.outcome}{', ' + ', '.join(r.failures) if r.failures else ''})"
        if sc.below_walk_away:
            agreed += " below our walk-away"
        table.add_row(
            r.opponent,
            agreed,
            _num(sc.seller),
            _num(sc.buyer),
            _num(sc.joint),
            _num(sc.frontier_distance),
            _num(sc.nash_distance),
            str(r.steps),
        )
    out.print(table)
    for r in results:
        if r.agreement:
            out.print(literal(f"{r.opponent}: " + ", ".join(f"{k}={display_value(v)}" for k, v in r.agreement.items())))
        if transcript:
            for e in r.transcript:
                what = ", ".join(f"{k}={display_value(v)}" for k, v in e["package"].items()) if "package" in e else ""
                worth = f" (us {e['seller']:.3f}, buyer {e['buyer']:.3f})" if "seller" in e else ""
                out.print(literal(f"   step {e['step']:>3} {e['by']:>6} {e['action']:<6} {what}{worth}"))
