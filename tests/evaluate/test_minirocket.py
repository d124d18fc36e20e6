"""The MiniRocket reference: aeon's transform + scikit-learn's pipeline, skipped when it cannot
run (short sequences, no aeon) with one line and a record, capped to a stratified subsample."""

from __future__ import annotations

import functools
import logging
import sys
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler

from threshold_sweep.evaluate.reference import reference_section
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model import minirocket
from threshold_sweep.model.reference import (
    ORDERED_MODELS,
    REFERENCE_MODELS,
    TREE_ROWS_CLASSES,
    TREE_ROWS_ORDERED,
    ReferenceRows,
    fit_reference,
    fit_references,
    skipped_references,
    stratified_rows,
)
from threshold_sweep.pipeline.stages import skipped_run_references
from threshold_sweep.report.reference import reference_models_section

BOOT = SimpleNamespace(resamples=200, level=0.95, seed=0)


def series(n: int, seed: int, n_classes: int = 2, length: int = 12) -> tuple:
    """(n, length, 2) sequences whose class is a bump that MiniRocket's kernels can see."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    X = rng.normal(0, 1, (n, length, 2))
    X[:, length // 2 - 1 : length // 2 + 2, 0] += y[:, None]
    return X, y


def rows(n: int, n_classes: int = 2, length: int = 12) -> ReferenceRows:
    """Training, validation and test rows of `series`."""
    (X, y), (X_val, y_val) = series(n, 0, n_classes, length), series(60, 2, n_classes, length)
    return ReferenceRows(X, y, X_val, y_val, series(80, 1, n_classes, length)[0])


@functools.cache
def _fitted(n_classes: int, n: int = 200) -> tuple:
    """MiniRocket fitted through fit_references on 200 rows, and directly with aeon and
    scikit-learn: one regression per C, strongest penalty first, until the balanced
    validation log loss rises; the lowest kept (one BLAS thread, as the reference fits:
    lbfgs stops elsewhere on other threads)."""
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.metrics import log_loss
    from sklearn.utils.class_weight import compute_sample_weight
    from threadpoolctl import threadpool_limits

    data = rows(n, n_classes)
    (mine,) = fit_references(["minirocket"], data, seed=3)
    with threadpool_limits(limits=1):
        kernels = 10_000 if n_classes == 2 else 2_000  # fewer for 3+ classes (the budget)
        features = MiniRocket(n_kernels=kernels, n_jobs=1, random_state=3).fit(
            data.X_train.transpose(0, 2, 1)
        )
        scaler = StandardScaler().fit(features.transform(data.X_train.transpose(0, 2, 1)))

        def scaled(X: np.ndarray) -> np.ndarray:
            return scaler.transform(features.transform(X.transpose(0, 2, 1)))

        weights = compute_sample_weight("balanced", data.y_validation)
        fits = {}
        model = LogisticRegression(
            class_weight="balanced",
            max_iter=1000,
            tol=minirocket.LBFGS_TOL,
            random_state=3,
            warm_start=True,
        )
        for C in (1e-4, 1e-3, 1e-2, 1e-1):
            model.set_params(C=C).fit(scaled(data.X_train), data.y_train)
            loss = log_loss(
                data.y_validation,
                model.predict_proba(scaled(data.X_validation)),
                sample_weight=weights,
            )
            fits[C] = (loss, model.predict_proba(scaled(data.X_test)))
        losses = [loss for loss, _ in fits.values()]
        first_rise = next((i for i in range(1, 4) if losses[i] >= losses[i - 1]), 4)
        walked = list(fits)[:first_rise]
        best = min(walked, key=lambda C: fits[C][0])
        return mine, fits[best][1]


@pytest.mark.slow  # numba: a first call in a fresh install compiles (22 CPU s seen in CI)
def test_minirocket_scores_are_aeons_pipeline_on_the_same_rows():
    mine, expected = _fitted(2)
    np.testing.assert_allclose(mine.scores, expected[:, 1], rtol=0, atol=1e-9)
    assert (mine.n_train, mine.n_rows) == (200, 200) and "MiniRocket" in mine.sees
    _, y_test = series(80, 1)
    cnn = (y_test, np.full(80, 0.5), np.zeros(80, dtype=int))
    section = reference_section(Task(("low", "high")), cnn, [mine], 200, 0.5, BOOT)
    model = section["models"]["minirocket"]
    assert model["test"]["roc_auc"] == pytest.approx(roc_auc_score(y_test, expected[:, 1]))
    assert model["n_train"] == 200 and section["skipped"] == {}


@pytest.mark.slow  # as above
def test_three_ordered_classes_get_a_probability_column_each():
    mine, expected = _fitted(3, 90)  # fewer rows: <= 4 fits of 3 classes, 1,932 features
    assert mine.scores.shape == (80, 3)
    np.testing.assert_allclose(mine.scores, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(mine.scores.sum(axis=1), 1.0)


def test_short_sequences_skip_it_with_one_line_and_a_record(caplog):
    names = ["logistic", "minirocket"]
    (logistic,) = fit_references(names, rows(100, length=8), seed=0)  # no aeon import
    assert logistic.model.name == "logistic"
    data = SimpleNamespace(dataset=SimpleNamespace(X=np.zeros((5, 8, 1))))
    with caplog.at_level(logging.INFO, logger="threshold_sweep.pipeline.stages"):
        skipped = skipped_run_references(SimpleNamespace(reference=names), data)
    (line,) = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert line.startswith("reference minirocket skipped: sequences of 8 steps")
    assert "9" in line and set(skipped) == {"minirocket"}
    y_test = series(80, 1, length=8)[1]
    cnn = (y_test, np.full(80, 0.5), np.zeros(80, dtype=int))
    section = reference_section(Task(("low", "high")), cnn, [logistic], 100, 0.5, BOOT, None)
    assert "skipped" in section and section["skipped"] == {}
    section = reference_section(
        Task(("low", "high")), cnn, [logistic], 100, 0.5, BOOT, skipped=skipped
    )
    assert section["skipped"] == {"minirocket": skipped["minirocket"]}


def test_the_report_says_what_was_skipped_in_one_line():
    reason = skipped_references(["minirocket"], 4)["minirocket"]
    section = {"models": {}, "best": None, "skipped": {"minirocket": reason}}
    (text,) = reference_models_section({"reference": section}).blocks
    assert text == f"Skipped: minirocket ({reason})."


def test_without_aeon_it_is_skipped_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "aeon", None)
    reason = skipped_references(["logistic", "hgb", "minirocket"], 64)
    assert list(reason) == ["minirocket"]
    assert 'pip install "threshold-sweep[series]"' in reason["minirocket"]
    assert "pip install aeon" in reason["minirocket"]


def test_large_training_splits_are_capped_to_a_stratified_seeded_subsample():
    data = rows(300)
    capped = replace(REFERENCE_MODELS["logistic"], max_train_rows=100)
    scores = fit_reference(capped, data, seed=1)
    keep = stratified_rows(data.y_train, 100, 1)
    assert scores.n_train == len(keep) <= 100 and scores.n_rows == 300
    assert "a stratified subsample of" in scores.sees and "of the 300 rows" in scores.sees
    shares = np.bincount(data.y_train[keep]) / len(keep)
    np.testing.assert_allclose(shares, np.bincount(data.y_train) / 300, atol=0.02)
    np.testing.assert_array_equal(keep, stratified_rows(data.y_train, 100, 1))
    assert REFERENCE_MODELS["minirocket"].max_train_rows == minirocket.MAX_TRAIN_ROWS


def test_the_penalty_walk_stops_where_the_validation_loss_first_rises():
    # 2 informative columns of 200, 60 noisy rows: the penalties weaker than C=1e-3 overfit
    rng = np.random.default_rng(4)
    X, X_val = 5 * rng.normal(size=(60, 200)), 5 * rng.normal(size=(400, 200))
    y = (X[:, 0] + X[:, 1] + rng.normal(0, 2.5, 60) > 0).astype(int)
    y_val = (X_val[:, 0] + X_val[:, 1] + rng.normal(0, 2.5, 400) > 0).astype(int)
    losses = {}
    for C in minirocket.C_GRID:  # scikit-learn alone, each C from scratch
        model = LogisticRegression(
            class_weight="balanced", C=C, max_iter=1000, tol=minirocket.LBFGS_TOL
        )
        model = model.fit(X, y)
        losses[C] = log_loss(y_val, model.predict_proba(X_val))
    walked = minirocket.ValidatedMiniRocket(seed=0)
    fits = []
    original = LogisticRegression.fit

    def counted(self, *args, **kwargs):
        fits.append(self.C)
        return original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LogisticRegression, "fit", counted)
        C, fitted = walked._validated(X, y, X_val, y_val, None)
    grid = list(losses.values())
    rises = [i for i in range(1, len(grid)) if grid[i] >= grid[i - 1]]
    assert rises and rises[0] < len(grid) - 1, f"the loss must rise before the end: {losses}"
    assert fits == list(minirocket.C_GRID)[: rises[0] + 1]  # no fit past the first rise
    assert minirocket.C_GRID[rises[0] - 1] == C
    assert fitted.C == C and losses[C] == pytest.approx(
        log_loss(y_val, fitted.predict_proba(X_val)), abs=1e-4
    )


def test_the_trees_fit_a_stratified_sample_for_three_classes_and_all_rows_for_two():
    budget = replace(REFERENCE_MODELS["hgb"], max_train_rows_classes=90)
    assert REFERENCE_MODELS["hgb"].row_limit(2) is None
    assert REFERENCE_MODELS["hgb"].row_limit(21) == TREE_ROWS_CLASSES == 2000
    assert ORDERED_MODELS["hgb"].row_limit(21) == TREE_ROWS_ORDERED == 4000
    assert ORDERED_MODELS["minirocket"].row_limit(21) == minirocket.MAX_TRAIN_ROWS
    assert REFERENCE_MODELS["minirocket"].row_limit(2) == minirocket.MAX_TRAIN_ROWS == 4000
    assert REFERENCE_MODELS["minirocket"].row_limit(21) == minirocket.MAX_TRAIN_ROWS_CLASSES
    assert minirocket.kernels(2, (200, 1, 150)) == 10_000  # UCR-sized sets keep aeon's default
    assert minirocket.kernels(21, (200, 1, 150)) == 2_000
    three = rows(300, n_classes=3)
    fitted = fit_reference(budget, three, seed=2)
    keep = stratified_rows(three.y_train, 90, 2)
    assert fitted.n_train == len(keep) <= 90 and fitted.n_rows == 300
    assert fitted.scores.shape == (80, 3) and "a stratified subsample of" in fitted.sees
    two = fit_reference(budget, rows(300), seed=2)
    assert (two.n_train, two.n_rows) == (300, 300) and "subsample" not in two.sees


def test_the_kernels_shrink_to_the_budget_on_large_data_and_the_run_says_how_many():
    budget = minirocket.KERNEL_BUDGET
    assert minirocket.kernels(2, (4000, 1, 128)) == 2_000 == budget // (4000 * 128)
    assert minirocket.kernels(2, (4000, 1, 64)) == 4_000
    assert minirocket.kernels(2, (4000, 6, 128)) == minirocket.N_KERNELS_MIN  # never fewer
    assert minirocket.kernels(3, (4000, 1, 64)) == 2_000
    assert minirocket.kernels(21, (4000, 1, 128), ordered=True) == 1_000
    assert minirocket.kernels(2, (200, 1, 150), ordered=True) == 10_000
    fitted = fit_reference(REFERENCE_MODELS["minirocket"], rows(200), seed=1)
    assert "10,000 kernels" in fitted.sees
