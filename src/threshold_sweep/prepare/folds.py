"""Repeated k-fold cross-validation (split=kfold): every row is tested once per repeat.

Folds are stratified on quantile bins of x, never on the label, so every threshold of a sweep
gets the same folds (the same seed and x give the same folds). Each fold's validation rows,
for early stopping and the tuned cutoff, are carved out of its training folds, stratified on
the labels when they are given (so that early stopping sees every class even when one is
rare; the held-out rows never depend on the labels). With groups
(data.group) whole groups go to one fold (scikit-learn's StratifiedGroupKFold), and the
validation rows are whole groups too.

Rolling origin (split=rolling): the rows sorted by data.order are cut into folds + 1 blocks of
about equal size; fold k trains on blocks 1..k (its latest validation_fraction for early
stopping) and tests on block k + 1, so no fold trains on a row later than one it tests and
the earliest block is never tested. Rows with equal order values stay in one block.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    train_test_split,
)

from threshold_sweep.errors import UserError
from threshold_sweep.prepare.split import Split, check_time_order, end_of_tie, quantile_bins


@dataclass(frozen=True)
class Fold:
    """One fold of one repeat: its training, validation and held-out (test) rows."""

    repeat: int  # from 0
    index: int  # from 0
    split: Split

    @property
    def name(self) -> str:
        """The fold's folder name: repeat1_fold1 for the first fold of the first repeat."""
        return f"repeat{self.repeat + 1}_fold{self.index + 1}"


def check_fold_settings(folds: int, repeats: int, n_rows: int) -> None:
    """split.folds of at least 2 and at most the rows; split.repeats of at least 1."""
    if folds < 2:
        raise UserError(f"split.folds={folds} must be at least 2 (5 or 10 are usual)")
    if repeats < 1:
        raise UserError(f"split.repeats={repeats} must be at least 1")
    if folds > n_rows // 4:
        raise UserError(
            f"split.folds={folds} is too many for {n_rows} rows: each fold's training part "
            f"needs rows for training and validation; use at most {max(2, n_rows // 4)} folds"
        )


