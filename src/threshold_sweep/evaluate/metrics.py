"""Metrics of binary predictions, all computed by scikit-learn."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from threshold_sweep.evaluate.names import HEADLINE, LOSSES, PREVALENCE_DEPENDENT

__all__ = [
    "HEADLINE",
    "LOSSES",
    "PREVALENCE_DEPENDENT",
    "binary_metrics",
    "predict_labels",
    "scalar_metrics",
]


def predict_labels(y_score: np.ndarray, cutoff: float) -> np.ndarray:
    """1 (positive) where the score reaches the cutoff, else 0."""
    return (np.asarray(y_score) >= cutoff).astype(np.int64)


def scalar_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> dict[str, float]:
    """The HEADLINE metrics of one set of predictions (NaN where undefined)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_score = np.asarray(y_score, dtype=np.float64)
    w = sample_weight
    has_both = np.unique(y_true).size == 2
    with warnings.catch_warnings():
        # one-class splits: sklearn warns, and the undefined metrics are reported as NaN
        warnings.simplefilter("ignore", UserWarning)
        values = {
            "accuracy": skm.accuracy_score(y_true, y_pred, sample_weight=w),
            "balanced_accuracy": (
                skm.balanced_accuracy_score(y_true, y_pred, sample_weight=w) if has_both else np.nan
            ),
            "precision": skm.precision_score(y_true, y_pred, sample_weight=w, zero_division=0.0),
            "recall": skm.recall_score(y_true, y_pred, sample_weight=w, zero_division=0.0),
            "f1": skm.f1_score(y_true, y_pred, sample_weight=w, zero_division=0.0),
            "specificity": skm.recall_score(
                y_true, y_pred, pos_label=0, sample_weight=w, zero_division=0.0
            ),
            "macro_f1": skm.f1_score(
                y_true, y_pred, average="macro", sample_weight=w, zero_division=0.0
            ),
            "mcc": skm.matthews_corrcoef(y_true, y_pred, sample_weight=w),
            "roc_auc": skm.roc_auc_score(y_true, y_score, sample_weight=w) if has_both else np.nan,
            "average_precision": (
                skm.average_precision_score(y_true, y_score, sample_weight=w)
                if has_both
                else np.nan
            ),
            "brier": skm.brier_score_loss(y_true, y_score, sample_weight=w),
            "log_loss": skm.log_loss(y_true, y_score, sample_weight=w, labels=[0, 1]),
        }
    return {key: float(value) for key, value in values.items()}


def binary_metrics(
    y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray, names: Sequence[str]
) -> dict[str, Any]:
    """Every headline metric, the confusion matrix and per-class scores for one split."""
    y_true = np.asarray(y_true, dtype=np.int64)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=[0, 1], zero_division=0.0
    )
    return {
        "n": len(y_true),
        "prevalence": float(np.mean(y_true)),
        "predicted_positive_rate": float(np.mean(y_pred)),
        **scalar_metrics(y_true, y_score, y_pred),
        "confusion_matrix": skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist(),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(names)
        },
    }
