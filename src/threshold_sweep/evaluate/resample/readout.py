"""How an interval is read from resampled values: percentile, or Efron's BCa with the
acceleration from a jackknife within the same strata (leaving rows out is one more weight
matrix, so it is vectorized too); and the checks that repair a degenerate interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from enum import Enum
from statistics import NormalDist

import numpy as np

from threshold_sweep.evaluate.resample.draws import chunk_sizes

PERCENTILE, BCA = "percentile", "bca"
INTERVALS = (PERCENTILE, BCA)  # how an interval is read from the resampled values
JACKKNIFE_ROWS = 200  # most leave-out evaluations for BCa; larger strata leave out groups
JACKKNIFE_STREAM = 1  # the groups' partition uses its own stream: resamples match percentile
TIE_TOLERANCE = 1e-12  # resampled values this close (relative) to the estimate count as ties

LeftOut = Callable[[list[np.ndarray]], dict[str, np.ndarray]]  # row groups -> metric per group
Scores = dict[str, float]
_NORMAL = NormalDist()


def collapsed(bounds: list[float], point: float) -> bool:
    """Whether an interval is a point (within rounding); NaN intervals are left alone."""
    low, high = bounds
    return bool(np.isfinite([low, high]).all() and high - low <= TIE_TOLERANCE * max(1, abs(point)))


def holding(bounds: list[float], point: float) -> list[float]:
    """An interval widened to hold its (finite) estimate."""
    low, high = bounds
    if not np.isfinite(point) or not np.isfinite([low, high]).all():
        return [low, high]
    return [min(low, point), max(high, point)]


def percentile_interval(samples: np.ndarray, level: float) -> list[float]:
    """Percentile interval of the finite samples."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return [float("nan"), float("nan")]
    low, high = np.quantile(finite, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [float(low), float(high)]


def bca_interval(
    samples: np.ndarray, point: float, acceleration: float, level: float
) -> list[float]:
    """Efron's BCa interval: quantiles of the finite samples at tail levels moved by the bias
    correction z0 (where the point estimate falls among them, ties counted half) and the
    acceleration a: alpha' = Phi(z0 + (z0 + z_alpha) / (1 - a (z0 + z_alpha))).

    Where the estimate lies outside the percentile interval (|z0| beyond the tail's quantile,
    infinite where every resample lies on one side: the estimate sits at the edge of what the
    resamples can give, and BCa collapses onto it), or without a finite estimate or
    acceleration, this is the percentile interval.
    """
    finite = samples[np.isfinite(samples)]
    if finite.size == 0 or not (np.isfinite(point) and np.isfinite(acceleration)):
        return percentile_interval(samples, level)
    tie = TIE_TOLERANCE * max(1.0, abs(point))
    below = np.count_nonzero(finite < point - tie) + np.count_nonzero(finite <= point + tie)
    share, tail = below / (2 * finite.size), (1 - level) / 2
    if not tail < share < 1 - tail:
        return percentile_interval(finite, level)  # z0 beyond the interval it corrects
    z0 = _NORMAL.inv_cdf(share)
    levels = []
    for tail in ((1 - level) / 2, 1 - (1 - level) / 2):
        shifted = z0 + _NORMAL.inv_cdf(tail)
        denominator = 1 - acceleration * shifted
        z = z0 + shifted / denominator if denominator > 0 else math.copysign(math.inf, shifted)
        levels.append(_NORMAL.cdf(z))
    low, high = np.quantile(finite, levels)
    return [float(low), float(high)]


def jackknife_shares(sizes: list[int], budget: int) -> list[int]:
    """How many leave-out groups each stratum gets: every row of the small strata, the rest of
    `budget` shared by the large ones (at least 2 per stratum); none for a stratum of one row,
    which every resample draws whole."""
    shares = [0] * len(sizes)
    left = sum(size > 1 for size in sizes)
    for i in sorted(range(len(sizes)), key=sizes.__getitem__):
        if sizes[i] > 1:
            shares[i] = min(sizes[i], max(2, budget // left))
            budget, left = budget - shares[i], left - 1
    return shares


def jackknife_groups(strata: list[np.ndarray], seed: int) -> list[list[np.ndarray]]:
    """Per stratum, the row groups the jackknife leaves out one at a time: single rows, or in a
    stratum larger than its share, a seeded random partition into that many groups."""
    rng = np.random.default_rng([seed, JACKKNIFE_STREAM])
    shares = jackknife_shares([len(rows) for rows in strata], JACKKNIFE_ROWS)
    groups = []
    for rows, share in zip(strata, shares, strict=True):
        if share == 0:
            groups.append([])
        elif share == len(rows):
            groups.append(np.split(rows, share))
        else:
            groups.append(np.array_split(rng.permutation(rows), share))
    return groups


def acceleration(left_out: LeftOut, n: int, strata: list[np.ndarray], seed: int) -> Scores:
    """BCa's acceleration of every metric from a stratified jackknife, as scipy computes it for
    several samples: a = sum_j sum_i U_ji^3 / m_j^3 / (6 (sum_j sum_i U_ji^2 / m_j^2)^1.5), where
    U_ji = (m_j - 1) (mean_i theta_(ji) - theta_(ji)) and stratum j is left out in m_j groups.

    Leaving out a group of rows is a row of weights (ones, zero on the group), so the whole
    jackknife is one weight matrix, evaluated by `left_out` in chunks like the resamples.
    Grouping (above JACKKNIFE_ROWS rows) keeps the sums' expectations: cumulants of sums add.
    """
    per_stratum = jackknife_groups(strata, seed)
    groups = [group for stratum in per_stratum for group in stratum]
    if not groups:
        return {}
    parts, start = [], 0
    for rows in chunk_sizes(len(groups), n):
        parts.append(left_out(groups[start : start + rows]))
        start += rows
    out = {}
    for metric in parts[0]:
        estimates = np.concatenate([part[metric] for part in parts])
        numerator = denominator = 0.0
        start = 0
        for stratum in per_stratum:
            m = len(stratum)
            values, start = estimates[start : start + m], start + m
            if m == 0 or np.ptp(values) <= TIE_TOLERANCE * max(1.0, abs(values.mean())):
                continue  # no spread beyond rounding: this stratum adds nothing
            u = (m - 1) * (values.mean() - values)
            numerator += np.sum(u**3) / m**3
            denominator += np.sum(u**2) / m**2
        out[metric] = float(numerator / (6 * denominator**1.5)) if denominator > 0 else 0.0
    return out


def resampled_intervals(
    samples: dict[str, np.ndarray],
    point: Scores,
    level: float,
    methods: Sequence[str | Enum],
    jackknife: tuple[LeftOut, int, list[np.ndarray], int],
) -> dict[str, dict[str, list[float]]]:
    """Every metric's interval from its resamples by each method (method -> metric -> [lo, hi]).

    `jackknife` is what BCa's acceleration needs: the metrics without each of some row groups,
    the number of rows, the strata the resamples were drawn within, the seed of the groups.
    """
    names = list(methods)
    out: dict[str, dict[str, list[float]]] = {}
    if PERCENTILE in names:
        out[PERCENTILE] = {m: percentile_interval(s, level) for m, s in samples.items()}
    if BCA in names:
        accelerations = acceleration(*jackknife)
        out[BCA] = {
            m: bca_interval(s, point[m], accelerations.get(m, 0.0), level)
            for m, s in samples.items()
        }
    return {name: out[name] for name in names}
