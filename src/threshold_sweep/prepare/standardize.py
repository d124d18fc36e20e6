"""Feature scaling from the training split only: an optional elementwise transform (data.transform),
then standardization per step and channel. Both are saved in standardization.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.errors import UserError

# data.transform: elementwise, so nothing about them is fitted; (function, domain check)
TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda X: X,
    "log1p": np.log1p,
    "asinh": np.arcsinh,
}


def check_transform(name: str, X: np.ndarray, where: str) -> None:
    """Refuse a transform the values do not allow (log1p of values <= -1), in one line."""
    if name not in TRANSFORMS:
        raise UserError(f"data.transform={name!r} is unknown; use one of {', '.join(TRANSFORMS)}")
    if name == "log1p":
        bad = np.asarray(X) <= -1
        if bad.any():
            raise UserError(
                f"data.transform=log1p needs every feature value > -1, but {int(bad.sum())} "
                f"values in {where} are <= -1 (smallest {float(np.min(X)):g}); use "
                "data.transform=asinh (any sign) or none"
            )


@dataclass(frozen=True)
class Standardizer:
    """The transform's name and the per-step, per-channel mean and scale of training rows."""

    mean: np.ndarray
    scale: np.ndarray
    transform_name: str = "none"

    @classmethod
    def fit(cls, X_train: np.ndarray, transform_name: str = "none") -> Standardizer:
        """Compute the statistics from transformed training sequences (n, length, channels)."""
        transformed = TRANSFORMS[transform_name](X_train)
        mean = transformed.mean(axis=0, dtype=np.float64)
        scale = transformed.std(axis=0, dtype=np.float64)
        scale[scale == 0] = 1.0
        return cls(mean.astype(np.float32), scale.astype(np.float32), transform_name)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Transform and standardize sequences with the training statistics."""
        transformed = TRANSFORMS[self.transform_name](X)
        return ((transformed - self.mean) / self.scale).astype(np.float32, copy=False)

    def to_dict(self) -> dict[str, Any]:
        """The transform and the statistics as JSON-ready values."""
        return {
            "transform": self.transform_name,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_dict(cls, stats: dict[str, Any]) -> Standardizer:
        """The standardizer that `to_dict` wrote (standardization.json of a run)."""
        try:
            mean = np.asarray(stats["mean"], dtype=np.float32)
            scale = np.asarray(stats["scale"], dtype=np.float32)
            transform_name = str(stats.get("transform", "none"))  # absent before transforms
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"not standardization statistics: {error}") from None
        if mean.shape != scale.shape:
            raise ValueError(f"mean {mean.shape} and scale {scale.shape} differ in shape")
        if transform_name not in TRANSFORMS:
            raise ValueError(f"unknown transform {transform_name!r}")
        return cls(mean=mean, scale=scale, transform_name=transform_name)
