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
0.903 on 2,000.

No single L2 strength suits every dataset (test scores of one fit per C on the whole training
part, 2026-12-07): noisy data want a strong penalty (synthetic ROC-AUC 0.911 at C=1e-4,
0.892 at 1e-2; diabetes 0.800 and 0.752), clean shapes a weak one (UCR published splits,
accuracy: GunPoint 0.940 at 1e-4, 0.993 at 1e-2; ArrowHead 0.680 and 0.863, where the
published MiniRocket, a ridge classifier with its penalty picked by leave-one-out, has
0.993 and 0.863). So C is picked, as the trees' iterations are, on the validation split
(lowest class-weighted log loss over C_GRID, each fit starting from the last, strongest
penalty first; the walk stops at the first C whose loss is no lower than the one before: on
the default data at 20,000 x 128 the loss rose after C=1e-4, which spared two of the four fits,
3.2 of MiniRocket's 8 CPU s, for the same C and scores): a search
by 3-fold cross-validation picked as well but cost 37 CPU s on the default data and 139 s
on Covid3Month.
Numba compiles MiniRocket on its first call ever (24 s univariate, ~90 s multivariate on
loaded cores; aeon caches it on disk), then about 1 s to load per process.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

MIN_LENGTH = 9  # MiniRocket's kernels are 9 steps long
MAX_TRAIN_ROWS = 4000  # a stratified, seeded subsample of the training rows above this
# 3+ classes: the regression's cost grows with the classes; on 21 classes of the default data
# at 20,000 x 128, 2,000 kernels on 4,000 rows took 10.6 CPU s, on 2,000 rows 4.2 s, the mean
# ROC-AUC of P(x > t_k) over the 20 thresholds 0.932 and 0.928 (1,000 kernels on 4,000 rows:
# 4.4 s, 0.930; benchmarks/bench_reference_budget.py)
MAX_TRAIN_ROWS_CLASSES = 2000
N_KERNELS = 10_000  # aeon's default (rounded down to a multiple of 84 features)
# 3+ classes: the regression's cost grows with features x classes. On 21 classes of the default
# data at 20,000 x 128 (the K+1 classes of K thresholds), 10,000 kernels took 44.3 CPU s and
# 2,000 took 9.3 s, the mean ROC-AUC of P(x > t_k) over 20 thresholds 0.930 and 0.932
# (benchmarks/bench_reference_budget.py; two classes keep aeon's default: 2,000 kernels lost
# 0.002 on the default data).
N_KERNELS_CLASSES = 2_000
# Classes known to be ordered (the K+1 classes of a one-model grid run): a ridge regression of the
# class's rank (model/latent_rank.py) on at most MAX_TRAIN_ROWS rows. On the 21 classes above,
# 1,000 kernels on 4,000 rows scored a mean ROC-AUC of 0.932 in 0.9 CPU s (features 0.6, the
# alpha walk 0.3), 2,000 kernels on 2,000 rows 0.934 in 1.9 s, against the 21-class logistic
# regression's 0.928 in 1.9 s (2,000 kernels, 2,000 rows).
N_KERNELS_ORDERED = 1_000
ALPHA_GRID = (1e5, 1e4, 1e3, 1e2, 1e1)  # the ridge's L2 strengths, strongest first
ALPHA_FALLBACK = 1e4  # without validation rows
# Large data: the kernels x fitted rows x steps x channels MiniRocket may convolve, about 5 CPU
# s on 2 classes of the default data at 20,000 x 128 with 10,000 kernels on its 4,000 fitted
# rows. There 2,000 kernels fit the budget: 1.3 CPU s for a test ROC-AUC of 0.924 against
# 0.926 (benchmarks/bench_reference_budget.py). Above the budget the kernels are cut to fit
# it, to N_KERNELS_MIN at least; small sets (UCR's, tables) keep aeon's 10,000.
KERNEL_BUDGET = 2_000 * MAX_TRAIN_ROWS * 128
N_KERNELS_MIN = 2_000
C_GRID = (1e-4, 1e-3, 1e-2, 1e-1)  # the regression's inverse L2 strengths, strongest first
C_FALLBACK = 1e-3  # without validation rows
# lbfgs's stopping tolerance (scikit-learn's default 1e-4). 1e-3 gave the same test ROC-AUC
# within 0.001 as 1e-4 for half the CPU (2026-12-07); 1e-2 again (2026-12-08): synthetic data
# at 20,000 x 128 0.9264 against 0.9237, scikit-learn's breast cancer 0.9959 against 0.9948,
# diabetes 0.8026 and diabetes in 5 classes 0.8432 both, for 0.81 against 0.95 CPU s on the
# synthetic data (benchmarks/bench_reference_budget.py).
LBFGS_TOL = 1e-2


def tolerance_text(tol: float) -> str:
    """A solver tolerance as a report writes it: 1e-2, not 0.01."""
    mantissa, exponent = f"{tol:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


INSTALL_HINT = 'pip install "threshold-sweep[series]" (or pip install aeon)'


def channels_first(X: np.ndarray) -> np.ndarray:
    """(rows, length, channels) sequences as aeon's (rows, channels, length), float64."""
    return np.ascontiguousarray(np.transpose(np.asarray(X, dtype=np.float64), (0, 2, 1)))


def most_kernels(n_classes: int, ordered: bool = False) -> int:
    """The most kernels for `n_classes` classes (ordered: known to be)."""
    if n_classes <= 2:
        return N_KERNELS
    return N_KERNELS_ORDERED if ordered else N_KERNELS_CLASSES


def kernels(n_classes: int, shape: tuple[int, ...], ordered: bool = False) -> int:
    """MiniRocket's kernels for `n_classes` classes fitted on rows of `shape` (rows, channels,
    length): aeon's default within KERNEL_BUDGET, fewer above it or for 3+ classes."""
    cells = max(1, int(np.prod(shape)))
    within = KERNEL_BUDGET // cells  # aeon rounds it down to a multiple of 84
    most = most_kernels(n_classes, ordered)
    return int(min(most, max(N_KERNELS_MIN, within)))


def budget_text(ordered: bool = False) -> str:
    """How the kernel count is chosen, in words."""
    most = N_KERNELS_ORDERED if ordered else N_KERNELS_CLASSES
    return (
        f"{N_KERNELS:,} kernels up to {KERNEL_BUDGET:,} kernels x fitted rows x steps x "
        f"channels, fewer above it (at least {N_KERNELS_MIN:,}); at most "
        f"{most:,} for 3 or more{' ordered' if ordered else ''} classes"
    )


def alpha_grid_text() -> str:
    """ALPHA_GRID as '1e5, 1e4, ...'."""
    return ", ".join(f"{a:.0e}".replace("e+0", "e") for a in ALPHA_GRID)


def grid_text() -> str:
    """C_GRID as '1e-4, 1e-3, ...'."""
    return ", ".join(f"{c:.0e}".replace("e-0", "e-") for c in C_GRID)


class ValidatedMiniRocket:
    """MiniRocket features, standardized, and a balanced logistic regression whose L2 strength
    the validation split picks (scikit-learn's fit / predict_proba interface)."""

    def __init__(
        self, seed: int, threads: int = 1, n_kernels: int | None = None, ordered: bool = False
    ) -> None:
        self.seed, self.threads, self.n_kernels = seed, threads, n_kernels  # None: kernels()
        self.ordered = ordered  # 3+ classes known to be ordered: a ridge on their rank

    def _features(self, X: np.ndarray) -> np.ndarray:
        """The standardized MiniRocket features of `X` (rows, channels, length)."""
        return self.scaler_.transform(self.transform_.transform(X))

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        sample_weight_val: np.ndarray | None = None,
    ) -> ValidatedMiniRocket:
        """Fit the kernels and scaler on `X`, then one regression per C in C_GRID (weakest
        penalty last, each from the previous solution) until the class-weighted validation
        log loss rises; keep the lowest (C_FALLBACK without validation rows)."""
        from aeon.transformations.collection.convolution_based import MiniRocket
        from sklearn.preprocessing import StandardScaler

        n_classes = len(np.unique(y))
        self.kernels_ = self.n_kernels or kernels(n_classes, X.shape, self.ordered)
        self.budget_note_ = f"{self.kernels_:,} kernels"
        self.transform_ = MiniRocket(
            n_kernels=self.kernels_,
            n_jobs=self.threads,
            random_state=self.seed,
        )
        features = self.transform_.fit_transform(X)
        self.scaler_ = StandardScaler().fit(features)
        features = self.scaler_.transform(features)
        if self.ordered and n_classes > 2:
            val = None if X_val is None else self._features(X_val)
            self.classifier_ = rank_ridge().fit(features, y, val, y_val, sample_weight_val)
            self.classes_ = self.classifier_.classes_
            return self
        if X_val is None or y_val is None or len(y_val) == 0:
            self.C_, self.classifier_ = C_FALLBACK, self._regression(C_FALLBACK).fit(features, y)
        else:
            self.C_, self.classifier_ = self._validated(
                features, y, self._features(X_val), y_val, sample_weight_val
            )
        self.classes_ = self.classifier_.classes_
        return self

    def _regression(self, C: float, warm_start: bool = False) -> Any:
        """A balanced L2 logistic regression of strength 1 / C."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            class_weight="balanced",
            C=C,
            max_iter=1000,
            tol=LBFGS_TOL,
            random_state=self.seed,
            warm_start=warm_start,
        )

    def _validated(
        self,
        features: np.ndarray,
        y: np.ndarray,
        val_features: np.ndarray,
        y_val: np.ndarray,
        sample_weight_val: np.ndarray | None,
    ) -> tuple[float, Any]:
        """(C, fitted regression) of the lowest validation log loss, walking C_GRID from the
        strongest penalty until the loss stops falling."""
        import copy

        from sklearn.metrics import log_loss

        regression, best = self._regression(C_GRID[0], warm_start=True), None
        for C in C_GRID:
            regression.set_params(C=C).fit(features, y)
            proba = regression.predict_proba(val_features)
            loss = log_loss(
                y_val, proba, sample_weight=sample_weight_val, labels=regression.classes_
            )
            if best is not None and loss >= best[0]:
                break  # past the validation loss's minimum: weaker penalties fit the noise more
            best = (loss, C, copy.deepcopy(regression))
        return best[1], best[2]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of `X` (rows, channels, length)."""
        return self.classifier_.predict_proba(self._features(X))


