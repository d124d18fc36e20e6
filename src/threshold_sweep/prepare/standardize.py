"""Feature standardization with statistics from the training split only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Standardizer:
    """Per-step, per-channel mean and standard deviation of the training rows."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X_train: np.ndarray) -> Standardizer:
        """Compute the statistics from training sequences (n, length, channels)."""
        mean = X_train.mean(axis=0, dtype=np.float64)
        scale = X_train.std(axis=0, dtype=np.float64)
        scale[scale == 0] = 1.0
        return cls(mean=mean.astype(np.float32), scale=scale.astype(np.float32))

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Standardize sequences with the training statistics."""
        return ((X - self.mean) / self.scale).astype(np.float32, copy=False)

    def to_dict(self) -> dict[str, list]:
        """The statistics as JSON-ready lists."""
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, stats: dict[str, Any]) -> Standardizer:
        """The standardizer that `to_dict` wrote (standardization.json of a run)."""
        try:
            mean = np.asarray(stats["mean"], dtype=np.float32)
            scale = np.asarray(stats["scale"], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not standardization statistics: {error}") from None
        if mean.shape != scale.shape:
            raise ValueError(f"mean {mean.shape} and scale {scale.shape} differ in shape")
        return cls(mean=mean, scale=scale)
