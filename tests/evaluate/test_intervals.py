"""Interval methods of the bootstrap: BCa against scipy and a slow jackknife, and the edge cases."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from threshold_sweep.conf import schema as config
from threshold_sweep.evaluate import bootstrap
from threshold_sweep.evaluate.bootstrap import (
    INTERVALS,
    METHODS,
    bootstrap_ci,
    bootstrap_intervals,
    paired_difference,
    paired_intervals,
)
from threshold_sweep.evaluate.resample import draws, readout
from threshold_sweep.evaluate.resample.draws import stratified_counts
from threshold_sweep.evaluate.resample.predictions import ClassPredictions, Predictions

SLOW_METRICS = {
    "roc_auc": lambda y, score, pred: skm.roc_auc_score(y, score),
    "balanced_accuracy": lambda y, score, pred: skm.balanced_accuracy_score(y, pred),
    "f1": lambda y, score, pred: skm.f1_score(y, pred, zero_division=0),
}


def tiny(n_pos: int = 9, n_neg: int = 23, seed: int = 3, digits: int = 2):
    """Few rows, scores rounded so that some tie."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    rng.shuffle(y)
    score = np.round(1 / (1 + np.exp(-(rng.normal(size=len(y)) + 1.2 * y))), digits)
    return y, score, (score >= 0.5).astype(np.int64)


def slow_acceleration(y, score, pred, metric) -> float:
    """BCa's acceleration by the book: leave each row out in turn (per class), recompute the
    metric with scikit-learn, combine the classes as scipy.stats.bootstrap does for samples."""
    numerator = denominator = 0.0
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        left_out = []
        for row in rows:
            keep = np.arange(len(y)) != row
            left_out.append(SLOW_METRICS[metric](y[keep], score[keep], pred[keep]))
        values = np.array(left_out)
        m = len(rows)
        u = (m - 1) * (values.mean() - values)
        numerator += np.sum(u**3) / m**3
        denominator += np.sum(u**2) / m**2
    return numerator / (6 * denominator**1.5)


@pytest.mark.parametrize("metric", sorted(SLOW_METRICS))
def test_jackknife_acceleration_equals_a_slow_leave_one_out(metric):
    y, score, pred = tiny()
    predictions = Predictions(y, score, pred)
    fast = readout.acceleration(predictions.left_out_metrics, len(y), draws.strata_of(y), 0)
    assert fast[metric] == pytest.approx(slow_acceleration(y, score, pred, metric), rel=1e-9)
    assert fast[metric] != 0


def snapped(values: np.ndarray, point: float) -> np.ndarray:
    """Resampled values equal to the estimate but for rounding, set to it exactly: scipy
    compares them with its own estimate bit for bit (ours counts them as ties)."""
    return np.where(np.isclose(values, point, rtol=0, atol=1e-12), point, values)


def test_left_out_metrics_equal_the_weighted_metrics_without_the_group():
    y, score, pred = tiny(30, 70, seed=4)
    groups = [np.array([0]), np.array([5, 17, 40]), np.flatnonzero(y == 1)[:3], np.array([99])]
    weights = np.ones((len(groups), len(y)))
    for row, group in enumerate(groups):
        weights[row, group] = 0
    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(3), len(y))
    for predictions in (Predictions(y, score, pred), ClassPredictions(y, proba, y)):
        left_out, expected = predictions.left_out_metrics(groups), predictions.metrics(weights)
        for metric, values in expected.items():
            np.testing.assert_allclose(left_out[metric], values, rtol=1e-12, err_msg=metric)


def two_samples(y, score, pred, metric):
    """scipy's data and statistic: the positives' and the negatives' rows as two samples."""
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)

    def statistic(pos, neg):
        rows = np.r_[pos, neg].astype(np.int64)
        return SLOW_METRICS[metric](y[rows], score[rows], pred[rows])

    return (positives.astype(float), negatives.astype(float)), statistic


@pytest.mark.parametrize("metric", sorted(SLOW_METRICS))
def test_bca_interval_equals_scipy_on_the_same_resamples(metric):
    """scipy.stats.bootstrap resamples each sample on its own, which is our stratification, and
    takes a bootstrap distribution from a previous result: given ours, its BCa is ours."""
    y, score, pred = tiny()
    predictions = Predictions(y, score, pred)
    resamples, seed = 2000, 7
    values = predictions.resampled_metrics(np.random.default_rng(seed), resamples)[metric]
    data, statistic = two_samples(y, score, pred, metric)
    values = snapped(values, statistic(*data))
    expected = stats.bootstrap(
        data,
        statistic,
        vectorized=False,
        n_resamples=0,
        confidence_level=0.9,
        method="BCa",
        bootstrap_result=SimpleNamespace(bootstrap_distribution=values),
    ).confidence_interval
    ours = bootstrap_intervals(predictions, resamples, 0.9, seed)
    assert ours["bca"][metric] == pytest.approx([expected.low, expected.high], rel=1e-12)
    assert ours["percentile"][metric] == pytest.approx(np.quantile(values, [0.05, 0.95]))
    if metric == "roc_auc":  # the others take few values: both may pick the same ones
        assert ours["bca"][metric] != ours["percentile"][metric]


