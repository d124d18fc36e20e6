"""One train/validation/test split, stratified on quantile bins of x, shared by all thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from threshold_sweep.errors import UserError
from threshold_sweep.layout import SPLITS

__all__ = ["SPLITS", "Split", "split_rows"]


@dataclass(frozen=True)
class Split:
    """Row indices of each split."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def items(self) -> list[tuple[str, np.ndarray]]:
        """(name, indices) for train, validation and test."""
        return [(name, getattr(self, name)) for name in SPLITS]


def check_fractions(validation_fraction: float, test_fraction: float) -> None:
    """Reject fractions that leave no room for a training split."""
    for key, value in (
        ("split.validation_fraction", validation_fraction),
        ("split.test_fraction", test_fraction),
    ):
        if not 0 < value < 1:
            raise UserError(f"{key}={value} must be between 0 and 1 (exclusive), e.g. 0.15")
    if validation_fraction + test_fraction >= 1:
        raise UserError(
            f"split.validation_fraction + split.test_fraction = "
            f"{validation_fraction + test_fraction:g} leaves no training rows; keep the sum < 1"
        )


def quantile_bins(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Assign each row to one of up to `n_bins` equal-count bins of x."""
    return pd.qcut(pd.Series(x).rank(method="first"), q=n_bins, labels=False).to_numpy()


def split_rows(x: np.ndarray, cfg: Any) -> Split:
    """Split row indices by `cfg.seed`, stratified on x's quantile bins (never on the label)."""
    check_fractions(cfg.validation_fraction, cfg.test_fraction)
    n = len(x)
    n_test = round(n * cfg.test_fraction)
    n_validation = round(n * cfg.validation_fraction)
    if min(n_test, n_validation, n - n_test - n_validation) < 2:
        raise UserError(
            f"{n} rows are too few for split fractions {cfg.validation_fraction:g}/"
            f"{cfg.test_fraction:g}: every split needs at least 2 rows; add data"
        )
    n_bins = max(1, min(int(cfg.n_bins), n_test // 2, n_validation // 2))
    strata = quantile_bins(x, n_bins) if n_bins > 1 else None
    rows = np.arange(n)
    rest, test = train_test_split(
        rows, test_size=n_test, stratify=strata, random_state=int(cfg.seed)
    )
    rest_strata = strata[rest] if strata is not None else None
    train, validation = train_test_split(
        rest, test_size=n_validation, stratify=rest_strata, random_state=int(cfg.seed) + 1
    )
    return Split(train=np.sort(train), validation=np.sort(validation), test=np.sort(test))