def _strata(x: np.ndarray, n_bins: int, folds: int) -> np.ndarray:
    """x's quantile bins, as many as leave every bin at least `folds` rows (0s for one bin)."""
    n_bins = max(1, min(n_bins, len(x) // folds))
    return quantile_bins(x, n_bins) if n_bins > 1 else np.zeros(len(x), dtype=int)


def _validation_rows(
    rest: np.ndarray, x: np.ndarray, y: np.ndarray | None, n_validation: int, n_bins: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) rows of a fold's training part, stratified on the labels (when
    given) or x's bins."""
    strata = y[rest] if y is not None else _strata(x[rest], n_bins, 2)
    stratify = strata if np.bincount(strata).min() >= 2 else None
    train, validation = train_test_split(
        rest, test_size=n_validation, stratify=stratify, random_state=seed
    )
    return np.sort(train), np.sort(validation)


def _grouped_validation_rows(
    rest: np.ndarray, x: np.ndarray, groups: np.ndarray, n_validation: int, n_bins: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) rows of a fold's training part, whole groups to each."""
    codes = pd.factorize(groups[rest])[0]
    k = max(2, min(round(len(rest) / max(n_validation, 1)), codes.max() + 1))
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # "the least populated class has only ... members"
        warnings.simplefilter("ignore", UserWarning)
        train, validation = next(splitter.split(rest, _strata(x[rest], n_bins, k), codes))
    return np.sort(rest[train]), np.sort(rest[validation])


def kfold_splits(
    x: np.ndarray, cfg: Any, groups: np.ndarray | None = None, y: np.ndarray | None = None
) -> list[Fold]:
    """Every fold of every repeat of `cfg` (split.folds, repeats, validation_fraction, seed);
    `y`, the labels, stratifies each fold's validation rows."""
    folds, repeats, seed = int(cfg.folds), int(cfg.repeats), int(cfg.seed)
    check_fold_settings(folds, repeats, len(x))
    if not 0 < cfg.validation_fraction < 1 - 1 / folds:
        raise UserError(
            f"split.validation_fraction={cfg.validation_fraction:g} must be between 0 and "
            f"{1 - 1 / folds:g} with split.folds={folds} (it is taken from the training folds)"
        )
    n_validation = max(2, round(len(x) * cfg.validation_fraction))
    strata = _strata(x, int(cfg.n_bins), folds)
    if groups is None:
        splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
        held_out = [test for _, test in splitter.split(x, strata)]
    else:
        held_out = _grouped_held_out(strata, groups, folds, repeats, seed)
    result = []
    for position, test in enumerate(held_out):
        repeat, index = divmod(position, folds)
        rest = np.setdiff1d(np.arange(len(x)), test)
        fold_seed = seed + 1 + position
        if groups is None:
            train, validation = _validation_rows(
                rest, x, y, n_validation, int(cfg.n_bins), fold_seed
            )
        else:
            train, validation = _grouped_validation_rows(
                rest, x, groups, n_validation, int(cfg.n_bins), fold_seed
            )
        result.append(Fold(repeat, index, Split(train, validation, np.sort(test))))
    return result


def _grouped_held_out(
    strata: np.ndarray, groups: np.ndarray, folds: int, repeats: int, seed: int
) -> list[np.ndarray]:
    """Each repeat's held-out folds of whole groups, in repeat then fold order."""
    codes = pd.factorize(groups)[0]
    if codes.max() + 1 < folds:
        raise UserError(
            f"split.folds={folds} needs at least {folds} groups, but the data has "
            f"{codes.max() + 1}: use fewer folds, or more groups"
        )
    held_out = []
    for repeat in range(repeats):
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        with warnings.catch_warnings():  # "the least populated class has only ... members"
            warnings.simplefilter("ignore", UserWarning)
            held_out += [test for _, test in splitter.split(strata, strata, codes)]
    return held_out


def rolling_splits(
    order: np.ndarray | None, cfg: Any, groups: np.ndarray | None, order_setting: str
) -> list[Fold]:
    """split=rolling's folds: each trains on every block before its held-out block."""
    if order is None:
        raise UserError(
            "split=rolling needs data.order: set data.order=<column of dates or numbers>"
        )
    if groups is not None:
        raise UserError(
            "split=rolling cannot be combined with data.group yet: leave the grouping unset, "
            "or use split=kfold"
        )
    folds, repeats = int(cfg.folds), int(cfg.repeats)
    check_fold_settings(folds, 1, len(order))
    if repeats != 1:
        raise UserError(
            f"split.repeats={repeats}: split=rolling has one order, so one repeat; "
            "set split.repeats=1"
        )
    if not 0 < cfg.validation_fraction < 0.5:
        raise UserError(
            f"split.validation_fraction={cfg.validation_fraction:g} must be between 0 and 0.5 "
            "with split=rolling (it is the latest share of each fold's training rows)"
        )
    by_time = np.argsort(order, kind="stable")
    values = order[by_time]
    n = len(order)
    ends = [end_of_tie(values, max(1, round(n * k / (folds + 1)))) for k in range(1, folds + 1)]
    starts_and_ends = list(zip(ends, [*ends[1:], n], strict=True))
    result = []
    for index, (start, end) in enumerate(starts_and_ends):
        cut = _start_of_tie(values, round(start * (1 - cfg.validation_fraction)))
        split = Split(
            train=np.sort(by_time[:cut]),
            validation=np.sort(by_time[cut:start]),
            test=np.sort(by_time[start:end]),
        )
        _check_rolling_sizes(split, index, order_setting)
        check_time_order(order, split)
        result.append(Fold(0, index, split))
    return result


def _start_of_tie(values: np.ndarray, position: int) -> int:
    """Where the run of equal sorted `values` holding `position` starts (validation takes
    a tie at its boundary whole, so it is never empty while training rows remain)."""
    return int(np.searchsorted(values, values[min(position, len(values) - 1)], side="left"))


def _check_rolling_sizes(split: Split, index: int, order_setting: str) -> None:
    """Every part of a rolling fold needs 2 rows: ties of the order can swallow one."""
    sizes = {name: len(rows) for name, rows in split.items()}
    if min(sizes.values()) < 2:
        raise UserError(
            f"split=rolling with {order_setting}: fold {index + 1} gets too few rows (rows per "
            f"part: {sizes}; equal order values stay together); use fewer split.folds, a finer "
            "order, or more data"
        )
