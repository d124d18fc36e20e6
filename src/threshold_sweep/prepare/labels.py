"""Labels from thresholds: x > threshold is the positive class; k thresholds give k+1 classes."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from threshold_sweep.errors import UserError
from threshold_sweep.thresholds import parse_thresholds, threshold_text

__all__ = ["class_names", "make_labels", "parse_thresholds", "threshold_text"]


def class_names(thresholds: Sequence[float], names: Sequence[str] | None) -> list[str]:
    """Class names, lowest bin first: the configured ones, or low/high, or interval names."""
    n_classes = len(thresholds) + 1
    if names is None:
        if n_classes == 2:
            return ["low", "high"]
        edges = [f"{t:g}" for t in thresholds]
        return (
            [f"<={edges[0]}"]
            + [f"({a},{b}]" for a, b in itertools.pairwise(edges)]
            + [f">{edges[-1]}"]
        )
    names = [str(name) for name in names]
    if len(names) != n_classes or len(set(names)) != n_classes:
        raise UserError(
            f"label.names={names} must be {n_classes} distinct names for {len(thresholds)} "
            f"threshold(s), lowest class first (or null for automatic names)"
        )
    return names


def make_labels(x: np.ndarray, thresholds: float | Sequence[float]) -> np.ndarray:
    """Class index per row: how many thresholds x exceeds (binary: 1 where x > threshold)."""
    edges = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    return np.searchsorted(edges, np.asarray(x), side="left").astype(np.int64)


def check_threshold(x: np.ndarray, thresholds: float | Sequence[float]) -> None:
    """Reject a threshold that leaves a class empty because it lies outside the range of x."""
    low, high = float(np.min(x)), float(np.max(x))
    for threshold in np.atleast_1d(thresholds):
        if not low <= threshold < high:
            raise UserError(
                f"label.threshold={threshold:g} is outside the range of x [{low:g}, {high:g}], "
                "so a class would be empty; choose thresholds inside that range"
            )


def class_counts(y: np.ndarray, names: Sequence[str]) -> dict[str, int]:
    """Count rows per class name."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(names))
    return {name: int(count) for name, count in zip(names, counts, strict=True)}


def check_class_counts(
    counts_per_split: Mapping[str, Mapping[str, int]], threshold: Any, min_per_split: int
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
            f"label.threshold={threshold_text(threshold)} leaves too few rows ({', '.join(short)} "
            f"< label.min_per_split={min_per_split}) [{table}]; move the threshold toward the "
            "median of x, add data, or lower label.min_per_split"
        )
