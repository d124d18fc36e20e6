"""Ordered multi-class labels (k thresholds, k+1 classes): metrics, chance levels, bootstrap."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier

from threshold_sweep.evaluate.bootstrap import Predictions, _interval, stratified_counts
from threshold_sweep.evaluate.names import MULTI_HEADLINE


def score_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The class-probability columns score_0..score_k of a multi-class predictions frame."""
    columns = sorted(
        (c for c in frame.columns if c.startswith("score_")),
        key=lambda c: int(c.removeprefix("score_")),
    )
    return frame[columns].to_numpy()


def multiclass_scalars(
    y_true: np.ndarray,
    proba: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> dict[str, float]:
    """MULTI_HEADLINE metrics by scikit-learn (NaN where undefined)."""
    k = proba.shape[1]
    labels = list(range(k))
    w = sample_weight
    all_present = np.unique(y_true).size == k
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        values = {
            "accuracy": skm.accuracy_score(y_true, y_pred, sample_weight=w),
            "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred, sample_weight=w),
            "macro_precision": skm.precision_score(
                y_true, y_pred, labels=labels, average="macro", sample_weight=w, zero_division=0.0
            ),
            "macro_recall": skm.recall_score(
                y_true, y_pred, labels=labels, average="macro", sample_weight=w, zero_division=0.0
            ),
            "macro_f1": skm.f1_score(
                y_true, y_pred, labels=labels, average="macro", sample_weight=w, zero_division=0.0
            ),
            "micro_f1": skm.f1_score(
                y_true, y_pred, labels=labels, average="micro", sample_weight=w, zero_division=0.0
            ),
            "weighted_f1": skm.f1_score(
                y_true,
                y_pred,
                labels=labels,
                average="weighted",
                sample_weight=w,
                zero_division=0.0,
            ),
            "mcc": skm.matthews_corrcoef(y_true, y_pred, sample_weight=w),
            "cohen_kappa": skm.cohen_kappa_score(y_true, y_pred, labels=labels, sample_weight=w),
            "roc_auc_ovr": (
                skm.roc_auc_score(
                    y_true,
                    proba,
                    multi_class="ovr",
                    average="macro",
                    labels=labels,
                    sample_weight=w,
                )
                if all_present
                else np.nan
            ),
            "log_loss": skm.log_loss(y_true, proba, labels=labels, sample_weight=w),
        }
    return {key: float(value) for key, value in values.items()}


def multiclass_metrics(
    y_true: np.ndarray, proba: np.ndarray, y_pred: np.ndarray, names: Sequence[str]
) -> dict[str, Any]:
    """Averages, per-class scores (with one-vs-rest ROC-AUC) and the confusion matrix."""
    y_true = np.asarray(y_true, dtype=np.int64)
    k = len(names)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(k)), zero_division=0.0
    )
    per_class = {}
    for i, name in enumerate(names):
        one = (y_true == i).astype(int)
        auc = skm.roc_auc_score(one, proba[:, i]) if 0 < one.sum() < len(one) else np.nan
        per_class[name] = {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
            "roc_auc_ovr": float(auc),
        }
    return {
        "n": len(y_true),
        "class_shares": {name: float(np.mean(y_true == i)) for i, name in enumerate(names)},
        **multiclass_scalars(y_true, proba, y_pred),
        "roc_auc_ovr_weighted": float(
            np.nansum([per_class[n]["roc_auc_ovr"] * per_class[n]["support"] for n in names])
            / len(y_true)
        ),
        "confusion_matrix": skm.confusion_matrix(y_true, y_pred, labels=list(range(k))).tolist(),
        "per_class": per_class,
    }


def multiclass_chance(y_true: np.ndarray, k: int) -> dict[str, dict[str, float]]:
    """MULTI_HEADLINE of the majority predictor and of the share-matched random predictor."""
    y_true = np.asarray(y_true, dtype=np.int64)
    n = len(y_true)
    X = np.zeros((n, 1))
    prior = np.bincount(y_true, minlength=k) / n
    proba = np.tile(prior, (n, 1))
    majority = DummyClassifier(strategy="most_frequent").fit(X, y_true).predict(X)
    copies = np.repeat(np.arange(k), n)  # every row once per class, weighted by that share
    return {
        "majority": multiclass_scalars(y_true, proba, majority),
        "random": multiclass_scalars(
            np.tile(y_true, k),
            np.tile(proba, (k, 1)),
            copies,
            sample_weight=np.repeat(prior, n),
        ),
    }


