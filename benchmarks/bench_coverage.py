"""Coverage of the bootstrap intervals on binormal scores whose ROC-AUC and balanced accuracy are
known: how often each interval method's CI holds the true value, per test-set size, and how
often a paired CI calls two equally good models different.

Positives score ~ N(d, 1), negatives ~ N(0, 1), so the true ROC-AUC is Phi(d / sqrt(2)), and the
true balanced accuracy of the cutoff c (drawn per trial) is (1 - Phi(c - d) + Phi(c)) / 2. A
paired comparison scores the same rows with two models (d_first, d_second) whose noises
correlate (RHO); its true difference is the difference of the two truths. The null comparison
has two models of the same d, the second cut at d - c: the same true ROC-AUC and balanced
accuracy (it trades recall for specificity), so every CI that excludes 0 is a false alarm.
Every method is applied to the same resamples of each trial; auto's ROC-AUC and balanced
accuracy intervals are formulas, so they are also run on more trials (--formula-trials) without
resampling. Writes results/coverage.json; tests/evaluate/test_coverage.py runs a small version."""

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
    AUTO,
    INTERVALS,
    bootstrap_intervals,
    paired_closed_form,
    paired_intervals,
)
from threshold_sweep.evaluate.resample.predictions import Predictions

SIZES = ((8, 24), (15, 15), (43, 557), (10, 30), (20, 80))  # (positives, negatives)
REQUIRED = ("8/24", "15/15", "43/557")  # issue 22: coverage 93.5-96.5 %, false alarms <= 6 %
METHODS = (*INTERVALS, AUTO)
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


def models(rng: np.random.Generator) -> tuple[Model, Model, Model, Model]:
    """One trial's single model, paired first and second, each with a cutoff drawn between
    CUTOFF_RANGE times its d (the true balanced accuracy then moves across the lattice of
    values a small test set can take, k / n_pos steps, instead of sitting at one place in it),
    and the null partner of second: the same d, cut at d - c, so equally good on both metrics."""
    ds = [separation(SINGLE_AUC), *map(separation, PAIRED_AUC)]
    single, first, second = (Model(d, d * rng.uniform(*CUTOFF_RANGE)) for d in ds)
    return single, first, second, Model(second.d, second.d - second.cutoff)


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
    """Coverage, its Monte Carlo standard error, misses per side and mean width (for a null
    comparison, the misses are the false alarms)."""
    out: dict = {}
    for method, by_metric in tally.items():
        for metric, counts in by_metric.items():
            coverage = counts["covered"] / trials
            out.setdefault(method, {})[metric] = {
                "trials": trials,
                "coverage": round(coverage, 4),
                "false_alarm_if_null": round(1 - coverage, 4),
                "mc_se_at_nominal": round(math.sqrt(level * (1 - level) / trials), 4),
                "ci_below_truth": round(counts["below"] / trials, 4),
                "ci_above_truth": round(counts["above"] / trials, 4),
                "mean_width": round(counts["width"] / trials, 4),
            }
    return out


def _paired(compared: dict) -> dict[str, dict[str, list[float]]]:
    """method -> metric -> [low, high] of paired_intervals' comparisons."""
    return {
        method: {m: [c["ci_low"], c["ci_high"]] for m, c in by_metric.items()}
        for method, by_metric in compared.items()
    }


def _trial_rows(
    y: np.ndarray, rng: np.random.Generator
) -> tuple[tuple[Model, Model, Model, Model], list[Predictions]]:
    """A trial's models and their predictions: single, first, second, null partner of second
    (first and single share a noise draw; second and its partner correlate with it by RHO)."""
    four = models(rng)
    noise = rng.standard_normal((3, len(y)))
    correlated = RHO * noise[0] + math.sqrt(1 - RHO**2) * noise[1]
    partner = RHO * correlated + math.sqrt(1 - RHO**2) * noise[2]
    draws = (noise[0], noise[0], correlated, partner)
    return four, [model.predictions(y, e) for model, e in zip(four, draws, strict=True)]


def _paired_truth(first: Model, second: Model) -> dict[str, float]:
    """second - first of the true metrics."""
    return {m: second.truth()[m] - first.truth()[m] for m in METRICS}


def simulate(
    n_pos: int,
    n_neg: int,
    trials: int,
    resamples: int,
    level: float = 0.95,
    seed: int = 0,
    methods: tuple[str, ...] = METHODS,
) -> dict[str, dict]:
    """Coverage of single-run CIs, of paired-difference CIs and of null paired CIs (false
    alarms) at one size: kind -> method -> metric -> coverage, misses and width."""
    y = _labels(n_pos, n_neg)
    tallies: dict[str, dict] = {"single": {}, "paired": {}, "paired_null": {}}
    for trial in range(trials):
        rng = np.random.default_rng([seed, n_pos, n_neg, trial])
        (single, first, second, partner), runs = _trial_rows(y, rng)
        intervals = bootstrap_intervals(runs[0], resamples, level, trial, methods)
        _tally(intervals, single.truth(), tallies["single"])
        for kind, (a, b), (ma, mb) in (
            ("paired", runs[1:3], (first, second)),
            ("paired_null", runs[2:4], (second, partner)),
        ):
            compared = paired_intervals(a, b, METRICS, resamples, level, trial, methods)
            _tally(_paired(compared), _paired_truth(ma, mb), tallies[kind])
    return {kind: _summary(tally, trials, level) for kind, tally in tallies.items()}


