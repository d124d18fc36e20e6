"""LatentRank: ordered classes as a regression of the class's rank with Gaussian noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import roc_auc_score
from sklearn.utils.class_weight import compute_sample_weight

from threshold_sweep.model.latent_rank import MIN_SPREAD, LatentRank
from threshold_sweep.model.reference import QuantileBinnedTrees


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


def test_the_trees_regress_the_rank_only_for_three_or_more_classes() -> None:
    """QuantileBinnedTrees: a classifier for 2 classes, LatentRank for 3+."""
    X, y = _ordered(300, 4)
    binary = QuantileBinnedTrees(0).fit(X, (y > 5).astype(int))
    ordered = QuantileBinnedTrees(0).fit(X, y)
    assert type(binary.trees_).__name__ == "HistGradientBoostingClassifier"
    assert isinstance(ordered.trees_, LatentRank)
    assert ordered.predict_proba(X).shape == (300, 4)
