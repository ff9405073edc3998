"""Frontier engines side by side with today's code and with independent baselines, in one run.

Run: python benchmarks/frontier.py [--quick] [--before recorded|git|skip]

(1) every example model with its price made stepless: ``frontier()`` with
    ``auto`` (first call on a freshly loaded model, and again), equal to the
    MILP answer (vertices and segment flags), against today's MILP;
(2) ``--engine milp`` on every example model, against today's;
(3) trades from a package of 20 issues × 8 levels, any number of issues changed;
(4) additive models (20 × 8, 30 × 10, …): the merge against a plain NumPy merge;
(5) the GENIUS domains in ../shared/cases/genius: ``frontier()`` on a loaded
    model against the published issue-by-issue merge (GeniusWeb's PartialPareto,
    written out below) and the plain NumPy merge.

"Today" is the code at commit BEFORE (before issue 14). ``--before git`` (the
default) extracts it from git history into a temporary directory and times it
in a subprocess, in this same run; ``--before recorded`` reads the figures
recorded on this machine (frontier_before.json); ``--before skip`` leaves them
out. Times are the best of several runs (one for the slow ones).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fmt_ratio, fmt_time, opposed_additive
from dealopt import compile_model, frontier, model_from_data
from dealopt.engines.base import EngineOptions, resolution
from dealopt.engines.improvements import best_improvements
from dealopt.engines.milp import MilpEngine

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT.parent / "shared" / "cases" / "genius"
BEFORE = "308839dafcd61f084c826256028618f2a07cfe8c"  # main before issue 14 (the MILP on PuLP)


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    """(result, best wall time in seconds over ``repeats`` runs after one warm-up)."""
    result = fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return result, best


def row(label: str, *cells: str) -> None:
    print(f"  {label:28s} " + "  ".join(f"{c:>14s}" for c in cells))


def stepless(data: dict[str, Any]) -> dict[str, Any]:
    """The model with its price issue made stepless."""
    out = copy.deepcopy(data)
    del out["issues"][(out.get("policy") or {}).get("price_issue", "price")]["step"]
    return out


def example_models() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, yaml.safe_load(p.read_text())) for p in sorted((ROOT / "models").glob("*.yaml"))]


# ---------------------------------------------------------------- today's code

_BEFORE_SCRIPT = r"""
import copy, json, sys, time
from pathlib import Path
import yaml
from dealopt import compile_model, frontier, model_from_data
out = {"stepless_auto": {}, "milp_named": {}}
for path in sorted(Path(sys.argv[1]).glob("*.yaml")):
    data = yaml.safe_load(path.read_text())
    free = copy.deepcopy(data)
    del free["issues"][(free.get("policy") or {}).get("price_issue", "price")]["step"]
    for key, d, engine in (("stepless_auto", free, "auto"), ("milp_named", data, "milp")):
        deal = compile_model(model_from_data(d))
        deal.components
        t = time.perf_counter()
        r = frontier(deal, engine)
        out[key][path.stem] = {"seconds": time.perf_counter() - t, "engine": r.engine, "points": len(r.points)}
