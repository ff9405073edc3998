"""Evaluation throughput: the vectorized evaluator vs a plain per-package Python loop.

Run: python benchmarks/evaluate.py [MODEL] [--packages N]
Both run in this process, on one core, on the same random packages.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time
from pathlib import Path

import numpy as np

from dealopt import compile_model, evaluate, load_model
from dealopt.model.reference import reference_evaluate

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeats: int) -> float:
    """Fastest of ``repeats`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", nargs="?", default=str(ROOT / "models" / "saas-renewal.yaml"))
    parser.add_argument("--packages", type=int, default=2_000_000)
    parser.add_argument("--loop-packages", type=int, default=20_000)
    args = parser.parse_args()

    model = load_model(args.model)
    deal = compile_model(model)
    rng = np.random.default_rng(0)
    idx = np.stack([rng.integers(0, s, args.packages) for s in deal.shape], axis=1)

    evaluate(deal, idx[:1000])  # warm the component tables
    t_vec = best_of(lambda: evaluate(deal, idx), 5)
    rate_vec = args.packages / t_vec

    packages = [deal.package_labels(row) for row in idx[: args.loop_packages]]
    t_loop = best_of(lambda: [reference_evaluate(model, p) for p in packages], 1)
    rate_loop = len(packages) / t_loop

    # the two agree on these packages
    ev = evaluate(deal, idx[: len(packages)])
    ref = [reference_evaluate(model, p) for p in packages[:2000]]
    assert np.allclose(ev.seller[:2000], [r["seller"] for r in ref])
    assert np.allclose(ev.buyer[:2000], [r["buyer"] for r in ref])

    print(f"model: {model.name} ({deal.space_size:,} packages in the outcome space, {len(deal.issues)} issues)")
    print(
        f"vectorized evaluate : {rate_vec:>14,.0f} packages/s  ({args.packages:,} packages in {t_vec * 1e3:.1f} ms, best of 5)"
    )
    print(f"per-package loop    : {rate_loop:>14,.0f} packages/s  ({len(packages):,} packages in {t_loop:.2f} s)")
    print(f"ratio               : {rate_vec / rate_loop:>14,.0f}x")
    print(f"target ≥ 5,000,000 packages/s: {'met' if rate_vec >= 5e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
