"""Every threshold of a model with one output per threshold, evaluated in one pass.

Threshold k's binary run is (class > k, output k, output k >= cutoff). One set of resamples
serves every threshold: rows are drawn within each of the K+1 ordered classes, so each
threshold's two classes keep their counts in every resample (as a dedicated run's resamples,
drawn within its two classes, keep them). Each threshold's headline metrics are evaluated on
those count matrices by its registry forms (evaluate/resample/predictions.py) and its CIs read
by evaluate.bootstrap.method (evaluate/bootstrap.py). No-skill levels come from the same
weighted forms: the dummies of chance_levels as weighted predictions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.evaluate.bootstrap import interval_method, sampled_intervals
from threshold_sweep.evaluate.names import no_skill_level
from threshold_sweep.evaluate.resample.draws import stratified_counts
from threshold_sweep.evaluate.resample.predictions import Predictions

log = logging.getLogger(__name__)


def threshold_predictions(
    y_classes: np.ndarray, outputs: np.ndarray, cutoff: float
) -> list[Predictions]:
    """Each threshold's binary predictions: class > k, output k, output k >= cutoff."""
    y, scores = np.asarray(y_classes), np.asarray(outputs, dtype=np.float64)
    return [
        Predictions((y > k).astype(np.int64), scores[:, k], (scores[:, k] >= cutoff).astype(int))
        for k in range(scores.shape[1])
    ]


def _point(predictions: Predictions, weights: np.ndarray) -> dict[str, float]:
    """The headline metrics under one row weighting."""
    return {m: float(v[0]) for m, v in predictions.metrics(weights[None, :]).items()}


def _random(y: np.ndarray, prior: np.ndarray, shares: Sequence[float]) -> dict[str, float]:
    """Expected metrics of predicting class c at random with probability shares[c]: every row
    once per class, weighted by its share (chance_levels' random predictor)."""
    n = len(y)
    rows = Predictions(np.tile(y, 2), np.tile(prior, 2), np.repeat([0, 1], n))
    return _point(rows, np.repeat(np.asarray(shares, dtype=np.float64), n))


def no_skill(predictions: Predictions) -> dict[str, dict[str, float]]:
    """The binary no-skill predictors' headline metrics, as chance_levels gives them: the
    majority class, always positive, random at the class shares and at the model's rate, each
    scoring every row with the share of positives."""
    y, n = predictions.y_true, len(predictions.y_true)
    shares = np.bincount(y, minlength=2) / n
    prior, ones = np.full(n, shares[1]), np.ones(n)
    rate = float(np.mean(predictions.y_pred))
    majority = np.full(n, int(shares[1] > shares[0]))  # a tie: the lower class, as sklearn
    return {
        "majority": _point(Predictions(y, prior, majority), ones),
        "always_positive": _point(Predictions(y, prior, np.ones(n, dtype=int)), ones),
        "random": _random(y, prior, shares),
        "rate_matched": _random(y, prior, [1 - rate, rate]),
    }


def shared_resamples(
    predictions: Sequence[Predictions], strata: np.ndarray, n_resamples: int, seed: int
) -> list[dict[str, np.ndarray]]:
    """Each threshold's headline metrics on the same resamples, rows drawn within `strata`
    (the K+1 classes): per threshold, metric -> one value per resample."""
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in predictions]
    for weights in stratified_counts(strata, n_resamples, seed):
        for k, threshold in enumerate(predictions):
            parts[k].append(threshold.metrics(weights))
    return [{m: np.concatenate([p[m] for p in chunks]) for m in chunks[0]} for chunks in parts]


@dataclass(frozen=True)
class ThresholdPass:
    """Every threshold's row (threshold_rows) and its metrics on the shared resamples."""

    rows: list[dict[str, Any]]
    samples: list[dict[str, np.ndarray]]  # per threshold: metric -> one value per resample

    def resampled(self, metric: str) -> np.ndarray:
        """(resamples, K) the metric of every threshold on the same resamples."""
        return np.column_stack([values[metric] for values in self.samples])


def evaluate_thresholds(
    y_classes: np.ndarray,
    outputs: np.ndarray,
    thresholds: Sequence[float],
    cutoff: float,
    bootstrap: Any,
) -> ThresholdPass:
    """Every threshold's row and its metrics on one set of resamples (within the K+1 classes)."""
    predictions = threshold_predictions(y_classes, outputs, cutoff)
    resamples, seed = int(bootstrap.resamples), int(bootstrap.seed)
    samples = shared_resamples(predictions, np.asarray(y_classes), resamples, seed)
    rows = threshold_rows(predictions, samples, thresholds, bootstrap)
    return ThresholdPass(rows, samples)


def threshold_rows(
    predictions: Sequence[Predictions],
    samples: Sequence[dict[str, np.ndarray]],
    thresholds: Sequence[float],
    bootstrap: Any,
) -> list[dict[str, Any]]:
    """Per threshold: its value, prevalence and class counts, and every headline metric with
    its CI (evaluate.bootstrap's method and level, from `samples`) and no-skill level."""
    seed, level, method = int(bootstrap.seed), float(bootstrap.level), interval_method(bootstrap)
    rows = []
    for threshold, one, sampled in zip(thresholds, predictions, samples, strict=True):
        point = _point(one, np.ones(len(one.y_true)))
        ci = sampled_intervals(one, sampled, level, seed, (method,))[method]
        chance = no_skill(one)
        positives = int(one.y_true.sum())
        row: dict[str, Any] = {
            "threshold": float(threshold),
            "prevalence": positives / len(one.y_true),
            "n_positive": positives,
            "n_negative": len(one.y_true) - positives,
        }
        for metric, value in point.items():
            low, high = ci.get(metric, (np.nan, np.nan))
            row |= {
                metric: value,
                f"{metric}_ci_low": float(low),
                f"{metric}_ci_high": float(high),
                f"chance_{metric}": no_skill_level(metric, chance),
            }
        rows.append(row)
    log.debug("one pass: %d thresholds", len(rows))
    return rows
