"""What a table's columns that are not features look like: row ids, dates, entities measured in
several rows, and the setting each could serve."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from threshold_sweep.data import IdColumn, IgnoredColumn
from threshold_sweep.data.order import order_values
from threshold_sweep.data.readers import Table
from threshold_sweep.errors import UserError

log = logging.getLogger(__name__)

ID_NAME = re.compile(r"^id$|_id$", re.IGNORECASE)  # id, house_id, ID, House_ID
CAMEL_ID = re.compile(r"[a-z](Id|ID)$")  # houseId, sampleID
TIME_NAME = re.compile(r"date|time|year|month|day|week|stamp|epoch", re.IGNORECASE)
MIN_ROW_ID_ROWS = 10  # fewer rows: distinct whole numbers say little
DATE_SAMPLE = 50  # values parsed to tell a column of dates
# column names that say "one value per entity": subject, patient_id, station, siteId, ...
_ENTITY_NAME = re.compile(
    r"(^|[^a-z])(id|key|code|subject|patient|participant|person|individual|user|customer|"
    r"client|station|site|sensor|device|machine|household|family|animal|plant|batch|group|"
    r"cluster)s?($|[^a-z])",
    re.IGNORECASE,
)
MIN_ENTITY_VALUES = 10  # a column of another name needs this many distinct values ...
MIN_REPEATED_SHARE = 0.5  # ... and this share of its rows sharing their value with another


def id_name(column: str) -> bool:
    """Whether the name says id: id, *_id (any case) or camelCase *Id."""
    name = column.strip()
    return bool(ID_NAME.search(name) or CAMEL_ID.search(name))


def id_named_header(path_value: str, taken: set[str | None]) -> list[str]:
    """A CSV's columns named like ids that have no other role, to read as text ([] for other
    files, or when the header cannot be read: opening the file reports why)."""
    path = Path(str(path_value)).expanduser()
    if path.suffix.lower() != ".csv":
        return []
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return []
    return [str(c) for c in header if id_name(str(c)) and str(c) not in taken]


def _reads_as_numbers(table: Table, column: str) -> bool:
    """Whether a column is numeric, or text (an id read as text) whose every value is a number."""
    if table.is_numeric(column):
        return True
    values = pd.Series(table.values(column)).dropna()
    return bool(len(values)) and bool(pd.to_numeric(values, errors="coerce").notna().all())


def _distinct_and_present(values: np.ndarray) -> bool:
    """Whether every row has a value and no two rows share one."""
    return not pd.isna(values).any() and len(pd.unique(values)) == len(values)


def id_column_of(table: Table, configured: str | None, taken: set[str | None]) -> IdColumn | None:
    """data.id, or else the first column named id / *_id (`id` itself first) that holds a
    distinct value on every row and has no other role (`taken`)."""
    if configured is not None:
        return {"column": configured, "guessed": False}
    named = [c for c in table.columns if id_name(c) and c not in taken]
    for column in sorted(named, key=lambda c: c.strip().lower() != "id"):
        if _distinct_and_present(table.values(column)):
            log.warning(
                "data.id is unset: column %r holds the row ids (its name says id), not a "
                "feature; set data.id=%s to say so, or list it in data.features=[...] to use "
                "it as a model input",
                column,
                column,
            )
            return {"column": column, "guessed": True}
    return None


def counts_rows(values: np.ndarray) -> bool:
    """Whether whole numbers number the rows: a distinct one on every row (at least
    MIN_ROW_ID_ROWS rows) that runs through a range without gaps or rises row by row."""
    values = np.asarray(values)
    if values.dtype.kind not in "iu" or len(values) < MIN_ROW_ID_ROWS:
        return False
    if np.all(np.diff(values) > 0):
        return True
    low, high = int(values.min()), int(values.max())
    return high - low + 1 == len(values) and len(np.unique(values)) == len(values)


def id_like_columns(table: Table, taken: set[str | None]) -> dict[str, str]:
    """Numeric columns with no role that look like ids, and why: an id name, or whole numbers
    that number the rows (these are not features unless data.features lists them)."""
    found = {}
    for column in table.columns:
        if column in taken:
            continue
        if id_name(column) and _reads_as_numbers(table, column):
            found[column] = "its name says id"
        elif not table.is_numeric(column):
            continue
        elif table.is_integer(column) and counts_rows(table.values(column)):
            found[column] = "a different whole number on every row, like a row id"
    for column, reason in found.items():
        log.warning(
            "column %r is not used as a feature: %s; to use it, list every feature with "
            "data.features=[...]",
            column,
            reason,
        )
    return found


def looks_like_dates(values: np.ndarray) -> bool:
    """Whether a text column's first values read as dates (as data.order would read them)."""
    present = [v for v in np.asarray(values, dtype=object)[: DATE_SAMPLE * 4] if not pd.isna(v)]
    if not present:
        return False
    try:
        parsed = order_values(np.asarray(present[:DATE_SAMPLE], dtype=object), "data.order")
    except UserError:
        return False
    return parsed.dtype.kind == "M"


