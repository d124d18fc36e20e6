"""Data -> labels -> split -> sampling -> standardized arrays, before any model exists."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from threshold_sweep.components import bind
from threshold_sweep.data import Dataset, load_dataset
from threshold_sweep.errors import UserError
from threshold_sweep.prepare.balance import SplitRecord, split_record
from threshold_sweep.prepare.checks import DataChecks, GroupCheck, data_checks, group_check
from threshold_sweep.prepare.folds import Fold, kfold_splits, rolling_splits
from threshold_sweep.prepare.labels import (
    check_class_counts,
    check_threshold,
    class_counts,
    class_names,
    make_labels,
    parse_thresholds,
)
from threshold_sweep.prepare.sampling import TrainingRows
from threshold_sweep.prepare.split import Split, split_rows
from threshold_sweep.prepare.standardize import Standardizer, check_transform

log = logging.getLogger(__name__)


@dataclass
class PreparedData:
    """Everything the model stage needs, plus the counts the report shows."""

    dataset: Dataset
    y: np.ndarray
    split: Split
    training: TrainingRows
    standardizer: Standardizer
    names: list[str]
    thresholds: list[float]
    counts_before: dict[str, dict[str, int]]
    counts_after: dict[str, dict[str, int]]
    checks: DataChecks
    split_record: SplitRecord

    def features(self, rows: np.ndarray) -> np.ndarray:
        """Standardized sequences of the given rows."""
        return self.standardizer.transform(self.dataset.X[rows])


@dataclass(frozen=True)
class Labelled:
    """The loaded data and its labels, made once per process; splits and folds only index it."""

    dataset: Dataset
    y: np.ndarray
    names: list[str]
    thresholds: list[float]


def load_labelled(cfg: Any) -> Labelled:
    """Load the data and label every row by the thresholds."""
    thresholds = parse_thresholds(cfg.label.threshold)
    names = class_names(thresholds, cfg.label.names)
    dataset = load_dataset(cfg.data)
    check_threshold(dataset.x, thresholds)
    return Labelled(dataset, make_labels(dataset.x, thresholds), names, thresholds)


def split_method(cfg: Any) -> str:
    """split.method as text: random, time, kfold or rolling."""
    return str(getattr(cfg.split.method, "value", cfg.split.method))


def prepare(cfg: Any) -> PreparedData:
    """Load, label, split once, resample the training split, fit the standardizer."""
    labelled = load_labelled(cfg)
    method = split_method(cfg)
    split = _split(labelled.dataset, cfg, method)
    minimum = int(cfg.label.min_per_split)
    try:
        return prepare_split(labelled, split, cfg, method, minimum)
    except UserError as error:
        hint = kfold_hint(labelled, minimum) if method != "time" else rolling_hint(labelled, cfg)
        raise UserError(f"{error}{hint}") from None


def kfold_hint(labelled: Labelled, minimum: int, folds: int = 5) -> str:
    """What split=kfold would give when a single split leaves a class too few rows ('' when
    the whole data has too few of a class for that too)."""
    counts = class_counts(labelled.y, labelled.names)
    name, fewest = min(counts.items(), key=lambda item: item[1])
    if fewest < max(minimum, folds):
        return ""
    return (
        f"; or cross-validate, which tests every row: split=kfold ({folds} folds of about "
        f"{fewest / folds:.0f} {name} rows each, all {fewest} {name} rows in the pooled test)"
    )


def rolling_hint(labelled: Labelled, cfg: Any, folds: int = 5) -> str:
    """What split=rolling would give when a time split leaves a class too few rows ('' when
    some rolling fold would train or validate without a class too)."""
    split_cfg = OmegaConf.merge(cfg.split, {"folds": folds, "repeats": 1})
    try:
        rolling = rolling_splits(labelled.dataset.order, split_cfg, None, "data.order")
    except UserError:
        return ""
    k = len(labelled.names)
    for fold in rolling:
        for rows in (fold.split.train, fold.split.validation):
            if np.unique(labelled.y[rows]).size < k:
                return ""
    tested = sum(len(fold.split.test) for fold in rolling)
    return (
        f"; or cross-validate in time order, which tests more rows: split=rolling ({folds} "
        f"folds, {tested} of {len(labelled.y)} rows tested, each by a model trained on earlier "
        "rows)"
    )


def prepare_folds(cfg: Any) -> list[tuple[Fold, PreparedData]]:
    """split=kfold (split=rolling): every fold of every repeat, prepared on the data loaded once.

    A fold's validation and held-out rows may hold few rows of a class (that is what folds
    are for on small data): its training and validation rows need one of each class, its
    held-out rows none (they are pooled), and the rows of every class together need
    label.min_per_split, as a single split's test rows would.
    """
    labelled = load_labelled(cfg)
    dataset = labelled.dataset
    if split_method(cfg) == "rolling":
        setting = f"data.order={dataset.order_name}"
        folds = rolling_splits(dataset.order, cfg.split, dataset.groups, setting)
    else:
        folds = kfold_splits(dataset.x, cfg.split, dataset.groups, labelled.y)
    everything = {"all rows": class_counts(labelled.y, labelled.names)}
    check_class_counts(everything, labelled.thresholds, int(cfg.label.min_per_split))
    method = split_method(cfg)
    return [(fold, prepare_split(labelled, fold.split, cfg, method, 1)) for fold in folds]


def prepare_split(
    labelled: Labelled, split: Split, cfg: Any, method: str, min_per_split: int
) -> PreparedData:
    """One split's class counts, resampled training rows, standardizer and checks."""
    dataset, y, names = labelled.dataset, labelled.y, labelled.names
    counts_before = {name: class_counts(y[rows], names) for name, rows in split.items()}
    checked = (
        counts_before
        if method not in ("kfold", "rolling")
        else {  # a held-out fold may lack a class
            name: counts for name, counts in counts_before.items() if name != "test"
        }
    )
    check_class_counts(checked, labelled.thresholds, min_per_split)
    training = bind(cfg.sampling, "sampling")(split.train, y)
    counts_after = dict(counts_before)
    counts_after["train"] = class_counts(y[training.indices], names)
    transform = cfg.data.get("transform", "none")
    transform = str(getattr(transform, "value", transform))
    check_transform(transform, dataset.X, "the data")
    standardizer = Standardizer.fit(dataset.X[split.train], transform)
    return PreparedData(
        dataset=dataset,
        y=y,
        split=split,
        training=training,
        standardizer=standardizer,
        names=names,
        thresholds=labelled.thresholds,
        counts_before=counts_before,
        counts_after=counts_after,
        checks=data_checks(
            dataset.X,
            split.train,
            split.test,
            dataset.features,
            group=_grouping(dataset, split),
            other_columns=dataset.repeated_columns,
        ),
        split_record=split_record(
            method, split, counts_before, dataset.order, dataset.order_name, dataset.group
        ),
    )


def _split(dataset: Dataset, cfg: Any, method: str) -> Split:
    """The split of split.method, with the rows' groups and order."""
    if dataset.order is not None and method != "time":
        log.warning(
            "data.order=%s orders the rows only for split=time; split.method=%s ignores it",
            dataset.order_name,
            method,
        )
    return split_rows(
        dataset.x,
        cfg.split,
        dataset.groups,
        _group_setting(cfg.data, dataset),
        dataset.order,
        f"data.order={dataset.order_name}",
    )


def _grouping(dataset: Dataset, split: Split) -> GroupCheck | None:
    """A grouped split's column and groups per split (None when rows were split one by one)."""
    if dataset.groups is None:
        return None
    return group_check(dataset.group or "groups", dataset.groups, split)


def _group_setting(data_cfg: Any, dataset: Dataset) -> str:
    """The option that named the groups, for messages: data.group=subject or data.group_key=g."""
    key = "group_key" if "group_key" in data_cfg else "group"
    return f"data.{key}={dataset.group}" if dataset.group else "the data's groups"
