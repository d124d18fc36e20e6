"""MiniRocket (aeon) as a reference model: random convolutional features of each sequence,
then a class-balanced logistic regression on them.

Unlike the flattened models it reads each sequence as a series (the kernels slide along
it), which makes it the rival a 1D CNN should be measured against. aeon is an optional
dependency (`pip install "threshold-sweep[series]"`); without it, or on sequences shorter
than MiniRocket's 9-step kernels, a run skips it and says why (`skip_reason`).

Cost bound (measured 2026-12-07 on 2 shared cores, one thread, aeon 1.6.0, synthetic data;
fit + test scores; these timings at C=1, which takes as many lbfgs iterations): 10,000
kernels on all 14,000 training rows of 20,000 x 128 took 23 s wall / 17 CPU s, two thirds
of the CNN's 33 s of training in such a run (the trees: 6 s); on at most MAX_TRAIN_ROWS it
took 7.8 s wall / 3.3 CPU s in a default run there and 6.5 s / 1.8 CPU s on the default
4,000 x 64 (the CNN 18 s). The cap costs no ROC-AUC on 8,000 x 64 (5,600 training rows,
C=0.001, two seeds): 0.906 and 0.906 uncapped, 0.906 and 0.906 on 4,000 rows, 0.906 and
0.903 on 2,000. C=0.001 (strong L2 on 10,000 standardized features) beat C=1 there
(0.870-0.877 uncapped, 0.878-0.884 on 4,000) and lbfgs converges in 55-102 iterations.
Numba compiles MiniRocket on its first call ever (24 s univariate, ~90 s multivariate on
loaded cores; aeon caches it on disk), then about 1 s to load per process.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

MIN_LENGTH = 9  # MiniRocket's kernels are 9 steps long
MAX_TRAIN_ROWS = 4000  # a stratified, seeded subsample of the training rows above this
N_KERNELS = 10_000  # aeon's default (rounded down to a multiple of 84 features)
C = 1e-3  # the logistic regression's inverse L2 strength
INSTALL_HINT = 'pip install "threshold-sweep[series]" (or pip install aeon)'


def channels_first(X: np.ndarray) -> np.ndarray:
    """(rows, length, channels) sequences as aeon's (rows, channels, length), float64."""
    return np.ascontiguousarray(np.transpose(np.asarray(X, dtype=np.float64), (0, 2, 1)))


def minirocket(seed: int, threads: int = 1) -> Any:
    """MiniRocket features (on `threads` numba threads), standardized, an L2 logistic
    regression with balanced class weights."""
    from aeon.transformations.collection.convolution_based import MiniRocket
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        MiniRocket(n_kernels=N_KERNELS, n_jobs=threads, random_state=seed),
        StandardScaler(),
        LogisticRegression(class_weight="balanced", C=C, max_iter=1000, random_state=seed),
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


def compile_kernels() -> None:
    """Compile (and cache on disk) aeon's MiniRocket for one and several channels, so that no
    run or test pays numba's first-call compile (make install does this once)."""
    rng = np.random.default_rng(0)
    for channels in (1, 2):
        X = rng.standard_normal((8, channels, 16))
        minirocket(0).fit(X, np.arange(8) % 2)


if __name__ == "__main__":
    compile_kernels()
