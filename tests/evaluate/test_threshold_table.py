"""Every threshold evaluated in one pass: its metrics against scikit-learn, its no-skill levels
against chance_levels, its CIs against a dedicated run's bootstrap of the same rows, and the
shared resamples keeping every threshold's class counts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn import metrics as skm

from threshold_sweep.evaluate.bootstrap import bootstrap_ci
from threshold_sweep.evaluate.chance import chance_levels
from threshold_sweep.evaluate.resample.draws import stratified_counts
from threshold_sweep.evaluate.resample.predictions import Predictions
from threshold_sweep.evaluate.threshold_curve import paired_against_best
from threshold_sweep.evaluate.threshold_table import (
    evaluate_thresholds,
    no_skill,
    threshold_predictions,
)

BOOT = SimpleNamespace(resamples=300, level=0.95, seed=3, method="auto")


def ordered_data(n: int = 900, k: int = 5, seed: int = 0):
    """K+1 ordered classes of a latent value and monotone noisy scores P(x > t_k)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    cuts = np.quantile(latent, np.arange(1, k + 1) / (k + 1))
    y = np.searchsorted(cuts, latent)
    noisy = latent + rng.normal(0, 0.7, n)
    scores = np.round(1 / (1 + np.exp(-(noisy[:, None] - cuts[None, :]) / 0.4)), 2)  # ties
    return y, scores, list(cuts)


@pytest.fixture(scope="module")
def table():
    y, scores, cuts = ordered_data()
    return y, scores, cuts, evaluate_thresholds(y, scores, cuts, 0.5, BOOT).rows


def test_every_thresholds_metrics_equal_scikit_learns(table):
    y, scores, cuts, rows = table
    assert [row["threshold"] for row in rows] == pytest.approx(cuts)
    for k, row in enumerate(rows):
        target, score = (y > k).astype(int), scores[:, k]
        pred = (score >= 0.5).astype(int)
        assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(target, score))
        assert row["average_precision"] == pytest.approx(skm.average_precision_score(target, score))
        assert row["mcc"] == pytest.approx(skm.matthews_corrcoef(target, pred))
        assert row["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(target, pred))
        assert row["f1"] == pytest.approx(skm.f1_score(target, pred))
        assert row["brier"] == pytest.approx(skm.brier_score_loss(target, score))
        assert row["prevalence"] == pytest.approx(target.mean())
        assert row["n_positive"] + row["n_negative"] == len(y)


def test_no_skill_levels_equal_chance_levels():
    y, scores, _ = ordered_data(n=400, k=3, seed=1)
    for k, one in enumerate(threshold_predictions(y, scores, 0.5)):
        expected = chance_levels(one.y_true, one.y_pred, 2)
        found = no_skill(one)
        assert found.keys() == expected.keys()
        for source, values in expected.items():
            for metric, value in values.items():
                assert found[source][metric] == pytest.approx(value, nan_ok=True), (k, source)


def test_every_interval_holds_its_value_and_matches_a_dedicated_bootstrap(table):
    y, scores, _, rows = table
    for k, row in enumerate(rows):
        target, score = (y > k).astype(int), scores[:, k]
        one = Predictions(target, score, (score >= 0.5).astype(int))
        dedicated = bootstrap_ci(one, BOOT.resamples, BOOT.level, BOOT.seed, "auto")
        for metric, (low, high) in dedicated.items():
            assert row[f"{metric}_ci_low"] <= row[metric] <= row[f"{metric}_ci_high"]
            # other resamples of the same rows: the widths agree to within a third
            width = row[f"{metric}_ci_high"] - row[f"{metric}_ci_low"]
            assert width == pytest.approx(high - low, rel=0.35, abs=1e-3), (k, metric)


def test_one_set_of_resamples_keeps_every_thresholds_class_counts():
    y, _, _ = ordered_data(n=300, k=4)
    (weights,) = list(stratified_counts(y, 50, 0))
    for k in range(4):
        positives = weights[:, y > k].sum(axis=1)
        np.testing.assert_array_equal(positives, np.full(50, (y > k).sum()))


def test_the_shared_resamples_give_each_thresholds_roc_auc_per_resample():
    y, scores, cuts = ordered_data(n=500, k=4, seed=2)
    evaluated = evaluate_thresholds(y, scores, cuts, 0.5, BOOT)
    values = evaluated.resampled("roc_auc")
    assert values.shape == (BOOT.resamples, 4)
    (weights,) = list(stratified_counts(y, BOOT.resamples, BOOT.seed))  # the same draws
    for r in (0, 17, 299):
        for k in range(4):
            expected = skm.roc_auc_score(y > k, scores[:, k], sample_weight=weights[r])
            assert values[r, k] == pytest.approx(expected)
    # as wide as the unstratified paired bootstrap of the same rows (its own resamples)
    targets = np.column_stack([(y > k).astype(int) for k in range(4)])
    own = paired_against_best(targets, scores, cuts, skm.roc_auc_score, 0, BOOT.resamples, 0)
    shared = values - values[:, [0]]
    for k in range(1, 4):
        low, high = np.percentile(shared[:, k], [2.5, 97.5])
        width = own.loc[k, "ci_high"] - own.loc[k, "ci_low"]
        assert high - low == pytest.approx(width, rel=0.35)