def test_paired_bca_equals_scipy_on_the_same_resamples():
    y, score, pred = tiny(seed=5)
    rng = np.random.default_rng(6)
    other = np.round(np.clip(score + rng.normal(0, 0.15, len(y)), 0, 1), 2)
    other_pred = (other >= 0.5).astype(np.int64)
    first, second = Predictions(y, other, other_pred), Predictions(y, score, pred)
    resamples, seed = 1500, 2
    differences = np.concatenate(
        [
            second.metrics(w)["roc_auc"] - first.metrics(w)["roc_auc"]
            for w in stratified_counts(y, resamples, seed)
        ]
    )
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)

    def statistic(pos, neg):
        rows = np.r_[pos, neg].astype(np.int64)
        return skm.roc_auc_score(y[rows], score[rows]) - skm.roc_auc_score(y[rows], other[rows])

    expected = stats.bootstrap(
        (positives.astype(float), negatives.astype(float)),
        statistic,
        vectorized=False,
        n_resamples=0,
        method="BCa",
        bootstrap_result=SimpleNamespace(
            bootstrap_distribution=snapped(differences, statistic(positives, negatives))
        ),
    ).confidence_interval
    ours = paired_difference(first, second, ("roc_auc",), resamples, 0.95, seed, "bca")
    assert [ours["roc_auc"]["ci_low"], ours["roc_auc"]["ci_high"]] == pytest.approx(
        [expected.low, expected.high], rel=1e-12
    )
    assert ours["roc_auc"]["difference"] == pytest.approx(statistic(positives, negatives))


def test_methods_share_the_resamples_and_the_seed():
    y, score, pred = tiny(40, 160, seed=8)
    predictions = Predictions(y, score, pred)
    both = bootstrap_intervals(predictions, 300, 0.95, 4)
    for method in INTERVALS:
        assert bootstrap_ci(predictions, 300, 0.95, 4, method) == both[method]
        enum = config.IntervalMethod(method)
        assert bootstrap_ci(predictions, 300, 0.95, 4, enum) == both[method]
    assert bootstrap_ci(predictions, 300, 0.95, 5, "bca") != both["bca"]
    other = Predictions(y, np.sqrt(score), pred)
    metrics = ("roc_auc", "mcc")
    paired = paired_intervals(predictions, other, metrics, 300, 0.95, 4)
    for method in INTERVALS:
        assert (
            paired_difference(predictions, other, metrics, 300, 0.95, 4, method) == paired[method]
        )
    with pytest.raises(ValueError, match="percentile, bca, auto"):
        bootstrap_ci(predictions, 300, 0.95, 4, "studentized")
    with pytest.raises(ValueError, match="percentile, bca, auto"):
        bootstrap_intervals(predictions, 300, 0.95, 4, ("studentized",))
    every = bootstrap_intervals(predictions, 300, 0.95, 4, METHODS)
    assert every["auto"] == bootstrap_ci(predictions, 300, 0.95, 4, "auto")
    assert every["bca"] == both["bca"]


FORMULA_METRICS = ("accuracy", "balanced_accuracy", "recall", "specificity", "roc_auc")


def test_auto_takes_the_formulas_where_it_has_them_and_bca_elsewhere():
    y, score, pred = tiny(40, 160, seed=8)
    predictions = Predictions(y, score, pred)
    other = Predictions(y, np.sqrt(score), (np.sqrt(score) >= 0.6).astype(np.int64))
    every = bootstrap_intervals(predictions, 300, 0.95, 4, METHODS)
    assert bootstrap.DEFAULT_METHOD == "auto"
    assert bootstrap_ci(predictions, 300, 0.95, 4) == every["auto"]
    formulas = predictions.closed_form(0.95)
    assert set(formulas) == set(FORMULA_METRICS)
    for metric, bounds in every["auto"].items():
        expected = formulas[metric] if metric in formulas else every["bca"][metric]
        assert bounds == pytest.approx(expected, rel=1e-12), metric
    assert bootstrap.AUTO_INTERVALS == {"single": "bca", "paired": "percentile"}
    metrics = ("roc_auc", "balanced_accuracy", "mcc")
    default = paired_difference(predictions, other, metrics, 300, 0.95, 4)
    percentile = paired_difference(predictions, other, metrics, 300, 0.95, 4, "percentile")
    assert default["mcc"] == percentile["mcc"]
    assert default["roc_auc"]["difference"] == percentile["roc_auc"]["difference"]
    assert default["roc_auc"]["ci_low"] != percentile["roc_auc"]["ci_low"]