def _time_hint(table: Table, column: str) -> bool:
    """Whether a column could order the rows in time: dates, or numbers with a time-like name."""
    if table.is_numeric(column):
        return bool(TIME_NAME.search(column)) and table.is_integer(column)
    kind = np.asarray(table.values(column)[:1]).dtype.kind
    return kind == "M" or looks_like_dates(table.values(column))


def column_notes(
    table: Table,
    dropped: list[str],
    id_like: dict[str, str],
    repeated: dict[str, np.ndarray],
    settings: dict[str, str | None],
) -> list[IgnoredColumn]:
    """Why each ignored column is not a feature, and the setting it could serve (a time
    split's order or the split's groups) when that setting is unset."""
    notes: list[IgnoredColumn] = []
    for column in dropped:
        reason = id_like.get(column) or (
            "not listed in data.features" if table.is_numeric(column) else "not numeric"
        )
        hint = None
        if settings["data.order"] is None and _time_hint(table, column):
            hint = f"split=time data.order={column}"
        elif (
            settings["data.group"] is None
            and column in repeated
            and looks_like_an_entity(column, repeated[column])
        ):
            hint = f"data.group={column}"
        notes.append({"column": column, "reason": reason, "hint": hint})
    return notes


def log_hints(notes: list[IgnoredColumn]) -> None:
    """One INFO line naming the settings ignored columns could serve, if any."""
    hints = [f"{n['column']} -> {n['hint']}" for n in notes if n["hint"]]
    if hints:
        log.info("ignored columns that could serve a setting: %s", "; ".join(hints))


def repeated_columns(table: Table, columns: list[str], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The kept rows' values of those `columns` in which some value occurs more than once
    (and not every row has the same): possible entity ids for the leakage check."""
    repeated = {}
    for column in columns:
        values = table.values(column)[keep]
        codes, uniques = pd.factorize(values)
        if 2 <= len(uniques) < int((codes >= 0).sum()):
            repeated[column] = values
    return repeated


def looks_like_an_entity(name: str, values: np.ndarray) -> bool:
    """Whether a column not fed to the model may name entities measured in several rows.

    Its values must repeat (and not all be one). An id-like name (subject, patient_id,
    station, siteId) is enough; otherwise it needs MIN_ENTITY_VALUES distinct whole-number or
    text values and MIN_REPEATED_SHARE of its rows sharing their value with another row (a
    two-valued note, a measured float or a free-text comment does not qualify).
    """
    codes, uniques = pd.factorize(values)
    counts = np.bincount(codes[codes >= 0])
    if len(counts) < 2 or counts.max() < 2:
        return False
    if _ENTITY_NAME.search(name) or CAMEL_ID.search(name):
        return True
    if pd.api.types.infer_dtype(uniques) in ("floating", "mixed-integer-float"):
        numbers = np.asarray(uniques, dtype=float)
        if not np.all(numbers == np.round(numbers)):
            return False  # measured values, not names
    repeated_share = counts[counts > 1].sum() / counts.sum()
    return bool(len(counts) >= MIN_ENTITY_VALUES and repeated_share >= MIN_REPEATED_SHARE)
