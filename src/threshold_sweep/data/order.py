"""The order of the rows (data.order) for a time split: numbers stay numbers, text becomes dates.

An order array is int64, float64 (NaN = missing) or datetime64 (NaT = missing); times with a
time zone are converted to UTC. Every failure is one UserError naming data.order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from threshold_sweep.errors import UserError

DATE_EXAMPLES = "ISO dates or times such as 2019-03-01 or 2019-03-01T12:30"


def order_values(values: np.ndarray, setting: str) -> np.ndarray:
    """The order as numbers or datetime64; `setting` (data.order=date) names it in messages."""
    kind = np.asarray(values).dtype.kind
    if kind == "b":
        raise UserError(
            f"{setting}: true/false values cannot order rows in time; name a column of dates, "
            "timestamps or numbers"
        )
    if kind in "iu":
        return np.asarray(values, dtype=np.int64)
    if kind == "f":
        return np.asarray(values, dtype=np.float64)
    if kind == "M":
        return np.asarray(values)
    if kind in "OUS":
        return _parsed(pd.Series(np.asarray(values, dtype=object)), setting)
    raise UserError(
        f"{setting}: values of type {np.asarray(values).dtype} cannot be ordered; give dates, "
        "timestamps or numbers"
    )


def _parsed(text: pd.Series, setting: str) -> np.ndarray:
    """Text (or date objects) as numbers when every value is one, else as dates."""
    present = text.notna() & (text.astype(str).str.strip() != "")
    if present.any() and text[present].map(_is_number).all():
        numbers = pd.to_numeric(text.where(present), errors="coerce")
        return numbers.to_numpy(dtype=np.float64)
    dates = _to_datetime(text.where(present))
    bad = present & dates.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise UserError(
            f"{setting}: {str(text.iloc[row])!r} (row {row}, counting data rows from 0) is not a "
            f"date, a time or a number; give {DATE_EXAMPLES}, or numbers, and clean that row"
        )
    if dates.dt.tz is not None:
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    return dates.to_numpy()


def _is_number(value: object) -> bool:
    """Whether a text value reads as a number (not a date such as 2019-03-01)."""
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _to_datetime(text: pd.Series) -> pd.Series:
    """Dates of any format pandas reads, value by value; times in several zones become UTC."""
    try:
        return pd.to_datetime(text, errors="coerce", format="mixed")
    except (ValueError, TypeError):  # time zones that differ from row to row
        return pd.to_datetime(text, errors="coerce", format="mixed", utc=True)


def missing_order(order: np.ndarray) -> np.ndarray:
    """NaN where a row has no order value (NaN, infinite, NaT), 0 elsewhere."""
    if order.dtype.kind == "M":
        return np.where(np.isnat(order), np.nan, 0.0)
    if order.dtype.kind == "f":
        return np.where(np.isfinite(order), 0.0, np.nan)
    return np.zeros(len(order))


def whole_days(order: np.ndarray) -> bool:
    """Whether every value is a date at midnight (shown as 2019-03-01, without the time)."""
    if order.dtype.kind != "M":
        return False
    days = order.astype("datetime64[D]")
    return bool(np.all(days == order))


def order_text(value: object, days: bool = False) -> str | float | int:
    """A JSON value for one order value: ISO text for a date (the day alone when `days`), else
    the number."""
    if isinstance(value, np.datetime64):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if days else stamp.isoformat()
    if isinstance(value, np.integer | int):
        return int(value)
    return float(value)
