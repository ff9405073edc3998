"""Frontier engines side by side, against the per-outcome enumeration of the research tools.

Run: python benchmarks/frontier.py [--quick] [--full-baseline]

(a) random additive models, 4…20 issues × 8 levels (and 30 × 10), opposed preferences;
(b) the GENIUS cases in ../shared/cases/genius; (c) the example models in models/.
Every engine and baseline runs in this process; times are the best of 3 runs
(1 for slow ones), memory is the peak traced by tracemalloc during one run.
The per-outcome baseline lists every outcome in plain Python, as GENIUS/NegMAS
do, then filters; past --baseline-limit outcomes it runs on a prefix of that
many outcomes and scales the time linearly (marked "est.").
pymoo's NSGA-II runs when pymoo is installed (pip install -e .[bench]).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fmt_ratio, fmt_time, measure, opposed_additive
from dealopt import compile_model, frontier, load_model, model_from_data
from dealopt.engines.registry import installed_engines
from dealopt.model.compiled import CompiledDeal

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT.parent / "shared" / "cases" / "genius"


# ---------------------------------------------------------------- baselines


def per_outcome_frontier(deal: CompiledDeal, limit: int | None = None) -> tuple[int, int]:
    """List outcomes one by one in plain Python (utility by per-issue lookup), then Pareto-filter.

    Returns (outcomes listed, frontier size). Additive-by-component models only:
    each component's joint level is looked up in its table, as the research tools do per issue.
    """
    comps = deal.components
    tables_s = [c.tables["seller"].tolist() for c in comps]  # type: ignore[index]
    tables_b = [c.tables["buyer"].tolist() for c in comps]  # type: ignore[index]
    feas = [c.feasible.tolist() for c in comps]  # type: ignore[union-attr]
    sizes = [c.size for c in comps]
    w_s, w_b = deal.seller_walk_away, deal.buyer_walk_away
    pts: list[tuple[float, float]] = []
    listed = 0
    for combo in itertools.product(*(range(n) for n in sizes)):
        listed += 1
        if limit is not None and listed > limit:
            listed -= 1
            break
        ok = True
        s = b = 0.0
        for k, j in enumerate(combo):
            if not feas[k][j]:
                ok = False
                break
            s += tables_s[k][j]
            b += tables_b[k][j]
        if ok and (w_s is None or s >= w_s) and (w_b is None or b >= w_b):
            pts.append((s, b))
    pts.sort(key=lambda p: (-p[0], -p[1]))
    front = []
    best = -float("inf")
    for s, b in pts:
        if b > best:
            front.append((s, b))
            best = b
    return listed, len(front)


def nsga2(
    deal: CompiledDeal, exact: set[tuple[float, float]], seconds_cap: float = 60.0
) -> tuple[float, int, int] | None:
    """pymoo NSGA-II on the integer levels: (time, points found, of which exact frontier points)."""
    try:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.problem import Problem
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.mutation.pm import PM
        from pymoo.operators.repair.rounding import RoundingRepair
        from pymoo.operators.sampling.rnd import IntegerRandomSampling
        from pymoo.optimize import minimize
    except ImportError:
        return None
    from dealopt.model.evaluation import evaluate_indices

    shape = np.array(deal.shape)

    class DealProblem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(shape), n_obj=2, xl=np.zeros(len(shape)), xu=shape - 1, vtype=int)

        def _evaluate(self, x: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            ev = evaluate_indices(deal, np.asarray(np.rint(x), dtype=np.int64))
            penalty = np.where(ev.acceptable, 0.0, 1e6)
            out["F"] = np.column_stack([-ev.seller + penalty, -ev.buyer + penalty])

    algo = NSGA2(
        pop_size=200,
        sampling=IntegerRandomSampling(),
        crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
        mutation=PM(eta=20, vtype=float, repair=RoundingRepair()),
        eliminate_duplicates=True,
    )
    t = time.perf_counter()
    res = minimize(DealProblem(), algo, ("n_gen", 200), seed=1, verbose=False)
    dt = time.perf_counter() - t
    found = {(round(-f[0], 9), round(-f[1], 9)) for f in np.atleast_2d(res.F) if f[0] < 1e5}
    return dt, len(found), len(found & exact)


# ---------------------------------------------------------------- runs


def run_engines(deal: CompiledDeal, label: str, baseline_limit: int, full_baseline: bool, with_nsga: bool) -> None:
    size = deal.space_size or 0
    print(f"\n{label}: {size:,} outcomes, {len(deal.issues)} issues")
    rows = []
    ref_points = None
    times: dict[str, float] = {}
    for engine in installed_engines():
        if engine.accepts(deal) is not None:
            continue
        if engine.name == "enumerate" and size > 20_000_000:
            rows.append((engine.name, None, None, None, "skipped: outcome space too large to list"))
            continue
        if engine.name == "milp" and ref_points is not None and len(ref_points) > 300:
            rows.append(
                (engine.name, None, None, None, f"skipped: ~{3 * len(ref_points):,} MILP solves (about 10 ms each)")
            )
            continue
        slow = engine.name == "milp" or (engine.name == "enumerate" and size > 200_000)
        res, t, mem = measure(lambda e=engine.name: frontier(deal, e), repeats=1 if slow else 3)
        times[engine.name] = t
        pts = [(p.seller, p.buyer) for p in res.points]
        agree = ""
        if ref_points is None:
            ref_points = pts
        else:
            same = len(pts) == len(ref_points) and np.allclose(pts, ref_points, rtol=1e-9, atol=1e-9)
            agree = "same frontier" if same else "DIFFERENT FRONTIER"
        rows.append((engine.name, t, mem, len(pts), agree))
    limit = None if full_baseline else baseline_limit
    t0 = time.perf_counter()
    listed, _ = per_outcome_frontier(deal, limit)
    t_base = time.perf_counter() - t0
    estimated = listed < size
    if estimated:
        t_base = t_base * size / listed
    rows.append(("per-outcome (baseline)", t_base, None, None, "est. from a prefix" if estimated else ""))
    for name, t, mem, n, note in rows:
        ratio = ""
        if t and name in times and t_base:
            ratio = f"{fmt_ratio(t_base / t)} vs per-outcome"
            if name != "merge" and "merge" in times:
                ratio += f", merge is {fmt_ratio(t / times['merge'])} faster"
        mem_s = f"{mem:8.1f} MiB" if mem is not None else " " * 12
        n_s = f"{n:6d} pts" if n is not None else " " * 10
        print(f"  {name:24s} {fmt_time(t):>10s}  {mem_s}  {n_s}  {ratio} {note}".rstrip())
    if with_nsga and ref_points is not None:
        exact = {(round(s, 9), round(b, 9)) for s, b in ref_points}
        got = nsga2(deal, exact)
        if got is None:
            print("  pymoo NSGA-II            not installed (pip install -e .[bench])")
        else:
            dt, found, hits = got
            print(
                f"  pymoo NSGA-II            {fmt_time(dt):>10s}  found {found} points, {hits} of the {len(exact)} exact frontier points"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sizes")
    parser.add_argument("--full-baseline", action="store_true", help="run the per-outcome baseline on every outcome")
    parser.add_argument("--baseline-limit", type=int, default=300_000)
    parser.add_argument("--no-nsga", action="store_true")
    args = parser.parse_args()

    print("== (a) random additive models, opposed preferences ==")
    sizes = (
        [(4, 8), (8, 8), (20, 8)]
        if args.quick
        else [(4, 8), (6, 8), (8, 8), (10, 8), (12, 8), (16, 8), (20, 8), (30, 10)]
    )
    for k, n in sizes:
        deal = compile_model(model_from_data(opposed_additive(k, n)))
        deal.components  # noqa: B018 - compile the tables outside the timings
        run_engines(
            deal,
            f"additive {k} issues × {n} levels",
            args.baseline_limit,
            args.full_baseline,
            not args.no_nsga and k in (8, 20),
        )

    print("\n== (b) GENIUS cases ==")
    if not CASES.exists():
        print(f"  {CASES} not found: skipped")
    else:
        import json

        from dealopt.model.importers.genius import import_genius

        expected = json.loads((CASES / "expected.json").read_text())
        for case, info in expected.items():
            f = info["files"]
            model = import_genius(CASES / case / f["domain"], CASES / case / f["seller"], CASES / case / f["buyer"])
            deal = compile_model(model)
            deal.components  # noqa: B018
            run_engines(deal, f"GENIUS {case}", args.baseline_limit, args.full_baseline, False)

    print("\n== (c) example models ==")
    for path in sorted((ROOT / "models").glob("*.yaml")):
        deal = compile_model(load_model(path))
        deal.components  # noqa: B018
        run_engines(deal, f"model {deal.name}", args.baseline_limit, args.full_baseline, False)


if __name__ == "__main__":
    main()
