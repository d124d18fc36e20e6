"""The class names of the label.* keys (the thresholds themselves: threshold_sweep.thresholds).

Read by the config's checks (before any data) and by prepare (on the training rows).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from threshold_sweep.errors import UserError


def class_names(thresholds: Sequence[float], names: Sequence[str] | None) -> list[str]:
    """Class names, lowest bin first: the configured ones, or low/high, or interval names."""
    n_classes = len(thresholds) + 1
    if names is None:
        if n_classes == 2:
            return ["low", "high"]
        edges = _distinct_texts(thresholds)
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


def _distinct_texts(values: Sequence[float]) -> list[str]:
    """Each value as short text ('6.47', like :g), with as many more digits as keep close
    values (e.g. the cuts of many bins) apart."""
    for digits in (6, 8, 10, 12, 14, 17):
        texts = [f"{v:.{digits}g}" for v in values]
        if len(set(texts)) == len(texts):
            break
    return texts