@pytest.mark.parametrize("method", list(config.IntervalMethod))
def test_the_ci_section_records_the_method_and_says_what_it_did(method):
    from threshold_sweep.evaluate.assess import _bootstrap

    y, score, pred = tiny(30, 90, seed=13)
    boot = SimpleNamespace(resamples=200, level=0.9, seed=3, method=method)
    predictions = Predictions(y, score, pred)
    drawn = bootstrap.drawn_metrics(predictions, y, 200, 3)  # the draws the references share
    section = _bootstrap(predictions, drawn, boot)
    assert section["interval_method"] == method.value
    assert section["method"] == bootstrap.METHOD_TEXT[method.value]
    name = method.value
    assert section["test"] == bootstrap.sampled_intervals(predictions, drawn, 0.9, 3, (name,))[name]
    own_draws = bootstrap_ci(predictions, 200, 0.9, 3, name)  # drawn per class in score order
    for metric, bounds in own_draws.items():
        np.testing.assert_allclose(section["test"][metric], bounds, atol=0.05, err_msg=metric)
    assert ("BCa" in section["method"]) == (method.value != "percentile")
    assert ("DeLong" in section["method"]) == (method.value == "auto")


def test_config_offers_every_method_and_defaults_to_the_module_default():
    assert [m.value for m in config.IntervalMethod] == list(METHODS)
    assert config.BootstrapConfig.method.value == bootstrap.DEFAULT_METHOD


@pytest.mark.parametrize("method", METHODS)
def test_intervals_hold_the_estimate_and_degenerate_cases_do_not_collapse(method):
    y, score, pred = tiny(60, 240, seed=9)
    predictions = Predictions(y, score, pred)
    point = predictions.metrics(np.ones((1, len(y))))
    for metric, (low, high) in bootstrap_ci(predictions, 500, 0.95, 0, method).items():
        assert low <= point[metric][0] <= high, metric
    separated = Predictions(y, 0.3 + 0.6 * y, y)  # every resample gives the same values
    point = separated.metrics(np.ones((1, len(y))))
    for metric, (low, high) in bootstrap_ci(separated, 200, 0.95, 0, method).items():
        assert low <= point[metric][0] <= high and high - low > 0.005, metric
    same = paired_difference(predictions, predictions, ("roc_auc", "mcc"), 200, 0.95, 0, method)
    assert all(c["ci_low"] == c["ci_high"] == 0 and c["within_noise"] for c in same.values())


def test_a_class_of_one_row_adds_nothing_to_the_acceleration():
    y, score, pred = tiny(1, 30, seed=10)
    predictions = Predictions(y, score, pred)
    groups = readout.jackknife_groups(draws.strata_of(y), 0)
    assert [len(g) for g in groups] == [30, 0]
    ci = bootstrap_ci(predictions, 300, 0.95, 0, "bca")
    assert all(np.isfinite(bounds).all() for bounds in ci.values())


def test_large_strata_are_left_out_in_random_groups(monkeypatch):
    monkeypatch.setattr(readout, "JACKKNIFE_ROWS", 50)
    y = np.r_[np.ones(12, np.int64), np.zeros(500, np.int64), np.full(300, 2)]
    strata = draws.strata_of(y)
    groups = readout.jackknife_groups(strata, 0)
    assert [len(g) for g in groups] == [19, 12, 19]  # the 12 rows one by one, 19 + 19 groups
    for rows, stratum in zip(strata, groups, strict=True):
        assert np.array_equal(np.sort(np.concatenate(stratum)), rows)
    assert not np.array_equal(np.concatenate(groups[0]), strata[0])  # shuffled, not in order
    assert all(len(group) == 1 for group in groups[1])


def test_grouped_jackknife_estimates_the_exact_acceleration(monkeypatch):
    """Cumulants of sums add, so leaving out random groups estimates the same acceleration:
    over seeds the grouped estimates scatter around the exact one, by a few thousandths (which
    move a 2.5 % tail by under 0.1 percentage point)."""
    rng = np.random.default_rng(11)
    y = (rng.uniform(size=3000) < 0.1).astype(np.int64)
    score = 1 / (1 + np.exp(-(rng.normal(size=len(y)) + 2.5 * y)))
    predictions = Predictions(y, score, (score >= 0.5).astype(np.int64))
    strata = draws.strata_of(y)
    grouped = [
        readout.acceleration(predictions.left_out_metrics, len(y), strata, s) for s in range(8)
    ]
    monkeypatch.setattr(readout, "JACKKNIFE_ROWS", len(y))
    exact = readout.acceleration(predictions.left_out_metrics, len(y), strata, 0)
    assert exact["roc_auc"] < -0.02  # bounded above at 1: skewed to the left
    for metric, value in exact.items():
        estimates = np.array([g[metric] for g in grouped])
        assert abs(estimates.mean() - value) < 0.005, metric
        assert estimates.std() < 0.006, metric


def test_three_class_bca_resamples_within_each_class():
    rng = np.random.default_rng(12)
    y = rng.integers(0, 3, 240)
    proba = rng.dirichlet(np.ones(3), len(y)) + np.eye(3)[y]
    proba /= proba.sum(axis=1, keepdims=True)
    predictions = ClassPredictions(y, proba, proba.argmax(axis=1))
    both = bootstrap_intervals(predictions, 300, 0.95, 0)
    point = predictions.metrics(np.ones((1, len(y))))
    for metric, (low, high) in both["bca"].items():
        assert low <= point[metric][0] <= high, metric
    assert both["bca"] != both["percentile"]
