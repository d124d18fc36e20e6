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
    """split=time and split=rolling need data.order and no grouping (not combined yet);
    split=predefined needs the rows' parts and no grouping."""
    method = getattr(cfg.split.method, "value", cfg.split.method)
    if method == SplitMethod.predefined.value:
        check_predefined(cfg)
        return
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
    refuse_group(
        cfg,
        f"split={method} cannot be combined with data.{{key}}={{value}} yet: leave data.{{key}} "
        f"unset for a time-ordered split, or use split={'default' if method == 'time' else 'kfold'}"
        " for a grouped one",
    )


def check_predefined(cfg: Any) -> None:
    """split=predefined: data.part (data.part_key) names the rows' parts, without a grouping,
    and split.validation_fraction is a share of the train part."""
    part_key = "part_key" if "part_key" in cfg.data else "part"
    if cfg.data.get(part_key) is None:
        source = cfg.data.get("source", "synthetic")
        where = (
            "an .npz string array"
            if part_key == "part_key"
            else "a column"
            if "part" in cfg.data
            else f"a table's column or an .npz array; data={source} has none: use data=table or "
            "data=arrays"
        )
        raise UserError(
            f"split=predefined needs data.{part_key}: set data.{part_key}=<name> ({where} of "
            "train / test / validation per row), or use split=default"
        )
    refuse_group(
        cfg,
        "split=predefined cannot be combined with data.{key}={value}: the data's parts already "
        "say which rows train and test; leave data.{key} unset, or use split=default for a "
        "grouped split",
    )
    check_part_fraction(cfg.split.validation_fraction)


def refuse_group(cfg: Any, message: str) -> None:
    """Refuse a data grouping (data.group or data.group_key) with `message`, whose {key} and
    {value} name the key and its value."""
    key = "group_key" if "group_key" in cfg.data else "group"
    if cfg.data.get(key) is not None:
        raise UserError(message.format(key=key, value=cfg.data[key]))


def check_part_fraction(validation_fraction: float) -> None:
    """split=predefined's validation_fraction: a share of the train part, in (0, 1)."""
    if not 0 < validation_fraction < 1:
        raise UserError(
            f"split.validation_fraction={validation_fraction:g} must be between 0 and 1 "
            "(exclusive) for split=predefined: the share of the train part that validates, "
            "e.g. 0.15"
        )
