"""Two settings compared once per metric, pooled over their repeats, and judged against a margin.

The paired difference (second - first) on the shared test rows is pooled over every training:
- one training per setting: the paired bootstrap's CI (test-row noise only; training noise is
  not measured, and the verdict says so);
- two or more seed pairs: the mean of the seed pairs' differences, with a CI from both sources
  of noise: the test-row bootstrap of that mean (the same resampled rows for every pair, so
  their correlation is kept) plus the spread of the pairs over seeds divided by their number;
  a t quantile with Welch-Satterthwaite degrees of freedom;
- k-fold runs: the corrected resampled t over the held-out folds of every seed pair (Nadeau &
  Bengio 2003; Bouckaert & Frank 2004 for repeats): var = (1/J + n_test/n_train) s^2, J - 1
  degrees of freedom, since folds share training rows and a plain paired t is too eager.
Equivalence is claimed only by two one-sided tests against evaluate.equivalence_margin: the
(1 - 2 alpha) CI inside +-margin. A difference beyond noise but inside the margin is negligible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from threshold_sweep.evaluate.resample.draws import stratified_counts
from threshold_sweep.evaluate.resample.predictions import WeightedMetrics
from threshold_sweep.evaluate.task import Task
from threshold_sweep.evaluate.threshold_curve import is_log_scale, near_shares, near_width
from threshold_sweep.results.read import config_values
from threshold_sweep.sweep.naming import group_label
from threshold_sweep.sweep.stats import _load_predictions, _pairs, _side

MARGIN_KEY = "evaluate.equivalence_margin"
DEFAULT_MARGIN = 0.02
HIGHER, LOWER = "higher", "lower"
NEGLIGIBLE, EQUIVALENT, UNDETECTED = "negligible", "equivalent", "no difference detected"
_NORMAL = NormalDist()

Sides = list[tuple[WeightedMetrics, WeightedMetrics]]  # (first, second) per seed pair


def judge(low: float, high: float, tost_low: float, tost_high: float, margin: float) -> str:
    """The verdict on a difference: higher / lower beyond noise, negligible (beyond noise but
    within +-margin by two one-sided tests), equivalent (within noise and the margin), or no
    difference detected (the CI holds 0 but is too wide for equivalence)."""
    inside = -margin < tost_low and tost_high < margin
    if low > 0 or high < 0:
        if inside:
            return NEGLIGIBLE
        return HIGHER if low > 0 else LOWER
    return EQUIVALENT if inside else UNDETECTED


def equivalence_interval(
    difference: float, low: float, high: float, level: float
) -> tuple[float, float]:
    """The (2 level - 1) interval of two one-sided tests at alpha = 1 - level, read from the
    `level` CI by shrinking each side by the ratio of the normal quantiles."""
    shrink = _NORMAL.inv_cdf(level) / _NORMAL.inv_cdf((1 + level) / 2)
    return difference - (difference - low) * shrink, difference + (high - difference) * shrink


def t_interval(mean: float, variance: float, df: float, level: float) -> tuple[float, float]:
    """mean -+ t_(df) quantile x sqrt(variance) (normal quantile at infinite df)."""
    quantile = (
        stats.t.ppf((1 + level) / 2, df) if math.isfinite(df) else stats.norm.ppf((1 + level) / 2)
    )
    half = float(quantile) * math.sqrt(max(variance, 0.0))
    return mean - half, mean + half


def satterthwaite_df(row_variance: float, seed_variance: float, n_seeds: int) -> float:
    """Degrees of freedom of row_variance + seed_variance when only the second is estimated
    from n_seeds values (the bootstrap's has as many as it needs)."""
    if seed_variance <= 0 or n_seeds < 2:
        return math.inf
    return (row_variance + seed_variance) ** 2 / (seed_variance**2 / (n_seeds - 1))


def pooled_over_seeds(
    differences: np.ndarray, row_samples: np.ndarray, level: float
) -> dict[str, float]:
    """Mean of the seed pairs' differences with a CI from the test rows' bootstrap of that mean
    (`row_samples`) and the seeds' spread."""
    n = len(differences)
    row_variance = float(np.var(row_samples[np.isfinite(row_samples)], ddof=1))
    seed_variance = float(np.var(differences, ddof=1)) / n if n > 1 else 0.0
    df = satterthwaite_df(row_variance, seed_variance, n)
    mean = float(np.mean(differences))
    low, high = t_interval(mean, row_variance + seed_variance, df, level)
    tost = t_interval(mean, row_variance + seed_variance, df, 2 * level - 1)
    return {
        "difference": mean,
        "ci_low": low,
        "ci_high": high,
        "df": df,
        "tost_low": tost[0],
        "tost_high": tost[1],
    }


def corrected_resampled_t(
    differences: np.ndarray, test_to_train: float, level: float
) -> dict[str, float]:
    """Nadeau & Bengio's corrected resampled t over J held-out fold differences:
    var = (1/J + n_test/n_train) s^2, J - 1 degrees of freedom."""
    j = len(differences)
    variance = (1 / j + test_to_train) * float(np.var(differences, ddof=1)) if j > 1 else math.inf
    mean = float(np.mean(differences))
    df = float(j - 1) if j > 1 else math.inf
    low, high = t_interval(mean, variance, df, level)
    tost = t_interval(mean, variance, df, 2 * level - 1)
    return {
        "difference": mean,
        "ci_low": low,
        "ci_high": high,
        "df": df,
        "tost_low": tost[0],
        "tost_high": tost[1],
    }


def _mean_difference_resamples(
    sides: Sides, metrics: Sequence[str], n_resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """The bootstrap of the mean (over seed pairs) difference: every pair scored on the same
    resampled test rows, drawn within each combination of the two settings' classes."""
    first, second = sides[0]
    strata = first.y_true * (second.y_true.max() + 1) + second.y_true
    chunks: dict[str, list[np.ndarray]] = {metric: [] for metric in metrics}
    for weights in stratified_counts(strata, n_resamples, seed):
        scored = [(a.metrics(weights), b.metrics(weights)) for a, b in sides]
        for metric in metrics:
            chunks[metric].append(np.mean([b[metric] - a[metric] for a, b in scored], axis=0))
    return {metric: np.concatenate(parts) for metric, parts in chunks.items()}


def _fold_differences(
    merged: pd.DataFrame, sides: tuple[WeightedMetrics, WeightedMetrics], metrics: Sequence[str]
) -> tuple[dict[str, np.ndarray], float]:
    """Per held-out fold (and repeat), second - first of each metric; and n_test / n_train."""
    keys = [c for c in ("repeat_a", "fold_a") if c in merged]
    folds = merged.groupby(keys, sort=True).indices
    weights = np.zeros((len(folds), len(merged)))
    for i, rows in enumerate(folds.values()):
        weights[i, rows] = 1.0
    first, second = (side.metrics(weights) for side in sides)
    repeats = merged["repeat_a"].nunique() if "repeat_a" in merged else 1
    rows_per_repeat = len(merged) / repeats  # every row is held out once per repeat
    test_rows = float(np.mean(weights.sum(axis=1)))
    return {m: second[m] - first[m] for m in metrics}, test_rows / (rows_per_repeat - test_rows)


def _margin(root: Path, run: str) -> float:
    """evaluate.equivalence_margin of a run (the default for runs written before it)."""
    value = config_values(root / run, [MARGIN_KEY]).get(MARGIN_KEY)
    try:
        return float(value) if value is not None else DEFAULT_MARGIN
    except ValueError:
        return DEFAULT_MARGIN


def _group_pairs(table: pd.DataFrame, keys: list[str]) -> dict[tuple[str, str], list]:
    """The seed pairs (row index pairs) of each pair of groups."""
    grouped: dict[tuple[str, str], list] = {}
    for i, j in _pairs(table, keys):
        names = (group_label(table.iloc[i], keys), group_label(table.iloc[j], keys))
        grouped.setdefault(names, []).append((i, j))
    return grouped


def _merged_pairs(
    root: Path, table: pd.DataFrame, pairs: list
) -> tuple[list[pd.DataFrame], Task, dict[str, Any]] | None:
    """Each seed pair's predictions merged on id (sorted by id), the task and the first run's
    metrics.json; None unless every pair shares the same test rows and task."""
    merged, first_result, ids = [], None, None
    for i, j in pairs:
        pred_a, result_a = _load_predictions(root / table.iloc[i]["run"])
        pred_b, result_b = _load_predictions(root / table.iloc[j]["run"])
        task = Task.of(result_a)
        if task.n_classes != Task.of(result_b).n_classes:
            return None
        if len(pred_a) != len(pred_b) or set(pred_a["id"]) != set(pred_b["id"]):
            return None
        frame = pred_a.merge(pred_b, on="id", suffixes=("_a", "_b")).sort_values("id")
        if ids is not None and not np.array_equal(ids, frame["id"].to_numpy()):
            return None
        ids = frame["id"].to_numpy()
        merged.append(frame.reset_index(drop=True))
        first_result = first_result or result_a
    return merged, Task.of(first_result), first_result


def _pool(merged: list[pd.DataFrame], task: Task, ci: dict[str, Any]) -> dict[str, dict]:
    """Every paired metric's pooled difference, CI, equivalence interval, df and method."""
    sides = [(_side(frame, task, "_a"), _side(frame, task, "_b")) for frame in merged]
    metrics, level = task.paired_metrics, float(ci["level"])
    if "fold_a" in merged[0]:
        parts = [
            _fold_differences(frame, pair, metrics)
            for frame, pair in zip(merged, sides, strict=True)
        ]
        ratio = float(np.mean([ratio for _, ratio in parts]))
        out = {}
        for metric in metrics:
            folds = np.concatenate([differences[metric] for differences, _ in parts])
            out[metric] = {**corrected_resampled_t(folds, ratio, level), "folds": len(folds)}
        return out
    samples = _mean_difference_resamples(sides, metrics, int(ci["n_resamples"]), int(ci["seed"]))
    ones = np.ones((1, len(merged[0])))
    scored = [(a.metrics(ones), b.metrics(ones)) for a, b in sides]
    out = {}
    for metric in metrics:
        points = np.array([float(b[metric][0] - a[metric][0]) for a, b in scored])
        out[metric] = {**pooled_over_seeds(points, samples[metric], level), "folds": 0}
    return out


def _single(rows: pd.DataFrame) -> dict[str, dict]:
    """One seed pair: its paired bootstrap result per metric, with the equivalence interval."""
    out = {}
    for _, row in rows.iterrows():
        tost = equivalence_interval(row["difference"], row["ci_low"], row["ci_high"], row["level"])
        out[row["metric"]] = {
            "difference": row["difference"],
            "ci_low": row["ci_low"],
            "ci_high": row["ci_high"],
            "df": math.inf,
            "tost_low": tost[0],
            "tost_high": tost[1],
            "folds": 0,
        }
    return out


def _near(frame: pd.DataFrame, first: pd.Series, second: pd.Series) -> dict[str, float]:
    """The share of the shared test rows whose x lies near each run's threshold (as the
    threshold curve measures it), when the two runs cut x at different thresholds."""
    thresholds = [first.get("threshold"), second.get("threshold")]
    if "x_a" not in frame or any(pd.isna(t) for t in thresholds) or thresholds[0] == thresholds[1]:
        return {}
    x = frame["x_a"].to_numpy(dtype=float)
    log = is_log_scale(x)
    shares = near_shares(x, [float(t) for t in thresholds], log, near_width(x, log))
    return {"near_first": float(shares[0]), "near_second": float(shares[1])}


def pooled_comparisons(
    root: Path, table: pd.DataFrame, keys: list[str], paired: pd.DataFrame
) -> pd.DataFrame:
    """One row per pair of groups and paired metric: the difference pooled over every seed pair
    (and fold), its CI, the equivalence interval, the margin, the verdict and the trainings."""
    rows = []
    if paired.empty or "difference" not in paired:
        return pd.DataFrame()
    for (first, second), pairs in _group_pairs(table, keys).items():
        merged = _merged_pairs(root, table, pairs)
        if merged is None:
            continue
        frames, task, result = merged
        single = len(pairs) == 1 and "fold_a" not in frames[0]
        if single:
            mine = paired[(paired["first_group"] == first) & (paired["second_group"] == second)]
            pooled = _single(mine[mine["metric"] != ""])
        else:
            pooled = _pool(frames, task, result["ci"])
        margin = _margin(root, table.iloc[pairs[0][0]]["run"])
        near = _near(frames[0], table.iloc[pairs[0][0]], table.iloc[pairs[0][1]])
        for metric, values in pooled.items():
            verdict = judge(
                values["ci_low"], values["ci_high"], values["tost_low"], values["tost_high"], margin
            )
            rows.append(
                {
                    "first_group": first,
                    "second_group": second,
                    "metric": metric,
                    **values,
                    "level": float(result["ci"]["level"]),
                    "margin": margin,
                    "verdict": verdict,
                    "seed_pairs": len(pairs),
                    "test_rows": len(frames[0]),
                    **near,
                }
            )
    return pd.DataFrame(rows)
