"""NumPy .npz archives: a sequence array and a target vector under configurable keys."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from threshold_sweep.data import Dataset
from threshold_sweep.data.order import missing_order, order_values
from threshold_sweep.data.parts import missing_parts, part_labels
from threshold_sweep.data.validate import (
    TargetUse,
    drop_or_reject_missing,
    existing_file,
    finite_values,
    unique_ids,
)
from threshold_sweep.errors import UserError


def load_arrays(cfg: Any, target_use: TargetUse = TargetUse.required) -> Dataset:
    """Load sequences `cfg.sequences_key` and target `cfg.target_key` from an .npz file (and
    the rows' groups `cfg.group_key`, order `cfg.order` and parts `cfg.part_key`)."""
    path = existing_file(cfg.path, (".npz",), ".npz file")
    target_key = None if target_use == TargetUse.ignored else cfg.target_key
    group_key, order_key = getattr(cfg, "group_key", None), getattr(cfg, "order", None)
    part_key = getattr(cfg, "part_key", None)
    keys = ArchiveKeys(target_key, group_key, order_key, part_key)
    X, x, ids, groups, order, row_parts, has_target = _read_archive(path, cfg, keys, target_use)
    where = path.name
    X = _check_shapes(X, x, ids, where, cfg)
    x = x.astype(np.float64)
    X = X.astype(np.float32, copy=False)
    parts = [(X, f"sequences {cfg.sequences_key!r}")]
    if has_target:
        parts.insert(0, (x, f"target {target_key!r}"))
    if groups is not None:
        parts.append((_group_missing(groups, where, group_key, x.shape), f"groups {group_key!r}"))
    if order is not None:
        order = _order(order, where, order_key, x.shape)
        parts.append((missing_order(order), f"order {order_key!r} (data.order)"))
    if row_parts is not None:
        _check_row_shape(row_parts, where, f"data.part_key={part_key}", x.shape)
        parts.append((missing_parts(row_parts), f"parts {part_key!r} (data.part_key)"))
    keep = drop_or_reject_missing(parts, where, cfg.on_missing)
    if not keep.all():
        X, x = X[keep], x[keep]
        ids = ids[keep] if ids is not None else np.flatnonzero(keep)
        groups = groups[keep] if groups is not None else None
        order = order[keep] if order is not None else None
        row_parts = row_parts[keep] if row_parts is not None else None
    if row_parts is not None:
        row_parts = part_labels(row_parts, f"data.part_key={part_key}")
    return Dataset(
        X=X,
        x=x,
        ids=_checked_ids(ids, len(x), where, cfg.id_key),
        source=str(path),
        target=target_key,
        groups=groups,
        group=group_key,
        order=order,
        order_name=order_key,
        parts=row_parts,
        part=part_key,
    )


def _order(order: np.ndarray, where: str, order_key: str, shape: tuple[int, ...]) -> np.ndarray:
    """The order array as numbers or dates, after checking there is one value per row."""
    if order.shape != shape:
        raise UserError(
            f"{where}: data.order={order_key} has shape {order.shape}; expected {shape}, one "
            "value per row"
        )
    return order_values(order, f"data.order={order_key}")


def _check_row_shape(values: np.ndarray, where: str, setting: str, shape: tuple[int, ...]) -> None:
    """One value per row, or one line naming the setting and the shapes."""
    if values.shape != shape:
        raise UserError(
            f"{where}: {setting} has shape {values.shape}; expected {shape}, one value per row"
        )


def _group_missing(
    groups: np.ndarray, where: str, group_key: str, shape: tuple[int, ...]
) -> np.ndarray:
    """NaN where a row has no group (NaN or infinite numbers), 0 elsewhere, after checking
    that there is one group per row."""
    if groups.shape != shape:
        raise UserError(f"{where}: {group_key!r} has shape {groups.shape}; expected {shape}")
    if not np.issubdtype(groups.dtype, np.floating):
        return np.zeros(len(groups))  # integers and text always name a group
    return np.where(np.isfinite(groups), 0.0, np.nan)


def _open_archive(path: Path) -> Any:
    """The opened .npz archive, or one line saying why the file is not one."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        raise UserError(
            f"data.path: {path} is not a valid .npz archive (empty or not a zip of arrays); "
            "write it with numpy.savez"
        ) from None
    if not hasattr(archive, "files"):
        raise UserError(
            f"data.path: {path} holds a single array, not an .npz archive; "
            "write it with numpy.savez(path, X=..., x=...)"
        )
    return archive


@dataclass(frozen=True)
class ArchiveKeys:
    """The optional arrays a run names: target (None when ignored), groups, order and parts."""

    target: str | None
    group: str | None
    order: str | None
    part: str | None = None


Optional = np.ndarray | None
Arrays = tuple[np.ndarray, np.ndarray, Optional, Optional, Optional, Optional, bool]


def _read_archive(path: Path, cfg: Any, keys: ArchiveKeys, target_use: TargetUse) -> Arrays:
    """Sequences, target (NaN when absent), ids, groups, order and parts (None without
    data.id_key, data.group_key, data.order or data.part_key) and has-target."""
    target_key = keys.target
    with _open_archive(path) as archive:
        # new data to predict (threshold-sweep-predict) may come without the target array
        has_target = target_key is not None and (
            target_use != TargetUse.if_present or target_key in archive.files
        )
        named = {
            "data.sequences_key": cfg.sequences_key,
            "data.target_key": target_key if has_target else None,
            "data.id_key": cfg.id_key,
            "data.group_key": keys.group,
            "data.order": keys.order,
            "data.part_key": keys.part,
        }
        _check_keys(named, sorted(archive.files), path.name)
        try:
            X = archive[cfg.sequences_key]
            x = archive[target_key] if has_target else np.full(len(X), np.nan)
            ids = archive[cfg.id_key] if cfg.id_key is not None else None
            groups = archive[keys.group] if keys.group is not None else None
            order = archive[keys.order] if keys.order is not None else None
            parts = archive[keys.part] if keys.part is not None else None
        except ValueError as error:
            raise UserError(f"{path.name}: cannot load arrays without pickle: {error}") from None
    return X, x, ids, groups, order, parts, has_target


def _check_keys(named: dict[str, str | None], keys: list[str], where: str) -> None:
    """Every array named by a setting (key -> array, None for unset) must be in the archive."""
    for option, key in named.items():
        if key is not None and key not in keys:
            raise UserError(
                f"{option}: no array {key!r} in {where} (arrays: {', '.join(keys)}); "
                f"set {option}=<one of them>"
            )


def _check_shapes(
    X: np.ndarray, x: np.ndarray, ids: np.ndarray | None, where: str, cfg: Any
) -> np.ndarray:
    """The sequences as (n, length, channels), after checking shapes and types agree."""
    if X.ndim == 2:
        X = X[:, :, None]
    if X.ndim != 3:
        raise UserError(
            f"{where}: {cfg.sequences_key!r} has shape {X.shape}; "
            "expected (n, length) or (n, length, channels)"
        )
    if x.ndim != 1:
        raise UserError(f"{where}: {cfg.target_key!r} has shape {x.shape}; expected (n,)")
    if len(X) != len(x):
        raise UserError(f"{where}: {len(X)} sequences but {len(x)} target values; they must match")
    if len(x) == 0:
        raise UserError(f"{where}: the arrays are empty; give at least one sample")
    if not (np.issubdtype(X.dtype, np.number) and np.issubdtype(x.dtype, np.number)):
        raise UserError(f"{where}: sequences and target must be numeric arrays")
    if ids is not None and ids.shape != x.shape:
        raise UserError(f"{where}: {cfg.id_key!r} has shape {ids.shape}; expected {x.shape}")
    return X


def _checked_ids(ids: np.ndarray | None, n: int, where: str, id_key: str | None) -> np.ndarray:
    """The row ids: the id array (finite, unique) or 0..n-1."""
    if ids is None:
        return np.arange(n)
    if np.issubdtype(ids.dtype, np.floating):
        finite_values([(ids, f"id array {id_key!r}")], where, droppable=False)
    unique_ids(ids, f"{where}: id array {id_key!r}")
    return ids