def _weighted_multiclass(
    weights: np.ndarray,
    y_true: np.ndarray,
    proba: np.ndarray,
    y_pred: np.ndarray,
    one_vs_rest: list[Predictions],
) -> dict[str, np.ndarray]:
    """MULTI_HEADLINE for each row of a weight matrix, from weighted confusion matrices."""
    k = proba.shape[1]
    cells = np.zeros((len(y_true), k * k))
    cells[np.arange(len(y_true)), y_true * k + y_pred] = 1.0
    confusion = (weights @ cells).reshape(-1, k, k)
    total = confusion.sum(axis=(1, 2))
    true_counts, pred_counts = confusion.sum(axis=2), confusion.sum(axis=1)
    correct = np.trace(confusion, axis1=1, axis2=2)
    diagonal = np.diagonal(confusion, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(true_counts > 0, diagonal / true_counts, 0.0)
        precision = np.where(pred_counts > 0, diagonal / pred_counts, 0.0)
        f1 = np.where(
            true_counts + pred_counts > 0, 2 * diagonal / (true_counts + pred_counts), 0.0
        )
        present = true_counts > 0
        expected = np.sum(true_counts * pred_counts, axis=1)
        mcc_denominator = np.sqrt(
            (total**2 - np.sum(pred_counts**2, axis=1))
            * (total**2 - np.sum(true_counts**2, axis=1))
        )
        mcc = np.where(mcc_denominator > 0, (correct * total - expected) / mcc_denominator, 0.0)
        chance_agreement = expected / total**2
        kappa = (correct / total - chance_agreement) / (1 - chance_agreement)
    eps = np.finfo(np.float64).eps
    row_loss = -np.log(np.clip(proba[np.arange(len(y_true)), y_true], eps, 1))
    aucs = np.stack([p.metrics(weights)["roc_auc"] for p in one_vs_rest], axis=1)
    return {
        "accuracy": correct / total,
        "balanced_accuracy": np.sum(recall * present, axis=1) / present.sum(axis=1),
        "macro_precision": precision.mean(axis=1),
        "macro_recall": recall.mean(axis=1),
        "macro_f1": f1.mean(axis=1),
        "micro_f1": correct / total,
        "weighted_f1": np.sum(f1 * true_counts, axis=1) / total,
        "mcc": mcc,
        "cohen_kappa": kappa,
        "roc_auc_ovr": aucs.mean(axis=1),
        "log_loss": (weights @ row_loss) / total,
    }


def multiclass_bootstrap_ci(
    y_true: np.ndarray,
    proba: np.ndarray,
    y_pred: np.ndarray,
    n_resamples: int,
    level: float,
    seed: int,
) -> dict[str, list[float]]:
    """Percentile CIs of MULTI_HEADLINE, resampling rows within each true class."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    one_vs_rest = [
        Predictions((y_true == c).astype(int), proba[:, c], (y_pred == c).astype(int))
        for c in range(proba.shape[1])
    ]
    chunks = [
        _weighted_multiclass(w, y_true, proba, y_pred, one_vs_rest)
        for w in stratified_counts(y_true, n_resamples, seed)
    ]
    return {
        metric: _interval(np.concatenate([c[metric] for c in chunks]), level)
        for metric in MULTI_HEADLINE
    }


def weighted_multiclass(
    weights: np.ndarray, y_true: np.ndarray, proba: np.ndarray, y_pred: np.ndarray
) -> dict[str, np.ndarray]:
    """MULTI_HEADLINE per row of `weights` (exposed for tests against scikit-learn)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    one_vs_rest = [
        Predictions((y_true == c).astype(int), proba[:, c], (y_pred == c).astype(int))
        for c in range(proba.shape[1])
    ]
    return _weighted_multiclass(np.atleast_2d(weights), y_true, proba, y_pred, one_vs_rest)
