"""Metrics of one split's predictions, all computed by scikit-learn, for every task.

As in scikit-learn, the shape of the scores chooses the case: 1-D scores are the positive
class's probability of a binary task, a (rows, k) matrix the class probabilities of k ordered
classes. Each metric is one small function in `METRICS`; a task's headline names which apply.
k >= 3 ordered classes add the ordinal metrics of an `Ordinal` (how far off a prediction is),
computed on the class it names per row (argmax or expected value); mae_x also needs each
row's x, passed beside the predictions rather than through every metric's signature.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from threshold_sweep.evaluate import ordinal as ordinal_formulas
from threshold_sweep.evaluate.names import (
    HEADLINE,
    LOSSES,
    MULTI_HEADLINE,
    PREVALENCE_DEPENDENT,
    WITHIN_PREFIX,
)
from threshold_sweep.evaluate.result import SplitMetrics
from threshold_sweep.evaluate.task import Ordinal

__all__ = [
    "HEADLINE",
    "LOSSES",
    "METRICS",
    "MULTI_HEADLINE",
    "PREVALENCE_DEPENDENT",
    "metric_function",
    "ordinal_metrics",
    "predict_labels",
    "scalar_metrics",
    "split_metrics",
]

Metric = Callable[[np.ndarray, np.ndarray, np.ndarray, Any, list[int]], float]


def predict_labels(y_score: np.ndarray, cutoff: float) -> np.ndarray:
    """1 (positive) where the score reaches the cutoff, else 0."""
    return (np.asarray(y_score) >= cutoff).astype(np.int64)


def _all_present(y_true: np.ndarray, labels: list[int]) -> bool:
    """True when every class occurs (ranking metrics are undefined otherwise)."""
    return np.unique(y_true).size == len(labels)


def _averaged(score: Callable[..., float], average: str, **kwargs: Any) -> Metric:
    """A precision / recall / F1 metric with this averaging over the task's classes."""

    def metric(y_true, y_score, y_pred, w, labels):
        return score(
            y_true, y_pred, labels=labels, average=average, sample_weight=w, zero_division=0.0
        )

    return metric


def _balanced_accuracy(y_true, y_score, y_pred, w, labels):
    """Mean recall over classes (NaN for a one-class binary split)."""
    if len(labels) == 2 and not _all_present(y_true, labels):
        return np.nan
    return skm.balanced_accuracy_score(y_true, y_pred, sample_weight=w)


def _ranking(score: Callable[..., float]) -> Metric:
    """ROC-AUC or average precision of the positive scores (NaN with one class)."""

    def metric(y_true, y_score, y_pred, w, labels):
        return score(y_true, y_score, sample_weight=w) if _all_present(y_true, labels) else np.nan

    return metric


def _roc_auc_ovr(y_true, y_score, y_pred, w, labels):
    """Macro one-vs-rest ROC-AUC of the class probabilities (NaN unless all classes occur)."""
    if not _all_present(y_true, labels):
        return np.nan
    return skm.roc_auc_score(
        y_true, y_score, multi_class="ovr", average="macro", labels=labels, sample_weight=w
    )


def _spearman(y_true, y_score, y_pred, w, labels):
    """Spearman correlation of true and predicted class (ties mid-ranked; NaN when constant)."""
    confusion = skm.confusion_matrix(y_true, y_pred, labels=labels, sample_weight=w)
    return ordinal_formulas.spearman(confusion.astype(np.float64))


def _within(d: int) -> Metric:
    """Share of rows (weighted) predicted at most d classes from the true class."""

    def metric(y_true, y_score, y_pred, w, labels):
        return np.average(np.abs(y_pred - y_true) <= d, weights=w)

    return metric


def metric_function(name: str) -> Metric:
    """The function of a metric name: METRICS, or within_<d> for any d."""
    if name.startswith(WITHIN_PREFIX) and name not in METRICS:
        return _within(int(name.removeprefix(WITHIN_PREFIX)))
    return METRICS[name]


METRICS: dict[str, Metric] = {
    "accuracy": lambda t, s, p, w, labels: skm.accuracy_score(t, p, sample_weight=w),
    "balanced_accuracy": _balanced_accuracy,
    "precision": lambda t, s, p, w, labels: skm.precision_score(
        t, p, sample_weight=w, zero_division=0.0
    ),
    "recall": lambda t, s, p, w, labels: skm.recall_score(t, p, sample_weight=w, zero_division=0.0),
    "f1": lambda t, s, p, w, labels: skm.f1_score(t, p, sample_weight=w, zero_division=0.0),
    "specificity": lambda t, s, p, w, labels: skm.recall_score(
        t, p, pos_label=0, sample_weight=w, zero_division=0.0
    ),
    "macro_precision": _averaged(skm.precision_score, "macro"),
    "macro_recall": _averaged(skm.recall_score, "macro"),
    "macro_f1": _averaged(skm.f1_score, "macro"),
    "micro_f1": _averaged(skm.f1_score, "micro"),
    "weighted_f1": _averaged(skm.f1_score, "weighted"),
    "mcc": lambda t, s, p, w, labels: skm.matthews_corrcoef(t, p, sample_weight=w),
    "cohen_kappa": lambda t, s, p, w, labels: skm.cohen_kappa_score(
        t, p, labels=labels, sample_weight=w
    ),
    "roc_auc": _ranking(skm.roc_auc_score),
    "roc_auc_ovr": _roc_auc_ovr,
    "average_precision": _ranking(skm.average_precision_score),
    "brier": lambda t, s, p, w, labels: skm.brier_score_loss(t, s, sample_weight=w),
    "log_loss": lambda t, s, p, w, labels: skm.log_loss(t, s, sample_weight=w, labels=labels),
    # ordinal (k >= 3): p is the class the Ordinal settings name (argmax or expected value)
    "mae_classes": lambda t, s, p, w, labels: skm.mean_absolute_error(t, p, sample_weight=w),
    "within_1": _within(1),
    "qwk": lambda t, s, p, w, labels: skm.cohen_kappa_score(
        t, p, labels=labels, weights="quadratic", sample_weight=w
    ),
    "spearman": _spearman,
}


