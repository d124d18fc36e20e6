"""The closed-form intervals auto uses (evaluate/intervals.py) against independent computations
(SciPy, scikit-learn, pairwise kernels written out), and the degenerate cases: no interval is a
point, and every interval holds its estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from threshold_sweep.evaluate import intervals
from threshold_sweep.evaluate.bootstrap import (
    METHODS,
    bootstrap_ci,
    paired_closed_form,
    paired_difference,
)
from threshold_sweep.evaluate.resample.predictions import ClassPredictions, Predictions

Z = stats.norm.ppf(0.975)


def binormal(n_pos: int, n_neg: int, d: float = 1.5, seed: int = 0, cutoff: float = 0.7):
    """Labels, binormal scores (squashed to 0-1, rounded so that some tie) and labels at cutoff."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)]
    raw = d * y + rng.standard_normal(len(y))
    score = np.round(1 / (1 + np.exp(-raw)), 2)
    return y, score, (raw >= cutoff).astype(np.int64)


@pytest.mark.parametrize(("k", "n"), [(0, 8), (3, 8), (8, 8), (17, 43), (555, 557), (0, 1)])
def test_wilson_equals_scipy(k, n):
    expected = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert intervals.wilson(k, n, 0.95) == pytest.approx([expected.low, expected.high], abs=1e-12)
    assert intervals.wilson(k, 0, 0.95) == [0.0, 1.0]


def test_recall_and_specificity_are_wilson_intervals_of_scikit_learn_counts():
    y, score, pred = binormal(9, 23, seed=1)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    ci = Predictions(y, score, pred).closed_form(0.95)
    for metric, (k, n) in {"recall": (tp, tp + fn), "specificity": (tn, tn + fp)}.items():
        expected = stats.binomtest(int(k), int(n)).proportion_ci(0.95, method="wilson")
        assert ci[metric] == pytest.approx([expected.low, expected.high], abs=1e-12), metric


def test_balanced_accuracy_and_accuracy_are_mover_sums_of_the_two_wilson_intervals():
    y, score, pred = binormal(9, 23, seed=2)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    r, s = tp / (tp + fn), tn / (tn + fp)
    (rl, ru), (sl, su) = intervals.wilson(tp, tp + fn, 0.95), intervals.wilson(tn, tn + fp, 0.95)
    ci = Predictions(y, score, pred).closed_form(0.95)
    ba = skm.balanced_accuracy_score(y, pred)
    low = ba - 0.5 * math.hypot(r - rl, s - sl)
    high = ba + 0.5 * math.hypot(ru - r, su - s)
    assert ci["balanced_accuracy"] == pytest.approx([low, high], abs=1e-12)
    w = np.array([9, 23]) / 32
    acc = skm.accuracy_score(y, pred)
    low = acc - math.hypot(w[0] * (r - rl), w[1] * (s - sl))
    high = acc + math.hypot(w[0] * (ru - r), w[1] * (su - s))
    assert ci["accuracy"] == pytest.approx([low, high], abs=1e-12)


def kernel(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """The Mann-Whitney kernel of every (positive, negative) pair: 1 above, 1/2 tied."""
    return (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])


def delong_components(y, score):
    """DeLong's V10 and V01 from the pairwise kernel."""
    pairs = kernel(score[y == 1], score[y == 0])
    return pairs.mean(axis=1), pairs.mean(axis=0)


def test_roc_auc_is_delong_on_the_logit_scale():
    y, score, pred = binormal(8, 24, seed=3)
    v10, v01 = delong_components(y, score)
    auc = skm.roc_auc_score(y, score)
    assert v10.mean() == pytest.approx(auc)
    variance = np.var(v10, ddof=1) / len(v10) + np.var(v01, ddof=1) / len(v01)
    logit, se = math.log(auc / (1 - auc)), math.sqrt(variance) / (auc * (1 - auc))
    expected = [1 / (1 + math.exp(-(logit + sign * Z * se))) for sign in (-1, 1)]
    assert Predictions(y, score, pred).closed_form(0.95)["roc_auc"] == pytest.approx(expected)


