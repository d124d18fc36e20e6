"""MiniRocket (aeon) as a reference model: random convolutional features of each sequence,
then a class-balanced logistic regression on them.

Unlike the flattened models it reads each sequence as a series (the kernels slide along
it), which makes it the rival a 1D CNN should be measured against. aeon is an optional
dependency (`pip install "threshold-sweep[series]"`); without it, or on sequences shorter
than MiniRocket's 9-step kernels, a run skips it and says why (`skip_reason`).

Cost bound (measured on 2 cores, one thread, aeon 1.6.0): see `MAX_TRAIN_ROWS`.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

MIN_LENGTH = 9  # MiniRocket's kernels are 9 steps long
MAX_TRAIN_ROWS = 4000  # a stratified, seeded subsample of the training rows above this
N_KERNELS = 10_000  # aeon's default (rounded down to a multiple of 84 features)
INSTALL_HINT = 'pip install "threshold-sweep[series]" (or pip install aeon)'


def channels_first(X: np.ndarray) -> np.ndarray:
    """(rows, length, channels) sequences as aeon's (rows, channels, length), float64."""
    return np.ascontiguousarray(np.transpose(np.asarray(X, dtype=np.float64), (0, 2, 1)))


def minirocket(seed: int) -> Any:
    """MiniRocket features, standardized, an L2 logistic regression with balanced weights."""
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        MiniRocket(n_kernels=N_KERNELS, n_jobs=1, random_state=seed),
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=1000, random_state=seed),
    )


def skip_reason(length: int) -> str | None:
    """Why MiniRocket cannot run on sequences of `length` steps here (None: it can)."""
    if length < MIN_LENGTH:
        return (
            f"sequences of {length} steps are shorter than MiniRocket's {MIN_LENGTH}-step "
            "kernels (data.length >= 9 fits it)"
        )
    if importlib.util.find_spec("aeon") is None:
        return f"aeon is not installed: {INSTALL_HINT}"
    return None