print("RESULT" + json.dumps(out))
"""


def before_figures(how: str) -> dict[str, Any] | None:
    """Today's timings: measured now from git history, or as recorded, or none."""
    if how == "skip":
        return None
    if how == "recorded":
        return json.loads((Path(__file__).with_name("frontier_before.json")).read_text())
    with tempfile.TemporaryDirectory() as tmp:
        blob = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BEFORE, "src"], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(tmp, filter="data")
        env = {"PYTHONPATH": str(Path(tmp) / "src"), "PATH": str(Path(sys.executable).parent)}
        done = subprocess.run(
            [sys.executable, "-c", _BEFORE_SCRIPT, str(ROOT / "models")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return json.loads(done.stdout.split("RESULT", 1)[1])


# ---------------------------------------------------------------- baselines


def numpy_merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """A plain NumPy issue-by-issue merge: outer sums, one lexsort and a running maximum per part."""

    def keep(s: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.lexsort((-b, -s))
        s, b = s[order], b[order]
        prev = np.maximum.accumulate(np.concatenate([[-np.inf], b[:-1]]))
        return s[b > prev], b[b > prev]

    s, b = keep(*parts[0])
    for ps, pb in parts[1:]:
        ps, pb = keep(ps, pb)
        s, b = keep((s[:, None] + ps[None, :]).ravel(), (b[:, None] + pb[None, :]).ravel())
    return s, b


class ParetoPoint:
    """GeniusWeb's ParetoPoint: a (partial) bid and its utility under each profile."""

    __slots__ = ("bid", "utils")

    def __init__(self, bid: dict[str, Any], utils: list[float]) -> None:
        self.bid, self.utils = bid, utils

    def merge(self, other: ParetoPoint) -> ParetoPoint:
        return ParetoPoint({**self.bid, **other.bid}, [a + b for a, b in zip(self.utils, other.utils)])

    def is_dominated_by(self, other: ParetoPoint) -> bool:
        return all(a <= b for a, b in zip(self.utils, other.utils))


class LinearAdditive:
    """A linear additive profile, as GeniusWeb's LinearAdditiveUtilitySpace reads a bid: Σ weight × value."""

    def __init__(self, weights: dict[str, float], values: dict[str, dict[Any, float]]) -> None:
        self.weights, self.values = weights, values

    def utility(self, bid: dict[str, Any]) -> float:
        return sum(w * self.values[i][bid[i]] for i, w in self.weights.items() if i in bid)


def partial_pareto(spaces: list[LinearAdditive], domain: dict[str, list[Any]], issues: list[str]) -> list[ParetoPoint]:
    """GeniusWeb's PartialPareto.create (the published issue-by-issue merge): halve the issues, merge the
    two partial surfaces pairwise, adding each candidate to a list that drops what it dominates."""

    def add(points: list[ParetoPoint], cand: ParetoPoint) -> list[ParetoPoint]:
        if any(cand.is_dominated_by(p) for p in points):
            return points
        return [cand, *(p for p in points if not p.is_dominated_by(cand))]

    if len(issues) == 1:
        out: list[ParetoPoint] = []
        for value in domain[issues[0]]:
            bid = {issues[0]: value}
            out = add(out, ParetoPoint(bid, [sp.utility(bid) for sp in spaces]))
        return out
    half = len(issues) // 2
    left, right = partial_pareto(spaces, domain, issues[:half]), partial_pareto(spaces, domain, issues[half:])
    out = []
    for p in left:
        for q in right:
            out = add(out, p.merge(q))
    return out


# ---------------------------------------------------------------- sections


def section_stepless(before: dict[str, Any] | None) -> None:
    print("\n== (1) example models, price made stepless: auto (merge, segments) vs the MILP and today's MILP ==")
    row("model", "auto 1st call", "auto again", "= milp answer", "today (auto)", "vs today", "milp now")
    for name, data in example_models():
        free = stepless(data)
        model = model_from_data(free)
        t = time.perf_counter()
        res = frontier(model)
        first = time.perf_counter() - t
        _, again = best_of(lambda model=model: frontier(model), 5)
        deal = compile_model(model)
        t = time.perf_counter()
        milp = MilpEngine().solve(deal, deal.seller_walk_away, deal.buyer_walk_away, EngineOptions())
        t_milp = time.perf_counter() - t
        q_s, q_b = resolution(deal)
        pts = np.array([[p.seller, p.buyer] for p in res.points])
        same = (
            len(milp) == len(pts)
            and np.allclose(milp.seller, pts[:, 0], rtol=0, atol=8 * q_s)
            and np.allclose(milp.buyer, pts[:, 1], rtol=0, atol=8 * q_b)
            and [bool(x) for x in milp.segment] == [p.segment for p in res.points]
        )
        old = None if before is None else before["stepless_auto"][name]["seconds"]
        row(
            f"{name} ({len(pts)} vertices)",
            fmt_time(first),
            fmt_time(again),
            "equal" if same else "DIFFERENT",
            fmt_time(old),
            fmt_ratio(old / first) if old else "—",
            fmt_time(t_milp),
        )
    print("  targets: < 50 ms, equal to the MILP answer, ≥ 100× faster than today (1st call on a loaded model)")


def section_milp(before: dict[str, Any] | None) -> None:
    print("\n== (2) --engine milp on the example models (HiGHS driven directly) vs today's (PuLP) ==")
    row("model", "milp now", "solves", "today", "vs today")
    for name, data in example_models():
        deal = compile_model(model_from_data(data))
        deal.components  # noqa: B018 - tables built outside the timing, as today's figure does
        t = time.perf_counter()
        res = frontier(deal, "milp")
        dt = time.perf_counter() - t
        old = None if before is None else before["milp_named"][name]["seconds"]
        row(
            f"{name} ({len(res.points)} pts)",
            fmt_time(dt),
            str(res.stats["milp_solves"]),
            fmt_time(old),
            fmt_ratio(old / dt) if old else "—",
        )
    print("  target: ≥ 3× faster than today on every example model")


def section_trades() -> None:
    print("\n== (3) trades from a package of 20 issues × 8 levels (exact, top 10) ==")
    deal = compile_model(model_from_data(opposed_additive(20, 8, seed=3)))
    deal.components  # noqa: B018
    base = np.random.default_rng(1).integers(0, 8, size=20)
    row("max issues changed", "time", "best joint gain", "method")
    for k in (2, 4, 8, 20):
        (rows, g_s, g_b, method), dt = best_of(lambda k=k: best_improvements(deal, base, k, 10), 3)
        row(str(k), fmt_time(dt), f"{float(g_s[0] + g_b[0]):.6f}" if len(rows) else "—", method)
    print("  target: max issues 20, top 10 exact in < 1 s (the listing refuses past 5,000,000 candidates: 8^20 here)")


def section_additive(quick: bool) -> None:
    print("\n== (4) additive models, opposed preferences: frontier() with merge vs a plain NumPy merge ==")
    row("model", "merge frontier()", "NumPy merge", "ratio", "points")
    sizes = [(20, 8), (30, 10)] if quick else [(4, 8), (8, 8), (12, 8), (16, 8), (20, 8), (30, 10)]
    for k, n in sizes:
        deal = compile_model(model_from_data(opposed_additive(k, n)))
        deal.components  # noqa: B018
        parts = [(c.tables["seller"], c.tables["buyer"]) for c in deal.components]  # type: ignore[index]
        res, ours = best_of(lambda deal=deal: frontier(deal, "merge"), 5)
        ref, base = best_of(lambda parts=parts: numpy_merge(parts), 5)
        assert len(ref[0]) == len(res.points)
        row(f"{k} issues × {n} levels", fmt_time(ours), fmt_time(base), f"{ours / base:.2f}×", str(len(res.points)))
    print("  target: the merge within 1.5× of the NumPy merge's time on 20 × 8 and 30 × 10 (ratio ≤ 1.5)")


def section_genius() -> None:
    print("\n== (5) GENIUS domains: frontier() on a loaded model vs the published issue-by-issue merge ==")
    if not (CASES / "expected.json").is_file():
        print(f"  {CASES} not found: skipped")
        return
    from dealopt.model.importers.genius import import_genius
    from dealopt.negotiation import frontier as frontier_module

    row("domain", "frontier() again", "solved again", "1st call", "GeniusWeb merge", "NumPy merge", "vs GeniusWeb")
    for case, info in json.loads((CASES / "expected.json").read_text()).items():
        f = info["files"]
        model = import_genius(CASES / case / f["domain"], CASES / case / f["seller"], CASES / case / f["buyer"])
        fresh = model.model_copy()
        t = time.perf_counter()
        frontier(fresh)
        first = time.perf_counter() - t
        _, again = best_of(lambda model=model: frontier(model), 50)
        deal = compile_model(model)

        def unkept(model: Any = model) -> Any:
            frontier_module._SMALL.clear()  # the compiled deal kept, its answer not: solved again
            return frontier(model)

        _, solved = best_of(unkept, 50)
        domain, sv, bv = {}, {}, {}
        for comp in deal.components:
            for pos in comp.issues:  # GENIUS profiles are additive: one issue per component
                issue = deal.issues[pos]
                domain[issue.name] = list(issue.labels)
                sv[issue.name] = dict(zip(issue.labels, comp.tables["seller"].tolist()))  # type: ignore[index]
                bv[issue.name] = dict(zip(issue.labels, comp.tables["buyer"].tolist()))  # type: ignore[index]
        spaces = [LinearAdditive(dict.fromkeys(domain, 1.0), sv), LinearAdditive(dict.fromkeys(domain, 1.0), bv)]
        surface, t_gw = best_of(lambda spaces=spaces, domain=domain: partial_pareto(spaces, domain, list(domain)), 20)
        assert len(surface) >= len(frontier(model, "enumerate").points)  # the unbounded surface holds the ZOPA's
        parts = [(c.tables["seller"], c.tables["buyer"]) for c in deal.components]  # type: ignore[index]
        _, t_np = best_of(lambda parts=parts: numpy_merge(parts), 50)
        row(
            case,
            fmt_time(again),
            fmt_time(solved),
            fmt_time(first),
            fmt_time(t_gw),
            fmt_time(t_np),
            fmt_ratio(t_gw / again),
        )
    print(
        "  target: frontier() on a loaded model (asked again: the compiled deal and a small space's answer are kept)\n"
        "  faster than the published merge; 'solved again' keeps the compiled deal but not the answer (engine,\n"
        "  bargaining solutions, result); '1st call' compiles a fresh copy of the model and solves"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer additive sizes")
    parser.add_argument("--before", choices=("git", "recorded", "skip"), default="git", help="today's figures")
    args = parser.parse_args()
    print(f"today = commit {BEFORE[:7]}; figures: {args.before}")
    before = before_figures(args.before)
    section_stepless(before)
    section_milp(before)
    section_trades()
    section_additive(args.quick)
    section_genius()


if __name__ == "__main__":
    main()
