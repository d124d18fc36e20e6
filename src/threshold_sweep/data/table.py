"""CSV or Parquet tables: the feature columns of a row form its sequence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.data import Dataset, IdColumn
from threshold_sweep.data.columns import (
    column_notes,
    id_column_of,
    id_like_columns,
    id_named_header,
    log_hints,
    repeated_columns,
)
from threshold_sweep.data.order import missing_order, order_values
from threshold_sweep.data.parts import missing_parts, part_labels
from threshold_sweep.data.readers import Table, read_table
from threshold_sweep.data.validate import (
    TargetUse,
    drop_or_reject_missing,
    existing_file,
    unique_ids,
)
from threshold_sweep.errors import UserError

SUFFIXES = (".csv", ".parquet", ".pq")


def _column_list(columns: Any) -> list[str]:
    """Turn the configured feature list into plain strings."""
    return [str(column) for column in columns]


def _numeric(table: Table, columns: list[str], path: Path, role: str, dtype: type) -> np.ndarray:
    """`columns` as one `dtype` array, rejecting non-numeric columns by name."""
    bad = [c for c in columns if not table.is_numeric(c)]
    if bad:
        fix = (
            "choose a numeric column with data.target=... or clean it"
            if role == "target"
            else "choose numeric columns with data.features=[...] or convert them"
        )
        raise UserError(
            f"{path.name}: {role} column(s) {', '.join(map(repr, bad))} are not numeric "
            f"(e.g. {table.example(bad[0])!r}); {fix}"
        )
    try:
        return table.matrix(columns, dtype)
    except (TypeError, ValueError) as error:
        raise UserError(f"{path.name}: cannot read {role} column(s) as numbers: {error}") from None


def load_table(cfg: Any, target_use: TargetUse = TargetUse.required, hints: bool = True) -> Dataset:
    """Load `cfg.path`: target column `cfg.target`, features `cfg.features`, ids `cfg.id` (or a
    column named id / *_id with a distinct value on every row), groups `cfg.group`, the rows'
    order `cfg.order` and parts `cfg.part` (`hints`: log the settings ignored columns could
    serve, for a run)."""
    group, order_column = getattr(cfg, "group", None), getattr(cfg, "order", None)
    part = getattr(cfg, "part", None)
    named_target = None if target_use == TargetUse.ignored else cfg.target
    listed = set(_column_list(cfg.features)) if cfg.features is not None else set()
    taken = listed | {named_target, group, order_column, part}
    guessed = id_named_header(cfg.path, taken) if cfg.id is None else []
    path, table = _open_table(cfg.path, cfg.id, group, part, *guessed)  # 007 stays 007
    target = named_target if _has_target(table, named_target, target_use) else None
    _check_named_columns(
        table,
        path,
        {
            "data.target": target,
            "data.id": cfg.id,
            "data.group": group,
            "data.order": order_column,
            "data.part": part,
        },
    )
    _check_not_target(
        named_target, {"data.group": group, "data.order": order_column, "data.part": part}
    )
    id_column = id_column_of(table, cfg.id, taken)
    roles = {named_target, id_column and id_column["column"], group, order_column, part}
    id_like = id_like_columns(table, roles | listed) if cfg.features is None else {}
    features = _feature_columns(table, path, cfg, named_target, id_column, id_like)
    x, X, groups, order, parts, keep = _kept_rows(table, path, cfg, target, features)
    dropped = [c for c in table.columns if c not in {*features, *roles}]
    repeated = repeated_columns(table, dropped, keep)
    settings = {"data.group": group, "data.order": order_column}
    notes = column_notes(table, dropped, id_like, repeated, settings)
    if hints:
        log_hints(notes)
    return Dataset(
        X=X[:, :, None],
        x=x,
        ids=_row_ids(table, path, id_column and id_column["column"], keep),
        source=str(path),
        target=named_target,
        features=features,
        ignored_columns=dropped,
        groups=groups,
        group=group,
        order=order,
        order_name=order_column,
        parts=parts,
        part=part,
        repeated_columns=repeated,
        id_column=id_column,
        column_notes=notes,
    )


ROLE_OF = {  # what the column a setting names must hold
    "data.group": "the column that identifies each row's entity (subject, station, ...)",
    "data.order": "the column of dates, timestamps or numbers that orders the rows in time",
    "data.part": "the column of train / test / validation that names each row's part",
}


def _check_not_target(target: str | None, named: dict[str, str | None]) -> None:
    """No column named by a setting (group, order, part) may be the target."""
    for key, column in named.items():
        if column is not None and column == target:
            raise UserError(f"{key}={column} is the target column: name {ROLE_OF[key]}")


KeptRows = tuple[
    np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray
]


def _kept_rows(
    table: Table, path: Path, cfg: Any, target: str | None, features: list[str]
) -> KeptRows:
    """The kept rows' target (NaN when not read), features, groups, order and parts, and which
    rows were kept: a row missing a value is dropped or rejected as `cfg.on_missing` says."""
    group, order_column = getattr(cfg, "group", None), getattr(cfg, "order", None)
    part = getattr(cfg, "part", None)
    x = _numeric(table, [target], path, "target", np.float64)[:, 0] if target is not None else None
    X = _numeric(table, features, path, "feature", np.float32)  # no float64 copy of the features
    parts = [(X, features)] if x is None else [(x, [target]), (X, features)]
    groups = table.values(group) if group is not None else None
    if groups is not None:
        parts.append((np.where(pd.isna(groups), np.nan, 0.0), [group]))
    order = None
    if order_column is not None:
        order = order_values(table.values(order_column), f"data.order={order_column}")
        parts.append((missing_order(order), f"order column {order_column!r} (data.order)"))
    row_parts = table.values(part) if part is not None else None
    if row_parts is not None:
        parts.append((missing_parts(row_parts), f"part column {part!r} (data.part)"))
    keep = drop_or_reject_missing(parts, path.name, cfg.on_missing)
    if x is None:
        x = np.full(len(X), np.nan)
    if not keep.all():
        x, X = x[keep], X[keep]
        groups = groups[keep] if groups is not None else None
        order = order[keep] if order is not None else None
        row_parts = row_parts[keep] if row_parts is not None else None
    if row_parts is not None:
        row_parts = part_labels(row_parts, f"data.part={part}")
    return x, X, groups, order, row_parts, keep


def _open_table(path_value: str, *text_columns: str | None) -> tuple[Path, Table]:
    """The checked path and its opened table, which must have data rows."""
    path = existing_file(path_value, SUFFIXES, "CSV or Parquet file")
    table = read_table(path, *text_columns)
    if table.n_rows == 0:
        raise UserError(f"data.path: {path} has a header but no rows; give a file with data rows")
    return path, table


def _has_target(table: Table, target: str | None, target_use: TargetUse) -> bool:
    """Whether to read the target column (new data to predict may come without one)."""
    if target is None:
        return False
    if target_use == TargetUse.if_present:
        return target in table.columns and table.is_numeric(target)
    return True


def _available(columns: list[str]) -> str:
    """The first columns, and a hint when the header looks like another separator's."""
    listed = f"(columns: {', '.join(columns[:20])})"
    if len(columns) == 1 and any(sep in columns[0] for sep in ";\t"):
        listed += " (the header looks ';'- or tab-separated: save the file comma-separated)"
    return listed