def simulate_formulas(
    n_pos: int, n_neg: int, trials: int, resamples: int, level: float = 0.95, seed: int = 0
) -> dict[str, dict]:
    """auto's ROC-AUC and balanced-accuracy intervals (formulas: no resampling, so cheap) on
    more trials, from the same trial generator: kind -> {"auto": metric -> coverage ...}. A
    paired ROC-AUC without DeLong variance (both models rank every pair alike) takes auto's
    resampled fallback, as a run would."""
    y = _labels(n_pos, n_neg)
    tallies: dict[str, dict] = {"single": {}, "paired": {}, "paired_null": {}}
    strata = y * 2 + y
    for trial in range(trials):
        rng = np.random.default_rng([seed, n_pos, n_neg, trial])
        (single, first, second, partner), runs = _trial_rows(y, rng)
        _tally({AUTO: runs[0].closed_form(level)}, single.truth(), tallies["single"])
        for kind, (a, b), (ma, mb) in (
            ("paired", runs[1:3], (first, second)),
            ("paired_null", runs[2:4], (second, partner)),
        ):
            ones = np.ones((1, len(y)))
            point = {m: float(b.metrics(ones)[m][0] - a.metrics(ones)[m][0]) for m in METRICS}
            intervals = paired_closed_form(a, b, point, strata, level)
            if set(METRICS) - set(intervals):  # no DeLong variance: auto's fallback, resampled
                compared = paired_intervals(a, b, METRICS, resamples, level, trial, (AUTO,))
                intervals = _paired(compared)[AUTO]
            _tally({AUTO: intervals}, _paired_truth(ma, mb), tallies[kind])
    return {kind: _summary(tally, trials, level) for kind, tally in tallies.items()}


def _table(sizes: dict[str, dict], formulas: dict[str, dict]) -> list[str]:
    """Markdown rows: size x kind x metric, one column per method (coverage; for the null
    comparison, false alarms), and auto's formulas on more trials."""
    methods = list(next(iter(next(iter(sizes.values())).values())))
    lines = [
        f"| positives / negatives | kind | metric | {' | '.join(methods)} | auto, more trials |",
        f"|---|---|---|{'---|' * (len(methods) + 1)}",
    ]
    for size, kinds in sizes.items():
        for kind, by_method in kinds.items():
            field = "false_alarm_if_null" if kind == "paired_null" else "coverage"
            label = "null: false alarms" if kind == "paired_null" else kind
            for metric in METRICS:
                cells = [f"{100 * by_method[m][metric][field]:.1f} %" for m in methods]
                more = formulas[size][kind][AUTO][metric]
                cells.append(f"{100 * more[field]:.1f} % ({more['trials']})")
                lines.append(f"| {size} | {label} | {metric} | {' | '.join(cells)} |")
    return lines


def verdicts(formulas: dict[str, dict], lower: float = 0.935, upper: float = 0.965) -> dict:
    """The issue's checks on auto at the REQUIRED sizes (from the formula trials): single-run
    coverage within [lower, upper], null false alarms at most 6 %."""
    out = {}
    for size in REQUIRED:
        kinds = formulas[size]
        for metric in METRICS:
            coverage = kinds["single"][AUTO][metric]["coverage"]
            alarms = kinds["paired_null"][AUTO][metric]["false_alarm_if_null"]
            out[f"{size} {metric}"] = {
                "coverage_ok": lower <= coverage <= upper,
                "false_alarms_ok": alarms <= 0.06,
            }
    return out


def main() -> None:
    """Simulate every size; print a Markdown table and save results/coverage.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--formula-trials", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.process_time()
    sizes = {
        f"{n_pos}/{n_neg}": simulate(
            n_pos, n_neg, args.trials, args.resamples, args.level, args.seed
        )
        for n_pos, n_neg in SIZES
    }
    bootstrap_cpu = time.process_time() - start
    formulas = {
        f"{n_pos}/{n_neg}": simulate_formulas(
            n_pos, n_neg, args.formula_trials, args.resamples, args.level, args.seed
        )
        for n_pos, n_neg in SIZES
    }
    result = {
        "benchmark": "coverage",
        "trials": args.trials,
        "formula_trials": args.formula_trials,
        "resamples": args.resamples,
        "level": args.level,
        "seed": args.seed,
        "single_true_roc_auc": SINGLE_AUC,
        "paired_true_roc_auc": list(PAIRED_AUC),
        "paired_noise_correlation": RHO,
        "cutoff_range_in_d": list(CUTOFF_RANGE),
        "cpu_s": round(time.process_time() - start, 1),
        "bootstrap_cpu_s": round(bootstrap_cpu, 1),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "verdicts": verdicts(formulas),
        "sizes": sizes,
        "auto_formulas": formulas,
    }
    out = Path(__file__).parent / "results" / "coverage.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print("\n".join(_table(sizes, formulas)))
    print(
        f"{args.trials} trials ({args.formula_trials} for auto's formulas), "
        f"{args.resamples} resamples, {result['cpu_s']} CPU s"
    )
    for check, ok in result["verdicts"].items():
        print(check, "coverage", ok["coverage_ok"], "false alarms", ok["false_alarms_ok"])


if __name__ == "__main__":
    main()
