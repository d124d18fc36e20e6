"""Labels from a threshold: x > threshold is the positive class."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from threshold_sweep.errors import UserError


def make_labels(x: np.ndarray, threshold: float) -> np.ndarray:
    """Return 1 where x > threshold (positive class), else 0."""
    return (np.asarray(x) > threshold).astype(np.int64)


def check_threshold(x: np.ndarray, threshold: float) -> None:
    """Reject a threshold that puts every row in one class."""
    low, high = float(np.min(x)), float(np.max(x))
    if not low <= threshold < high:
        raise UserError(
            f"label.threshold={threshold:g} is outside the range of x [{low:g}, {high:g}], "
            "so every row gets the same label; choose a threshold inside that range"
        )


def class_counts(y: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    """Count rows per class name."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(names))
    return {name: int(count) for name, count in zip(names, counts, strict=True)}


def check_class_counts(
    counts_per_split: Mapping[str, Mapping[str, int]], threshold: float, min_per_split: int
) -> None:
    """Reject a threshold that leaves a class with fewer than `min_per_split` rows in a split."""
    short = [
        f"{split} {name}={count}"
        for split, counts in counts_per_split.items()
        for name, count in counts.items()
        if count < min_per_split
    ]
    if short:
        table = "; ".join(
            f"{split}: " + ", ".join(f"{n}={c}" for n, c in counts.items())
            for split, counts in counts_per_split.items()
        )
        raise UserError(
            f"label.threshold={threshold:g} leaves too few rows ({', '.join(short)} < "
            f"label.min_per_split={min_per_split}) [{table}]; move the threshold toward the "
            "median of x, add data, or lower label.min_per_split"
        )
