"""No-skill baselines at a split's prevalence, and chance-corrected skill scores."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score
from sklearn.utils.class_weight import compute_sample_weight

from threshold_sweep.evaluate.metrics import HEADLINE, scalar_metrics
from threshold_sweep.evaluate.names import no_skill_level

__all__ = ["BASELINES", "balanced_view", "chance_levels", "no_skill_level", "skill_scores"]

BASELINES = {
    "majority": "always predicts the majority class",
    "always_positive": "always predicts the positive class",
    "random": "predicts positive at random with probability = prevalence (expected value)",
    "rate_matched": "predicts positive at random as often as the model does (expected value)",
}


def _random_predictor(y_true: np.ndarray, prior_score: np.ndarray, rate: float) -> dict[str, float]:
    """Exact expected metrics of predicting positive at random with probability `rate`."""
    ones, zeros = np.ones_like(y_true), np.zeros_like(y_true)
    return scalar_metrics(
        np.concatenate([y_true, y_true]),
        np.concatenate([prior_score, prior_score]),
        np.concatenate([ones, zeros]),
        sample_weight=np.concatenate([np.full(len(y_true), rate), np.full(len(y_true), 1 - rate)]),
    )


def chance_levels(
    y_true: np.ndarray, y_pred: np.ndarray | None = None
) -> dict[str, dict[str, float]]:
    """HEADLINE metrics of the no-skill predictors, evaluated like any model's predictions.

    Every dummy scores each row with the class prior (a constant), so its ranking metrics are
    those of no skill: ROC-AUC 0.5, average precision = prevalence, Brier p(1-p). The random
    predictor's expected metrics are computed exactly: each row enters twice, predicted
    positive with weight p and negative with weight 1-p.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    X = np.zeros((len(y_true), 1))
    prior_score = DummyClassifier(strategy="prior").fit(X, y_true).predict_proba(X)[:, -1]
    majority = DummyClassifier(strategy="most_frequent").fit(X, y_true).predict(X)
    positive = DummyClassifier(strategy="constant", constant=1).fit(X, y_true).predict(X)
    levels = {
        "majority": scalar_metrics(y_true, prior_score, majority),
        "always_positive": scalar_metrics(y_true, prior_score, positive),
        "random": _random_predictor(y_true, prior_score, float(np.mean(y_true))),
    }
    if y_pred is not None:
        levels["rate_matched"] = _random_predictor(y_true, prior_score, float(np.mean(y_pred)))
    return levels


SKILL_DEFINITIONS = {
    "accuracy": "Cohen's kappa",
    "balanced_accuracy": "informedness (Youden's J) = 2 x balanced accuracy - 1",
    "precision": "(value - random) / (1 - random); random precision = prevalence",
    "recall": "(value - q) / (1 - q), q = the model's predicted-positive rate",
    "f1": "(value - F1 of random at rate q) / (1 - that)",
    "specificity": "(value - (1 - q)) / q, q = the model's predicted-positive rate",
    "macro_f1": "(value - macro F1 of random at rate q) / (1 - that)",
    "mcc": "MCC itself (0 = chance)",
    "roc_auc": "Gini = 2 x ROC-AUC - 1",
    "average_precision": "(AP - prevalence) / (1 - prevalence)",
    "brier": "Brier skill score = 1 - Brier / Brier of the prior",
    "log_loss": "1 - log loss / log loss of the prior",
}


def skill_scores(
    metrics: dict[str, Any],
    chance: dict[str, dict[str, float]],
    y_true: np.ndarray,
    y_pred: np.ndarray,
) -> dict[str, float]:
    """Chance-corrected versions of the HEADLINE metrics: 0 = no skill, 1 = perfect."""
    random = chance["random"]
    matched = chance.get("rate_matched", random)
    prior = chance["majority"]

    def relative(metric: str, reference: float, best: float = 1.0) -> float:
        value = metrics[metric]
        if value is None or reference is None or np.isclose(best, reference):
            return float("nan")
        return float((value - reference) / (best - reference))

    skills = {
        "accuracy": float(cohen_kappa_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred, adjusted=True)),
        "mcc": float(metrics["mcc"]),
        "roc_auc": relative("roc_auc", 0.5),
        "average_precision": relative("average_precision", prior["average_precision"]),
        "brier": relative("brier", prior["brier"], best=0.0),
        "log_loss": relative("log_loss", prior["log_loss"], best=0.0),
    }
    skills["precision"] = relative("precision", random["precision"])
    for metric in ("recall", "f1", "specificity", "macro_f1"):
        skills[metric] = relative(metric, matched[metric])
    return {metric: skills[metric] for metric in HEADLINE}


def balanced_view(y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """HEADLINE metrics on the same rows with each class reweighted to half the total weight."""
    weights = compute_sample_weight("balanced", y_true)
    return scalar_metrics(y_true, y_score, y_pred, sample_weight=weights)
