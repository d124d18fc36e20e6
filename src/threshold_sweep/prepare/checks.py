"""Facts about the data that change how a run's numbers read: test rows already seen in
training, and table columns fed to the CNN as if they were the steps of one series."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypedDict

import numpy as np

_NUMBERED = re.compile(r"^(.*?)(\d+(?:\.\d+)?)$")


class DataChecks(TypedDict):
    """metrics.json's `data_checks`: duplicated test rows and the sequence's columns."""

    test_rows_in_train: int
    test_rows: int
    sequence_columns: list[str] | None
    columns_look_like_a_series: bool | None


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


def data_checks(
    X: np.ndarray, train: np.ndarray, test: np.ndarray, columns: Sequence[str]
) -> DataChecks:
    """The checks of one prepared dataset (`columns`: a table's feature columns, or none)."""
    return {
        "test_rows_in_train": rows_seen_in_training(X, train, test),
        "test_rows": len(test),
        "sequence_columns": list(columns) or None,
        "columns_look_like_a_series": looks_like_a_series(columns) if columns else None,
    }
