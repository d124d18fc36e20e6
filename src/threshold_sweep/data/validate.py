"""Checks shared by the file loaders: every failure is one UserError line with its fix."""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from threshold_sweep.errors import UserError

log = logging.getLogger(__name__)


class TargetUse(str, Enum):
    """Whether a loader reads the target: every run needs it, new data to score may lack it."""

    required = "required"  # a run, or threshold-sweep-predict with data.target=NAME
    if_present = "if_present"  # read where present (a numeric column of a table), else none
    ignored = "ignored"  # never read (threshold-sweep-predict with data.target=null)


def existing_file(path_value: str, suffixes: tuple[str, ...], what: str) -> Path:
    """Return the path if it is a readable file with one of `suffixes`."""
    if path_value in (None, "", "???"):
        raise UserError(f"data.path is not set: add data.path=/path/to/file ({what})")
    path = Path(path_value).expanduser()
    if not path.exists():
        raise UserError(
            f"data.path: file not found: {path} (relative to {Path.cwd()}); "
            "give the path of an existing file"
        )
    if not path.is_file():
        raise UserError(f"data.path: {path} is a directory; give the path of a {what}")
    if path.suffix.lower() not in suffixes:
        raise UserError(
            f"data.path: unsupported file type {path.suffix or '(none)'!r} for {path.name}; "
            f"use one of {', '.join(suffixes)}"
        )
    return path


# values and the name(s) of their columns: one name (the whole array) or one per column
Part = tuple[np.ndarray, list[str] | str]


def finite_values(parts: list[Part], where: str, droppable: bool = True) -> None:
    """Reject NaN or infinite entries: a count for every bad column and the first bad rows."""
    counts, bad_rows = [], np.zeros(len(parts[0][0]), dtype=bool)
    for values, columns in parts:
        bad = ~np.isfinite(values.reshape(len(values), -1))
        if not bad.any():
            continue
        bad_rows |= bad.any(axis=1)
        if isinstance(columns, str):
            counts.append(f"{columns} has {int(bad.sum())}")
        else:
            per_column = bad.sum(axis=0)
            counts += [
                f"column {columns[i]!r} has {int(per_column[i])}"
                for i in np.flatnonzero(per_column)
            ]
    if not counts:
        return
    named = ", ".join(counts[:6]) + (
        f" (and {len(counts) - 6} more columns)" if len(counts) > 6 else ""
    )
    rows = np.flatnonzero(bad_rows)
    shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
    fix = "clean those rows, or skip them with data.on_missing=drop" if droppable else "fill them"
    raise UserError(
        f"{where}: {named} missing or infinite value(s) (rows {shown}, counting data rows "
        f"from 0); {fix}"
    )


def unique_ids(ids: np.ndarray, where: str) -> None:
    """Reject repeated ids, naming a few of them."""
    values, counts = np.unique(ids, return_counts=True)
    repeated = values[counts > 1]
    if len(repeated):
        shown = ", ".join(map(str, repeated[:5]))
        raise UserError(
            f"{where}: {len(repeated)} id value(s) occur more than once (e.g. {shown}); "
            "ids must be unique"
        )


def _finite_rows(values: np.ndarray) -> np.ndarray:
    """Row mask: True where every value of the row is finite."""
    rows = values.reshape(len(values), -1)
    if rows.dtype == np.float32 and rows.shape[1] > 1:
        # a float64 row sum is finite exactly when every float32 value is (it cannot overflow),
        # and needs no boolean copy of the whole array
        with np.errstate(invalid="ignore", over="ignore"):
            return np.isfinite(rows.sum(axis=1, dtype=np.float64))
    return np.isfinite(rows).all(axis=1)


def drop_or_reject_missing(parts: list[Part], where: str, policy: Any) -> np.ndarray:
    """Row mask of rows finite in every part; with policy 'error' any bad row stops the run."""
    finite = np.logical_and.reduce([_finite_rows(values) for values, _ in parts])
    if finite.all():
        return finite
    if getattr(policy, "value", policy) != "drop":
        finite_values(parts, where)
    kept = int(finite.sum())
    if kept == 0:
        raise UserError(f"{where}: every row has a missing or infinite value; nothing is left")
    log.warning(
        "%s: dropped %d row(s) with missing or infinite values (data.on_missing=drop); %d left",
        where,
        len(finite) - kept,
        kept,
    )
    return finite
