"""Labels from thresholds: x > threshold is the positive class; k thresholds give k+1 classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.errors import UserError
from threshold_sweep.thresholds import Thresholds

MAX_LISTED = 6  # classes (or short class-split pairs) a message lists before it abbreviates


class TooFewRows(UserError):
    """A class has fewer than label.min_per_split rows in some split."""


@dataclass(frozen=True)
class Cuts:
    """Thresholds cut at quantiles of the training rows' x (label.bins or label.quantiles)."""

    setting: str  # 'label.bins=5' or 'label.quantiles=[0.25,0.5]', for messages and records
    levels: list[float]  # the quantiles, each in (0, 1)
    values: list[float]  # numpy.quantile of the training rows' x at them: the thresholds
    n_rows: int  # the training rows they were computed on

    def record(self) -> dict[str, Any]:
        """metrics.json's label_cuts: where the cuts came from and each one's quantile and value."""
        return {
            "from": self.setting,
            "computed_on": f"the training split's x ({self.n_rows} rows), numpy.quantile",
            "cuts": [
                {"quantile": q, "value": v} for q, v in zip(self.levels, self.values, strict=True)
            ],
        }


def quantile_cuts(x_train: np.ndarray, levels: Sequence[float], setting: str) -> Cuts:
    """The cuts at `levels` of the training rows' x; a tie that empties a class is an error."""
    values = np.quantile(x_train, levels)
    collision = _first_collision(values, float(np.max(x_train)))
    if collision is not None:
        raise UserError(_tie_message(x_train, levels, values, collision, setting))
    return Cuts(setting, [float(q) for q in levels], [float(v) for v in values], len(x_train))


def _first_collision(values: np.ndarray, top: float) -> int | None:
    """The first cut equal to the one before it, or to the largest x (its class would be
    empty); None when every class gets training rows."""
    bad = np.flatnonzero(np.diff(values) <= 0) + 1
    if len(bad):
        return int(bad[0])
    return len(values) - 1 if values[-1] >= top else None


def largest_distinct_bins(x_train: np.ndarray, most: int) -> int:
    """The largest K <= most whose equal-count cuts of x_train leave no class empty (1: none)."""
    ordered, top = np.sort(x_train), float(np.max(x_train))
    for k in range(most, 1, -1):
        if _first_collision(_sorted_quantiles(ordered, np.arange(1, k) / k), top) is None:
            return k
    return 1


def _tie_message(
    x_train: np.ndarray, levels: Sequence[float], values: np.ndarray, at: int, setting: str
) -> str:
    """One line: which quantiles collide on which x value, and the largest label.bins that works."""
    value = float(values[at])
    share = float(np.mean(x_train == value))
    if at > 0 and values[at] <= values[at - 1]:
        what = (
            f"the cuts at quantiles {levels[at - 1]:g} and {levels[at]:g} both fall on x={value:g}"
        )
    else:
        what = f"the cut at quantile {levels[at]:g} falls on x={value:g}, the largest x"
    # label.bins=K failed, so fewer; label.quantiles' as many classes may work as equal counts
    largest = largest_distinct_bins(x_train, len(levels) + (0 if "bins" in setting else 1))
    fix = (
        f"use at most label.bins={largest}, the largest that gives distinct cuts on this "
        "training split, or label.quantiles that avoid the tie"
        if largest >= 2
        else "x takes too few distinct values for quantile classes; use label.threshold"
    )
    return (
        f"{setting}: {what} (tied values: {share:.1%} of the {len(x_train)} training rows have "
        f"x={value:g}), so a class would be empty; {fix}"
    )


