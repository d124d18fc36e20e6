"""Vectorized, stratified bootstrap of every task's metrics: CIs and paired differences.

A resample is a vector of counts (how often each row was drawn); a chunk of resamples is a
count matrix. Rows are kept per class, each sorted by score once, so every metric is a
matrix-vector product or a cumulative sum over the columns: ROC-AUC counts the negatives
below each positive, average precision reads precision at each positive's score. Nothing
loops over resamples, and the results equal scikit-learn's weighted metrics. k ordered classes
are evaluated from weighted confusion matrices, their one-vs-rest ROC-AUC by the binary code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

CHUNK_CELLS = 10_000_000  # resamples x rows held in memory at once


def _counts(rng: np.random.Generator, rows: int, size: int) -> np.ndarray:
    """A (rows, size) matrix: each row counts `size` draws with replacement from `size` items."""
    offsets = (np.arange(rows) * size)[:, None]
    draws = (offsets + rng.integers(0, size, size=(rows, size))).ravel()
    return np.bincount(draws, minlength=rows * size).reshape(rows, size).astype(np.float64)


def _chunks(n_resamples: int, n_rows: int) -> Iterator[int]:
    """Sizes of the resample chunks that keep memory bounded."""
    chunk = max(1, min(n_resamples, CHUNK_CELLS // max(n_rows, 1)))
    for start in range(0, n_resamples, chunk):
        yield min(chunk, n_resamples - start)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


class WeightedMetrics(Protocol):
    """Predictions that evaluate their headline metrics for many row weightings at once."""

    y_true: np.ndarray

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Every headline metric per row of `weights` (resamples x rows)."""
        ...

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples drawn within each true class."""
        ...


class Predictions:
    """One model's binary predictions, arranged for weighted metric evaluation."""

    def __init__(self, y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray) -> None:
        y_true = np.asarray(y_true, dtype=np.int64)
        y_score = np.asarray(y_score, dtype=np.float64)
        y_pred = np.asarray(y_pred, dtype=np.int64)
        self.y_true = y_true
        pos, neg = np.flatnonzero(y_true == 1), np.flatnonzero(y_true != 1)
        self.pos_order = pos[np.argsort(y_score[pos], kind="mergesort")]
        self.neg_order = neg[np.argsort(y_score[neg], kind="mergesort")]
        s_pos, s_neg = y_score[self.pos_order], y_score[self.neg_order]
        self._neg_below = np.searchsorted(s_neg, s_pos, side="left")
        self._neg_not_above = np.searchsorted(s_neg, s_pos, side="right")
        self._pos_below = np.searchsorted(s_pos, s_pos, side="left")
        self._hit_pos = (y_pred[self.pos_order] == 1).astype(np.float64)
        self._hit_neg = (y_pred[self.neg_order] == 1).astype(np.float64)
        eps = np.finfo(np.float64).eps
        self._brier_pos, self._brier_neg = (1 - s_pos) ** 2, s_neg**2
        self._loss_pos = -np.log(np.clip(s_pos, eps, 1 - eps))
        self._loss_neg = -np.log(1 - np.clip(s_neg, eps, 1 - eps))

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Every HEADLINE metric per row of `weights` (resamples x rows, original row order)."""
        weights = np.atleast_2d(weights)
        return self.class_metrics(weights[:, self.pos_order], weights[:, self.neg_order])

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples, drawn per class straight in score order."""
        n_pos, n_neg = len(self.pos_order), len(self.neg_order)
        return self.class_metrics(_counts(rng, rows, n_pos), _counts(rng, rows, n_neg))

    def class_metrics(self, w_pos: np.ndarray, w_neg: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics from weights of the positives and negatives, each in ascending score order."""
        n_pos, n_neg = w_pos.sum(axis=1), w_neg.sum(axis=1)
        tp, fp = w_pos @ self._hit_pos, w_neg @ self._hit_neg
        fn, tn = n_pos - tp, n_neg - fp
        n = n_pos + n_neg
        recall, specificity = _ratio(tp, n_pos), _ratio(tn, n_neg)
        f1 = _ratio(2 * tp, 2 * tp + fp + fn)
        f1_negative = _ratio(2 * tn, 2 * tn + fn + fp)
        cum_neg = np.zeros((len(w_neg), w_neg.shape[1] + 1))
        np.cumsum(w_neg, axis=1, out=cum_neg[:, 1:])
        cum_pos = np.zeros((len(w_pos), w_pos.shape[1] + 1))
        np.cumsum(w_pos, axis=1, out=cum_pos[:, 1:])
        neg_below = cum_neg[:, self._neg_below]
        neg_tied = cum_neg[:, self._neg_not_above] - neg_below
        tp_at = n_pos[:, None] - cum_pos[:, self._pos_below]  # positives scored >= each positive
        fp_at = n_neg[:, None] - neg_below
        return {
            "accuracy": (tp + tn) / n,
            "balanced_accuracy": (recall + specificity) / 2,
            "precision": _ratio(tp, tp + fp),
            "recall": recall,
            "f1": f1,
            "specificity": specificity,
            "macro_f1": (f1 + f1_negative) / 2,
            "mcc": _ratio(tp * tn - fp * fn, np.sqrt((tp + fp) * n_pos * (tn + fn) * n_neg)),
            "roc_auc": _ratio(np.sum(w_pos * (neg_below + 0.5 * neg_tied), axis=1), n_pos * n_neg),
            "average_precision": _ratio(
                np.sum(w_pos * _ratio(tp_at, tp_at + fp_at), axis=1), n_pos
            ),
            "brier": (w_pos @ self._brier_pos + w_neg @ self._brier_neg) / n,
            "log_loss": (w_pos @ self._loss_pos + w_neg @ self._loss_neg) / n,
        }


class ClassPredictions:
    """Predictions of k ordered classes, arranged for weighted metric evaluation."""

    def __init__(self, y_true: np.ndarray, proba: np.ndarray, y_pred: np.ndarray) -> None:
        self.y_true = np.asarray(y_true, dtype=np.int64)
        self.y_pred = np.asarray(y_pred, dtype=np.int64)
        self.proba = np.asarray(proba, dtype=np.float64)
        k, n = self.proba.shape[1], len(self.y_true)
        self._cells = np.zeros((n, k * k))
        self._cells[np.arange(n), self.y_true * k + self.y_pred] = 1.0
        eps = np.finfo(np.float64).eps
        self._row_loss = -np.log(np.clip(self.proba[np.arange(n), self.y_true], eps, 1))
        self._one_vs_rest = [
            Predictions(self.y_true == c, self.proba[:, c], self.y_pred == c) for c in range(k)
        ]
        self._classes = _strata(self.y_true)

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples drawn within each true class."""
        return self.metrics(_stratified_weights(rng, self._classes, rows, len(self.y_true)))

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """MULTI_HEADLINE per row of `weights`, from weighted confusion matrices."""
        weights = np.atleast_2d(weights)
        k = self.proba.shape[1]
        confusion = (weights @ self._cells).reshape(-1, k, k)
        aucs = np.stack([p.metrics(weights)["roc_auc"] for p in self._one_vs_rest], axis=1)
        return {
            **_confusion_metrics(confusion),
            "roc_auc_ovr": aucs.mean(axis=1),
            "log_loss": (weights @ self._row_loss) / confusion.sum(axis=(1, 2)),
        }


def _confusion_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """The label metrics of MULTI_HEADLINE from a stack of (k, k) confusion matrices."""
    total = confusion.sum(axis=(1, 2))
    true_counts, pred_counts = confusion.sum(axis=2), confusion.sum(axis=1)
    correct = np.trace(confusion, axis1=1, axis2=2)
    diagonal = np.diagonal(confusion, axis1=1, axis2=2)
    recall = _ratio(diagonal, true_counts)
    precision = _ratio(diagonal, pred_counts)
    f1 = _ratio(2 * diagonal, true_counts + pred_counts)
    present = true_counts > 0
    expected = np.sum(true_counts * pred_counts, axis=1)
    mcc_denominator = np.sqrt(
        (total**2 - np.sum(pred_counts**2, axis=1)) * (total**2 - np.sum(true_counts**2, axis=1))
    )
    chance_agreement = expected / total**2
    return {
        "accuracy": correct / total,
        "balanced_accuracy": np.sum(recall * present, axis=1) / present.sum(axis=1),
        "macro_precision": precision.mean(axis=1),
        "macro_recall": recall.mean(axis=1),
        "macro_f1": f1.mean(axis=1),
        "micro_f1": correct / total,
        "weighted_f1": np.sum(f1 * true_counts, axis=1) / total,
        "mcc": _ratio(correct * total - expected, mcc_denominator),
        "cohen_kappa": _ratio(correct / total - chance_agreement, 1 - chance_agreement),
    }


def weighted_predictions(
    y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray
) -> Predictions | ClassPredictions:
    """The task's weighted evaluator: 1-D scores are binary, a matrix holds k classes."""
    if np.ndim(y_score) == 1:
        return Predictions(y_true, y_score, y_pred)
    return ClassPredictions(y_true, y_score, y_pred)


def _interval(samples: np.ndarray, level: float) -> list[float]:
    """Percentile interval of the finite samples."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return [float("nan"), float("nan")]
    low, high = np.quantile(finite, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [float(low), float(high)]


def stratified_counts(strata: np.ndarray, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Yield (chunk, n) count matrices over all rows that keep each stratum's size."""
    rng = np.random.default_rng(seed)
    groups = _strata(strata)
    for rows in _chunks(n_resamples, len(strata)):
        yield _stratified_weights(rng, groups, rows, len(strata))


def _strata(values: np.ndarray) -> list[np.ndarray]:
    """Row indices of each distinct value, in ascending order of the value."""
    return [np.flatnonzero(values == value) for value in np.unique(values)]


def _stratified_weights(
    rng: np.random.Generator, groups: list[np.ndarray], rows: int, n: int
) -> np.ndarray:
    """A (rows, n) count matrix that redraws each group's rows within the group."""
    weights = np.zeros((rows, n))
    for group in groups:
        weights[:, group] = _counts(rng, rows, len(group))
    return weights


def bootstrap_ci(
    predictions: WeightedMetrics, n_resamples: int, level: float, seed: int
) -> dict[str, list[float]]:
    """Percentile CIs of every headline metric, resampling rows within each true class."""
    rng = np.random.default_rng(seed)
    chunks = [
        predictions.resampled_metrics(rng, rows)
        for rows in _chunks(n_resamples, len(predictions.y_true))
    ]
    return {
        metric: _interval(np.concatenate([chunk[metric] for chunk in chunks]), level)
        for metric in chunks[0]
    }


def paired_difference(
    first: WeightedMetrics,
    second: WeightedMetrics,
    metrics: tuple[str, ...],
    n_resamples: int,
    level: float,
    seed: int,
) -> dict[str, dict[str, float | bool]]:
    """second - first for each metric on the same rows, resampled jointly, with its CI.

    Rows are resampled within each combination of the two runs' true classes, so both runs
    keep their class counts in every resample.
    """
    strata = first.y_true * (second.y_true.max() + 1) + second.y_true
    samples: dict[str, list[np.ndarray]] = {metric: [] for metric in metrics}
    for weights in stratified_counts(strata, n_resamples, seed):
        a, b = first.metrics(weights), second.metrics(weights)
        for metric in metrics:
            samples[metric].append(b[metric] - a[metric])
    ones = np.ones((1, len(strata)))
    point_a, point_b = first.metrics(ones), second.metrics(ones)
    out: dict[str, dict[str, float | bool]] = {}
    for metric in metrics:
        low, high = _interval(np.concatenate(samples[metric]), level)
        out[metric] = {
            "difference": float(point_b[metric][0] - point_a[metric][0]),
            "ci_low": low,
            "ci_high": high,
            "within_noise": bool(low <= 0 <= high),
        }
    return out
