"""LatentRank: ordered classes as a regression of the class's rank with Gaussian noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.utils.class_weight import compute_sample_weight

from threshold_sweep.model.latent_rank import MIN_SPREAD, LatentRank
from threshold_sweep.model.minirocket import (
    ALPHA_FALLBACK,
    ALPHA_GRID,
    N_KERNELS_ORDERED,
    ValidatedRidge,
)
from threshold_sweep.model.reference import (
    ORDERED_MODELS,
    REFERENCE_MODELS,
    QuantileBinnedTrees,
    ReferenceRows,
    fit_references,
)


def _ordered(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose class (labels 2, 5, 9, 11) cuts a noisy linear latent."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    latent = X @ np.array([1.0, -0.5, 0.25, 0.0]) + rng.normal(0, 0.5, n)
    return X, np.array([2, 5, 9, 11])[np.digitize(latent, [-0.8, 0.0, 0.9])]


@pytest.fixture(scope="module")
def fitted() -> tuple[LatentRank, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A tree regression fitted with validation rows, and its validation and test rows."""
    X, y = _ordered(900, 0)
    X_val, y_val = _ordered(300, 1)
    X_test, y_test = _ordered(400, 2)
    weights = compute_sample_weight("balanced", y_val)
    model = LatentRank(HistGradientBoostingRegressor(max_iter=50, random_state=0))
    model.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights)
    return model, X_val, y_val, X_test, y_test


def test_probabilities_are_the_gaussian_noise_around_the_rank(fitted) -> None:
    """P(class > k) is 1 - Phi((k + 1/2 - r) / sigma), sigma the weighted validation RMS."""
    model, X_val, y_val, X_test, _ = fitted
    ranks_val = np.searchsorted([2, 5, 9, 11], y_val)
    residuals = model.regressor.predict(X_val) - ranks_val
    sigma = np.sqrt(np.average(residuals**2, weights=compute_sample_weight("balanced", y_val)))
    assert model.sigma_ == pytest.approx(sigma, rel=1e-12)
    predicted = model.regressor.predict(X_test)
    expected = norm.sf((np.array([0.5, 1.5, 2.5])[None, :] - predicted[:, None]) / sigma)
    np.testing.assert_allclose(model.above(X_test), expected, rtol=1e-12)
    proba = model.predict_proba(X_test)
    assert proba.shape == (400, 4) and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1:].sum(axis=1), expected[:, 0])  # P(class > 2)
    assert list(model.classes_) == [2, 5, 9, 11]


def test_every_threshold_ranks_the_rows_by_the_predicted_rank(fitted) -> None:
    """Each threshold's ROC-AUC equals that of the regression's prediction, and beats chance."""
    model, _, _, X_test, y_test = fitted
    predicted, above = model.regressor.predict(X_test), model.above(X_test)
    for k, label in enumerate([2, 5, 9]):
        auc = roc_auc_score(y_test > label, above[:, k])
        assert auc == pytest.approx(roc_auc_score(y_test > label, predicted))
        assert auc > 0.8


def test_without_validation_rows_the_noise_is_the_training_residuals() -> None:
    """No validation rows: sigma is the balanced-weighted RMS of the training residuals."""
    X, y = _ordered(500, 3)
    model = LatentRank(LinearRegression()).fit(X, y)
    ranks = np.searchsorted([2, 5, 9, 11], y)
    weights = compute_sample_weight("balanced", y)
    independent = LinearRegression().fit(X, ranks, sample_weight=weights)
    sigma = np.sqrt(np.average((independent.predict(X) - ranks) ** 2, weights=weights))
    assert model.sigma_ == pytest.approx(sigma, rel=1e-9)


def test_a_perfect_fit_keeps_a_least_spread() -> None:
    """Ranks fitted exactly: sigma is MIN_SPREAD and the probabilities are 0/1, not NaN."""
    X = np.arange(12, dtype=float)[:, None]
    y = np.repeat([0, 1, 2], 4)
    model = LatentRank(LinearRegression()).fit(np.c_[X, y], y)
    assert model.sigma_ == MIN_SPREAD
    np.testing.assert_allclose(model.predict_proba(np.c_[X, y]), np.eye(3)[y], atol=1e-12)