def largest_counted_bins(
    x_train: np.ndarray, x_splits: Sequence[np.ndarray], most: int, minimum: int
) -> int:
    """The largest K <= most whose equal-count cuts of x_train leave every class `minimum` rows
    in each of `x_splits` (1: none).

    Fewer classes usually leave each more rows, but not always: the held-out splits' counts
    fluctuate with K (on 100,000 rows a K 25% above the first that works from the top by
    halving also worked). So every K is tried downward, from the most the smallest split
    allows or twice that halving boundary, whichever is lower: on 100,000 rows 0.03-0.16 s
    and on 1,000,000 3.6 s, where trying every K from the most took 0.7-1 s and 144 s, with
    the same answers on 156 data sets tried.
    """
    ordered, top = np.sort(x_train), float(np.max(x_train))
    splits = sorted((np.sort(x) for x in x_splits), key=len)  # the smallest fails first

    def works(k: int) -> bool:
        values = _sorted_quantiles(ordered, np.arange(1, k) / k)
        return _first_collision(values, top) is None and all(
            _fewest(x, values) >= minimum for x in splits
        )

    most = min(most, len(splits[0]) // max(minimum, 1))
    failed, step, k = most + 1, 1, most
    while k >= 2 and not works(k):  # step down, doubling, to a K that works
        failed, k, step = k, max(k - step, 1), step * 2
    while failed - k > 1:  # halve between it (or 1) and the last K that did not work
        middle = (k + failed) // 2
        k, failed = (middle, failed) if works(middle) else (k, middle)
    start = min(most, 2 * max(k, 1))
    return next((candidate for candidate in range(start, 1, -1) if works(candidate)), 1)


def _sorted_quantiles(ordered: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """numpy.quantile's default (linear) quantiles of an already sorted array, in O(len(levels))
    instead of a partition of every row per call (the scans above try many K)."""
    position = np.asarray(levels) * (len(ordered) - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, len(ordered) - 1)
    a, b, t = ordered[low], ordered[high], position - low
    return np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t)  # numpy's _lerp


def _fewest(ordered: np.ndarray, thresholds: np.ndarray) -> int:
    """The smallest class count of sorted x under `thresholds` (as make_labels classes them)."""
    below = np.searchsorted(ordered, thresholds, side="right")  # rows with x <= each threshold
    return int(np.diff(below, prepend=0, append=len(ordered)).min())


def make_labels(x: np.ndarray, thresholds: float | Sequence[float]) -> np.ndarray:
    """Class index per row: how many thresholds x exceeds (binary: 1 where x > threshold)."""
    edges = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    return np.searchsorted(edges, np.asarray(x), side="left").astype(np.int64)


def check_threshold(x: np.ndarray, thresholds: float | Sequence[float], name: str = "x") -> None:
    """Reject a threshold that leaves a class empty because it lies outside the range of x
    (`name`: the target column's, for the message)."""
    low, high = float(np.min(x)), float(np.max(x))
    for threshold in np.atleast_1d(thresholds):
        if not low <= threshold < high:
            raise UserError(
                f"label.threshold={threshold:g} is outside the range of {name} "
                f"[{low:g}, {high:g}], "
                "so a class would be empty; choose thresholds inside that range"
            )


def class_counts(y: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    """Count rows per class name."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(names))
    return {name: int(count) for name, count in zip(names, counts, strict=True)}


def check_class_counts(
    counts_per_split: Mapping[str, Mapping[str, int]],
    threshold: Any,
    min_per_split: int,
    setting: str | None = None,
    fix: str | None = None,
    target: str = "x",
) -> None:
    """Reject a threshold that leaves a class with fewer than `min_per_split` rows in a split
    (`setting` names what made the thresholds when it is not label.threshold; `fix` the way out,
    by default toward the median of the `target` column)."""
    fix = fix or (
        f"move the threshold toward the median of {target}, add data, or lower label.min_per_split"
    )
    short = [
        f"{split} {name}={count}"
        for split, counts in counts_per_split.items()
        for name, count in counts.items()
        if count < min_per_split
    ]
    if short:
        n_classes = max(len(counts) for counts in counts_per_split.values())
        table = (  # the whole table while it stays short
            " ["
            + "; ".join(
                f"{split}: " + ", ".join(f"{n}={c}" for n, c in counts.items())
                for split, counts in counts_per_split.items()
            )
            + "]"
            if n_classes <= MAX_LISTED
            else f" ({len(short)} of {sum(map(len, counts_per_split.values()))} class counts)"
        )
        listed = short[:MAX_LISTED] + ([f"... {short[-1]}"] if len(short) > MAX_LISTED else [])
        setting = setting or Thresholds.of_record(threshold).setting
        raise TooFewRows(
            f"{setting} leaves too few rows ({', '.join(listed)} "
            f"< label.min_per_split={min_per_split}){table}; {fix}"
        )


def threshold_targets(y: np.ndarray, k: int) -> np.ndarray:
    """(n, k) int matrix whose column j is y > j (x above threshold j), for ordered class
    labels y in 0..k."""
    y = np.asarray(y)
    if y.size and (y.min() < 0 or y.max() > k):
        raise ValueError(f"class labels must lie in 0..{k}, got {y.min()}..{y.max()}")
    return (y[:, None] > np.arange(k)[None, :]).astype(int)
