"""Coverage of the bootstrap intervals on binormal scores whose ROC-AUC and balanced accuracy are
known: how often each interval method's CI holds the true value, per test-set size.

Positives score ~ N(d, 1), negatives ~ N(0, 1), so the true ROC-AUC is Phi(d / sqrt(2)), and the
true balanced accuracy of the cutoff c (drawn per trial) is (1 - Phi(c - d) + Phi(c)) / 2. A
paired comparison scores the same rows with two models (d_first, d_second) whose noises
correlate (RHO); its true difference is the difference of the two truths. Every method is
applied to the same resamples of each trial. Writes results/coverage.json;
tests/evaluate/test_coverage.py runs a small version."""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np

from threshold_sweep.evaluate.bootstrap import (
    INTERVALS,
    Predictions,
    bootstrap_intervals,
    paired_intervals,
)

SIZES = ((8, 24), (20, 80), (43, 557), (333, 267))  # (positives, negatives)
METRICS = ("roc_auc", "balanced_accuracy")
SINGLE_AUC = 0.85  # the single run's true ROC-AUC
PAIRED_AUC = (0.80, 0.85)  # first and second model of a paired comparison
RHO = 0.7  # correlation of the two models' noise on the same row
CUTOFF_RANGE = (0.2, 0.8)  # a trial's cutoff, in units of its model's d
_NORMAL = NormalDist()


def separation(auc: float) -> float:
    """The mean d of the positives' scores that gives a binormal ROC-AUC of `auc`."""
    return math.sqrt(2) * _NORMAL.inv_cdf(auc)


@dataclass(frozen=True)
class Model:
    """Binormal scores: positives ~ N(d, 1), negatives ~ N(0, 1), positive at score >= cutoff."""

    d: float
    cutoff: float

    def truth(self) -> dict[str, float]:
        """The population ROC-AUC and balanced accuracy."""
        recall = 1 - _NORMAL.cdf(self.cutoff - self.d)
        return {
            "roc_auc": _NORMAL.cdf(self.d / math.sqrt(2)),
            "balanced_accuracy": (recall + _NORMAL.cdf(self.cutoff)) / 2,
        }

    def predictions(self, y: np.ndarray, noise: np.ndarray) -> Predictions:
        """The model's predictions of rows with labels y and standard normal noise."""
        raw = self.d * y + noise
        return Predictions(y, 1 / (1 + np.exp(-raw)), (raw >= self.cutoff).astype(np.int64))


def models(rng: np.random.Generator) -> tuple[Model, Model, Model]:
    """One trial's single model and paired first and second, each with a cutoff drawn between
    CUTOFF_RANGE times its d: the true balanced accuracy then moves across the lattice of
    values a small test set can take (k / n_pos steps), instead of sitting at one place in it."""
    ds = [separation(SINGLE_AUC), *map(separation, PAIRED_AUC)]
    single, first, second = (Model(d, d * rng.uniform(*CUTOFF_RANGE)) for d in ds)
    return single, first, second


def _labels(n_pos: int, n_neg: int) -> np.ndarray:
    return np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]


def _tally(intervals: dict[str, dict[str, list[float]]], truth: dict[str, float], tally: dict):
    """Add one trial's hits, misses on each side and widths to `tally` (method -> metric)."""
    for method, by_metric in intervals.items():
        for metric in METRICS:
            low, high = by_metric[metric]
            counts = tally.setdefault(method, {}).setdefault(
                metric, {"covered": 0, "below": 0, "above": 0, "width": 0.0}
            )
            true = truth[metric]
            counts["covered"] += int(low <= true <= high)
            counts["below"] += int(high < true)  # the whole CI under the truth
            counts["above"] += int(low > true)
            counts["width"] += high - low


def _summary(tally: dict, trials: int, level: float) -> dict:
    """Coverage, its Monte Carlo standard error, misses per side and mean width."""
    out: dict = {}
    for method, by_metric in tally.items():
        for metric, counts in by_metric.items():
            coverage = counts["covered"] / trials
            out.setdefault(method, {})[metric] = {
                "coverage": round(coverage, 4),
                "mc_se_at_nominal": round(math.sqrt(level * (1 - level) / trials), 4),
                "ci_below_truth": round(counts["below"] / trials, 4),
                "ci_above_truth": round(counts["above"] / trials, 4),
                "mean_width": round(counts["width"] / trials, 4),
            }
    return out


def simulate(
    n_pos: int,
    n_neg: int,
    trials: int,
    resamples: int,
    level: float = 0.95,
    seed: int = 0,
    methods: tuple[str, ...] = INTERVALS,
) -> dict[str, dict]:
    """Coverage of single-run CIs and of paired-difference CIs at one size: kind -> method ->
    metric -> coverage, misses and width."""
    y = _labels(n_pos, n_neg)
    tallies: dict[str, dict] = {"single": {}, "paired": {}}
    for trial in range(trials):
        rng = np.random.default_rng([seed, n_pos, n_neg, trial])
        single, first, second = models(rng)
        noise = rng.standard_normal((2, len(y)))
        correlated = RHO * noise[0] + math.sqrt(1 - RHO**2) * noise[1]
        intervals = bootstrap_intervals(
            single.predictions(y, noise[0]), resamples, level, trial, methods
        )
        _tally(intervals, single.truth(), tallies["single"])
        compared = paired_intervals(
            first.predictions(y, noise[0]),
            second.predictions(y, correlated),
            METRICS,
            resamples,
            level,
            trial,
            methods,
        )
        paired = {
            method: {m: [c["ci_low"], c["ci_high"]] for m, c in by_metric.items()}
            for method, by_metric in compared.items()
        }
        paired_truth = {m: second.truth()[m] - first.truth()[m] for m in METRICS}
        _tally(paired, paired_truth, tallies["paired"])
    return {kind: _summary(tally, trials, level) for kind, tally in tallies.items()}


def _table(sizes: dict[str, dict]) -> list[str]:
    """Markdown rows: size x kind x metric, one coverage column per method."""
    methods = list(next(iter(next(iter(sizes.values())).values())))
    lines = [
        f"| positives / negatives | kind | metric | {' | '.join(methods)} |",
        f"|---|---|---|{'---|' * len(methods)}",
    ]
    for size, kinds in sizes.items():
        for kind, by_method in kinds.items():
            for metric in METRICS:
                cells = [f"{100 * by_method[m][metric]['coverage']:.1f} %" for m in methods]
                lines.append(f"| {size} | {kind} | {metric} | {' | '.join(cells)} |")
    return lines


def main() -> None:
    """Simulate every size; print a Markdown table and save results/coverage.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.process_time()
    sizes = {
        f"{n_pos}/{n_neg}": simulate(
            n_pos, n_neg, args.trials, args.resamples, args.level, args.seed
        )
        for n_pos, n_neg in SIZES
    }
    result = {
        "benchmark": "coverage",
        "trials": args.trials,
        "resamples": args.resamples,
        "level": args.level,
        "seed": args.seed,
        "single_true_roc_auc": SINGLE_AUC,
        "paired_true_roc_auc": list(PAIRED_AUC),
        "paired_noise_correlation": RHO,
        "cutoff_range_in_d": list(CUTOFF_RANGE),
        "cpu_s": round(time.process_time() - start, 1),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "sizes": sizes,
    }
    out = Path(__file__).parent / "results" / "coverage.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("\n".join(_table(sizes)))
    print(f"{args.trials} trials, {args.resamples} resamples, {result['cpu_s']} CPU s")


if __name__ == "__main__":
    main()
