"""NumPy .npz archives: a sequence array and a target vector under configurable keys."""

from __future__ import annotations

import zipfile
from typing import Any

import numpy as np

from threshold_sweep.data import Dataset
from threshold_sweep.data.validate import (
    drop_or_reject_missing,
    existing_file,
    finite_values,
    unique_ids,
)
from threshold_sweep.errors import UserError


def load_arrays(cfg: Any) -> Dataset:
    """Load sequences `cfg.sequences_key` and target `cfg.target_key` from an .npz file."""
    path = existing_file(cfg.path, (".npz",), ".npz file")
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
    with archive:
        keys = sorted(archive.files)
        # new data to predict (threshold-sweep-predict) may come without the target array
        has_target = cfg.target_key in archive.files or not getattr(cfg, "target_optional", False)
        has_target = has_target and cfg.target_key is not None
        for option, key in (
            ("data.sequences_key", cfg.sequences_key),
            ("data.target_key", cfg.target_key if has_target else None),
            ("data.id_key", cfg.id_key),
        ):
            if key is not None and key not in archive.files:
                raise UserError(
                    f"{option}: no array {key!r} in {path.name} (arrays: {', '.join(keys)}); "
                    f"set {option}=<one of them>"
                )
        try:
            X = archive[cfg.sequences_key]
            x = archive[cfg.target_key] if has_target else np.full(len(X), np.nan)
            ids = archive[cfg.id_key] if cfg.id_key is not None else None
        except ValueError as error:
            raise UserError(f"{path.name}: cannot load arrays without pickle: {error}") from None
    where = path.name
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
    x = x.astype(np.float64)
    X = X.astype(np.float32, copy=False)
    parts = [(X, f"sequences {cfg.sequences_key!r}")]
    if has_target:
        parts.insert(0, (x, f"target {cfg.target_key!r}"))
    keep = drop_or_reject_missing(parts, where, cfg.on_missing)
    if not keep.all():
        X, x = X[keep], x[keep]
        ids = ids[keep] if ids is not None else np.flatnonzero(keep)
    if ids is not None and np.issubdtype(ids.dtype, np.floating):
        finite_values([(ids, f"id array {cfg.id_key!r}")], where, droppable=False)
    if ids is None:
        ids = np.arange(len(x))
    else:
        unique_ids(ids, f"{where}: id array {cfg.id_key!r}")
    return Dataset(X=X, x=x, ids=ids, source=str(path), target=cfg.target_key)