def ordinal_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    y_pred: np.ndarray,
    ordinal: Ordinal,
    x: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
) -> dict[str, float]:
    """The ordinal metrics of k >= 3 classes: mae_classes, within_<d>, qwk, spearman and, with
    thresholds, mae_x (NaN without x)."""
    classes = ordinal.classes(y_score, y_pred)
    labels = list(range(y_score.shape[1]))
    out = {
        name: float(metric_function(name)(y_true, y_score, classes, sample_weight, labels))
        for name in ordinal.names
        if name != "mae_x"
    }
    if "mae_x" in ordinal.names:
        if x is None:
            out["mae_x"] = float("nan")
        else:
            error = ordinal.x_error(x, classes)
            out["mae_x"] = float(np.average(error, weights=sample_weight))
    return out


def n_classes_of(y_score: np.ndarray) -> int:
    """2 for 1-D (positive-class) scores, else the number of probability columns."""
    return 2 if y_score.ndim == 1 else y_score.shape[1]


def scalar_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: np.ndarray | None = None,
    ordinal: Ordinal | None = None,
    x: np.ndarray | None = None,
) -> dict[str, float]:
    """The task's headline metrics of one set of predictions (NaN where undefined); k >= 3
    classes with `ordinal` settings add the ordinal metrics (mae_x from the rows' x)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    k = n_classes_of(y_score)
    labels = list(range(k))
    names = HEADLINE if k == 2 else MULTI_HEADLINE
    with warnings.catch_warnings():
        # one-class splits: sklearn warns, and the undefined metrics are reported as NaN
        warnings.simplefilter("ignore", UserWarning)
        out = {
            name: float(METRICS[name](y_true, y_score, y_pred, sample_weight, labels))
            for name in names
        }
        if ordinal is not None and k > 2:
            out.update(ordinal_metrics(y_true, y_score, y_pred, ordinal, x, sample_weight))
    return out


def _one_vs_rest_auc(y_true: np.ndarray, proba: np.ndarray, index: int) -> float:
    """ROC-AUC of class `index` against the rest (NaN when it is absent or alone)."""
    one = (y_true == index).astype(int)
    return float(skm.roc_auc_score(one, proba[:, index])) if 0 < one.sum() < len(one) else np.nan


def _per_class(
    y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray, names: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per class (and one-vs-rest ROC-AUC for k > 2)."""
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(len(names))), zero_division=0.0
    )
    rows = {}
    for i, name in enumerate(names):
        rows[name] = {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        if y_score.ndim == 2:
            rows[name]["roc_auc_ovr"] = _one_vs_rest_auc(y_true, y_score, i)
    return rows


def _class_balance(y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str]) -> dict:
    """Positive prevalence and predicted-positive rate (binary), or every class's share."""
    shares = {name: float(np.mean(y_true == i)) for i, name in enumerate(names)}
    if len(names) == 2:
        return {"prevalence": shares[names[-1]], "predicted_positive_rate": float(np.mean(y_pred))}
    return {"class_shares": shares}


def split_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    y_pred: np.ndarray,
    names: Sequence[str],
    ordinal: Ordinal | None = None,
    x: np.ndarray | None = None,
) -> SplitMetrics:
    """Every headline metric, the class balance, per-class scores and the confusion matrix
    (with `ordinal` settings, k >= 3 classes add the ordinal metrics)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    per_class = _per_class(y_true, y_score, y_pred, names)
    out: SplitMetrics = {
        "n": len(y_true),
        **_class_balance(y_true, y_pred, names),
        **scalar_metrics(y_true, y_score, y_pred, ordinal=ordinal, x=x),
    }
    if len(names) > 2:
        weighted = sum(np.nan_to_num(r["roc_auc_ovr"]) * r["support"] for r in per_class.values())
        out["roc_auc_ovr_weighted"] = float(weighted / len(y_true))
    out["confusion_matrix"] = skm.confusion_matrix(
        y_true, y_pred, labels=list(range(len(names)))
    ).tolist()
    out["per_class"] = per_class
    return out
