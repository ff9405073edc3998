"""Scenario sweeps: vary a model's named parameters (or numbers by path) over grids or seeded draws.

One row per scenario: the scenario number and the values varied; ``zopa``, and when there is
none ``no_deal`` (why) with one gap column per meaning (``seller_short``, ``buyer_short``,
``apart_seller_gap``, ``apart_buyer_gap``); ``frontier_points``; the Nash, Kalai–Smorodinsky and
max-joint packages (``nash.seller``, ``nash.buyer``, ``nash.ISSUE`` … typed as the issue:
Int64, Float64 or category); ``max_joint_value``; ``seller_room`` / ``buyer_room`` (how far the
ZOPA reaches above each side's walk-away); ``nash.seller_share`` (the seller's share of the
gains at the Nash package); ``error`` for a scenario the model cannot take (the row is kept).
"""

from dealopt.batch.sweep.rows import GAP_COLUMNS, SOLUTION_COLUMNS
from dealopt.batch.sweep.run import SweepResult, output_format, sweep
from dealopt.batch.sweep.spec import DEFAULT_MAX_SCENARIOS, SweepSpec, load_sweep_spec, parse_vary, scenario_table

__all__ = [
    "DEFAULT_MAX_SCENARIOS",
    "GAP_COLUMNS",
    "SOLUTION_COLUMNS",
    "SweepResult",
    "SweepSpec",
    "load_sweep_spec",
    "output_format",
    "parse_vary",
    "scenario_table",
    "sweep",
]
