"""Data sources: each returns a Dataset of sequences, the numeric column x and row ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np


class IgnoredColumn(TypedDict):
    """A table column that is not a feature: why (`reason`) and the setting it could serve
    (`hint`: split=time data.order=<col> or data.group=<col>), if any."""

    column: str
    reason: str
    hint: str | None


class IdColumn(TypedDict):
    """Where the row ids came from: the column, and whether its name chose it (data.id unset)."""

    column: str
    guessed: bool


@dataclass(frozen=True)
class Dataset:
    """Sequences `X` (n, length, channels) float32, target `x` (n,) float64, `ids` (n,).

    `groups` (n,) names each row's entity when the split must keep entities together
    (data.group / data.group_key, whose name `group` holds); `order` (n,) holds each row's
    place in time for split=time (data.order, whose name `order_name` holds: numbers or
    datetime64); `parts` (n,) each row's part for split=predefined (train, validation or
    test; data.part / data.part_key, whose name `part` holds); `repeated_columns` holds the
    values of a table's non-feature columns whose values repeat across rows, which the
    leakage check reads. `id_column` names the table
    column the ids came from (None: row numbers), `column_notes` why each ignored column is
    not a feature.
    """

    X: np.ndarray
    x: np.ndarray
    ids: np.ndarray
    source: str
    target: str = "x"
    features: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    groups: np.ndarray | None = None
    group: str | None = None
    order: np.ndarray | None = None
    order_name: str | None = None
    parts: np.ndarray | None = None
    part: str | None = None
    repeated_columns: dict[str, np.ndarray] = field(default_factory=dict)
    id_column: IdColumn | None = None
    column_notes: list[IgnoredColumn] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)


_CACHE: dict[str, Dataset] = {}
_CACHE_SIZE = 2


def _cache_key(cfg: Any) -> str | None:
    """The data config plus the file's size and modification time; None if it cannot be read."""
    from pathlib import Path

    from omegaconf import OmegaConf

    if OmegaConf.is_config(cfg):
        items = OmegaConf.to_container(cfg, resolve=True)
    else:
        items = dict(vars(cfg))
    path = items.get("path")
    if path:
        try:
            stat = Path(path).expanduser().resolve().stat()
        except OSError:
            return None
        items["_file"] = [str(Path(path).expanduser().resolve()), stat.st_size, stat.st_mtime_ns]
    return repr(sorted((str(k), repr(v)) for k, v in items.items()))


def load_dataset(cfg: Any) -> Dataset:
    """Load the data source that `cfg._target_` names, once per process for the same config.

    Jobs of a sweep that run in one process (Hydra's basic launcher) share the loaded,
    validated arrays; nothing downstream modifies them.
    """
    key = _cache_key(cfg)
    if key is not None and key in _CACHE:
        return _CACHE[key]
    dataset = _load(cfg)
    if key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        dataset.X.flags.writeable = False
        _CACHE[key] = dataset
    return dataset


SOURCES = {
    "synthetic": "threshold_sweep.data.synthetic_data",
    "table": "threshold_sweep.data.table_data",
    "arrays": "threshold_sweep.data.arrays_data",
}


def _spec(cfg: Any) -> Any:
    """The data config as a `_target_` node; configs without one name it by `source`."""
    from omegaconf import OmegaConf

    if OmegaConf.is_config(cfg) and "_target_" in cfg:
        return cfg
    settings = OmegaConf.to_container(cfg) if OmegaConf.is_config(cfg) else dict(vars(cfg))
    target = settings.get("_target_") or SOURCES.get(settings.get("source"))
    if target is None:
        from threshold_sweep.errors import UserError

        raise UserError(
            f"unknown data source {settings.get('source')!r}: use data=synthetic, data=table "
            "or data=arrays"
        )
    return {**settings, "_target_": target}


def _load(cfg: Any) -> Dataset:
    """Call the loader that the data config's `_target_` names, with its other keys."""
    from threshold_sweep.components import bind

    return bind(_spec(cfg), "data")()


def synthetic_data(**settings: Any) -> Dataset:
    """data=synthetic: the embedded generated data (keys as in SyntheticDataConfig)."""
    from types import SimpleNamespace

    from threshold_sweep.data.synthetic import generate

    return generate(SimpleNamespace(**settings))


def table_data(**settings: Any) -> Dataset:
    """data=table: a CSV or Parquet file (keys as in TableDataConfig)."""
    from types import SimpleNamespace

    from threshold_sweep.data.table import load_table

    return load_table(SimpleNamespace(**settings))


def arrays_data(**settings: Any) -> Dataset:
    """data=arrays: an .npz file (keys as in ArraysDataConfig)."""
    from types import SimpleNamespace

    from threshold_sweep.data.arrays import load_arrays

    return load_arrays(SimpleNamespace(**settings))
