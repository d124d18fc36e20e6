"""Closed-form intervals where the bootstrap misses at small test sets (chosen by
benchmarks/bench_coverage.py): Wilson for proportions, MOVER sums of Wilson intervals for
accuracy and balanced accuracy, DeLong (logit scale) for ROC-AUC with a Hanley-McNeil score
interval where DeLong's variance vanishes, stratified influence-function (DeLong-type)
variances for paired differences, and a Jeffreys posterior of the confusion matrix where a
confusion metric's bootstrap collapses to a point.

A row's influence on a metric is its share of the estimate's error: for ROC-AUC its placement
minus the AUC over its class size (DeLong's structural components), for balanced accuracy its
hit over twice its class size. Rows are resampled within strata (true classes, or combinations
of two runs' classes), so a sum of influences has the variance sum_s n_s var_s.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from scipy import optimize

Bounds = list[float]
POSTERIOR_DRAWS = 4000  # Jeffreys posterior draws of a collapsed confusion metric
POSTERIOR_SEED = 0
_NORMAL = NormalDist()


def z_value(level: float) -> float:
    """The two-sided standard normal quantile of `level`."""
    return _NORMAL.inv_cdf(1 - (1 - level) / 2)


def wilson(successes: float, trials: float, level: float) -> Bounds:
    """Wilson's score interval of a proportion; [0, 1] without trials."""
    if trials <= 0:
        return [0.0, 1.0]
    z, p = z_value(level), successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
    return [max(0.0, centre - half), min(1.0, centre + half)]


def mover_sum(estimates: list[float], bounds: list[Bounds], weights: list[float]) -> Bounds:
    """Zou and Donner's MOVER interval of sum_i w_i p_i (w_i >= 0) from each p_i's interval."""
    point = sum(w * p for w, p in zip(weights, estimates, strict=True))
    below = sum((w * (p - b[0])) ** 2 for w, p, b in zip(weights, estimates, bounds, strict=True))
    above = sum((w * (b[1] - p)) ** 2 for w, p, b in zip(weights, estimates, bounds, strict=True))
    return [point - math.sqrt(below), point + math.sqrt(above)]


