"""Learning the buyer from deal histories: recovery, calibration, value of the multi-issue model, fit time.

Run: python benchmarks/learn.py [--reps 100] [--rows 2000] [--big 100000]

(a) Recovery: on each example model whose buyer uses named parameters, --reps seeded synthetic histories of
    --rows quotes (dealopt.simulate_history: the model's buyer with its stated parameters is the truth); for each
    parameter and the walk-away, the share of replications whose 90 % interval covers the truth.
(b) Calibration: expected calibration error (10 bins) of the held-out quotes' win probabilities (each fit's 25 %
    held-out split, predicted by the fit on the other 75 %), pooled over the replications, and the median per
    replication (500 quotes each: sampling noise alone gives ~0.03 there).
(c) Value of the multi-issue model: held-out AUC against the price-only logistic baseline (the CPQ approach),
    mean over replications and the share of replications where it is higher.
(d) Fit time: dealopt.learn on --big rows of the SaaS model, on one core (BLAS threads 1), median of 3.

Targets: coverage in 85–95 %, pooled ECE ≤ 0.03, AUC above the baseline on every model, fit < 2 s.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import dealopt
from dealopt.learning import buyer_parameters_of, learn, simulate_history
from dealopt.learning.metrics import ece

MODELS = Path(__file__).resolve().parents[1] / "models"


def recovery(path: Path, reps: int, rows: int) -> dict[str, object]:
    model = dealopt.load_model(path)
    cover: dict[str, int] = {}
    preds, ys, ws, eces, aucs, bases = [], [], [], [], [], []
    for rep in range(reps):
        frame = simulate_history(model, rows, seed=rep)
        truth = frame.attrs["truth"]
        fit = learn(model, frame, seed=rep).fit
        for name, value in truth["parameters"].items():
            cover[name] = cover.get(name, 0) + fit.parameters[name].covers(value)
        cover["walk_away"] = cover.get("walk_away", 0) + fit.walk_away.covers(truth["walk_away"])
        p, y, w = fit.held_out
        preds.append(p)
        ys.append(y)
        ws.append(w)
        eces.append(fit.metrics.ece)
        aucs.append(fit.metrics.auc)
        bases.append(fit.metrics.baseline_auc)
    pooled = ece(np.concatenate(preds), np.concatenate(ys), np.concatenate(ws))
    return {
        "coverage": {k: v / reps for k, v in cover.items()},
        "ece_pooled": pooled,
        "ece_median": statistics.median(eces),
        "auc": float(np.mean(aucs)),
        "baseline_auc": float(np.mean(bases)),
        "auc_wins": float(np.mean(np.array(aucs) > np.array(bases))),
    }


def fit_time(rows: int) -> float:
    model = dealopt.load_model(MODELS / "saas-renewal.yaml")
    frame = simulate_history(model, rows, seed=1)
    learn(model, frame.head(2000))  # warm imports
    times = []
    for _ in range(3):
        t = time.perf_counter()
        learn(model, frame)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--big", type=int, default=100_000)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {args.reps} histories × {args.rows} quotes per model")
    ok = True
    for path in sorted(MODELS.glob("*.yaml")):
        model = dealopt.load_model(path)
        if not buyer_parameters_of(model):
            print(f"{path.stem}: the buyer uses no named parameter: skipped")
            continue
        t = time.perf_counter()
        r = recovery(path, args.reps, args.rows)
        cov = ", ".join(f"{k} {v:.0%}" for k, v in r["coverage"].items())  # type: ignore[union-attr]
        good = all(0.85 <= v <= 0.95 for v in r["coverage"].values())  # type: ignore[union-attr]
        good &= r["ece_pooled"] <= 0.03 and r["auc"] > r["baseline_auc"]  # type: ignore[operator]
        ok &= good
        print(
            f"{path.stem}: coverage of 90 % intervals: {cov}; ECE pooled {r['ece_pooled']:.4f} "
            f"(median per history {r['ece_median']:.3f}); AUC {r['auc']:.3f} vs price only {r['baseline_auc']:.3f} "
            f"(higher in {r['auc_wins']:.0%}); {time.perf_counter() - t:.1f} s  {'OK' if good else 'MISSED'}"
        )
    seconds = fit_time(args.big)
    ok &= seconds < 2.0
    print(f"fit time: {args.big:,} rows of saas-renewal in {seconds:.2f} s on one core (target < 2 s)")
    print("all targets met" if ok else "some targets missed")


if __name__ == "__main__":
    main()
