"""Solving scenarios, a chunk at a time (in process or on a worker), into typed rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dealopt.batch.sweep.fast import kind_of_sweep, table_sweep, walk_away_engine
from dealopt.batch.sweep.targets import Target, base_data, scenario_model
from dealopt.errors import DealoptError
from dealopt.model.schema import CategoricalIssue, DealModel, IntegerIssue, OrdinalIssue

__all__ = ["GAP_COLUMNS", "NO_DEAL_REASONS", "SOLUTION_COLUMNS", "Job", "columns", "solve_chunk"]

SOLUTION_COLUMNS = ("nash", "kalai_smorodinsky", "max_joint")
NO_DEAL_REASONS = ("no_feasible_package", "seller_walk_away", "buyer_walk_away", "apart")
#: One column per meaning of "how far apart" (null unless that kind of no-deal).
GAP_COLUMNS = {
    "seller_short": "seller_walk_away: the seller's walk-away minus its best utility over every feasible package",
    "buyer_short": "buyer_walk_away: the buyer's walk-away minus its best utility over every feasible package",
    "apart_seller_gap": "apart: the seller's walk-away minus its best utility among packages the buyer accepts",
    "apart_buyer_gap": "apart: the buyer's walk-away minus its best utility among packages the seller accepts",
}


@dataclass(frozen=True)
class Job:
    """A chunk of scenarios and what is needed to solve them."""

    data: dict[str, Any]  # the base model's file data (parameters as $name)
    base: DealModel
    targets: tuple[Target, ...]
    rows: list[dict[str, Any]]  # scenario number and target values
    engine: str


def _solver(job: Job) -> tuple[Any, Any]:
    """(engine, table sweep or None) for this chunk's kind of sweep."""
    paths = [p for t in job.targets for p in t.paths]
    kind = kind_of_sweep(paths)
    if kind == "walk_aways":
        try:
            return walk_away_engine(job.base, job.engine), None
        except DealoptError:
            return job.engine, None
    if kind == "tables" and job.engine in ("auto", "merge"):
        return job.engine, table_sweep(job.base, paths)
    return job.engine, None


def solve_chunk(job: Job) -> list[dict[str, Any]]:
    """Solve every scenario of one chunk; a scenario the model cannot take keeps its row with an ``error``."""
    from dealopt.negotiation.frontier import frontier

    engine, tables = _solver(job)
    issues = list(job.base.issues)
    plain = base_data(job.data)
    out = []
    for row in job.rows:
        values = {k: v for k, v in row.items() if k != "scenario"}
        rec: dict[str, Any] = {"scenario": row["scenario"], **values}
        try:
            model = scenario_model(plain, list(job.targets), values, f"scenario {row['scenario']}")
            res = frontier(tables.deal_for(model) if tables is not None else model, engine)
        except DealoptError as exc:
            rec["error"] = str(exc).splitlines()[0]
            out.append(rec)
            continue
        rec["zopa"] = res.zopa
        rec["frontier_points"] = len(res.points)
        nd = res.no_deal
        if nd is not None:
            rec["no_deal"] = nd.reason
            if nd.reason == "seller_walk_away":
                rec["seller_short"] = nd.seller_gap
            elif nd.reason == "buyer_walk_away":
                rec["buyer_short"] = nd.buyer_gap
            elif nd.reason == "apart":
                rec["apart_seller_gap"] = nd.seller_gap
                rec["apart_buyer_gap"] = nd.buyer_gap
        for name in SOLUTION_COLUMNS:
            sol = getattr(res, name)
            if sol is None:
                continue
            rec[f"{name}.seller"] = sol.seller
            rec[f"{name}.buyer"] = sol.buyer
            for issue in issues:
                rec[f"{name}.{issue}"] = sol.package[issue]
        rec["max_joint_value"] = res.max_joint.joint if res.max_joint else None
        if res.points:
            d_s, d_b = res.disagreement
            assert d_s is not None and d_b is not None and res.nash is not None
            rec["seller_room"] = res.points[0].seller - d_s  # how far the ZOPA reaches above each walk-away
            rec["buyer_room"] = res.points[-1].buyer - d_b
            gain_s, gain_b = res.nash.seller - d_s, res.nash.buyer - d_b
            rec["nash.seller_share"] = gain_s / (gain_s + gain_b) if gain_s + gain_b > 0 else None
        out.append(rec)
    return out


def _issue_dtype(issue: Any) -> Any:
    if isinstance(issue, CategoricalIssue):
        return pd.CategoricalDtype(list(issue.options))
    if isinstance(issue, IntegerIssue):
        return "Int64"
    if isinstance(issue, OrdinalIssue) and all(float(x).is_integer() for x in issue.options):
        return "Int64"
    return "Float64"


def columns(model: DealModel, targets: list[Target]) -> dict[str, Any]:
    """The output's columns and their dtypes."""
    cols: dict[str, Any] = {"scenario": "int64"}
    cols.update({t.name: "float64" for t in targets})
    cols.update({"zopa": "boolean", "no_deal": pd.CategoricalDtype(list(NO_DEAL_REASONS))})
    cols.update(dict.fromkeys(GAP_COLUMNS, "Float64"))
    cols["frontier_points"] = "Int64"
    for name in SOLUTION_COLUMNS:
        cols[f"{name}.seller"] = "Float64"
        cols[f"{name}.buyer"] = "Float64"
        for issue_name, issue in model.issues.items():
            cols[f"{name}.{issue_name}"] = _issue_dtype(issue)
    cols.update(dict.fromkeys(("max_joint_value", "seller_room", "buyer_room", "nash.seller_share"), "Float64"))
    cols["error"] = "string"
    return cols
