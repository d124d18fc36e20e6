"""False alarms and coverage of a sweep's pooled verdict (sweep/pooled.py): two settings of equal
quality, each trained SEEDS times, compared on the same test rows.

Binormal scores as in bench_coverage.py. Every training draws its own separation d_s = d +
TAU * N(0, 1) (training noise) and its own row noise; both settings share the true d, so the
true difference, averaged over trainings, is 0. The pooled CI (mean of the seed pairs'
differences; variance from the test-row bootstrap of that mean plus the seeds' spread; t with
Welch-Satterthwaite df) should exclude 0 in about 5% of trials. Beside it: the old rule's
false alarms (every seed pair's own CI excluding 0 the same way) and a CI from the test rows
alone, which ignores training noise. Writes results/pooled.json."""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path
from statistics import NormalDist

import numpy as np

from threshold_sweep.evaluate.bootstrap import paired_difference
from threshold_sweep.evaluate.resample.predictions import Predictions
from threshold_sweep.sweep.pooled import _mean_difference_resamples, pooled_over_seeds

SIZES = ((15, 15), (43, 557), (300, 300))  # (positives, negatives)
METRICS = ("roc_auc", "balanced_accuracy")
TRUE_AUC = 0.85
TAUS = (0.0, 0.15)  # training noise: sd of a training's separation, in units of the row noise
SEEDS = 3
_NORMAL = NormalDist()


def _predictions(y: np.ndarray, d: float, rng: np.random.Generator) -> Predictions:
    """One training's predictions: scores d * y + N(0, 1), positive at d / 2."""
    raw = d * y + rng.standard_normal(len(y))
    return Predictions(y, 1 / (1 + np.exp(-raw)), (raw >= d / 2).astype(np.int64))


def _trial(y: np.ndarray, tau: float, resamples: int, seed: int) -> dict[str, dict[str, bool]]:
    """Whether each method calls the two settings different, per metric."""
    rng = np.random.default_rng(seed)
    d = math.sqrt(2) * _NORMAL.inv_cdf(TRUE_AUC)
    sides = [
        tuple(_predictions(y, d + tau * rng.standard_normal(), rng) for _ in range(2))
        for _ in range(SEEDS)
    ]
    ones = np.ones((1, len(y)))
    points = {
        m: np.array([b.metrics(ones)[m][0] - a.metrics(ones)[m][0] for a, b in sides])
        for m in METRICS
    }
    samples = _mean_difference_resamples(sides, METRICS, resamples, seed)
    per_pair = [paired_difference(a, b, METRICS, resamples, 0.95, seed) for a, b in sides]
    out: dict[str, dict[str, bool]] = {}
    for m in METRICS:
        pooled = pooled_over_seeds(points[m], samples[m], 0.95)
        rows_only = pooled_over_seeds(np.full(SEEDS, points[m].mean()), samples[m], 0.95)
        lows = [pair[m]["ci_low"] for pair in per_pair]
        highs = [pair[m]["ci_high"] for pair in per_pair]
        out[m] = {
            "pooled": not pooled["ci_low"] <= 0 <= pooled["ci_high"],
            "test_rows_only": not rows_only["ci_low"] <= 0 <= rows_only["ci_high"],
            "every_pair_alike": min(lows) > 0 or max(highs) < 0,
        }
    return out


def simulate(n_pos: int, n_neg: int, tau: float, trials: int, resamples: int) -> dict:
    """The share of trials in which each method calls equal settings different."""
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    counts: dict[str, dict[str, int]] = {}
    for trial in range(trials):
        for metric, calls in _trial(y, tau, resamples, trial).items():
            for method, called in calls.items():
                counts.setdefault(metric, {}).setdefault(method, 0)
                counts[metric][method] += int(called)
    return {m: {k: round(v / trials, 4) for k, v in c.items()} for m, c in counts.items()}


def main() -> None:
    """Simulate every size and training noise; print a table, save results/pooled.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=300)
    args = parser.parse_args()
    start = time.process_time()
    results = {
        f"{n_pos}/{n_neg} tau={tau:g}": simulate(n_pos, n_neg, tau, args.trials, args.resamples)
        for n_pos, n_neg in SIZES
        for tau in TAUS
    }
    print("| size, training noise | metric | pooled | test rows only | every pair alike |")
    print("|---|---|---|---|---|")
    for case, by_metric in results.items():
        for metric, rates in by_metric.items():
            cells = " | ".join(f"{100 * rates[k]:.1f} %" for k in rates)
            print(f"| {case} | {metric} | {cells} |")
    out = Path(__file__).parent / "results" / "pooled.json"
    payload = {
        "benchmark": "pooled",
        "trials": args.trials,
        "resamples": args.resamples,
        "seeds": SEEDS,
        "true_roc_auc": TRUE_AUC,
        "cpu_s": round(time.process_time() - start, 1),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "false_alarms": results,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"{args.trials} trials, {args.resamples} resamples, {payload['cpu_s']} CPU s")


if __name__ == "__main__":
    main()
