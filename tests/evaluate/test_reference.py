"""Reference models: fitted like scikit-learn would, scored and paired on the CNN's test rows."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from threshold_sweep.conf.choices import IntervalMethod, ReferenceName
from threshold_sweep.evaluate.bootstrap import (
    bootstrap_ci,
    drawn_metrics,
    paired_difference,
    sampled_intervals,
)
from threshold_sweep.evaluate.diagnostics import trailing_reference
from threshold_sweep.evaluate.reference import reference_section
from threshold_sweep.evaluate.resample.predictions import Predictions, weighted_predictions
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model.reference import REFERENCE_MODELS, ReferenceRows, fit_references
from threshold_sweep.results.rows import reference_columns

BOOT = SimpleNamespace(resamples=300, level=0.95, seed=0)
BINARY = Task(("low", "high"))


def sequences(n: int, seed: int, n_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(n, 8, 2) sequences whose first step carries the class, and the classes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    X = rng.normal(0, 1, (n, 8, 2))
    X[:, 0, 0] += 1.5 * y
    return X, y


def test_every_configurable_reference_has_a_model_and_back():
    assert {name.value for name in ReferenceName} == set(REFERENCE_MODELS)


def test_logistic_scores_are_scikit_learns_on_the_flattened_sequences():
    X, y = sequences(300, 0)
    X_test, _ = sequences(80, 1)
    X_val, y_val = sequences(60, 2)
    (logistic,) = fit_references(["logistic"], ReferenceRows(X, y, X_val, y_val, X_test), seed=0)
    expected = make_pipeline(
        StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000, tol=1e-2)
    ).fit(X.reshape(300, -1), y)
    np.testing.assert_allclose(
        logistic.scores, expected.predict_proba(X_test.reshape(80, -1))[:, 1], rtol=1e-10
    )


def test_three_classes_get_a_probability_column_per_class():
    for reference in _fitted(3, 150):
        assert reference.scores.shape == (150, 3)
        np.testing.assert_allclose(reference.scores.sum(axis=1), 1.0)


@functools.cache
def _fitted(n_classes: int, n: int) -> tuple:
    """Both reference models fitted on 400 rows and scored on n test rows (fitted once)."""
    X, y = sequences(400, 0, n_classes)
    X_test, _ = sequences(n, 1, n_classes)
    X_val, y_val = sequences(100, 2, n_classes)
    rows = ReferenceRows(X, y, X_val, y_val, X_test)
    return tuple(fit_references(["logistic", "hgb"], rows, seed=0))


def _section(cnn_scores: np.ndarray, task: Task = BINARY, n: int = 200, boot=BOOT):
    _, y_test = sequences(n, 1, task.n_classes)
    references = _fitted(task.n_classes, n)
    cnn_pred = task.predicted_classes(cnn_scores, 0.5)
    cnn = (y_test, cnn_scores, cnn_pred)
    return reference_section(task, cnn, references, 400, 0.5, boot), references, cnn


@pytest.mark.parametrize("method", list(IntervalMethod))
def test_references_use_the_configured_interval_method(method):
    cnn_scores = np.random.default_rng(2).uniform(0, 1, 200)
    boot = SimpleNamespace(**vars(BOOT), method=method)
    section, references, cnn = _section(cnn_scores, boot=boot)
    single = paired = method.value  # auto: formula intervals where they cover better
    for reference in references:
        model = section["models"][reference.model.name]
        mine = Predictions(cnn[0], reference.scores, (reference.scores >= 0.5).astype(int))
        drawn = drawn_metrics(mine, cnn[0], 300, 0)  # the resamples the pairing reads
        assert model["ci"] == sampled_intervals(mine, drawn, 0.95, 0, (single,))[single]
        own_draws = bootstrap_ci(mine, 300, 0.95, 0, single)  # a binary run's own draws differ
        for metric, bounds in own_draws.items():
            np.testing.assert_allclose(model["ci"][metric], bounds, atol=0.03, err_msg=metric)
        compared = paired_difference(mine, Predictions(*cnn), ("roc_auc",), 300, 0.95, 0, paired)
        assert model["cnn_minus_reference"]["roc_auc"] == compared["roc_auc"]


def test_reference_metrics_and_paired_differences_match_scikit_learn():
    rng = np.random.default_rng(5)
    _, y_test = sequences(200, 1)
    cnn_scores = np.clip(0.5 + 0.2 * (y_test - 0.5) + rng.normal(0, 0.25, 200), 0, 1)
    section, references, (y_true, _, cnn_pred) = _section(cnn_scores)
    for reference in references:
        model = section["models"][reference.model.name]
        ref_auc = roc_auc_score(y_true, reference.scores)
        assert model["test"]["roc_auc"] == pytest.approx(ref_auc, abs=1e-12)
        ref_pred = (reference.scores >= 0.5).astype(int)
        ref_bacc = balanced_accuracy_score(y_true, ref_pred)
        assert model["test"]["balanced_accuracy"] == pytest.approx(ref_bacc, abs=1e-12)
        difference = model["cnn_minus_reference"]["roc_auc"]
        assert difference["difference"] == pytest.approx(
            roc_auc_score(y_true, cnn_scores) - ref_auc, abs=1e-12
        )
        assert difference["ci_low"] <= difference["difference"] <= difference["ci_high"]
        bacc = model["cnn_minus_reference"]["balanced_accuracy"]["difference"]
        assert bacc == pytest.approx(balanced_accuracy_score(y_true, cnn_pred) - ref_bacc)
        low, high = model["ci"]["roc_auc"]
        assert low <= ref_auc <= high
    best = max(section["models"], key=lambda name: section["models"][name]["test"]["roc_auc"])
    assert section["best"] == best


def test_a_cnn_far_below_the_references_is_flagged_with_both_numbers():
    cnn_scores = np.random.default_rng(0).uniform(0, 1, 200)  # no skill
    section, _, _ = _section(cnn_scores)
    assert section["cnn_trails_best"]
    result = {"label_names": ["low", "high"], "test": {"roc_auc": 0.5}, "reference": section}
    (warning,) = trailing_reference(result)
    best = section["models"][section["best"]]
    assert f"vs {best['test']['roc_auc']:.3f}" in warning and "ROC-AUC 0.500" in warning


def test_a_cnn_as_good_as_the_references_is_not_flagged():
    X_test, _ = sequences(200, 1)
    cnn_scores = 1 / (1 + np.exp(-1.5 * (X_test[:, 0, 0] - 0.75)))  # the true signal
    section, _, _ = _section(cnn_scores)
    assert not section["cnn_trails_best"]
    result = {"label_names": ["low", "high"], "test": {"roc_auc": 0.8}, "reference": section}
    assert trailing_reference(result) == []
    assert trailing_reference({"label_names": ["low", "high"], "test": {}}) == []


def test_three_class_references_are_paired_on_one_vs_rest_auc():
    task = Task(("a", "b", "c"))
    cnn_scores = np.random.default_rng(0).dirichlet(np.ones(3), 150)
    section, references, (y_true, _, _) = _section(cnn_scores, task, n=150)
    assert section["compared_on"] == ["roc_auc_ovr", "balanced_accuracy"]
    for reference in references:
        expected = roc_auc_score(y_true, reference.scores, multi_class="ovr", average="macro")
        got = section["models"][reference.model.name]["test"]["roc_auc_ovr"]
        assert got == pytest.approx(expected, abs=1e-12)


def test_k_class_references_draw_their_cis_and_pairings_as_fresh_bootstraps_would():
    """The shared draws (the CNN's side computed once) change no number for k classes: each CI
    equals its own bootstrap, each pairing a fresh paired bootstrap."""
    task = Task(("a", "b", "c"))
    cnn_scores = np.random.default_rng(0).dirichlet(np.ones(3), 150)
    section, references, cnn = _section(cnn_scores, task, n=150)
    compared = ("roc_auc_ovr", "balanced_accuracy")
    cnn_predictions = weighted_predictions(*cnn)
    for reference in references:
        model = section["models"][reference.model.name]
        y_pred = task.predicted_classes(reference.scores, 0.5)
        mine = weighted_predictions(cnn[0], reference.scores, y_pred)
        assert model["ci"] == bootstrap_ci(mine, 300, 0.95, 0, "auto")
        fresh = paired_difference(mine, cnn_predictions, compared, 300, 0.95, 0, "auto")
        assert model["cnn_minus_reference"] == fresh


def test_summary_columns_and_the_long_frame_carry_the_references():
    cnn_scores = np.random.default_rng(0).uniform(0, 1, 200)
    section, _, _ = _section(cnn_scores)
    columns = reference_columns({"reference": section})
    assert columns["best_reference"] == section["best"]
    logistic = section["models"]["logistic"]
    assert columns["ref_logistic_test_roc_auc"] == logistic["test"]["roc_auc"]
    assert (
        columns["cnn_minus_hgb_balanced_accuracy_ci_high"]
        == section["models"]["hgb"]["cnn_minus_reference"]["balanced_accuracy"]["ci_high"]
    )
    assert reference_columns({}) == {}


def test_the_trees_stop_early_on_the_class_weighted_validation_loss_over_quantile_bins():
    """The trees: each column cut at its 31 unweighted training quantiles (KBinsDiscretizer),
    then HistGradientBoostingClassifier, stopped on the balanced validation loss."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import KBinsDiscretizer
    from sklearn.utils.class_weight import compute_sample_weight

    X, y = sequences(400, 0)
    X_val, y_val = sequences(100, 2)
    X_test, _ = sequences(50, 1)
    (hgb,) = fit_references(["hgb"], ReferenceRows(X, y, X_val, y_val, X_test), seed=0)
    bins = KBinsDiscretizer(n_bins=31, encode="ordinal", strategy="quantile", subsample=None)
    binned = bins.fit_transform(X.reshape(400, -1))
    assert binned.max() == 30 and len(np.unique(binned[:, 0])) == 31
    expected = HistGradientBoostingClassifier(
        class_weight="balanced", max_bins=31, max_iter=300, early_stopping=True,
        n_iter_no_change=10, random_state=0,
    ).fit(
        binned, y, X_val=bins.transform(X_val.reshape(100, -1)), y_val=y_val,
        sample_weight_val=compute_sample_weight("balanced", y_val),
    )  # fmt: skip
    assert expected.n_iter_ < 300  # it stopped early
    test = bins.transform(X_test.reshape(50, -1))
    np.testing.assert_allclose(hgb.scores, expected.predict_proba(test)[:, 1])
