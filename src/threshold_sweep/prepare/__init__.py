"""Data -> labels -> split -> sampling -> standardized arrays, before any model exists."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from threshold_sweep.components import bind
from threshold_sweep.conf.label import class_names
from threshold_sweep.data import Dataset, load_dataset
from threshold_sweep.errors import UserError
from threshold_sweep.prepare.balance import SplitRecord, split_record
from threshold_sweep.prepare.checks import DataChecks, GroupCheck, data_checks, group_check
from threshold_sweep.prepare.folds import Fold, kfold_splits, rolling_splits
from threshold_sweep.prepare.labels import (
    Cuts,
    TooFewRows,
    check_class_counts,
    check_threshold,
    class_counts,
    largest_counted_bins,
    make_labels,
    quantile_cuts,
)
from threshold_sweep.prepare.sampling import RESAMPLE, SamplingPlan, TrainingRows
from threshold_sweep.prepare.split import Split, split_rows
from threshold_sweep.prepare.standardize import Standardizer, check_transform
from threshold_sweep.thresholds import Thresholds

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
    label_cuts: dict[str, Any] | None = None  # label.bins / label.quantiles: the cuts' record

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
    cuts: Cuts | None = None  # label.bins / label.quantiles: the training rows' cuts
    label_cuts: dict[str, Any] | None = None  # what metrics.json records of the cuts


def load_labelled(cfg: Any, thresholds: Thresholds) -> Labelled:
    """Load the data and label every row by the thresholds label.threshold gives."""
    values = thresholds.floats
    names = class_names(values, cfg.label.names)
    dataset = load_dataset(cfg.data)
    check_threshold(dataset.x, values, dataset.target or "x")
    return Labelled(dataset, make_labels(dataset.x, values), names, values)


def label_by_cuts(
    dataset: Dataset, thresholds: Thresholds, names: list[str] | None, train: np.ndarray
) -> Labelled:
    """Label every row by the cuts at the quantile levels of label.bins / label.quantiles of
    the training rows' x (no other row's x moves them), named as label.threshold's classes are
    (or by `names`)."""
    cuts = quantile_cuts(dataset.x[train], thresholds.levels or (), thresholds.setting)
    values = thresholds.with_cuts(cuts.values).floats
    y = make_labels(dataset.x, values)
    return Labelled(dataset, y, class_names(values, names), values, cuts, cuts.record())


def split_method(cfg: Any) -> str:
    """split.method as text: random, time, kfold or rolling."""
    return str(getattr(cfg.split.method, "value", cfg.split.method))


def prepare(cfg: Any, plan: SamplingPlan = RESAMPLE) -> PreparedData:
    """Load, label, split once, resample the training split as `plan` asks, fit the scaler.

    With label.bins or label.quantiles the labels come after the split: the cuts are
    quantiles of the training rows' x (the split is stratified on x, so it needs no labels).
    """
    method = split_method(cfg)
    thresholds = Thresholds.of_label(cfg.label)
    if not thresholds.cut:
        labelled = load_labelled(cfg, thresholds)
        split = _split(labelled.dataset, cfg, method)
    else:
        dataset = load_dataset(cfg.data)
        split = _split(dataset, cfg, method)
        labelled = label_by_cuts(dataset, thresholds, cfg.label.names, split.train)
    minimum = int(cfg.label.min_per_split)
    try:
        return prepare_split(labelled, split, cfg, method, minimum, plan)
    except UserError as error:
        if plan.per_threshold:  # k-fold and finer strata do not apply to one output a threshold
            raise
        too_few = isinstance(error, TooFewRows)
        finer = strata_hint(labelled, thresholds, cfg, minimum) if too_few else ""
        hint = (
            split_hint(labelled, cfg, method, minimum) if too_few or method != "predefined" else ""
        )
        raise UserError(f"{error}{finer}{hint}") from None


def split_hint(labelled: Labelled, cfg: Any, method: str, minimum: int) -> str:
    """Another way out when a class is short in a split: split=rolling for a time split, more
    rows marked for a predefined one, else split=kfold ('' when it would not help)."""
    if method == "time":
        return rolling_hint(labelled, cfg)
    if method == "predefined":
        setting = _part_setting(cfg.data, labelled.dataset)
        return (
            f"; or mark more rows of the short split in {setting} (validation rows carved out "
            "of the train part: another split.seed or a larger split.validation_fraction "
            "carves others)"
        )
    return kfold_hint(labelled, minimum)


def strata_hint(labelled: Labelled, thresholds: Thresholds, cfg: Any, minimum: int) -> str:
    """For K quantile classes too few in some split: '; or split.n_bins=K, ...' when a split
    stratified on K quantile bins of x (split=default's knob) gives every class enough rows
    ('' when it does not, or for other labels and splits)."""
    cuts = labelled.cuts
    k = 0 if cuts is None else len(cuts.levels) + 1
    if cuts is None or split_method(cfg) != "random" or int(cfg.split.n_bins) >= k:
        return ""
    split_cfg = OmegaConf.merge(cfg.split, {"n_bins": k})
    dataset = labelled.dataset
    split = split_rows(dataset.x, split_cfg, dataset.groups, _group_setting(cfg.data, dataset))
    try:
        y = label_by_cuts(dataset, thresholds, cfg.label.names, split.train).y
    except UserError:
        return ""
    fewest = min(int(np.bincount(y[rows], minlength=k).min()) for _, rows in split.items())
    if fewest < minimum:
        return ""
    return (
        f"; or split.n_bins={k}, which stratifies the split on {k} quantile bins of "
        f"{dataset.target or 'x'}: every "
        f"class then has at least {fewest} rows in each split"
    )


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
    thresholds = Thresholds.of_label(cfg.label)
    if thresholds.cut:
        return _prepare_folds_by_cuts(cfg, thresholds)
    labelled = load_labelled(cfg, thresholds)
    dataset = labelled.dataset
    warn_unused_parts(cfg.data, dataset, split_method(cfg))
    if split_method(cfg) == "rolling":
        setting = f"data.order={dataset.order_name}"
        folds = rolling_splits(dataset.order, cfg.split, dataset.groups, setting)
    else:
        folds = kfold_splits(dataset.x, cfg.split, dataset.groups, labelled.y)
    everything = {"all rows": class_counts(labelled.y, labelled.names)}
    minimum, target = int(cfg.label.min_per_split), dataset.target or "x"
    check_class_counts(everything, labelled.thresholds, minimum, target=target)
    method = split_method(cfg)
    return [(fold, prepare_split(labelled, fold.split, cfg, method, 1)) for fold in folds]


def _prepare_folds_by_cuts(cfg: Any, cut: Thresholds) -> list[tuple[Fold, PreparedData]]:
    """split=kfold (split=rolling) with label.bins / label.quantiles: each fold's rows are
    labelled by the cuts of that fold's training rows (its held-out rows move none of them).

    A fold's class k is the k-th quantile class of its training rows, so the pooled
    out-of-fold metrics compare class indices; the class names, the run's thresholds and
    threshold-sweep-predict use each cut's mean over the folds. The validation rows are
    stratified on x's quantile bins, as no labels exist before a fold's cuts.
    """
    dataset = load_dataset(cfg.data)
    method = split_method(cfg)
    warn_unused_parts(cfg.data, dataset, method)
    if method == "rolling":
        setting = f"data.order={dataset.order_name}"
        folds = rolling_splits(dataset.order, cfg.split, dataset.groups, setting)
    else:
        folds = kfold_splits(dataset.x, cfg.split, dataset.groups)
    per_fold = [label_by_cuts(dataset, cut, cfg.label.names, f.split.train) for f in folds]
    thresholds = [float(v) for v in np.mean([f.thresholds for f in per_fold], axis=0)]
    names = class_names(thresholds, cfg.label.names)
    record = {
        "from": per_fold[0].cuts.setting,
        "computed_on": (
            "each fold's training rows' x (numpy.quantile), labelling that fold's rows; "
            "value: each cut's mean over the folds (the class names, threshold and predict's)"
        ),
        "cuts": [{"quantile": q, "value": v} for q, v in zip(cut.levels, thresholds, strict=True)],
        "per_fold": {fold.name: f.thresholds for fold, f in zip(folds, per_fold, strict=True)},
    }
    labelled = [replace(f, names=names, thresholds=thresholds, label_cuts=record) for f in per_fold]
    held_out = np.zeros(len(names), dtype=np.int64)
    for fold, fold_labels in zip(folds, labelled, strict=True):
        if fold.repeat == 0:
            held_out += np.bincount(fold_labels.y[fold.split.test], minlength=len(names))
    _check_cut_counts(
        labelled[0],
        {"all rows": dict(zip(names, held_out.tolist(), strict=True))},
        {"all rows": np.arange(len(dataset))},
        int(cfg.label.min_per_split),
    )
    return [
        (fold, prepare_split(fold_labels, fold.split, cfg, method, 1))
        for fold, fold_labels in zip(folds, labelled, strict=True)
    ]


def _check_cut_counts(
    labelled: Labelled,
    counts: dict[str, dict[str, int]],
    rows: dict[str, np.ndarray],
    minimum: int,
) -> None:
    """check_class_counts for labels by thresholds; for cuts, its message suggests the largest
    label.bins that leaves every class `minimum` rows in each split of `rows`."""
    cuts = labelled.cuts
    if cuts is None:
        target = labelled.dataset.target or "x"
        check_class_counts(counts, labelled.thresholds, minimum, target=target)
        return
    if all(c >= minimum for split in counts.values() for c in split.values()):
        return
    x = labelled.dataset.x
    train = rows.get("train", next(iter(rows.values())))
    largest = largest_counted_bins(
        x[train], [x[r] for r in rows.values()], len(cuts.values), minimum
    )
    fix = (
        f"use at most label.bins={largest} (the largest that leaves every class "
        f"label.min_per_split={minimum} rows in each split), add data, or lower "
        "label.min_per_split"
        if largest >= 2
        else "add data, or lower label.min_per_split"
    )
    check_class_counts(counts, cuts.values, minimum, setting=cuts.setting, fix=fix)


def fit_standardizer(data_cfg: Any, X: np.ndarray, train: np.ndarray) -> Standardizer:
    """data.transform (checked on every row) and data.standardize's statistics of the training
    rows."""
    transform = data_cfg.get("transform", "none")
    transform = str(getattr(transform, "value", transform))
    check_transform(transform, X, "the data")
    per = data_cfg.get("standardize", "step")
    return Standardizer.fit(X[train], transform, str(getattr(per, "value", per)))


def prepare_split(
    labelled: Labelled,
    split: Split,
    cfg: Any,
    method: str,
    min_per_split: int,
    plan: SamplingPlan = RESAMPLE,
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
    _check_split_counts(labelled, split, checked, min_per_split, plan)
    training = _training_rows(cfg, split, y, plan)
    counts_after = dict(counts_before)
    counts_after["train"] = class_counts(y[training.indices], names)
    standardizer = fit_standardizer(cfg.data, dataset.X, split.train)
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
            ignored=dataset.column_notes,
            id_column=dataset.id_column,
        ),
        split_record=split_record(
            method,
            split,
            counts_before,
            dataset.order,
            dataset.order_name,
            dataset.group,
            _part_setting(cfg.data, dataset) if dataset.parts is not None else None,
            _carved(cfg, dataset, method),
        ),
        label_cuts=labelled.label_cuts,
    )


def _check_split_counts(
    labelled: Labelled,
    split: Split,
    checked: dict[str, dict[str, int]],
    min_per_split: int,
    plan: SamplingPlan,
) -> None:
    """Every checked split holds min_per_split rows of each class (of each threshold's side,
    when the plan asks per threshold)."""
    y = labelled.y
    if plan.per_threshold:  # every threshold's two sides need rows, not every class
        sides = {
            name: threshold_sides(y[rows], labelled.thresholds) for name, rows in split.items()
        }
        setting = labelled.cuts.setting if labelled.cuts else None
        check_class_counts(
            {name: counts for name, counts in sides.items() if name in checked},
            labelled.thresholds,
            min_per_split,
            setting=setting,
            fix="use fewer or less extreme thresholds, add data, or lower label.min_per_split",
        )
        return
    _check_cut_counts(
        labelled,
        checked,
        {name: rows for name, rows in split.items() if name in checked},
        min_per_split,
    )


def _training_rows(cfg: Any, split: Split, y: np.ndarray, plan: SamplingPlan) -> TrainingRows:
    """The training rows sampling.strategy makes, or every training row once, unweighted."""
    if not plan.resample:
        return TrainingRows(indices=split.train, class_weight=None)
    return bind(cfg.sampling, "sampling")(split.train, y)


def threshold_sides(y: np.ndarray, thresholds: list[float]) -> dict[str, int]:
    """Rows at or below and above each threshold (class k lies above thresholds 1..k)."""
    counts: dict[str, int] = {}
    for k, t in enumerate(thresholds):
        counts[f"x<={t:g}"] = int(np.sum(y <= k))
        counts[f"x>{t:g}"] = int(np.sum(y > k))
    return counts


def _split(dataset: Dataset, cfg: Any, method: str) -> Split:
    """The split of split.method, with the rows' groups, order and parts."""
    if dataset.order is not None and method != "time":
        log.warning(
            "data.order=%s orders the rows only for split=time; split.method=%s ignores it",
            dataset.order_name,
            method,
        )
    warn_unused_parts(cfg.data, dataset, method)
    return split_rows(
        dataset.x,
        cfg.split,
        dataset.groups,
        _group_setting(cfg.data, dataset),
        dataset.order,
        f"data.order={dataset.order_name}",
        dataset.parts,
        _part_setting(cfg.data, dataset),
    )


def warn_unused_parts(data_cfg: Any, dataset: Dataset, method: str) -> None:
    """Log that the rows' parts (data.part / data.part_key) serve only split=predefined."""
    if dataset.parts is not None and method != "predefined":
        log.warning(
            "%s names the rows' parts only for split=predefined; split.method=%s ignores it",
            _part_setting(data_cfg, dataset),
            method,
        )


def _part_setting(data_cfg: Any, dataset: Dataset) -> str:
    """The option that named the parts, for messages: data.part=part or data.part_key=part."""
    key = "part_key" if "part_key" in data_cfg else "part"
    return f"data.{key}={dataset.part}" if dataset.part else f"data.{key}"


def _carved(cfg: Any, dataset: Dataset, method: str) -> float | None:
    """split=predefined without rows marked validation: the share of the train part carved out
    to validate (None otherwise)."""
    if method != "predefined" or dataset.parts is None or (dataset.parts == "validation").any():
        return None
    return float(cfg.split.validation_fraction)


def _grouping(dataset: Dataset, split: Split) -> GroupCheck | None:
    """A grouped split's column and groups per split (None when rows were split one by one)."""
    if dataset.groups is None:
        return None
    return group_check(dataset.group or "groups", dataset.groups, split)


def _group_setting(data_cfg: Any, dataset: Dataset) -> str:
    """The option that named the groups, for messages: data.group=subject or data.group_key=g."""
    key = "group_key" if "group_key" in data_cfg else "group"
    return f"data.{key}={dataset.group}" if dataset.group else "the data's groups"
