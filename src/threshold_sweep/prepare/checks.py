"""Facts about the data that change how a run's numbers read: test rows already seen in
training, entities (values of an id-like column) on both sides of the split, the grouping of a
grouped split, and table columns fed to the CNN as if they were the steps of one series."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TypedDict

import numpy as np
import pandas as pd

from threshold_sweep.data import IdColumn, IgnoredColumn
from threshold_sweep.data.columns import looks_like_an_entity
from threshold_sweep.prepare.split import Split

_NUMBERED = re.compile(r"^(.*?)(\d+(?:\.\d+)?)$")


class GroupCheck(TypedDict):
    """A grouped split: the group column (or array) and its distinct values per split."""

    column: str
    n_groups: int
    groups: dict[str, int]


class SharedValues(TypedDict):
    """An id-like column not grouped by: its values found in both train and test."""

    column: str
    values: int
    test_rows: int


class DataChecks(TypedDict):
    """metrics.json's `data_checks`: duplicated test rows, entities on both sides of the
    split, the grouping, the sequence's columns, a table's ignored columns (why, and what they
    could serve) and the column the row ids came from."""

    test_rows_in_train: int
    test_rows: int
    sequence_columns: list[str] | None
    columns_look_like_a_series: bool | None
    group: GroupCheck | None
    shared_values: list[SharedValues]
    ignored_columns: list[IgnoredColumn]
    id_column: IdColumn | None


def rows_seen_in_training(X: np.ndarray, train: np.ndarray, test: np.ndarray) -> int:
    """How many test rows have a feature row identical to some training row."""
    flat = np.ascontiguousarray(X.reshape(len(X), -1))
    seen = {row.tobytes() for row in flat[train]}
    return int(sum(row.tobytes() in seen for row in flat[test]))


def looks_like_a_series(columns: Sequence[str]) -> bool:
    """True when the names are one stem with evenly increasing numbers (t1, t2 ... or 400, 410)."""
    matches = [_NUMBERED.match(str(name)) for name in columns]
    if len(columns) < 3 or not all(matches):
        return False
    stems = {match.group(1) for match in matches if match}
    numbers = np.array([float(match.group(2)) for match in matches if match])
    steps = np.diff(numbers)
    return len(stems) == 1 and bool(np.all(steps > 0)) and np.allclose(steps, steps[0])


def shared_values(
    column: str, values: np.ndarray, train: np.ndarray, test: np.ndarray
) -> SharedValues:
    """How many distinct values of `column` occur in both train and test, and in how many
    test rows."""
    codes, _ = pd.factorize(values)
    shared = np.intersect1d(codes[train], codes[test])
    shared = shared[shared >= 0]  # a missing value names no entity
    return {
        "column": column,
        "values": len(shared),
        "test_rows": int(np.isin(codes[test], shared).sum()),
    }


def group_check(name: str, groups: np.ndarray, split: Split) -> GroupCheck:
    """The group column and how many groups each split holds."""
    return {
        "column": name,
        "n_groups": len(pd.unique(groups)),
        "groups": {split_name: len(pd.unique(groups[rows])) for split_name, rows in split.items()},
    }


def data_checks(
    X: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    columns: Sequence[str],
    *,
    group: GroupCheck | None = None,
    other_columns: Mapping[str, np.ndarray] | None = None,
    ignored: Sequence[IgnoredColumn] = (),
    id_column: IdColumn | None = None,
) -> DataChecks:
    """The checks of one prepared dataset (`columns`: a table's feature columns, or none;
    `group`: a grouped split's; `other_columns`: non-feature columns whose values repeat;
    `ignored` and `id_column`: the table's notes, recorded as they are)."""
    entity_columns = {
        name: values
        for name, values in (other_columns or {}).items()
        if looks_like_an_entity(name, values)
    }
    return {
        "test_rows_in_train": rows_seen_in_training(X, train, test),
        "test_rows": len(test),
        "sequence_columns": list(columns) or None,
        "columns_look_like_a_series": looks_like_a_series(columns) if columns else None,
        "group": group,
        "shared_values": [
            shared_values(name, values, train, test) for name, values in entity_columns.items()
        ],
        "ignored_columns": list(ignored),
        "id_column": id_column,
    }


def distinct_shared(values: np.ndarray, splits: Sequence[Split]) -> int:
    """How many distinct values of a column occur on both sides of at least one split."""
    codes, _ = pd.factorize(values)
    shared = [np.intersect1d(codes[split.train], codes[split.test]) for split in splits]
    union = np.unique(np.concatenate(shared)) if shared else np.array([], dtype=codes.dtype)
    return int((union >= 0).sum())  # a missing value names no entity


def pooled_checks(
    per_fold: Sequence[DataChecks],
    splits: Sequence[Split],
    columns: Mapping[str, np.ndarray],
) -> DataChecks:
    """The checks of k-fold cross-validation, from each held-out fold's against its training
    folds (`splits`, with `columns`: the values of the checked id-like columns): counts of
    held-out rows summed over the folds (every row is held out once), a column's shared values
    counted once however many folds they straddle; the grouping is the first fold's."""
    first = per_fold[0]
    test_rows: dict[str, int] = {}
    for checks in per_fold:
        for entry in checks["shared_values"]:
            test_rows[entry["column"]] = test_rows.get(entry["column"], 0) + entry["test_rows"]
    shared: list[SharedValues] = [
        {"column": name, "values": distinct_shared(columns[name], splits), "test_rows": rows}
        for name, rows in test_rows.items()
    ]
    return {
        **first,
        "test_rows_in_train": sum(checks["test_rows_in_train"] for checks in per_fold),
        "test_rows": sum(checks["test_rows"] for checks in per_fold),
        "shared_values": shared,
    }
