"""What the label.* keys ask for: the quantiles to cut x at, the setting's text, class names.

Read by the config's checks (before any data) and by prepare (on the training rows).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from threshold_sweep.errors import UserError
from threshold_sweep.thresholds import parse_thresholds, threshold_text


def quantile_levels(label: Any, default_threshold: float) -> list[float] | None:
    """The quantiles label.bins (K equal-count classes) or label.quantiles ask to cut x at;
    None when the thresholds are label.threshold's."""
    bins, quantiles = getattr(label, "bins", None), getattr(label, "quantiles", None)
    if bins is None and quantiles is None:
        return None
    if bins is not None and quantiles is not None:
        raise UserError(
            f"label.bins={bins} and label.quantiles={list(quantiles)} both set the cuts; "
            "give one of them"
        )
    setting = quantile_setting(bins, quantiles)
    if parse_thresholds(label.threshold) != [float(default_threshold)]:
        raise UserError(
            f"{setting} replaces label.threshold, which is set to "
            f"{threshold_text(parse_thresholds(label.threshold))}; leave label.threshold out "
            "(the cuts become the thresholds), or drop "
            f"label.{'bins' if bins is not None else 'quantiles'}"
        )
    if bins is not None:
        if int(bins) < 2:
            raise UserError(
                f"label.bins={bins} must be at least 2 (K equal-count classes), e.g. label.bins=5"
            )
        return [i / int(bins) for i in range(1, int(bins))]
    levels = [float(q) for q in quantiles]
    if not levels or not all(0 < q < 1 for q in levels):
        raise UserError(
            f"{setting} must be quantiles strictly between 0 and 1, e.g. label.quantiles=[0.25,0.5]"
        )
    if any(b <= a for a, b in itertools.pairwise(levels)):
        raise UserError(
            f"{setting} must be strictly increasing without repeats, e.g. "
            f"label.quantiles=[{','.join(f'{q:g}' for q in sorted(set(levels)))}]"
        )
    return levels


def quantile_setting(bins: Any, quantiles: Any) -> str:
    """'label.bins=5' or 'label.quantiles=[0.25,0.5]', as the user wrote the setting."""
    if bins is not None:
        return f"label.bins={bins}"
    return f"label.quantiles=[{','.join(f'{float(q):g}' for q in quantiles)}]"


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