def placements(s_pos: np.ndarray, s_neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components: each positive's share of negatives scored below it and
    each negative's share of positives scored above it (ties count half)."""
    sorted_neg, sorted_pos = np.sort(s_neg), np.sort(s_pos)
    below = np.searchsorted(sorted_neg, s_pos, "left") + np.searchsorted(sorted_neg, s_pos, "right")
    not_above = np.searchsorted(sorted_pos, s_neg, "left") + np.searchsorted(
        sorted_pos, s_neg, "right"
    )
    v10 = below / (2 * max(len(s_neg), 1))
    v01 = 1 - not_above / (2 * max(len(s_pos), 1))
    return v10, v01


def _hanley_mcneil_variance(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley and McNeil's variance of an AUC estimate under their exponential model."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    return (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg
    )


def hanley_mcneil_score(auc: float, n_pos: int, n_neg: int, level: float) -> Bounds:
    """The AUCs t with (auc - t)^2 <= z^2 var_HM(t): never a point, even at an AUC of 0 or 1
    ([0, 1] without rows of both classes)."""
    if n_pos == 0 or n_neg == 0 or not np.isfinite(auc):
        return [0.0, 1.0]
    z2 = z_value(level) ** 2

    def gap(t: float) -> float:
        return (auc - t) ** 2 - z2 * _hanley_mcneil_variance(t, n_pos, n_neg)

    step, low, high = 1e-9, 0.0, 1.0
    if auc > step and gap(step) > 0:
        low = optimize.brentq(gap, step, auc - step)
    if auc < 1 - step and gap(1 - step) > 0:
        high = optimize.brentq(gap, auc + step, 1 - step)
    return [low, high]


def auc_interval(s_pos: np.ndarray, s_neg: np.ndarray, level: float) -> Bounds:
    """ROC-AUC: Wald on the logit scale with DeLong's variance; where the AUC is 0 or 1 or the
    variance is 0, the Hanley-McNeil score interval."""
    n_pos, n_neg = len(s_pos), len(s_neg)
    if n_pos == 0 or n_neg == 0:
        return [0.0, 1.0]
    v10, v01 = placements(s_pos, s_neg)
    auc = float(v10.mean())
    variance = _variance(v10) / n_pos + _variance(v01) / n_neg
    if not (0 < auc < 1) or variance <= 0:
        return hanley_mcneil_score(auc, n_pos, n_neg, level)
    logit, se = math.log(auc / (1 - auc)), math.sqrt(variance) / (auc * (1 - auc))
    z = z_value(level)
    return [_expit(logit - z * se), _expit(logit + z * se)]


def _variance(values: np.ndarray) -> float:
    """Sample variance (n - 1), 0 for fewer than two values."""
    return float(np.var(values, ddof=1)) if len(values) > 1 else 0.0


def _expit(t: float) -> float:
    return 1 / (1 + math.exp(-t))


def auc_influence(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Each row's influence on the ROC-AUC (row order): placement minus AUC over class size."""
    positive = y_true == 1
    v10, v01 = placements(y_score[positive], y_score[~positive])
    auc = v10.mean() if len(v10) else 0.0
    out = np.empty(len(y_true))
    out[positive] = (v10 - auc) / max(len(v10), 1)
    out[~positive] = (v01 - auc) / max(len(v01), 1)
    return out


def class_shares(y_true: np.ndarray) -> np.ndarray:
    """1 / (number of classes present x the row's class size): a hit's share of balanced
    accuracy, per row."""
    classes, inverse, counts = np.unique(y_true, return_inverse=True, return_counts=True)
    return 1 / (len(classes) * counts[inverse])


def stratified_variance(influence: np.ndarray, strata: np.ndarray) -> float:
    """The variance of a sum of influences when rows are drawn within strata (n - 1 per
    stratum): DeLong's variance, paired or not."""
    total = 0.0
    for value in np.unique(strata):
        rows = influence[strata == value]
        if len(rows) > 1:
            total += len(rows) * _variance(rows)
    return total


def paired_auc_interval(
    difference: float, influence: np.ndarray, strata: np.ndarray, level: float
) -> Bounds | None:
    """Wald interval of second - first ROC-AUC from the rows' influence differences (DeLong's
    paired test on shared labels); None where the variance is 0."""
    variance = stratified_variance(influence, strata)
    if variance <= 0:
        return None
    half = z_value(level) * math.sqrt(variance)
    return [max(-1.0, difference - half), min(1.0, difference + half)]


def paired_balanced_accuracy_interval(
    difference: float,
    shares: tuple[np.ndarray, np.ndarray],
    hits: tuple[np.ndarray, np.ndarray],
    strata: np.ndarray,
    level: float,
) -> Bounds:
    """Wald interval of second - first balanced accuracy around the estimate, each stratum's
    variance taken with Bonett and Price's two pseudo-rows (one only the second run gets right,
    one only the first): never a point, and small strata are not overconfident."""
    influence = shares[1] * hits[1] - shares[0] * hits[0]
    variance = 0.0
    for value in np.unique(strata):
        rows = strata == value
        n = int(rows.sum())
        share_first, share_second = shares[0][rows][0], shares[1][rows][0]
        augmented = np.r_[influence[rows], share_second, -share_first]
        variance += n**2 * float(np.var(augmented)) / (n + 2)
    half = z_value(level) * math.sqrt(variance)
    return [max(-1.0, difference - half), min(1.0, difference + half)]


def mover_difference(point: tuple[float, float], bounds: tuple[Bounds, Bounds]) -> Bounds:
    """MOVER interval of second - first from each run's interval, taken as uncorrelated (wider
    than a paired interval): for differences whose paired resamples are all equal."""
    (first, second), ((low1, high1), (low2, high2)) = point, bounds
    difference = second - first
    below = math.hypot(second - low2, high1 - first)
    above = math.hypot(high2 - second, first - low1)
    return [difference - below, difference + above]


def jeffreys_confusions(rows: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """(draws, k, k) confusion matrices: each true class's row of counts redrawn as its size
    times a Dirichlet(counts + 1/2) share (Jeffreys' prior), for metrics whose resamples are
    all equal (no errors in a class, or a class never predicted)."""
    rng = np.random.default_rng([seed, POSTERIOR_SEED])
    out = np.zeros((draws, *rows.shape))
    for c, counts in enumerate(rows):
        total = counts.sum()
        if total > 0:
            out[:, c, :] = total * rng.dirichlet(counts + 0.5, size=draws)
    return out


def quantile_interval(values: np.ndarray, point: float, level: float) -> Bounds:
    """The equal-tailed quantiles of `values`, widened to hold `point`."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return [point, point]
    low, high = np.quantile(finite, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [float(min(low, point)), float(max(high, point))]
