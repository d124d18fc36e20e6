"""One train/validation/test split shared by all thresholds, by one function per split.method.

random: stratified on quantile bins of x. With groups (data.group), whole groups go to one
split each: scikit-learn's StratifiedGroupKFold cuts the groups into k folds of about equal
size and equal mix of x's quantile bins, and the test and validation splits take whole folds.

time: the rows sorted by their order (data.order): the earliest train, the next validate, the
latest test; rows with equal order values stay in one split.

predefined: the data names each row's part (data.part / data.part_key): train and test as
marked; validation as marked, or else carved from the train part stratified on x's bins.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from threshold_sweep.conf.checks_data import check_part_fraction
from threshold_sweep.data.parts import part_labels
from threshold_sweep.errors import UserError
from threshold_sweep.layout import SPLITS

__all__ = ["SPLITS", "Split", "SplitInput", "split_rows"]

log = logging.getLogger(__name__)

MAX_FOLDS = 20  # a grouped split's fractions come in steps of 1/k for k folds
FOLD_TOLERANCE = 0.02  # the fewest folds whose fractions are this close (summed) are used


@dataclass(frozen=True)
class Split:
    """Row indices of each split."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def items(self) -> list[tuple[str, np.ndarray]]:
        """(name, indices) for train, validation and test."""
        return [(name, getattr(self, name)) for name in SPLITS]

    def fractions(self) -> dict[str, float]:
        """Each split's share of the rows."""
        n = sum(len(rows) for _, rows in self.items())
        return {name: len(rows) / n for name, rows in self.items()}


def check_fractions(validation_fraction: float, test_fraction: float) -> None:
    """Reject fractions that leave no room for a training split."""
    for key, value in (
        ("split.validation_fraction", validation_fraction),
        ("split.test_fraction", test_fraction),
    ):
        if not 0 < value < 1:
            raise UserError(f"{key}={value} must be between 0 and 1 (exclusive), e.g. 0.15")
    if validation_fraction + test_fraction >= 1:
        raise UserError(
            f"split.validation_fraction + split.test_fraction = "
            f"{validation_fraction + test_fraction:g} leaves no training rows; keep the sum < 1"
        )