def test_hanley_mcneil_score_interval_solves_its_equation_and_is_never_a_point():
    for auc, n_pos, n_neg in [(1.0, 8, 24), (0.0, 15, 15), (0.85, 43, 557)]:
        low, high = intervals.hanley_mcneil_score(auc, n_pos, n_neg, 0.95)
        assert low <= auc <= high and high - low > 0.01
        for end in (low, high):
            if 0 < end < 1:
                q1, q2 = end / (2 - end), 2 * end**2 / (1 + end)
                var = (
                    end * (1 - end) + (n_pos - 1) * (q1 - end**2) + (n_neg - 1) * (q2 - end**2)
                ) / (n_pos * n_neg)
                assert (auc - end) ** 2 == pytest.approx(Z**2 * var, rel=1e-6)
    y = np.r_[np.ones(8, np.int64), np.zeros(24, np.int64)]
    perfect = Predictions(y, 0.2 + 0.6 * y + np.linspace(0, 0.1, 32), y)
    low, high = perfect.closed_form(0.95)["roc_auc"]
    assert high == 1 and 0.7 < low < 0.95


def test_paired_roc_auc_is_delongs_paired_test():
    y, score, _ = binormal(10, 30, seed=4)
    other = np.round(np.clip(score + np.random.default_rng(5).normal(0, 0.15, len(y)), 0, 1), 2)
    first, second = Predictions(y, other, other >= 0.5), Predictions(y, score, score >= 0.5)
    (a10, a01), (b10, b01) = delong_components(y, other), delong_components(y, score)
    m, n = len(a10), len(a01)
    cov10, cov01 = np.cov(a10, b10), np.cov(a01, b01)
    variance = (cov10[0, 0] + cov10[1, 1] - 2 * cov10[0, 1]) / m + (
        cov01[0, 0] + cov01[1, 1] - 2 * cov01[0, 1]
    ) / n
    difference = skm.roc_auc_score(y, score) - skm.roc_auc_score(y, other)
    half = Z * math.sqrt(variance)
    ours = paired_difference(first, second, ("roc_auc",), 200, 0.95, 0)["roc_auc"]
    assert ours["difference"] == pytest.approx(difference)
    expected = [difference - half, difference + half]
    assert [ours["ci_low"], ours["ci_high"]] == pytest.approx(expected)


