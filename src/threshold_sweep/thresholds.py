"""Thresholds: parsed once from the config into a list of floats, formatted by one function.

Light on purpose (numpy only): the reports, the sweep summary and the Python API use it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from threshold_sweep.errors import UserError

DEFAULT_THRESHOLD = 100.0  # label.threshold's default (configs/label/default.yaml)


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
