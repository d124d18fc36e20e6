"""Vectorized, stratified bootstrap of every task's metrics: CIs and paired differences.

Rows are resampled within each true class (evaluate/resample/draws.py); every metric of a
chunk of resamples is evaluated at once from its registry entry's resampled form
(evaluate/resample/predictions.py), and the results equal scikit-learn's weighted metrics.

An interval is read from the resampled values by one of INTERVALS: `percentile` (their
quantiles) or `bca` (Efron's bias-corrected and accelerated percentiles, the acceleration from a
jackknife within the same strata, evaluate/resample/readout.py). evaluate.bootstrap.method also
offers `auto`, the best per metric in benchmarks/bench_coverage.py: a binary run's recall,
specificity, accuracy, balanced accuracy and ROC-AUC, and two binary runs' paired ROC-AUC and
balanced accuracy, from formulas (evaluate/intervals.py); the rest from the resamples
(AUTO_INTERVALS). With every method, an interval that is a point (every resample gives the same
value) is replaced by the predictions' `fallback`, and every interval holds its estimate.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

import numpy as np

from threshold_sweep.evaluate import intervals as closed
from threshold_sweep.evaluate.resample.draws import chunk_sizes, strata_of, stratified_counts
from threshold_sweep.evaluate.resample.predictions import Predictions, WeightedMetrics
from threshold_sweep.evaluate.resample.readout import (
    BCA,
    INTERVALS,
    PERCENTILE,
    Scores,
    collapsed,
    holding,
    resampled_intervals,
)
from threshold_sweep.evaluate.result import Comparison

AUTO = "auto"
METHODS = (*INTERVALS, AUTO)  # the values of evaluate.bootstrap.method
# The resampled interval auto reads where it has no formula (evaluate/intervals.py has those):
# BCa's acceleration helps a run's CIs (a metric near its bound is skewed), while for a
# difference of two similar models it is mostly jackknife noise (docs/outputs.md has the table).
AUTO_INTERVALS = {"single": BCA, "paired": PERCENTILE}
DEFAULT_METHOD = AUTO


_BCA_TEXT = "BCa bootstrap (jackknife within each true class)"
_RESAMPLED = ", test rows resampled within each true class"
_REPAIR_TEXT = "; a degenerate (zero-width) bootstrap interval is replaced by a closed-form one"
_AUTO_TEXT = (
    "per metric, by simulated coverage: Wilson (recall, specificity), MOVER-Wilson (balanced "
    "accuracy, accuracy), logit DeLong (ROC-AUC), else BCa; paired: DeLong (ROC-AUC), "
    "Bonett-Price Wald (balanced accuracy), else percentile bootstrap"
)
METHOD_TEXT = {  # metrics.json's ci.method: what each value of evaluate.bootstrap.method does
    PERCENTILE: f"percentile bootstrap{_RESAMPLED}{_REPAIR_TEXT}",
    BCA: f"{_BCA_TEXT}{_RESAMPLED}{_REPAIR_TEXT}",
    AUTO: f"{_AUTO_TEXT}{_RESAMPLED}{_REPAIR_TEXT} (docs/outputs.md)",
}


def interval_method(boot: Any) -> str:
    """evaluate.bootstrap.method of a bootstrap config (the default where it names none)."""
    return _choice(getattr(boot, "method", DEFAULT_METHOD))


def _choice(method: str | Enum) -> str:
    """A value of evaluate.bootstrap.method (the config's Enum or its text), checked."""
    name = str(getattr(method, "value", method))
    if name not in METHODS:
        raise ValueError(f"unknown interval method {name!r}: use one of {', '.join(METHODS)}")
    return name


def _intervals_named(methods: Sequence[str | Enum]) -> list[str]:
    """The names of `methods`, each one of METHODS."""
    return [_choice(method) for method in methods]


def _resampled(names: list[str], kind: str) -> list[str]:
    """The resampled intervals (of INTERVALS) that `names` need: auto reads AUTO_INTERVALS."""
    needed = {AUTO_INTERVALS[kind] if name == AUTO else name for name in names}
    return [name for name in INTERVALS if name in needed]


def _repaired(
    by_metric: dict[str, list[float]],
    point: Scores,
    predictions: WeightedMetrics,
    level: float,
    seed: int,
) -> dict[str, list[float]]:
    """`by_metric` with every interval that is a point replaced by the predictions' fallback,
    and every interval widened to hold its estimate."""
    degenerate = [m for m, bounds in by_metric.items() if collapsed(bounds, point[m])]
    fixes = predictions.fallback(degenerate, level, seed) if degenerate else {}
    return {m: holding(fixes.get(m, bounds), point[m]) for m, bounds in by_metric.items()}


def bootstrap_intervals(
    predictions: WeightedMetrics,
    n_resamples: int,
    level: float,
    seed: int,
    methods: Sequence[str | Enum] = INTERVALS,
) -> dict[str, dict[str, list[float]]]:
    """CIs of every headline metric by each of `methods` (of METHODS), from the same resamples
    of the rows within each true class: method -> metric -> [low, high]. auto takes the
    predictions' closed-form CIs where they have one; no method returns a point."""
    rng = np.random.default_rng(seed)
    chunks = [
        predictions.resampled_metrics(rng, rows)
        for rows in chunk_sizes(n_resamples, len(predictions.y_true))
    ]
    samples = {metric: np.concatenate([chunk[metric] for chunk in chunks]) for metric in chunks[0]}
    return sampled_intervals(predictions, samples, level, seed, methods)


def sampled_intervals(
    predictions: WeightedMetrics,
    samples: dict[str, np.ndarray],
    level: float,
    seed: int,
    methods: Sequence[str | Enum] = INTERVALS,
) -> dict[str, dict[str, list[float]]]:
    """CIs of every headline metric by each of `methods` from its values on resamples of the
    rows drawn within each true class (`samples`: metric -> one value per resample)."""
    names = _intervals_named(methods)
    n = len(predictions.y_true)
    point = {m: float(v[0]) for m, v in predictions.metrics(np.ones((1, n))).items()}
    jackknife = (predictions.left_out_metrics, n, strata_of(predictions.y_true), seed)
    resampled = resampled_intervals(samples, point, level, _resampled(names, "single"), jackknife)
    out = {}
    for name in names:
        by_metric = resampled[AUTO_INTERVALS["single"] if name == AUTO else name]
        if name == AUTO:
            formulas = predictions.closed_form(level)
            by_metric = {m: formulas.get(m, bounds) for m, bounds in by_metric.items()}
        out[name] = _repaired(by_metric, point, predictions, level, seed)
    return out


def bootstrap_ci(
    predictions: WeightedMetrics,
    n_resamples: int,
    level: float,
    seed: int,
    method: str | Enum = DEFAULT_METHOD,
) -> dict[str, list[float]]:
    """CIs of every headline metric by `method` (a value of evaluate.bootstrap.method),
    resampling rows within each true class."""
    name = _choice(method)
    return bootstrap_intervals(predictions, n_resamples, level, seed, (name,))[name]


def drawn_metrics(
    predictions: WeightedMetrics, strata: np.ndarray, n_resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """The predictions' metrics on each of `n_resamples` resamples drawn within `strata` (the
    draws of stratified_counts): metric -> one value per resample."""
    parts = [predictions.metrics(w) for w in stratified_counts(strata, n_resamples, seed)]
    return {metric: np.concatenate([part[metric] for part in parts]) for metric in parts[0]}


def paired_strata(first: WeightedMetrics, second: WeightedMetrics) -> np.ndarray:
    """Each row's combination of the two runs' true classes, which paired resamples keep."""
    return first.y_true * (second.y_true.max() + 1) + second.y_true


Drawn = tuple[Mapping[str, np.ndarray] | None, Mapping[str, np.ndarray] | None]


def _paired_resamples(
    runs: tuple[WeightedMetrics, WeightedMetrics],
    metrics: tuple[str, ...],
    strata: np.ndarray,
    draws: tuple[int, int],
    drawn: Drawn = (None, None),
) -> tuple[dict[str, np.ndarray], Scores, Any]:
    """second - first per metric on each resample (`draws`: how many, and their seed, within
    `strata`; a run's `drawn` values are read, not recomputed), on all rows, and the
    differences without each of some row groups (BCa's jackknife)."""
    (first, second), (n_resamples, seed) = runs, draws

    def difference(
        a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        return {metric: b[metric] - a[metric] for metric in metrics}

    def left_out(groups: list[np.ndarray]) -> dict[str, np.ndarray]:
        return difference(first.left_out_metrics(groups), second.left_out_metrics(groups))

    first_drawn, second_drawn = (
        values if values is not None else drawn_metrics(run, strata, n_resamples, seed)
        for run, values in zip(runs, drawn, strict=True)
    )
    samples = difference(first_drawn, second_drawn)
    ones = np.ones((1, len(strata)))
    point = {
        m: float(v[0]) for m, v in difference(first.metrics(ones), second.metrics(ones)).items()
    }
    return samples, point, left_out


def _comparisons(
    intervals: dict[str, dict[str, list[float]]], point: Scores
) -> dict[str, dict[str, Comparison]]:
    """method -> metric -> the difference, its CI and whether the CI holds 0."""
    return {
        method: {
            metric: {
                "difference": point[metric],
                "ci_low": low,
                "ci_high": high,
                "within_noise": bool(low <= 0 <= high),
            }
            for metric, (low, high) in by_metric.items()
        }
        for method, by_metric in intervals.items()
    }


def narrowed(predictions: WeightedMetrics, metrics: Sequence[str]) -> WeightedMetrics:
    """The same predictions evaluating only `metrics` (a paired comparison reads two of the
    headline metrics: the others' resamples cost four fifths of its time)."""
    view = copy.copy(predictions)
    view.names = tuple(name for name in predictions.names if name in metrics)
    return view


def paired_intervals(
    first: WeightedMetrics,
    second: WeightedMetrics,
    metrics: tuple[str, ...],
    n_resamples: int,
    level: float,
    seed: int,
    methods: Sequence[str | Enum] = INTERVALS,
    drawn: Drawn = (None, None),
) -> dict[str, dict[str, Comparison]]:
    """second - first for each metric on the same rows, resampled jointly, with its CI by each
    of `methods` from the same resamples: method -> metric -> difference, CI, within_noise.
    `drawn`: a run's drawn_metrics on these resamples, when the caller has them already.

    Rows are resampled within each combination of the two runs' true classes, so both runs
    keep their class counts in every resample. auto takes the closed-form paired intervals of
    two binary runs; a difference all of whose resamples are equal gets the MOVER interval of
    the two runs' own CIs, unless the two runs' predictions are the same (then it is 0 exactly).
    """
    names = _intervals_named(methods)
    first, second = narrowed(first, metrics), narrowed(second, metrics)
    strata = paired_strata(first, second)
    runs, draws = (first, second), (n_resamples, seed)
    samples, point, left_out = _paired_resamples(runs, metrics, strata, draws, drawn)
    jackknife = (left_out, len(strata), strata_of(strata), seed)
    resampled = resampled_intervals(samples, point, level, _resampled(names, "paired"), jackknife)
    intervals = {}
    same = _same_predictions(first, second)
    for name in names:
        by_metric = resampled[AUTO_INTERVALS["paired"] if name == AUTO else name]
        if same:  # every resample's difference is 0, and so is the truth
            intervals[name] = by_metric
            continue
        if name == AUTO:
            formulas = paired_closed_form(first, second, point, strata, level)
            by_metric = {m: formulas.get(m, bounds) for m, bounds in by_metric.items()}
        singles = (first, second), (n_resamples, level, seed, name)
        intervals[name] = _repaired_paired(by_metric, point, singles)
    return _comparisons(intervals, point)


def paired_difference(
    first: WeightedMetrics,
    second: WeightedMetrics,
    metrics: tuple[str, ...],
    n_resamples: int,
    level: float,
    seed: int,
    method: str | Enum = DEFAULT_METHOD,
    drawn: Drawn = (None, None),
) -> dict[str, Comparison]:
    """second - first for each metric on the same rows, resampled jointly, with its CI by
    `method` (a value of evaluate.bootstrap.method). Rows are resampled within each
    combination of the two runs' true classes (`drawn`: as paired_intervals reads it)."""
    name = _choice(method)
    return paired_intervals(first, second, metrics, n_resamples, level, seed, (name,), drawn=drawn)[
        name
    ]


def _same_predictions(first: WeightedMetrics, second: WeightedMetrics) -> bool:
    """Whether two runs predict the same rows identically (their difference is 0 exactly)."""
    fields = ("y_true", "y_score", "y_pred", "proba")
    return all(
        np.array_equal(getattr(first, f, None), getattr(second, f, None))
        and type(first) is type(second)
        for f in fields
    )


def paired_closed_form(
    first: WeightedMetrics, second: WeightedMetrics, point: Scores, strata: np.ndarray, level: float
) -> dict[str, list[float]]:
    """The paired CIs auto takes from a formula, for two binary runs with both classes each:
    ROC-AUC by DeLong's paired variance (of the rows' influences, within the strata), balanced
    accuracy by a Wald interval with Bonett-Price pseudo-rows."""
    both = (first, second)
    if not all(isinstance(p, Predictions) and np.ptp(p.y_true) == 1 for p in both):
        return {}
    out = {}
    if "roc_auc" in point:
        influence = closed.auc_influence(second.y_true, second.y_score) - closed.auc_influence(
            first.y_true, first.y_score
        )
        auc = closed.paired_auc_interval(point["roc_auc"], influence, strata, level)
        if auc is not None:
            out["roc_auc"] = auc
    if "balanced_accuracy" in point:
        shares = tuple(closed.class_shares(p.y_true) for p in both)
        hits = tuple((p.y_pred == p.y_true).astype(np.float64) for p in both)
        out["balanced_accuracy"] = closed.paired_balanced_accuracy_interval(
            point["balanced_accuracy"], shares, hits, strata, level
        )
    return out


def _repaired_paired(
    by_metric: dict[str, list[float]],
    point: Scores,
    singles: tuple[tuple[WeightedMetrics, WeightedMetrics], tuple[int, float, int, str]],
) -> dict[str, list[float]]:
    """`by_metric` with every interval that is a point replaced by the MOVER interval of the
    two runs' own CIs (by the same method and resamples)."""
    degenerate = [m for m, bounds in by_metric.items() if collapsed(bounds, point[m])]
    if not degenerate:
        return {m: holding(bounds, point[m]) for m, bounds in by_metric.items()}
    (first, second), (n_resamples, level, seed, name) = singles
    ones = np.ones((1, len(first.y_true)))
    runs = [
        (
            {m: float(v[0]) for m, v in run.metrics(ones).items()},
            bootstrap_intervals(run, n_resamples, level, seed, (name,))[name],
        )
        for run in (first, second)
    ]
    out = dict(by_metric)
    for metric in degenerate:
        (point_1, ci_1), (point_2, ci_2) = runs
        out[metric] = closed.mover_difference(
            (point_1[metric], point_2[metric]), (ci_1[metric], ci_2[metric])
        )
    return {m: holding(bounds, point[m]) for m, bounds in out.items()}