def _check_named_columns(table: Table, path: Path, named: dict[str, str | None]) -> None:
    """Every column named by a setting (key -> column, None for unset) must be in the file."""
    for key, column in named.items():
        if column is not None and column not in table.columns:
            raise UserError(
                f"{key}: no column {column!r} in {path.name} {_available(table.columns)}; "
                f"set {key}=<one of them>"
            )


def _feature_columns(
    table: Table,
    path: Path,
    cfg: Any,
    target: str | None,
    id_column: IdColumn | None,
    id_like: dict[str, str],
) -> list[str]:
    """The feature columns: `cfg.features` checked, or every numeric column but target, id,
    group, order, part and the id-like columns."""
    group, order = getattr(cfg, "group", None), getattr(cfg, "order", None)
    part = getattr(cfg, "part", None)
    ids = id_column["column"] if id_column else None
    if cfg.features is None:
        excluded = {target, ids, group, order, part, *id_like}
        features = [c for c in table.columns if c not in excluded and table.is_numeric(c)]
        if not features:
            seen = f" (id-like, so left out: {', '.join(id_like)})" if id_like else ""
            raise UserError(
                f"{path.name}: no numeric feature columns besides target {target!r}{seen}; "
                "list them with data.features=[col1,col2]"
            )
        return features
    features = _column_list(cfg.features)
    roles = {"target": target, "id": ids, "group": group, "order": order, "part": part}
    _check_listed_features(features, table.columns, path, roles)
    return features


def _check_listed_features(
    features: list[str], columns: list[str], path: Path, roles: dict[str, str | None]
) -> None:
    """data.features must name existing columns, once each, and not target, id, group, order
    or part."""
    missing = [c for c in features if c not in columns]
    if missing:
        raise UserError(
            f"data.features: no column(s) {', '.join(map(repr, missing))} in {path.name} "
            f"(columns: {', '.join(columns[:20])})"
        )
    if not features:
        raise UserError("data.features is empty: list at least one column, or null for all")
    for role, column in roles.items():
        if column is not None and column in features:
            raise UserError(
                f"data.features contains the {role} column {column!r}: remove it (the "
                f"{role} must not be a model input)"
            )
    repeated = sorted({c for c in features if features.count(c) > 1})
    if repeated:
        raise UserError(f"data.features lists {', '.join(map(repr, repeated))} twice")


def _row_ids(table: Table, path: Path, id_column: str | None, keep: np.ndarray) -> np.ndarray:
    """The kept rows' ids: the id column (filled, unique) or the original row numbers."""
    if id_column is None:
        return np.flatnonzero(keep)
    ids = table.values(id_column)[keep]
    if pd.isna(ids).any():
        raise UserError(f"{path.name}: id column {id_column!r} has empty cells; fill them")
    unique_ids(ids, f"{path.name}: id column {id_column!r}")
    return ids
