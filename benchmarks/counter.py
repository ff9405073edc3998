"""Latency of `counter` (and `trades`) on every example model and every GENIUS domain, in process.

Run: python benchmarks/counter.py [--calls N] [--quick]

Histories are negotiations played by the engine against a conceding buyer (it
offers, each round, the package best for itself among those at its falling
target, and some offers are partial or between grid steps), so the calls look
like a rep's mid-negotiation requests with long histories. The model is loaded
and its outcome space evaluated once (as the service does), then each call is
timed. Target: p99 < 25 ms on every model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import dealopt
from common import CASES, genius_cases
from dealopt import compile_model, load_model
from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.counter import Offer
from dealopt.negotiation.space import outcome_space

ROOT = Path(__file__).resolve().parents[1]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and 99th percentile, in ms."""
    a = np.array(samples) * 1e3
    return float(np.median(a)), float(np.percentile(a, 99))


def genius_deals() -> list[CompiledDeal]:
    """Every GENIUS domain under shared/cases, imported."""
    from dealopt.model.importers.genius import import_genius

    return [compile_model(import_genius(*files)) for _name, files in genius_cases()]


def histories(deal: CompiledDeal, rounds: int = 40) -> list[list[Offer]]:
    """The engine against a linearly conceding buyer: every history the seller answers."""
    space = outcome_space(deal)
    u = space.buyer
    feas = space.feasible
    hi, lo = float(u[feas].max()), float(u[feas].min())
    rng = np.random.default_rng(0)
    hist: list[Offer] = []
    out = []
    for r in range(1, rounds + 1):
        target = hi - (hi - lo) * (r - 1) / rounds
        cand = np.flatnonzero(feas & (u >= target - 1e-9))
        flat = int(cand[np.argmin(u[cand])]) if len(cand) else int(np.flatnonzero(feas)[0])
        pkg = deal.package_labels(space.rows(np.array([flat]))[0])
        if rng.random() < 0.2 and len(pkg) > 2:  # a partial offer now and then
            pkg = {k: v for k, v in list(pkg.items())[:2]}
        hist.append(Offer("buyer", pkg))
        out.append(list(hist))
        rec = dealopt.counter(deal, hist, round=r, deadline=rounds)
        if rec.recommendation != "counter":
            break
        hist.append(Offer("seller", rec.counters[0].package))
    return out


def measure(deal: CompiledDeal, calls: int, with_trades: bool) -> tuple[float, float, float, float, float]:
    t0 = time.perf_counter()
    outcome_space(deal)
    hists = histories(deal)
    warm = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    counter_t, trade_t = [], []
    for n in range(calls):
        hist = hists[n % len(hists)]
        progress = float(rng.uniform(0, 0.99))
        t = time.perf_counter()
        dealopt.counter(deal, hist, progress=progress)
        counter_t.append(time.perf_counter() - t)
        start = hist[-1].package
        if with_trades and len(start) == len(deal.issues):
            t = time.perf_counter()
            dealopt.trades(deal, start)
            trade_t.append(time.perf_counter() - t)
    cp50, cp99 = percentiles(counter_t)
    tp50, tp99 = percentiles(trade_t) if trade_t else (float("nan"), float("nan"))
    return cp50, cp99, tp50, tp99, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="example models only")
    args = parser.parse_args()
    deals = [compile_model(load_model(p)) for p in sorted((ROOT / "models").glob("*.yaml"))]
    if not args.quick and CASES.is_dir():
        deals += genius_deals()
    print(f"{'model':28s} {'packages':>10s}  {'counter p50':>11s} {'p99':>8s}   {'trades p50':>10s} {'p99':>8s}")
    worst = 0.0
    for deal in deals:
        cp50, cp99, tp50, tp99, warm = measure(deal, args.calls, deal.space_size is not None and deal.space_size > 0)
        worst = max(worst, cp99)
        print(
            f"{deal.name[:28]:28s} {deal.space_size:>10,}  {cp50:9.2f}ms {cp99:6.2f}ms   {tp50:8.2f}ms {tp99:6.2f}ms"
            f"  {'met' if cp99 < 25 else 'NOT met'} (setup {warm:.1f} s)"
        )
    print(f"worst counter p99: {worst:.2f} ms over {args.calls} calls per model (target < 25 ms)")


if __name__ == "__main__":
    main()