def test_paired_roc_auc_of_two_labellings_has_the_bootstrap_variance():
    """Runs with different true classes (two thresholds on the same rows): the influence
    variance within the strata of both labellings agrees with the paired bootstrap's."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=400)
    y_a, y_b = (x > 0.3).astype(np.int64), (x > 0.9).astype(np.int64)
    score = x + rng.normal(0, 0.8, len(x))
    first = Predictions(y_a, score, (score > 0.3).astype(np.int64))
    second = Predictions(y_b, score, (score > 0.9).astype(np.int64))
    percentile = paired_difference(first, second, ("roc_auc",), 4000, 0.95, 0, "percentile")
    ours = paired_difference(first, second, ("roc_auc",), 200, 0.95, 0)
    width = ours["roc_auc"]["ci_high"] - ours["roc_auc"]["ci_low"]
    boot = percentile["roc_auc"]["ci_high"] - percentile["roc_auc"]["ci_low"]
    assert width == pytest.approx(boot, rel=0.1)


def test_paired_balanced_accuracy_has_bonett_price_pseudo_rows_per_class():
    y, score, pred = binormal(10, 30, seed=7)
    other = binormal(10, 30, seed=8)[2]
    first, second = Predictions(y, score, other), Predictions(y, score, pred)
    variance = 0.0
    for label in (1, 0):
        rows = y == label
        right_2, right_1 = pred[rows] == label, other[rows] == label
        n = int(rows.sum())
        b = np.sum(right_2 & ~right_1)
        c = np.sum(right_1 & ~right_2)
        p12, p21 = (b + 1) / (n + 2), (c + 1) / (n + 2)
        variance += (p12 + p21 - (p12 - p21) ** 2) / (n + 2) / 4
    difference = skm.balanced_accuracy_score(y, pred) - skm.balanced_accuracy_score(y, other)
    strata = y * 2 + y
    ours = paired_closed_form(first, second, {"balanced_accuracy": difference}, strata, 0.95)
    half = Z * math.sqrt(variance)
    expected = [difference - half, difference + half]
    assert ours["balanced_accuracy"] == pytest.approx(expected)


def test_jeffreys_posterior_of_a_proportion_gives_the_jeffreys_interval():
    y = np.r_[np.ones(8, np.int64), np.zeros(24, np.int64)]
    predictions = Predictions(y, np.linspace(0, 1, 32), y)  # recall 8/8: bootstrap collapses
    low, high = predictions.fallback(["recall"], 0.95, 0)["recall"]
    assert high == 1
    assert low == pytest.approx(stats.beta.ppf(0.025, 8.5, 0.5), abs=0.01)


def degenerate_runs() -> dict[str, Predictions]:
    """Binary runs whose class-stratified resamples all give the same label metrics."""
    y = np.r_[np.ones(8, np.int64), np.zeros(24, np.int64)]
    spread = np.linspace(0, 0.2, 32)
    return {
        "all correct": Predictions(y, 0.3 + 0.5 * y + spread, y),
        "one class predicted": Predictions(y, 0.3 + 0.2 * y + spread, np.zeros(32, np.int64)),
        "all positive, ranked backwards": Predictions(y, 0.5 - 0.3 * y + spread, np.ones(32)),
    }


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(degenerate_runs()))
def test_no_interval_is_a_point_and_each_holds_its_estimate(method, name):
    predictions = degenerate_runs()[name]
    point = predictions.metrics(np.ones((1, len(predictions.y_true))))
    for metric, (low, high) in bootstrap_ci(predictions, 300, 0.95, 0, method).items():
        assert low <= point[metric][0] <= high, metric
        assert high - low > 0.01, metric  # shows at 3 decimals


def test_a_one_class_model_gets_an_interval_around_a_balanced_accuracy_of_one_half():
    predictions = degenerate_runs()["one class predicted"]
    low, high = bootstrap_ci(predictions, 300, 0.95, 0)["balanced_accuracy"]
    assert low < 0.5 < high
    low, high = bootstrap_ci(predictions, 300, 0.95, 0)["specificity"]
    expected = stats.binomtest(24, 24).proportion_ci(0.95, method="wilson")
    assert [low, high] == pytest.approx([expected.low, 1.0])


@pytest.mark.parametrize("method", METHODS)
def test_three_class_degenerate_intervals_are_not_points(method):
    rng = np.random.default_rng(9)
    y = np.repeat([0, 1, 2], [6, 10, 14])
    proba = 0.2 * rng.dirichlet(np.ones(3), len(y)) + 0.8 * np.eye(3)[y]
    predictions = ClassPredictions(y, proba, y)  # every row right: label metrics 1
    point = predictions.metrics(np.ones((1, len(y))))
    for metric, (low, high) in bootstrap_ci(predictions, 300, 0.95, 0, method).items():
        assert low <= point[metric][0] <= high, metric
        assert high - low > 0.01, metric


@pytest.mark.parametrize("method", METHODS)
def test_a_paired_difference_of_two_perfect_models_is_not_a_point(method):
    runs = degenerate_runs()
    y = runs["all correct"].y_true
    other = Predictions(y, 0.1 + 0.8 * y + np.linspace(0, 0.05, 32), y)
    metrics = ("roc_auc", "balanced_accuracy", "mcc")
    compared = paired_difference(runs["all correct"], other, metrics, 300, 0.95, 0, method)
    for metric, c in compared.items():
        assert c["difference"] == 0 and c["within_noise"], metric
        assert c["ci_high"] - c["ci_low"] > 0.01, metric
    same = paired_difference(other, other, metrics, 300, 0.95, 0, method)
    assert all(c["ci_low"] == c["ci_high"] == 0 for c in same.values())


@pytest.mark.parametrize("method", METHODS)
def test_rows_of_one_class_only_give_intervals_without_failing(method):
    y = np.zeros(10, np.int64)
    ci = bootstrap_ci(Predictions(y, np.linspace(0, 1, 10), y), 100, 0.95, 0, method)
    assert ci["specificity"][0] < 1 == ci["specificity"][1]
    assert ci["roc_auc"] == [0.0, 1.0]  # undefined: the score interval without both classes


def test_a_collapsed_k_class_model_gets_a_log_loss_interval_from_the_class_shares():
    from threshold_sweep.evaluate.bootstrap import bootstrap_ci
    from threshold_sweep.evaluate.resample.predictions import ClassPredictions

    y = np.repeat(np.arange(4), [30, 20, 10, 40])
    proba = np.tile([0.1, 0.2, 0.3, 0.4], (len(y), 1))  # the same answer for every row
    predictions = ClassPredictions(y, proba, proba.argmax(axis=1))
    low, high = bootstrap_ci(predictions, 200, 0.95, 0, "auto")["log_loss"]
    point = skm.log_loss(y, proba)
    losses = -np.log([0.1, 0.2, 0.3, 0.4])
    assert low < point < high  # no zero width, the estimate inside
    assert losses.min() <= low and high <= losses.max()  # a mix of the classes' losses