def quantile_bins(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Assign each row to one of up to `n_bins` equal-count bins of x."""
    return pd.qcut(pd.Series(x).rank(method="first"), q=n_bins, labels=False).to_numpy()


@dataclass(frozen=True)
class SplitInput:
    """What a split method may read: x, and the groups or the order of the rows with the
    options that named them (for messages: data.group=subject, data.order=date)."""

    x: np.ndarray
    groups: np.ndarray | None = None
    group_setting: str = "data.group"
    order: np.ndarray | None = None
    order_setting: str = "data.order"
    parts: np.ndarray | None = None
    part_setting: str = "data.part"


def split_sizes(n: int, cfg: Any) -> tuple[int, int]:
    """(test rows, validation rows) by the fractions; every split needs at least 2 rows."""
    check_fractions(cfg.validation_fraction, cfg.test_fraction)
    n_test = round(n * cfg.test_fraction)
    n_validation = round(n * cfg.validation_fraction)
    if min(n_test, n_validation, n - n_test - n_validation) < 2:
        raise UserError(
            f"{n} rows are too few for split fractions {cfg.validation_fraction:g}/"
            f"{cfg.test_fraction:g}: every split needs at least 2 rows; add data"
        )
    return n_test, n_validation


def split_rows(
    x: np.ndarray,
    cfg: Any,
    groups: np.ndarray | None = None,
    group_setting: str = "data.group",
    order: np.ndarray | None = None,
    order_setting: str = "data.order",
    parts: np.ndarray | None = None,
    part_setting: str = "data.part",
) -> Split:
    """Split row indices by `cfg.method` (random when the config has none): see SPLITTERS.

    With `groups` (one value per row, named by the option `group_setting` in messages) every
    group goes to exactly one split; `order` (named by `order_setting`) orders a time split;
    `parts` (train / validation / test per row, named by `part_setting`) a predefined one.
    """
    method = getattr(cfg, "method", "random")
    rows = SplitInput(x, groups, group_setting, order, order_setting, parts, part_setting)
    return SPLITTERS[str(getattr(method, "value", method))](rows, cfg)


def random_split(rows: SplitInput, cfg: Any) -> Split:
    """Split row indices by `cfg.seed`, stratified on x's quantile bins (never on the label);
    whole groups when the rows have them."""
    x = rows.x
    n = len(x)
    n_test, n_validation = split_sizes(n, cfg)
    n_bins = max(1, min(int(cfg.n_bins), n_test // 2, n_validation // 2))
    if rows.groups is not None:
        return grouped_split(x, rows.groups, cfg, n_bins, rows.group_setting)
    strata = quantile_bins(x, n_bins) if n_bins > 1 else None
    # `rest` stays in train_test_split's order: the second draw depends on it
    rest, test = train_test_split(
        np.arange(n), test_size=n_test, stratify=strata, random_state=int(cfg.seed)
    )
    rest_strata = strata[rest] if strata is not None else None
    train, validation = stratified_carve(rest, n_validation, rest_strata, int(cfg.seed) + 1)
    return Split(train=train, validation=validation, test=np.sort(test))


def stratified_carve(
    rows: np.ndarray, n_out: int, strata: np.ndarray | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, carved) sorted: `n_out` of `rows` drawn by `seed`, stratified on `strata` (one
    per row of `rows`; None: unstratified)."""
    kept, carved = train_test_split(rows, test_size=n_out, stratify=strata, random_state=seed)
    return np.sort(kept), np.sort(carved)


def time_split(rows: SplitInput, cfg: Any) -> Split:
    """The earliest rows train, the next validate, the latest test (no seed, no strata).

    The rows are sorted by their order (stably); each boundary falls after the fractions'
    number of rows, moved on to the end of a run of equal order values, so that rows of the
    same time are never on both sides of it.
    """
    if rows.order is None:
        raise UserError("split=time needs data.order: set data.order=<column of dates or numbers>")
    if rows.groups is not None:
        raise UserError(
            f"split=time cannot be combined with {rows.group_setting} yet: leave the grouping "
            "unset, or use split=default"
        )
    order = rows.order
    n = len(order)
    n_test, n_validation = split_sizes(n, cfg)
    by_time = np.argsort(order, kind="stable")
    values = order[by_time]
    train_end = end_of_tie(values, n - n_test - n_validation)
    validation_end = end_of_tie(values, max(n - n_test, train_end + 1))
    split = Split(
        train=np.sort(by_time[:train_end]),
        validation=np.sort(by_time[train_end:validation_end]),
        test=np.sort(by_time[validation_end:]),
    )
    check_time_order(order, split)
    _check_time_sizes(split, rows.order_setting)
    return split


def end_of_tie(values: np.ndarray, end: int) -> int:
    """Where a split of the sorted `values` that would end before position `end` ends, once the
    rows equal to its last value join it."""
    return int(np.searchsorted(values, values[min(end, len(values)) - 1], side="right"))


def check_time_order(order: np.ndarray, split: Split) -> None:
    """Stop (a bug, not bad input) unless every split is strictly later than the one before."""
    parts = [order[rows] for _, rows in split.items() if len(rows)]
    for earlier, later in pairwise(parts):
        if not earlier.max() < later.min():
            raise RuntimeError("time split: a split is not strictly later than the one before")


def _check_time_sizes(split: Split, order_setting: str) -> None:
    """Every split needs 2 rows: ties of the order can swallow a split."""
    sizes = {name: len(rows) for name, rows in split.items()}
    if min(sizes.values()) < 2:
        raise UserError(
            f"split=time with {order_setting}: rows with the same order value stay in one split, "
            f"and the ties leave a split too small (rows per split: {sizes}); give a finer order "
            "(a timestamp rather than a day), more data, or other split fractions"
        )


def predefined_split(rows: SplitInput, cfg: Any) -> Split:
    """Train and test rows as the data marks them; validation rows as marked, or else
    split.validation_fraction of the train part, stratified on x's bins by split.seed."""
    setting = rows.part_setting
    if rows.parts is None:
        raise UserError(
            "split=predefined needs each row's part: set data.part=<column> (data=table) or "
            "data.part_key=<array> (data=arrays) holding train, test and optionally validation"
        )
    if rows.groups is not None:
        raise UserError(
            f"split=predefined cannot be combined with {rows.group_setting}: the data's parts "
            "already say which rows train and test; leave the grouping unset"
        )
    check_part_fraction(cfg.validation_fraction)
    parts = part_labels(rows.parts, setting)
    marked = {name: np.flatnonzero(parts == name) for name in SPLITS}
    for name in ("train", "test"):
        if not len(marked[name]):
            raise UserError(
                f"{setting}: no row is marked {name} ({_part_counts(marked)}); mark some rows "
                f"{name}, or use split=default"
            )
    train, validation = marked["train"], marked["validation"]
    if not len(validation):
        train, validation = carve_validation(rows.x, train, cfg, setting)
    split = Split(train=train, validation=validation, test=marked["test"])
    if min(len(part) for _, part in split.items()) < 2:
        raise UserError(
            f"{setting}: every split needs at least 2 rows ({_part_counts(dict(split.items()))}); "
            "mark more rows of the small part, or add data"
        )
    return split


def _part_counts(marked: dict[str, np.ndarray]) -> str:
    """'rows: train 150, validation 0, test 1', for messages."""
    return "rows: " + ", ".join(f"{name} {len(rows)}" for name, rows in marked.items())


def carve_validation(
    x: np.ndarray, train: np.ndarray, cfg: Any, setting: str
) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation): round(split.validation_fraction x the train part's rows) carved
    out of `train` by split.seed, stratified on x's quantile bins within the train part."""
    n, fraction = len(train), float(cfg.validation_fraction)
    n_validation = round(n * fraction)
    if min(n_validation, n - n_validation) < 2:
        raise UserError(
            f"{setting}: the {n} rows marked train are too few to carve "
            f"split.validation_fraction={fraction:g} of them out for validation (every split "
            "needs at least 2 rows); mark validation rows, or mark more rows train"
        )
    # one validation row per bin at the finest: a tiny train part (a UCR set's 40 rows, 6
    # carved) then keeps every class of a coded x in validation, which two bins did not
    n_bins = max(1, min(int(cfg.n_bins), n_validation, (n - n_validation) // 2))
    strata = quantile_bins(x[train], n_bins) if n_bins > 1 else None
    return stratified_carve(train, n_validation, strata, int(cfg.seed))


SPLITTERS: dict[str, Callable[[SplitInput, Any], Split]] = {
    "random": random_split,
    "time": time_split,
    "predefined": predefined_split,
}


def _whole_folds(fraction: float, k: int) -> set[int]:
    """The whole numbers of folds (at least 1) on either side of `fraction` of k."""
    return {max(1, math.floor(fraction * k)), max(1, math.ceil(fraction * k))}


def fold_plan(
    n_groups: int, validation_fraction: float, test_fraction: float
) -> tuple[int, int, int]:
    """(k folds, test folds, validation folds) whose shares come closest to the fractions.

    The fewest folds within FOLD_TOLERANCE win (larger folds mix x's bins better, and
    StratifiedGroupKFold's time grows with k); else the closest plan with up to MAX_FOLDS.
    """
    plans = [
        (
            abs(m_test / k - test_fraction) + abs(m_validation / k - validation_fraction),
            k,
            m_test,
            m_validation,
        )
        for k in range(3, min(MAX_FOLDS, n_groups) + 1)
        for m_test in _whole_folds(test_fraction, k)
        for m_validation in _whole_folds(validation_fraction, k)
        if m_test + m_validation < k
    ]
    close = [plan for plan in plans if plan[0] <= FOLD_TOLERANCE]
    if close:
        _, k, m_test, m_validation = min(close, key=lambda plan: (plan[1], plan[0]))
    else:
        _, k, m_test, m_validation = min(plans)  # the closest; the fewest folds on a tie
    return k, m_test, m_validation


def grouped_split(
    x: np.ndarray, groups: np.ndarray, cfg: Any, n_bins: int, group_setting: str
) -> Split:
    """Whole groups to each split: k stratified group folds, whole folds for test and
    validation (k and the fold counts from fold_plan)."""
    codes, values = pd.factorize(groups)
    n, n_groups = len(x), len(values)
    if n_groups == 1:
        raise UserError(
            f"{group_setting}: all {n} rows have the same value {str(values[0])!r}, one group that "
            "cannot be split; name the column whose values identify the entities (subject, "
            "station, ...), or leave it unset to split rows"
        )
    if n_groups < 3:
        raise UserError(
            f"{group_setting}: {n_groups} groups are too few for train, validation and test "
            "(each group goes to one split, so at least 3 are needed and ~20 give fractions "
            "near split.*_fraction); add data with more groups, or leave it unset to split rows"
        )
    k, m_test, m_validation = fold_plan(n_groups, cfg.validation_fraction, cfg.test_fraction)
    n_bins = max(1, min(n_bins, n // k))  # every bin has at least k rows
    strata = quantile_bins(x, n_bins) if n_bins > 1 else np.zeros(n, dtype=int)
    folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=int(cfg.seed))
    fold = np.empty(n, dtype=int)
    with warnings.catch_warnings():  # "the least populated class has only ... members"
        warnings.simplefilter("ignore", UserWarning)
        for index, (_, rows) in enumerate(folds.split(np.zeros(n), strata, codes)):
            fold[rows] = index
    split = Split(
        train=np.flatnonzero(fold >= m_test + m_validation),
        validation=np.flatnonzero((fold >= m_test) & (fold < m_test + m_validation)),
        test=np.flatnonzero(fold < m_test),
    )
    check_groups_kept_together(codes, split)
    _check_grouped_sizes(split, cfg, group_setting, n_groups)
    return split


def groups_in_several_splits(groups: np.ndarray, split: Split) -> int:
    """How many distinct groups have rows in more than one split."""
    seen = [set(pd.unique(groups[rows])) for _, rows in split.items()]
    return len((seen[0] & seen[1]) | (seen[0] & seen[2]) | (seen[1] & seen[2]))


def check_groups_kept_together(groups: np.ndarray, split: Split) -> None:
    """Stop (a bug, not bad input) if any group has rows in two splits."""
    straddling = groups_in_several_splits(groups, split)
    if straddling:
        raise RuntimeError(f"grouped split: {straddling} group(s) have rows in two splits")


def _check_grouped_sizes(split: Split, cfg: Any, group_setting: str, n_groups: int) -> None:
    """Every split needs 2 rows; warn when the groups put a split far from its fraction."""
    sizes = {name: len(rows) for name, rows in split.items()}
    if min(sizes.values()) < 2:
        raise UserError(
            f"{group_setting}: the {n_groups} groups are too unequal in size for three splits "
            f"(rows per split: {sizes}); add data with more groups, or leave it unset"
        )
    fractions = split.fractions()
    wanted = {"validation": cfg.validation_fraction, "test": cfg.test_fraction}
    for name, fraction in wanted.items():
        if abs(fractions[name] - fraction) > max(0.05, fraction / 3):
            log.warning(
                "%s: the %s split has %.1f%% of the rows (split.%s_fraction=%g), made of whole "
                "groups of the %d; more groups, or groups of more even sizes, come closer",
                group_setting,
                name,
                100 * fractions[name],
                name,
                fraction,
                n_groups,
            )
