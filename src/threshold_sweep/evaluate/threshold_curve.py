"""Analysis of a model with one output per threshold over a grid: its K outputs are P(x > t_k).

Class probabilities from those outputs, rank violations, how close the rows lie to each
threshold and how the errors crowd there, the range of thresholds within noise of the best
(a paired bootstrap on the same rows) and the sentences the report prints. numpy, pandas,
scikit-learn and SciPy only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from threshold_sweep.evaluate.resample.draws import CHUNK_CELLS
from threshold_sweep.shared_model import above_column

logger = logging.getLogger(__name__)

CURVE_METRICS = ("roc_auc", "balanced_accuracy", "mcc", "f1", "average_precision")
LOG_SPAN = 100.0  # max / min of x at which the thresholds are compared in decades
NEAR_DECADES = 0.1  # the near width on a log scale
NEAR_SPREAD = 0.05  # the near width on a linear scale, a share of the 5-95 percentile spread
EDGE_BINS = 2  # bins taken next to 0 (near) and at each end (far) by error_concentration
CROWD_RATIO = 1.5  # near / far error rate from which the sentence says errors crowd at the cut
CLEAR_CORRELATION = 0.3  # |Spearman r| from which the sentence calls a relation clear


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """(n, K + 1) class probabilities from (n, K) P(x > t_k): differences of neighbours, the
    negative ones (rank violations) clipped to 0, each row renormalised to sum 1."""
    c = np.asarray(outputs, dtype=float)
    n = c.shape[0]
    padded = np.hstack([np.ones((n, 1)), c, np.zeros((n, 1))])
    p = np.clip(padded[:, :-1] - padded[:, 1:], 0.0, None)
    total = p.sum(axis=1, keepdims=True)
    return p / np.where(total > 0, total, 1.0)


def natural_outputs(
    outputs: np.ndarray, positive: Sequence[float], negative: Sequence[float]
) -> np.ndarray:
    """The outputs of a head trained with class weights, taken back to the training class
    balance: a weighted loss moves each output's optimum logit by log(positive / negative), so
    that is subtracted (unweighted outputs stay as they are). Rank order is kept: the shifts
    fall with the threshold as the weighted outputs do."""
    p = np.clip(np.asarray(outputs, dtype=np.float64), 1e-12, 1 - 1e-12)
    shift = np.log(np.asarray(positive, dtype=np.float64) / np.asarray(negative, dtype=np.float64))
    return 1 / (1 + np.exp(-(np.log(p / (1 - p)) - shift)))


def class_scores(outputs: np.ndarray, weights: dict[str, Any]) -> np.ndarray:
    """The K+1 class probabilities a run of K outputs P(x > t_k) reports: differences of its
    outputs at the training class balance (natural_outputs), then, when the training rebalanced
    (weights["class_shares"], the training rows' class shares), divided by those shares and
    renormalised: equal class shares, the view an undersampled run's scores take, so that the
    most probable class does not favour the large classes."""
    natural = natural_outputs(outputs, weights["positive"], weights["negative"])
    probabilities = class_probabilities(natural)
    shares = weights.get("class_shares")
    if not shares:
        return probabilities
    equal = probabilities / np.asarray(shares, dtype=np.float64)
    return equal / equal.sum(axis=1, keepdims=True)


def above_columns(outputs: np.ndarray, thresholds: Sequence[float]) -> dict[str, np.ndarray]:
    """p_above_<t> = P(x > t): one column per threshold of the outputs."""
    return {above_column(t): np.asarray(outputs)[:, k] for k, t in enumerate(thresholds)}


def with_above(
    frame: pd.DataFrame, outputs: np.ndarray, thresholds: Sequence[float]
) -> pd.DataFrame:
    """A predictions frame with P(x > t) of every threshold (p_above_<t>) before y_pred."""
    above = pd.DataFrame(above_columns(outputs, thresholds), index=frame.index)
    at = frame.columns.get_loc("y_pred")
    return pd.concat([frame.iloc[:, :at], above, frame.iloc[:, at:]], axis=1)


def rank_violations(outputs: np.ndarray, tolerance: float = 1e-6) -> dict[str, Any]:
    """Rows and adjacent pairs with c_k < c_{k+1} - tolerance, their share of rows and the
    largest violation c_{k+1} - c_k (0.0 without any)."""
    c = np.asarray(outputs, dtype=float)
    rise = c[:, 1:] - c[:, :-1]
    violated = rise > tolerance
    rows = int(violated.any(axis=1).sum())
    return {
        "rows": rows,
        "pairs": int(violated.sum()),
        "share_rows": rows / c.shape[0] if c.shape[0] else float("nan"),
        "largest": float(rise[violated].max()) if violated.any() else 0.0,
    }


def is_log_scale(x: np.ndarray) -> bool:
    """True when every x > 0 and max / min >= 100 (x spans two decades or more)."""
    x = np.asarray(x, dtype=float)
    return bool(x.size and np.all(x > 0) and x.max() / x.min() >= LOG_SPAN)


def signed_distance(x: np.ndarray, threshold: float, log: bool) -> np.ndarray:
    """x's distance above the threshold: log10(x) - log10(threshold) when log, else x - t."""
    x = np.asarray(x, dtype=float)
    if log:
        return np.log10(x) - math.log10(threshold)
    return x - threshold


def near_width(x: np.ndarray, log: bool) -> float:
    """The distance within which a row counts as near a threshold: 0.1 decades of x when log,
    else 0.05 times the spread of x between its 5th and 95th percentiles."""
    if log:
        return NEAR_DECADES
    low, high = np.percentile(np.asarray(x, dtype=float), [5, 95])
    return float(NEAR_SPREAD * (high - low))


def near_shares(x: np.ndarray, thresholds: Sequence[float], log: bool, width: float) -> np.ndarray:
    """Per threshold, the share of rows whose |signed distance| to it is at most width."""
    return np.array(
        [np.mean(np.abs(signed_distance(x, t, log)) <= width) for t in thresholds], dtype=float
    )


def _wilson(errors: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of errors / n."""
    interval = stats.binomtest(int(errors), int(n)).proportion_ci(method="wilson")
    return float(interval.low), float(interval.high)


def errors_by_distance(
    x: np.ndarray,
    thresholds: Sequence[float],
    y_binary: np.ndarray,
    y_score: np.ndarray,
    cutoff: float,
    log: bool,
    n_bins: int = 12,
) -> pd.DataFrame:
    """Error rate of every (row, threshold) pair in equal-count bins of the signed distance:
    the bin's distance range and median, pairs, errors, error rate with its Wilson 95% CI
    and the mean score, sorted by distance."""
    distance = np.column_stack([signed_distance(x, t, log) for t in thresholds]).ravel()
    wrong = ((np.asarray(y_score) >= cutoff) != np.asarray(y_binary).astype(bool)).ravel()
    pairs = pd.DataFrame({"d": distance, "wrong": wrong, "score": np.asarray(y_score).ravel()})
    pairs["bin"] = pd.qcut(pairs["d"], q=n_bins, labels=False, duplicates="drop")
    grouped = pairs.groupby("bin", sort=True)
    table = pd.DataFrame(
        {
            "distance_low": grouped["d"].min(),
            "distance_high": grouped["d"].max(),
            "distance_mid": grouped["d"].median(),
            "n": grouped["d"].size(),
            "errors": grouped["wrong"].sum().astype(int),
            "mean_score": grouped["score"].mean(),
        }
    ).reset_index(drop=True)
    table["error_rate"] = table["errors"] / table["n"]
    bounds = [_wilson(e, n) for e, n in zip(table["errors"], table["n"], strict=True)]
    table["error_ci_low"] = [low for low, _ in bounds]
    table["error_ci_high"] = [high for _, high in bounds]
    columns = ["distance_low", "distance_high", "distance_mid", "n", "errors", "error_rate"]
    return table[[*columns, "error_ci_low", "error_ci_high", "mean_score"]]


def _pooled_rate(table: pd.DataFrame, rows: Sequence[int]) -> float:
    """The error rate of the given bins pooled."""
    chosen = table.iloc[sorted(set(rows))]
    return float(chosen["errors"].sum() / chosen["n"].sum())


def error_concentration(table: pd.DataFrame) -> dict[str, float]:
    """Error rate of the 2 bins whose median distance is closest to 0 (near; their distance
    span near_low..near_high when the table has distance_low/high), of the 2 outermost bins
    at each end pooled (far), and near / far (inf when far is 0)."""
    table = table.sort_values("distance_mid").reset_index(drop=True)
    if "errors" not in table:
        table = table.assign(errors=(table["error_rate"] * table["n"]).round())
    near_rows = np.argsort(np.abs(table["distance_mid"].to_numpy()), kind="stable")[:EDGE_BINS]
    count = len(table)
    far_rows = [*range(min(EDGE_BINS, count)), *range(max(count - EDGE_BINS, 0), count)]
    near, far = _pooled_rate(table, near_rows), _pooled_rate(table, far_rows)
    ratio = near / far if far > 0 else float("inf")
    out = {"near_error_rate": near, "far_error_rate": far, "ratio": ratio}
    if {"distance_low", "distance_high"} <= set(table.columns):
        out["near_low"] = float(table["distance_low"].iloc[near_rows].min())
        out["near_high"] = float(table["distance_high"].iloc[near_rows].max())
    return out


VALIDATION_PREFIX = "validation_"  # the curve's column of a metric on the validation rows


def chosen_index(curve: pd.DataFrame, metric: str) -> int:
    """The row of the best threshold: the highest validation_<metric> when the curve has it
    (chosen on validation, reported on test), else the highest test `metric`."""
    column = f"{VALIDATION_PREFIX}{metric}"
    values = curve[column] if column in curve and curve[column].notna().any() else curve[metric]
    return int(np.nanargmax(values.to_numpy(dtype=float)))


def best_range(curve: pd.DataFrame, metric: str, paired: pd.DataFrame) -> dict[str, Any]:
    """The best threshold (chosen_index: on validation when the curve has validation_<metric>)
    with its test value, and the thresholds whose paired test difference to it has a CI
    containing 0 (the best included): their list, low, high, and whether they are adjacent in
    the grid; where it was chosen, its validation value and the test's own argmax."""
    curve = curve.sort_values("threshold").reset_index(drop=True)
    grid = curve["threshold"].to_list()
    row = curve.iloc[chosen_index(curve, metric)]
    best = float(row["threshold"])
    validation = f"{VALIDATION_PREFIX}{metric}"
    on_validation = validation in curve and curve[validation].notna().any()
    noise = paired[(paired["ci_low"] <= 0) & (paired["ci_high"] >= 0)]["threshold"]
    within = sorted({float(t) for t in noise} | {best})
    positions = [grid.index(t) for t in within]
    return {
        "best": best,
        "best_value": float(row[metric]),
        "chosen_on": "validation" if on_validation else "test",
        "validation_value": float(row[validation]) if on_validation else None,
        "test_argmax": float(curve.loc[int(np.nanargmax(curve[metric].to_numpy())), "threshold"]),
        "within_noise": within,
        "low": within[0],
        "high": within[-1],
        "contiguous": positions == list(range(positions[0], positions[-1] + 1)),
    }


def _row_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """(resamples, n) how often each row was drawn in each resample."""
    offsets = idx + np.arange(idx.shape[0])[:, None] * n
    return np.bincount(offsets.ravel(), minlength=idx.shape[0] * n).reshape(idx.shape[0], n)


def resampled_auc(y: np.ndarray, score: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """ROC-AUC (Mann-Whitney, ties counted half) of each resample given as row counts; NaN for
    a resample with one class."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(score, kind="stable")
    sorted_score = np.asarray(score)[order]
    starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])
    weights = counts[:, order].astype(float)
    positives = np.add.reduceat(weights * y[order], starts, axis=1)
    negatives = np.add.reduceat(weights * ~y[order], starts, axis=1)
    below = np.cumsum(negatives, axis=1) - negatives
    wins = (positives * (below + 0.5 * negatives)).sum(axis=1)
    pairs = positives.sum(axis=1) * negatives.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / np.where(pairs > 0, pairs, 1.0), np.nan)


def _looped_metric(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """A resampled metric from any metric_fn(y, score), one call per resample."""

    def resampled(y: np.ndarray, score: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """metric_fn on each resample (row i repeated counts[r, i] times); NaN with one class."""
        values = np.full(counts.shape[0], np.nan)
        for r, row_counts in enumerate(counts):
            idx = np.repeat(np.arange(len(y)), row_counts)
            if np.unique(y[idx]).size == 2:
                values[r] = metric_fn(y[idx], score[idx])
        return values

    return resampled


def _resampled_metric(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """The vectorised resampled ROC-AUC for roc_auc_score, else a loop over resamples."""
    from sklearn.metrics import roc_auc_score  # not at import: sweep summaries read this module

    if metric_fn is roc_auc_score:
        return resampled_auc
    return _looped_metric(metric_fn)


def _resample_values(
    y_binary: np.ndarray,
    y_score: np.ndarray,
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    idx: np.ndarray,
) -> np.ndarray:
    """(resamples, K) the metric of every threshold on every resample (NaN with one class)."""
    resampled = _resampled_metric(metric_fn)
    n, k = y_binary.shape
    chunk = max(1, CHUNK_CELLS // max(n, 1))
    values = np.empty((idx.shape[0], k))
    for start in range(0, idx.shape[0], chunk):
        counts = _row_counts(idx[start : start + chunk], n)
        for j in range(k):
            values[start : start + chunk, j] = resampled(y_binary[:, j], y_score[:, j], counts)
    return values


def paired_against_best(
    y_binary: np.ndarray,
    y_score: np.ndarray,
    thresholds: Sequence[float],
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    best_index: int,
    resamples: int,
    seed: int,
) -> pd.DataFrame:
    """Each threshold's metric minus the best threshold's, on all rows and on the same
    bootstrap resamples of rows (percentile 95% CI); resamples where either column has one
    class are skipped (resamples_used counts the rest)."""
    y_binary, y_score = np.asarray(y_binary).astype(int), np.asarray(y_score, dtype=float)
    n, k = y_binary.shape
    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    values = _resample_values(y_binary, y_score, metric_fn, idx)
    point = np.array([metric_fn(y_binary[:, j], y_score[:, j]) for j in range(k)])
    logger.debug("paired bootstrap: %d resamples of %d rows, %d thresholds", resamples, n, k)
    return paired_table(values, point, thresholds, best_index)


def paired_table(
    values: np.ndarray, point: np.ndarray, thresholds: Sequence[float], best_index: int
) -> pd.DataFrame:
    """Each threshold's metric minus the best's, on all rows (`point`, one per threshold) and
    on the same resamples (`values`: resamples x thresholds), with the percentile 95% CI;
    resamples where either is NaN are skipped (resamples_used counts the rest)."""
    differences = values - values[:, [best_index]]
    rows = []
    for j, threshold in enumerate(thresholds):
        used = differences[:, j][np.isfinite(differences[:, j])]
        low, high = np.percentile(used, [2.5, 97.5]) if used.size else (np.nan, np.nan)
        rows.append(
            {
                "threshold": float(threshold),
                "difference": float(point[j] - point[best_index]),
                "ci_low": float(low),
                "ci_high": float(high),
                "resamples_used": int(used.size),
            }
        )
    return pd.DataFrame(rows)


def curve_keys(metrics: Sequence[str] = CURVE_METRICS) -> list[str]:
    """The columns of a curve table, in order."""
    per_metric = [key for m in metrics for key in (m, f"{m}_ci_low", f"{m}_ci_high", f"chance_{m}")]
    return ["threshold", "prevalence", "near_share", *per_metric]


def curve_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The curve table, one row per threshold sorted by threshold, from per-threshold dicts;
    ValueError naming any missing key."""
    if not rows:
        raise ValueError("curve_table needs at least one threshold's row")
    keys = curve_keys()
    for position, row in enumerate(rows):
        missing = [key for key in keys if key not in row]
        if missing:
            raise ValueError(f"curve row {position} misses keys: {', '.join(missing)}")
    table = pd.DataFrame(rows)
    extra = [column for column in table.columns if column not in keys]
    return table[[*keys, *extra]].sort_values("threshold").reset_index(drop=True)


def stretches(grid: Sequence[float], chosen: Sequence[float]) -> list[tuple[float, float]]:
    """The chosen thresholds as runs of neighbours in the grid: (first, last) of each."""
    keep = set(chosen)
    runs: list[tuple[float, float]] = []
    for i, t in enumerate(grid):
        if t not in keep:
            continue
        if i > 0 and grid[i - 1] in keep:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _stretch_text(runs: list[tuple[float, float]]) -> str:
    """'1 to 2 and 10 to 20' (a single threshold by itself)."""
    parts = [f"{a:g}" if a == b else f"{a:g} to {b:g}" for a, b in runs]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _range_sentence(curve: pd.DataFrame, best: dict[str, Any], metric_label: str) -> str:
    """Sentence (a): the best threshold, the stretches of the grid within noise of it and
    those worse beyond noise."""
    if best.get("chosen_on") == "validation":
        head = (
            f"The model discriminates best at threshold {best['best']:g} on the validation rows "
            f"({metric_label} {best['validation_value']:.3f}); chosen there and reported on the "
            f"test rows, it scores {metric_label} {best['best_value']:.3f}"
        )
    else:
        head = (
            f"The model discriminates best at threshold {best['best']:g} "
            f"({metric_label} {best['best_value']:.3f})"
        )
    grid = curve.sort_values("threshold")["threshold"].to_list()
    within = best["within_noise"]
    if len(within) == 1:
        return (
            f"{head}; every other threshold is worse beyond noise "
            "(paired bootstrap on the same test rows)."
        )
    text = (
        f"{head}. Within noise of it (paired bootstrap on the same test rows), itself "
        f"included: {_stretch_text(stretches(grid, within))}"
    )
    worse = [t for t in grid if t not in set(within)]
    if worse:
        text += f"; worse beyond noise: {_stretch_text(stretches(grid, worse))}"
    return text + "."


def _relation(r: float, metric_label: str) -> str:
    """How the metric moves with the near share, worded by the Spearman correlation r."""
    if not np.isfinite(r):
        return f"{metric_label} and that share are not clearly related (Spearman r undefined)"
    if r < -CLEAR_CORRELATION:
        return f"{metric_label} is lower where that share is higher (Spearman r = {r:.3f})"
    if r > CLEAR_CORRELATION:
        return f"{metric_label} is higher where that share is higher (Spearman r = {r:.3f})"
    return f"{metric_label} and that share are not clearly related (Spearman r = {r:.3f})"


def _concentration_sentence(
    curve: pd.DataFrame,
    concentration: dict[str, float],
    near: float,
    metric_label: str,
    metric: str,
    log: bool,
) -> str:
    """Sentence (b): errors near the cut against far from it, and the near shares."""
    unit = " decades" if log else ""
    where = "pairs in the distance bins nearest a threshold"
    if "near_low" in concentration:
        span = f"{concentration['near_low']:.3f} to {concentration['near_high']:.3f}{unit}"
        where = f"{where} ({span} from it)"
    ratio = concentration["ratio"]
    times = f"{ratio:.3f}x" if np.isfinite(ratio) else "no errors far from it"
    shares = curve["near_share"].to_numpy()
    low, high = int(np.argmin(shares)), int(np.argmax(shares))
    thresholds = curve["threshold"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        varies = len(curve) >= 3 and np.ptp(shares) > 0 and np.ptp(curve[metric]) > 0
        r = float(stats.spearmanr(shares, curve[metric]).statistic) if varies else float("nan")
    crowd = (
        "Errors crowd near the cut" if ratio > CROWD_RATIO else "Errors do not crowd near the cut"
    )
    return (
        f"{crowd}: {where} are misclassified at {concentration['near_error_rate']:.3f} vs "
        f"{concentration['far_error_rate']:.3f} in the outermost bins ({times}); the share of "
        f"test rows within {near:.3f}{unit} of a threshold ranges from "
        f"{shares[low]:.3f} at {thresholds[low]:g} to {shares[high]:.3f} at "
        f"{thresholds[high]:g}, and {_relation(r, metric_label)}."
    )


def curve_sentence(
    curve: pd.DataFrame,
    best: dict[str, Any],
    concentration: dict[str, float],
    near: float,
    metric_label: str = "ROC-AUC",
    *,
    metric: str = "roc_auc",
    log: bool = False,
) -> list[str]:
    """The report's two sentences: the best threshold and its range within noise, then how
    errors crowd near the cut (near = the near width) and how the metric follows the share of
    rows near each threshold."""
    return [
        _range_sentence(curve, best, metric_label),
        _concentration_sentence(curve, concentration, near, metric_label, metric, log),
    ]
