"""Checks of how the rows become classes and splits: thresholds, class names, time order."""

from __future__ import annotations

from typing import Any

from threshold_sweep.conf.choices import SplitMethod
from threshold_sweep.conf.label import class_names
from threshold_sweep.errors import UserError
from threshold_sweep.thresholds import Thresholds


def check_labels(label: Any) -> None:
    """Thresholds (or label.bins / label.quantiles) and class names agree."""
    class_names(Thresholds.of_label(label).known, label.names)


def check_split(cfg: Any) -> None:
    """split=time and split=rolling need data.order and no grouping (not combined yet)."""
    method = getattr(cfg.split.method, "value", cfg.split.method)
    if method not in (SplitMethod.time.value, SplitMethod.rolling.value):
        return
    if cfg.data.get("order") is None:
        source = cfg.data.get("source", "synthetic")
        has_none = (
            f" (data={source} has no order: use data=table or data=arrays)"
            if "order" not in cfg.data
            else ""
        )
        raise UserError(
            f"split={method} needs data.order: set data.order=<column> (a table's column, or an "
            f".npz array of shape (n,)) of dates, timestamps or numbers{has_none}, or use "
            "split=default"
        )
    group_key = "group_key" if "group_key" in cfg.data else "group"
    if cfg.data.get(group_key) is not None:
        raise UserError(
            f"split={method} cannot be combined with data.{group_key}={cfg.data[group_key]} yet: "
            f"leave data.{group_key} unset for a time-ordered split, or use "
            f"split={'default' if method == 'time' else 'kfold'} for a grouped one"
        )
