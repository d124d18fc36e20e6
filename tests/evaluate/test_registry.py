"""Invariance checks run over every registry entry (as scikit-learn's test_common.py): a new
metric is checked by adding its entry, no test to write."""

from __future__ import annotations

import numpy as np
import pytest

from threshold_sweep.evaluate.metrics import scalar_metrics
from threshold_sweep.evaluate.registry import (
    BINARY,
    ENTRIES,
    MULTICLASS,
    ORDINAL,
    metric,
)
from threshold_sweep.evaluate.resample.predictions import ClassPredictions, Predictions
from threshold_sweep.evaluate.task import EXPECTED, Ordinal

# within_d stands for within_<d> of every d: check it at d = 2
NAMES = [entry.per_step(2).name if entry.per_step else entry.name for entry in ENTRIES]
ORDINAL_SETTINGS = Ordinal(within=(2,), prediction=EXPECTED, thresholds=(-0.5, 0.0, 0.6))


def _binary(n: int = 120, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Binary predictions with tied scores."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.3).astype(np.int64)
    score = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1), 2)
    return y, score, (score >= 0.5).astype(np.int64)


def _classes(n: int = 150, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Four ordered classes of an x, with probabilities peaked near a noisy copy of the class."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.searchsorted(ORDINAL_SETTINGS.thresholds, x)
    near = np.searchsorted(ORDINAL_SETTINGS.thresholds, x + rng.normal(0, 0.5, n))
    logits = -(((np.arange(4)[None, :] - near[:, None]) / 1.2) ** 2)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba, proba.argmax(axis=1), x


def _resampled_and_plain(name: str, task: str, weights: np.ndarray) -> tuple[float, float]:
    """A metric's resampled form on one weighting, and its plain function on the same weights."""
    if task == BINARY:
        y, score, pred = _binary()
        resampled = Predictions(y, score, pred).metrics(weights[None, : len(y)])[name][0]
        plain = scalar_metrics(y, score, pred, sample_weight=weights[: len(y)])[name]
        return resampled, plain
    y, proba, pred, x = _classes()
    ordinal = ORDINAL_SETTINGS if task == ORDINAL else None
    evaluator = ClassPredictions(y, proba, pred, ordinal, x)
    resampled = evaluator.metrics(weights[None, : len(y)])[name][0]
    w = weights[: len(y)]
    plain = scalar_metrics(y, proba, pred, sample_weight=w, ordinal=ordinal, x=x)[name]
    return resampled, plain


def _tasks(name: str) -> list[str]:
    """The tasks whose evaluator reports a metric (ordinal metrics: k ordered classes)."""
    return sorted(metric(name).tasks)


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_is_complete(name):
    entry = metric(name)
    assert entry.label and entry.plain is not None
    if BINARY in entry.tasks:
        assert entry.binary is not None and entry.skill is not None and entry.skill_text
    if entry.tasks & {MULTICLASS, ORDINAL}:
        assert entry.classes is not None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weighting", ["identity", "resample"])
def test_resampled_form_equals_the_plain_function(name, weighting):
    """On unit weights (the identity resample) and on a resample's counts, an entry's
    vectorised form gives what its scikit-learn function gives on the weighted rows."""
    rng = np.random.default_rng(1)
    weights = np.ones(200) if weighting == "identity" else rng.integers(0, 4, 200).astype(float)
    for task in _tasks(name):
        resampled, plain = _resampled_and_plain(name, task, weights)
        np.testing.assert_allclose(resampled, plain, rtol=1e-9, atol=1e-12, err_msg=task)


@pytest.mark.parametrize("name", NAMES)
def test_resampled_form_is_invariant_to_the_row_order(name):
    """Permuting the rows (and their weights) leaves every resampled form unchanged."""
    order = np.random.default_rng(2).permutation(120)
    weights = np.random.default_rng(3).integers(0, 3, 120).astype(float)
    for task in _tasks(name):
        if task == BINARY:
            y, score, pred = _binary()
            first = Predictions(y, score, pred).metrics(weights[None])[name]
            shuffled = Predictions(y[order], score[order], pred[order])
            second = shuffled.metrics(weights[order][None])[name]
        else:
            y, proba, pred, x = (a[:120] for a in _classes())
            ordinal = ORDINAL_SETTINGS if task == ORDINAL else None
            first = ClassPredictions(y, proba, pred, ordinal, x).metrics(weights[None])[name]
            shuffled = ClassPredictions(y[order], proba[order], pred[order], ordinal, x[order])
            second = shuffled.metrics(weights[order][None])[name]
        np.testing.assert_allclose(first, second, rtol=1e-12, err_msg=task)


@pytest.mark.parametrize("tied", [True, False], ids=["tied-scores", "distinct-scores"])
def test_ranking_forms_equal_scikit_learn_with_and_without_ties(tied):
    """ROC-AUC and average precision take a shortcut when no scores tie: both branches equal
    scikit-learn's weighted metrics on a resample's counts."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(4)
    y = (rng.uniform(size=200) < 0.4).astype(np.int64)
    score = np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1)
    score = np.round(score, 1) if tied else score
    evaluator = Predictions(y, score, (score >= 0.5).astype(np.int64))
    assert evaluator.rows.ties_across == tied and evaluator.rows.ties_within == tied
    counts = np.bincount(rng.integers(0, 200, 200), minlength=200).astype(float)
    got = evaluator.metrics(counts[None, :])
    assert got["roc_auc"][0] == pytest.approx(roc_auc_score(y, score, sample_weight=counts))
    expected_ap = average_precision_score(y, score, sample_weight=counts)
    assert got["average_precision"][0] == pytest.approx(expected_ap)
