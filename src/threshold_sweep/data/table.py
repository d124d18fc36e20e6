"""CSV or Parquet tables: the feature columns of a row form its sequence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.data import Dataset
from threshold_sweep.data.validate import drop_or_reject_missing, existing_file, unique_ids
from threshold_sweep.errors import UserError

SUFFIXES = (".csv", ".parquet", ".pq")


def read_frame(path: Path, id_column: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame (ids kept as text), or fail with one line."""
    try:
        if path.suffix.lower() == ".csv":
            dtype = {id_column: str} if id_column is not None else None
            return pd.read_csv(path, dtype=dtype)
        return pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise UserError(f"data.path: {path} is empty; give a file with a header and rows") from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"data.path: cannot read {path}: {reason}") from None


def _column_list(columns: Any) -> list[str]:
    """Turn the configured feature list into plain strings."""
    return [str(column) for column in columns]


def _numeric(
    frame: pd.DataFrame, columns: list[str], path: Path, role: str, dtype: type = np.float64
) -> np.ndarray:
    """Return `columns` as float64, rejecting non-numeric columns by name."""
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c])]
    bad = [c for c in bad if not pd.api.types.is_bool_dtype(frame[c])]
    if bad:
        example = frame[bad[0]].dropna().astype(str).head(1).tolist()
        fix = (
            "choose a numeric column with data.target=... or clean it"
            if role == "target"
            else "choose numeric columns with data.features=[...] or convert them"
        )
        raise UserError(
            f"{path.name}: {role} column(s) {', '.join(map(repr, bad))} are not numeric "
            f"(e.g. {example[0] if example else 'empty'!r}); {fix}"
        )
    return frame[columns].to_numpy(dtype=dtype)


def load_table(cfg: Any) -> Dataset:
    """Load `cfg.path`: target column `cfg.target`, features `cfg.features`, ids `cfg.id`."""
    path = existing_file(cfg.path, SUFFIXES, "CSV or Parquet file")
    frame = read_frame(path, cfg.id)
    frame.columns = [str(column) for column in frame.columns]
    if frame.empty:
        raise UserError(f"data.path: {path} has a header but no rows; give a file with data rows")
    available = ", ".join(frame.columns[:20])
    separator_hint = (
        " (the header looks ';'- or tab-separated: save the file comma-separated)"
        if len(frame.columns) == 1 and any(sep in frame.columns[0] for sep in ";\t")
        else ""
    )
    for key, column in (("data.target", cfg.target), ("data.id", cfg.id)):
        if column is not None and column not in frame.columns:
            raise UserError(
                f"{key}: no column {column!r} in {path.name} (columns: {available})"
                f"{separator_hint}; set {key}=<one of them>"
            )
    if cfg.features is None:
        excluded = {cfg.target, cfg.id}
        features = [
            c
            for c in frame.columns
            if c not in excluded and pd.api.types.is_numeric_dtype(frame[c])
        ]
        if not features:
            raise UserError(
                f"{path.name}: no numeric feature columns besides target {cfg.target!r}; "
                "list them with data.features=[col1,col2]"
            )
    else:
        features = _column_list(cfg.features)
        missing = [c for c in features if c not in frame.columns]
        if missing:
            raise UserError(
                f"data.features: no column(s) {', '.join(map(repr, missing))} in {path.name} "
                f"(columns: {available})"
            )
        if not features:
            raise UserError("data.features is empty: list at least one column, or null for all")
        for column, role in ((cfg.target, "target"), (cfg.id, "id")):
            if column is not None and column in features:
                raise UserError(
                    f"data.features contains the {role} column {column!r}: remove it (the "
                    f"{role} must not be a model input)"
                )
        repeated = sorted({c for c in features if features.count(c) > 1})
        if repeated:
            raise UserError(f"data.features lists {', '.join(map(repr, repeated))} twice")
    x = _numeric(frame, [cfg.target], path, "target")[:, 0]
    X = _numeric(frame, features, path, "feature", np.float32)  # no float64 copy of the features
    keep = drop_or_reject_missing(x, [cfg.target], path.name, cfg.on_missing)
    keep &= drop_or_reject_missing(X, features, path.name, cfg.on_missing)
    row_numbers = np.flatnonzero(keep)  # ids without an id column: the original row numbers
    if not keep.all():
        frame, x, X = frame[keep].reset_index(drop=True), x[keep], X[keep]
    if cfg.id is not None:
        ids = frame[cfg.id].to_numpy()
        if pd.isna(frame[cfg.id]).any():
            raise UserError(f"{path.name}: id column {cfg.id!r} has empty cells; fill them")
        unique_ids(ids, f"{path.name}: id column {cfg.id!r}")
    else:
        ids = row_numbers
    dropped = [c for c in frame.columns if c not in {*features, cfg.target, cfg.id}]
    return Dataset(
        X=X[:, :, None],
        x=x,
        ids=ids,
        source=str(path),
        target=cfg.target,
        features=features,
        ignored_columns=dropped,
    )
