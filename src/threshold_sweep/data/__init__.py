"""Data sources: each returns a Dataset of sequences, the numeric column x and row ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Sequences `X` (n, length, channels) float32, target `x` (n,) float64, `ids` (n,)."""

    X: np.ndarray
    x: np.ndarray
    ids: np.ndarray
    source: str
    target: str = "x"
    features: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)


def load_dataset(cfg: Any) -> Dataset:
    """Load the data source named by `cfg.source`."""
    if cfg.source == "synthetic":
        from threshold_sweep.data.synthetic import generate

        return generate(cfg)
    if cfg.source == "table":
        from threshold_sweep.data.table import load_table

        return load_table(cfg)
    if cfg.source == "arrays":
        from threshold_sweep.data.arrays import load_arrays

        return load_arrays(cfg)
    from threshold_sweep.errors import UserError

    raise UserError(
        f"unknown data source {cfg.source!r}: use data=synthetic, data=table or data=arrays"
    )
