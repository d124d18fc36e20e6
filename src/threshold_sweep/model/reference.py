"""Reference models from scikit-learn, fitted on the CNN's data so that it has a competent rival.

Beating chance is not the same as being good: every run also fits a class-balanced logistic
regression and histogram gradient-boosted trees on the same training split and scores the same
test rows. They see each sequence flattened to length x channels columns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TRAINED_ON = (
    "the natural training split (before the CNN's rebalancing), classes weighted to equal "
    "total weight (class_weight='balanced'); each sequence flattened to length x channels "
    "columns of the standardized values; the trees stop adding iterations when their "
    "class-weighted loss on the validation split stops improving, as the CNN stops on it"
)


def logistic_regression(seed: int) -> Any:
    """Standardized features, an L2 logistic regression with balanced class weights."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed),
    )


def gradient_boosting(seed: int) -> Any:
    """Histogram gradient-boosted trees with balanced class weights, stopped early.

    31 bins instead of 255: the same test ROC-AUC within noise (on 20,000 x 128 synthetic
    rows 0.921 with 31 bins and with 63; on four scikit-learn tables and a position-coded
    series, ten splits each, within 0.008 of scikit-learn's default 255 bins on average)
    for about two thirds of the CPU time of 63 bins (benchmarks/bench_reference.py measures
    the share of a run). Early
    stopping watches the validation split passed to `fit` (see `fit_reference`).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        class_weight="balanced",
        max_bins=31,
        max_iter=300,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=seed,
    )


@dataclass(frozen=True)
class ReferenceModel:
    """A named scikit-learn classifier factory and what it is, in words."""

    name: str
    label: str
    description: str
    factory: Callable[[int], Any]
    stops_on_validation: bool = False  # fit takes X_val, y_val and sample_weight_val


REFERENCE_MODELS = {
    model.name: model
    for model in (
        ReferenceModel(
            "logistic",
            "logistic regression",
            "scikit-learn StandardScaler + LogisticRegression(class_weight='balanced')",
            logistic_regression,
        ),
        ReferenceModel(
            "hgb",
            "gradient-boosted trees",
            "scikit-learn HistGradientBoostingClassifier(class_weight='balanced', max_bins=31, "
            "early stopping on the validation split)",
            gradient_boosting,
            stops_on_validation=True,
        ),
    )
}


@dataclass(frozen=True)
class ReferenceScores:
    """One fitted reference model's test scores and how long it took."""

    model: ReferenceModel
    scores: np.ndarray  # positive-class probability (binary) or one column per class
    seconds: float
    cpu_seconds: float  # of the fitting thread (not its OpenMP workers, if threads > 1)
    n_train: int  # the rows it was fitted on (a k-fold run: the folds' mean)
    trained_on: str = TRAINED_ON


def flattened(X: np.ndarray) -> np.ndarray:
    """(rows, length, channels) sequences as (rows, length x channels) columns."""
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def positive_scores(proba: np.ndarray) -> np.ndarray:
    """The positive class's probability for two classes, every class's otherwise."""
    return proba[:, 1] if proba.shape[1] == 2 else proba


@dataclass(frozen=True)
class ReferenceRows:
    """What the reference models see: training rows, validation rows (early stopping), test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_validation: np.ndarray
    y_validation: np.ndarray
    X_test: np.ndarray


def _fitted(model: ReferenceModel, rows: ReferenceRows, seed: int) -> Any:
    """The model fitted on the training rows (stopping on the class-weighted validation loss)."""
    estimator = model.factory(seed)
    if not model.stops_on_validation:
        return estimator.fit(flattened(rows.X_train), rows.y_train)
    from sklearn.utils.class_weight import compute_sample_weight

    return estimator.fit(
        flattened(rows.X_train),
        rows.y_train,
        X_val=flattened(rows.X_validation),
        y_val=rows.y_validation,
        sample_weight_val=compute_sample_weight("balanced", rows.y_validation),
    )


def fit_reference(
    model: ReferenceModel, rows: ReferenceRows, seed: int, threads: int = 1
) -> ReferenceScores:
    """Fit `model` and score the test rows, on at most `threads` cores."""
    from threadpoolctl import threadpool_limits

    started, cpu_started = time.perf_counter(), time.thread_time()
    with threadpool_limits(limits=threads):
        proba = _fitted(model, rows, seed).predict_proba(flattened(rows.X_test))
    seconds, cpu_seconds = time.perf_counter() - started, time.thread_time() - cpu_started
    log.info("reference %s: fitted on %d rows in %.1f s", model.name, len(rows.y_train), seconds)
    scores = positive_scores(np.asarray(proba, dtype=np.float64))
    return ReferenceScores(model, scores, seconds, cpu_seconds, len(rows.y_train))


def fit_references(
    names: Sequence[str], rows: ReferenceRows, seed: int, threads: int = 1
) -> list[ReferenceScores]:
    """Every named reference model, fitted and scored (an empty list for none)."""
    return [fit_reference(REFERENCE_MODELS[name], rows, seed, threads) for name in names]
