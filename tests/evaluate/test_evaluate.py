"""Binary metrics against scikit-learn and against the confusion-matrix formulas."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from threshold_sweep.evaluate.metrics import one_vs_rest_aucs, predict_labels, split_metrics


@pytest.fixture
def predictions():
    rng = np.random.default_rng(5)
    y_true = (rng.uniform(size=500) < 0.2).astype(int)
    y_score = np.clip(0.3 * y_true + rng.uniform(0, 0.7, 500), 0, 1)
    return y_true, y_score, predict_labels(y_score, 0.5)


def test_metrics_match_the_confusion_matrix(predictions):
    y_true, y_score, y_pred = predictions
    m = split_metrics(y_true, y_score, y_pred, ["low", "high"])
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    tn = int(np.sum((y_true == 0) & (y_pred == 0)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    assert m["confusion_matrix"] == [[tn, fp], [fn, tp]]
    assert m["accuracy"] == pytest.approx((tp + tn) / 500)
    assert m["precision"] == pytest.approx(tp / (tp + fp))
    assert m["recall"] == pytest.approx(tp / (tp + fn))
    assert m["specificity"] == pytest.approx(tn / (tn + fp))
    assert m["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert m["balanced_accuracy"] == pytest.approx((tp / (tp + fn) + tn / (tn + fp)) / 2)
    mcc = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert m["mcc"] == pytest.approx(mcc)
    assert m["prevalence"] == pytest.approx(y_true.mean())
    assert m["per_class"]["low"]["support"] == tn + fp
    assert m["brier"] == pytest.approx(np.mean((y_score - y_true) ** 2))


def test_ranking_metrics_match_sklearn(predictions):
    y_true, y_score, y_pred = predictions
    m = split_metrics(y_true, y_score, y_pred, ["low", "high"])
    assert m["roc_auc"] == skm.roc_auc_score(y_true, y_score)
    assert m["average_precision"] == skm.average_precision_score(y_true, y_score)
    assert m["macro_f1"] == skm.f1_score(y_true, y_pred, average="macro")
    assert m["log_loss"] == skm.log_loss(y_true, y_score)


def test_one_class_split_gives_undefined_ranking_metrics():
    y_true = np.zeros(10, dtype=int)
    m = split_metrics(y_true, np.linspace(0, 1, 10), np.zeros(10, dtype=int), ["a", "b"])
    assert np.isnan(m["roc_auc"]) and np.isnan(m["average_precision"])
    assert m["accuracy"] == 1.0


def test_cutoff_is_inclusive():
    np.testing.assert_array_equal(predict_labels(np.array([0.49, 0.5, 0.51]), 0.5), [0, 1, 1])


def test_per_class_one_vs_rest_auc_is_scikit_learns_with_ties_and_an_absent_class():
    rng = np.random.default_rng(3)
    k, n = 5, 400
    y = rng.integers(0, k - 1, n)  # the last class never occurs
    proba = rng.dirichlet(np.ones(k), n)
    proba[:, :2] = np.round(proba[:, :2], 2)  # ties within and across the classes
    aucs = one_vs_rest_aucs(y, proba)
    for c in range(k - 1):
        assert aucs[c] == pytest.approx(skm.roc_auc_score(y == c, proba[:, c]), abs=1e-12)
    assert np.isnan(aucs[k - 1])
    names = [f"c{c}" for c in range(k)]
    per_class = split_metrics(y, proba, proba.argmax(axis=1), names)["per_class"]
    assert [per_class[name]["roc_auc_ovr"] for name in names[:-1]] == pytest.approx(aucs[:-1])
