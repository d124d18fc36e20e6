"""Feature scaling from the training split only: an optional elementwise transform (data.transform),
then standardization per step and channel, or per channel over every step (data.standardize).
Both are saved in standardization.json, as a mean and scale per step and channel either way."""

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


# the axes of (rows, steps, channels) each kind of standardization averages over
STANDARDIZE_AXES: dict[str, tuple[int, ...]] = {"step": (0,), "channel": (0, 1)}


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
    """The transform's name and the per-step, per-channel mean and scale of training rows
    (with per="channel", every step of a channel holds the same values)."""

    mean: np.ndarray
    scale: np.ndarray
    transform_name: str = "none"
    per: str = "step"

    @classmethod
    def fit(
        cls, X_train: np.ndarray, transform_name: str = "none", per: str = "step"
    ) -> Standardizer:
        """Compute the statistics from transformed training sequences (n, length, channels):
        over the rows at each step (per="step") or over the rows and steps (per="channel")."""
        if per not in STANDARDIZE_AXES:
            raise UserError(
                f"data.standardize={per!r} is unknown; use step (a table's columns) or channel "
                "(a series' steps)"
            )
        transformed = np.asarray(TRANSFORMS[transform_name](X_train))
        axes = STANDARDIZE_AXES[per]
        mean = transformed.mean(axis=axes, dtype=np.float64, keepdims=True)[0]
        scale = transformed.std(axis=axes, dtype=np.float64, keepdims=True)[0]
        scale[scale == 0] = 1.0
        shape = transformed.shape[1:]
        return cls(
            np.broadcast_to(mean, shape).astype(np.float32),
            np.broadcast_to(scale, shape).astype(np.float32),
            transform_name,
            per,
        )

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Transform and standardize sequences with the training statistics."""
        transformed = TRANSFORMS[self.transform_name](X)
        return ((transformed - self.mean) / self.scale).astype(np.float32, copy=False)

    def to_dict(self) -> dict[str, Any]:
        """The transform and the statistics as JSON-ready values."""
        return {
            "transform": self.transform_name,
            "per": self.per,
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
            per = str(stats.get("per", "step"))  # absent before data.standardize
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"not standardization statistics: {error}") from None
        if mean.shape != scale.shape:
            raise ValueError(f"mean {mean.shape} and scale {scale.shape} differ in shape")
        if transform_name not in TRANSFORMS:
            raise ValueError(f"unknown transform {transform_name!r}")
        return cls(mean=mean, scale=scale, transform_name=transform_name, per=per)
