"""No-skill baselines at a split's prevalence, and chance-corrected skill scores."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.utils.class_weight import compute_sample_weight

from threshold_sweep.evaluate.metrics import HEADLINE, scalar_metrics
from threshold_sweep.evaluate.names import no_skill_level
from threshold_sweep.evaluate.registry import LOSS, RANKING, Chance, metric
from threshold_sweep.evaluate.task import ARGMAX, Ordinal, Task

__all__ = ["balanced_view", "chance_levels", "no_skill_level", "skill_scores"]

SCORE_READS = (RANKING, LOSS)  # what metrics read from the scores alone, not the labels


def _random_predictor(
    y_true: np.ndarray,
    prior: tuple[np.ndarray, dict[str, float]],
    shares: np.ndarray,
    ordinal: Ordinal | None = None,
    x: np.ndarray | None = None,
) -> dict[str, float]:
    """Exact expected metrics of predicting class c at random with probability shares[c].

    Its scores are the prior's (`prior`: those scores and their metrics, the majority
    dummy's), so are its ranking and loss metrics. For the label metrics every row enters once
    per class, predicted as that class, weighted by its share (for the ordinal metrics of k
    classes: the metric of the expected confusion matrix).
    """
    (prior_score, prior_metrics), k, n = prior, len(shares), len(y_true)
    labels = scalar_metrics(
        np.tile(y_true, k),
        np.concatenate([prior_score] * k),
        np.repeat(np.arange(k), n),
        sample_weight=np.repeat(shares, n),
        ordinal=ordinal,
        x=None if x is None else np.tile(x, k),
        names=[name for name in prior_metrics if metric(name).reads not in SCORE_READS],
    )
    return {name: labels.get(name, value) for name, value in prior_metrics.items()}


def chance_levels(
    y_true: np.ndarray,
    y_pred: np.ndarray | None = None,
    n_classes: int = 2,
    ordinal: Ordinal | None = None,
    x: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """Headline metrics of the task's no-skill predictors, evaluated like any model's predictions.

    Every dummy scores each row with the class prior (a constant), so its ranking metrics are
    those of no skill: ROC-AUC 0.5, average precision = prevalence, Brier p(1-p). The random
    predictors' expected metrics are computed exactly (see `_random_predictor`); with the
    model's predictions the binary task adds random guessing at the model's positive rate.
    k >= 3 classes with `ordinal` settings add the ordinal metrics of each dummy's predicted
    class (a dummy predicts classes, so evaluate.ordinal_prediction does not apply to it).
    """
    task = Task.of_count(n_classes, ordinal)
    y_true = np.asarray(y_true, dtype=np.int64)
    n = len(y_true)
    X = np.zeros((n, 1))
    shares = np.bincount(y_true, minlength=n_classes) / n
    prior_score = task.class_scores(np.tile(shares, (n, 1)))
    majority = DummyClassifier(strategy="most_frequent").fit(X, y_true).predict(X)
    dummy = {} if ordinal is None else {"ordinal": replace(ordinal, prediction=ARGMAX), "x": x}
    levels = {"majority": scalar_metrics(y_true, prior_score, majority, **dummy)}
    prior = (prior_score, levels["majority"])
    if task.binary:
        positive = np.ones(n, dtype=np.int64)
        levels["always_positive"] = scalar_metrics(y_true, prior_score, positive)
    levels["random"] = _random_predictor(y_true, prior, shares, **dummy)
    if task.binary and y_pred is not None:
        rate = float(np.mean(y_pred))
        levels["rate_matched"] = _random_predictor(y_true, prior, np.array([1 - rate, rate]))
    return levels


# What each binary headline metric's skill score is, in words (the registry's entries).
SKILL_DEFINITIONS = {name: metric(name).skill_text for name in HEADLINE}


def skill_scores(
    metrics: dict[str, Any],
    chance: dict[str, dict[str, float]],
    y_true: np.ndarray,
    y_pred: np.ndarray,
) -> dict[str, float]:
    """Chance-corrected versions of the HEADLINE metrics: 0 = no skill, 1 = perfect."""
    inputs = Chance(metrics, chance, y_true, y_pred)
    return {name: metric(name).skill(inputs) for name in HEADLINE}


def balanced_view(y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """HEADLINE metrics on the same rows with each class reweighted to half the total weight."""
    weights = compute_sample_weight("balanced", y_true)
    return scalar_metrics(y_true, y_score, y_pred, sample_weight=weights)