def test_the_trees_regress_the_rank_only_for_three_or_more_ordered_classes() -> None:
    """QuantileBinnedTrees: a classifier for 2 classes or unordered ones, LatentRank for 3+
    ordered classes."""
    X, y = _ordered(300, 4)
    binary = QuantileBinnedTrees(0, ordered=True).fit(X, (y > 5).astype(int))
    codes = QuantileBinnedTrees(0).fit(X, y)
    ordered = QuantileBinnedTrees(0, ordered=True).fit(X, y)
    assert type(binary.trees_).__name__ == "HistGradientBoostingClassifier"
    assert type(codes.trees_).__name__ == "HistGradientBoostingClassifier"
    assert isinstance(ordered.trees_, LatentRank)
    assert ordered.predict_proba(X).shape == (300, 4)


def test_the_ridge_takes_the_alpha_of_the_lowest_validation_error() -> None:
    """ValidatedRidge walks ALPHA_GRID from the strongest penalty and stops at the first rise:
    its alpha is the grid's best up to there, by scikit-learn's Ridge fitted per alpha."""
    X, y = _ordered(400, 5)
    X_val, y_val = _ordered(200, 6)
    w, w_val = np.linspace(0.5, 2, 400), np.linspace(2, 0.5, 200)
    errors = []
    for alpha in ALPHA_GRID:
        ridge = Ridge(alpha=alpha).fit(X, y, sample_weight=w)
        errors.append(np.average((ridge.predict(X_val) - y_val) ** 2, weights=w_val))
    stop = next((i for i in range(1, len(errors)) if errors[i] >= errors[i - 1]), len(errors))
    expected = ALPHA_GRID[int(np.argmin(errors[:stop]))]
    fitted = ValidatedRidge().fit(X, y, w, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    assert fitted.alpha_ == expected
    np.testing.assert_allclose(
        fitted.predict(X_val), Ridge(alpha=expected).fit(X, y, sample_weight=w).predict(X_val)
    )
    assert ValidatedRidge().fit(X, y).alpha_ == ALPHA_FALLBACK


def test_ordered_rows_get_the_rank_regressions_and_say_so() -> None:
    """fit_references on 3+ ordered classes: the trees and MiniRocket regress the rank (their
    ordered descriptions, MiniRocket on N_KERNELS_ORDERED kernels); unordered rows and 2
    classes keep the classifiers."""
    X, y = _ordered(600, 7)
    X_val, y_val = _ordered(200, 8)
    X_test, _ = _ordered(100, 9)
    series = np.repeat(X[:, :, None], 4, axis=1)  # 16 steps, so that MiniRocket can run
    val, test = np.repeat(X_val[:, :, None], 4, axis=1), np.repeat(X_test[:, :, None], 4, axis=1)
    names = ["logistic", "hgb", "minirocket"]
    ordered = fit_references(names, ReferenceRows(series, y, val, y_val, test, True), seed=0)
    codes = fit_references(names, ReferenceRows(series, y, val, y_val, test), seed=0)
    two = ReferenceRows(series, (y > 5).astype(int), val, (y_val > 5).astype(int), test, True)
    assert [r.model for r in ordered] == [
        REFERENCE_MODELS["logistic"],
        ORDERED_MODELS["hgb"],
        ORDERED_MODELS["minirocket"],
    ]
    assert [r.model for r in codes] == [REFERENCE_MODELS[n] for n in names]
    assert [r.model for r in fit_references(names, two, seed=0)] == [
        REFERENCE_MODELS[n] for n in names
    ]
    assert "rank" in ordered[1].model.description and "rank" in ordered[2].model.description
    assert ordered[2].budget == f"{N_KERNELS_ORDERED:,} kernels" != codes[2].budget
    for fitted in ordered:
        assert fitted.scores.shape == (100, 4)
        np.testing.assert_allclose(fitted.scores.sum(axis=1), 1.0)
