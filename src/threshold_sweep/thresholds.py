"""Thresholds: parsed once from the config into a list of floats, formatted by one function.

Light on purpose (numpy only): the reports, the sweep summary and the Python API use it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from threshold_sweep.errors import UserError


def parse_thresholds(value: Any) -> list[float]:
    """One threshold or a strictly increasing list of them, as floats."""
    from omegaconf import ListConfig

    is_list = isinstance(value, ListConfig | list | tuple | np.ndarray)
    values = list(value) if is_list else [value]
    try:
        thresholds = [float(v) for v in values]
    except (TypeError, ValueError):
        raise UserError(
            f"label.threshold={value} must be a number or a sorted list of numbers, "
            "e.g. label.threshold=100 or label.threshold=[100,1000]"
        ) from None
    if not thresholds or not all(np.isfinite(thresholds)):
        raise UserError(f"label.threshold={value} must contain finite numbers")
    if any(b <= a for a, b in itertools.pairwise(thresholds)):
        raise UserError(
            f"label.threshold={value} must be strictly increasing without repeats, "
            f"e.g. [{', '.join(f'{t:g}' for t in sorted(set(thresholds)))}]"
        )
    return thresholds


def threshold_text(thresholds: float | Sequence[float]) -> str:
    """'100' or '100,1000' for reports and folder names."""
    return ",".join(f"{t:g}" for t in np.atleast_1d(thresholds))


def threshold_value(thresholds: Sequence[float]) -> float | list[float]:
    """The threshold as metrics.json records it: a number, or the list of several."""
    values = [float(t) for t in thresholds]
    return values[0] if len(values) == 1 else values


SHOWN_THRESHOLDS = 10  # an error names at most this many of a grid's thresholds


def match_threshold(text: str, grid: Sequence[float], option: str = "threshold") -> int:
    """The index of the grid threshold that `text` names: equal within 1e-9 relative, or
    written as its folder name writes it (`:g`); else a one-line UserError listing the grid."""
    grid = [float(t) for t in grid]
    by_text = [k for k, t in enumerate(grid) if f"{t:g}" == str(text).strip()]
    if by_text:
        return by_text[0]
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UserError(
            f"{option} {text!r} is not a number; give one of the run's thresholds: "
            f"{grid_text(grid, None)}"
        ) from None
    close = [k for k, t in enumerate(grid) if abs(value - t) <= 1e-9 * max(abs(value), abs(t))]
    if close:
        return close[0]
    raise UserError(
        f"{option} {text}: not one of the run's {len(grid)} thresholds "
        f"({grid_text(grid, value)}); give one of them"
    )


def grid_text(grid: Sequence[float], near: float | None) -> str:
    """The grid as text; beyond SHOWN_THRESHOLDS, the ones nearest `near` and how many more."""
    if len(grid) <= SHOWN_THRESHOLDS:
        return ", ".join(f"{t:g}" for t in grid)
    centre = float(np.median(grid)) if near is None or not np.isfinite(near) else near
    nearest = sorted(np.argsort([abs(t - centre) for t in grid], kind="stable")[:SHOWN_THRESHOLDS])
    shown = ", ".join(f"{grid[k]:g}" for k in nearest)
    lead = "nearest: " if near is not None else ""
    more = len(grid) - SHOWN_THRESHOLDS
    return f"{lead}{shown} ... and {more} more, from {grid[0]:g} to {grid[-1]:g}"