class ValidatedRidge:
    """A ridge regression whose L2 strength the validation rows pick: ALPHA_GRID walked from
    the strongest penalty until the weighted validation squared error rises (ALPHA_FALLBACK
    without validation rows)."""

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        sample_weight_val: np.ndarray | None = None,
    ) -> ValidatedRidge:
        """Fit one ridge per alpha until the validation error rises; keep the lowest."""
        from sklearn.linear_model import Ridge

        if X_val is None or y_val is None or len(y_val) == 0:
            self.alpha_ = ALPHA_FALLBACK
            self.ridge_ = Ridge(alpha=ALPHA_FALLBACK).fit(X, y, sample_weight=sample_weight)
            return self
        best: tuple[float, float, Any] | None = None
        for alpha in ALPHA_GRID:
            ridge = Ridge(alpha=alpha).fit(X, y, sample_weight=sample_weight)
            error = float(
                np.average((ridge.predict(X_val) - y_val) ** 2, weights=sample_weight_val)
            )
            if best is not None and error >= best[0]:
                break  # past the validation error's minimum
            best = (error, alpha, ridge)
        _, self.alpha_, self.ridge_ = best
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The predicted values."""
        return self.ridge_.predict(X)


def rank_ridge() -> Any:
    """ValidatedRidge of the class's rank, as a classifier of ordered classes."""
    from threshold_sweep.model.latent_rank import LatentRank

    return LatentRank(ValidatedRidge())


def minirocket(seed: int, threads: int = 1) -> ValidatedMiniRocket:
    """MiniRocket (on `threads` numba threads) with its regression's C picked on validation."""
    return ValidatedMiniRocket(seed, threads)


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
        minirocket(0).fit(X, np.arange(8) % 2, X, np.arange(8) % 2)


if __name__ == "__main__":
    compile_kernels()
