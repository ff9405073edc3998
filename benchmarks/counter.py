"""Latency of `trades` and `counter` on every example model, in process.

Run: python benchmarks/counter.py [--calls N]

Histories come from simulated negotiations against a Conceder buyer (20 steps), so the
calls look like a rep's mid-negotiation requests; the model is loaded and its
outcome space evaluated once (as the service does), then each call is timed.
Target: p99 < 25 ms on every example model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import dealopt
from dealopt import compile_model, load_model
from dealopt.negotiation.counter import Offer
from dealopt.negotiation.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and 99th percentile, in ms."""
    a = np.array(samples) * 1e3
    return float(np.median(a)), float(np.percentile(a, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    print(
        f"{'model':24s} {'packages':>10s}  {'trades p50':>10s} {'p99':>8s}   {'counter p50':>11s} {'p99':>8s}  target p99 < 25 ms"
    )
    worst = 0.0
    for path in sorted((ROOT / "models").glob("*.yaml")):
        deal = compile_model(load_model(path))
        t0 = time.perf_counter()
        sim = simulate(deal, "conceder", 20)
        warm = time.perf_counter() - t0
        offers = [Offer(e["by"], e["package"]) for e in sim.transcript if "package" in e]
        histories = [offers[: k + 1] for k in range(len(offers)) if offers[k].by == "buyer"]
        rng = np.random.default_rng(0)
        trade_t, counter_t = [], []
        for n in range(args.calls):
            hist = histories[n % len(histories)]
            progress = float(rng.uniform(0, 0.99))
            t = time.perf_counter()
            dealopt.counter(deal, hist, progress=progress)
            counter_t.append(time.perf_counter() - t)
            start = offers[(2 * n) % len(offers)].package
            if len(start) == len(deal.issues):
                t = time.perf_counter()
                dealopt.trades(deal, start)
                trade_t.append(time.perf_counter() - t)
        tp50, tp99 = percentiles(trade_t)
        cp50, cp99 = percentiles(counter_t)
        worst = max(worst, tp99, cp99)
        print(
            f"{deal.name:24s} {deal.space_size:>10,}  {tp50:8.2f}ms {tp99:6.2f}ms   {cp50:9.2f}ms {cp99:6.2f}ms"
            f"  {'met' if max(tp99, cp99) < 25 else 'NOT met'} (first call incl. evaluating the space: {warm * 1e3:.0f} ms for a whole simulation)"
        )
    print(f"worst p99: {worst:.2f} ms over {args.calls} calls per model and command")


if __name__ == "__main__":
    main()
