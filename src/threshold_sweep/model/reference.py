"""Reference models, fitted on the CNN's data so that it has a competent rival.

Beating chance is not the same as being good: every run also fits a class-balanced logistic
regression, histogram gradient-boosted trees (scikit-learn; each sequence flattened to length x
channels columns) and MiniRocket (aeon's convolutional features of each sequence, then a
logistic regression) on the same training split and scores the same test rows. A model that
cannot run on the data (MiniRocket: without aeon, or on sequences under 9 steps) is skipped,
and the run records why (`skipped_references`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from threshold_sweep.model import minirocket

log = logging.getLogger(__name__)

TRAINED_ON = (
    "the natural training split (before the CNN's rebalancing), classes weighted to equal "
    "total weight (class_weight='balanced')"
)
FLATTENED = "each sequence flattened to length x channels columns of the standardized values"


# The logistic reference's lbfgs stopping tolerance (scikit-learn's default 1e-4). 1e-2 cost
# no test ROC-AUC: synthetic data at 20,000 x 128, 0.9261 against 0.9253 at 1e-3; its 21
# ordered classes (the mean over 20 thresholds) 0.9324 against 0.9330; scikit-learn's breast
# cancer 0.9959 against 0.9930, diabetes 0.8035 against 0.8007, diabetes in 5 classes 0.8397
# against 0.8394. CPU: about 0.05 s either way on 2 classes, 0.18-0.25 against 0.45-0.71 s on 21
# (benchmarks/bench_reference_budget.py, 2026-12-08). 1e-3 had cost a quarter of 1e-4's.
LOGISTIC_TOL = 1e-2


def logistic_regression(seed: int, threads: int = 1) -> Any:
    """Standardized features, an L2 logistic regression with balanced class weights."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(),
        LogisticRegression(
            class_weight="balanced", max_iter=2000, tol=LOGISTIC_TOL, random_state=seed
        ),
    )


TREE_BINS = 31


def gradient_boosting(seed: int, threads: int = 1) -> Any:
    """Histogram gradient-boosted trees with balanced class weights, stopped early.

    31 bins instead of 255: the same test ROC-AUC within noise (on 20,000 x 128 synthetic
    rows 0.921 with 31 bins and with 63; on four scikit-learn tables and a position-coded
    series, ten splits each, within 0.008 of scikit-learn's default 255 bins on average)
    for about two thirds of the CPU time of 63 bins (benchmarks/bench_reference.py measures
    the share of a run). Early
    stopping watches the validation split passed to `fit` (see `fit_reference`).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        class_weight="balanced",
        max_bins=TREE_BINS,
        max_iter=300,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=seed,
    )


class QuantileBinnedTrees:
    """gradient_boosting() on features cut at their unweighted training quantiles first.

    The trees split on bins either way; given balanced class weights, scikit-learn computes
    its bin edges as weighted percentiles, one call per edge and feature (half the trees' CPU
    on the default data at 20,000 x 128: 2.5 CPU s, 1.2 of them binning). scikit-learn's
    KBinsDiscretizer finds the same number of edges by plain quantiles, and the trees, given
    at most 31 distinct values a feature, keep them as their bins.
    """

    def __init__(self, seed: int, threads: int = 1, ordered: bool = False) -> None:
        self.seed, self.threads, self.ordered = seed, threads, ordered  # ordered: see _trees

    def _binned(self, X: np.ndarray) -> np.ndarray:
        """`X` as bin indices, one column per feature."""
        return self.binner_.transform(X)

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        sample_weight_val: np.ndarray | None = None,
    ) -> QuantileBinnedTrees:
        """Fit the bin edges on `X`, then the trees (stopping on the binned validation rows)."""
        import warnings

        from sklearn.preprocessing import KBinsDiscretizer

        self.binner_ = KBinsDiscretizer(
            n_bins=TREE_BINS, encode="ordinal", strategy="quantile", subsample=None
        )
        with warnings.catch_warnings():  # a column of few values gets fewer bins, as it should
            warnings.simplefilter("ignore", UserWarning)
            binned = self.binner_.fit_transform(X)
        val = None if X_val is None else self._binned(X_val)
        self.trees_ = self._trees(len(np.unique(y))).fit(
            binned, y, X_val=val, y_val=y_val, sample_weight_val=sample_weight_val
        )
        self.classes_ = self.trees_.classes_
        return self

    def _trees(self, n_classes: int) -> Any:
        """The classifier; for 3+ classes known to be ordered, the regression of their rank
        (model/latent_rank.py: one tree an iteration rather than one per class)."""
        if n_classes <= 2 or not self.ordered:
            return gradient_boosting(self.seed, self.threads)
        from threshold_sweep.model.latent_rank import LatentRank

        return LatentRank(rank_regression_trees(self.seed))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of `X`."""
        return self.trees_.predict_proba(self._binned(X))


def rank_regression_trees(seed: int) -> Any:
    """gradient_boosting()'s trees as a regression (squared error), stopped early the same way."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        max_bins=TREE_BINS,
        max_iter=300,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=seed,
    )


# 3+ classes: the trees grow one tree per class each iteration, so their cost grows with the
# classes (21 classes of 14,000 rows of 20,000 x 128 synthetic data: 11.2 CPU s against 2.6 s
# for 2). On a stratified sample of 4,000 rows: 4.9 CPU s, the mean ROC-AUC of P(x > t_k)
# over the 20 thresholds 0.920 against 0.930; on 2,000 rows 2.9 s and 0.913, where the
# logistic regression on every row takes 1.2 s for 0.933 (benchmarks/bench_reference_budget.py).
TREE_ROWS_CLASSES = 2000
# Classes known to be ordered (the K+1 classes of a one-model grid run): the rank regression on
# at most 4,000 rows: on the same 21 classes 0.926 in 0.7 CPU s (0.931 on every row in 1.4 s);
# diabetes in 5 classes 0.852 against the classifier's 0.836. Not for classes that are codes
# of categories (UCR's ArrowHead, label.threshold=[0.5,1.5]): a rank assumes their order.
TREE_ROWS_ORDERED = 4000


def flattened(X: np.ndarray) -> np.ndarray:
    """(rows, length, channels) sequences as (rows, length x channels) columns."""
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def always(length: int) -> str | None:
    """Nothing keeps a scikit-learn model from running (no reason to skip it)."""
    return None


@dataclass(frozen=True)
class ReferenceModel:
    """A named classifier factory (seed, threads), what it is and what it sees, in words."""

    name: str
    label: str
    description: str
    factory: Callable[[int, int], Any]
    sees: str  # how it reads the training rows (beside TRAINED_ON, which every model shares)
    stops_on_validation: bool = False  # fit takes X_val, y_val and sample_weight_val
    inputs: Callable[[np.ndarray], np.ndarray] = flattened  # the sequences as it takes them
    max_train_rows: int | None = None  # a stratified subsample of the training rows above it
    skip_reason: Callable[[int], str | None] = always  # of the sequence length
    max_train_rows_classes: int | None = None  # the same for 3 or more classes, if lower

    def row_limit(self, n_classes: int) -> int | None:
        """The most training rows it fits on for `n_classes` classes (None: all of them)."""
        limits = [self.max_train_rows]
        if n_classes > 2:
            limits.append(self.max_train_rows_classes)
        given = [limit for limit in limits if limit is not None]
        return min(given) if given else None


REFERENCE_MODELS = {
    model.name: model
    for model in (
        ReferenceModel(
            "logistic",
            "logistic regression",
            "scikit-learn StandardScaler + LogisticRegression(class_weight='balanced', "
            f"tol={minirocket.tolerance_text(LOGISTIC_TOL)})",
            logistic_regression,
            FLATTENED,
        ),
        ReferenceModel(
            "hgb",
            "gradient-boosted trees",
            "scikit-learn KBinsDiscretizer(31 quantile bins) + "
            "HistGradientBoostingClassifier(class_weight='balanced', early stopping on the "
            "validation split)",
            QuantileBinnedTrees,
            FLATTENED + "; the trees stop adding iterations when their class-weighted loss on "
            "the validation split stops improving, as the CNN stops on it",
            stops_on_validation=True,
            max_train_rows_classes=TREE_ROWS_CLASSES,
        ),
        ReferenceModel(
            "minirocket",
            "MiniRocket",
            f"aeon MiniRocket({minirocket.budget_text()}) features + scikit-learn "
            "StandardScaler + LogisticRegression(class_weight='balanced', "
            f"tol={minirocket.tolerance_text(minirocket.LBFGS_TOL)}), "
            "its C (of "
            f"{minirocket.grid_text()}, strongest penalty first until the loss rises) the one "
            "of the lowest class-weighted log loss on the validation split",
            minirocket.minirocket,
            "MiniRocket's convolutional features of each standardized sequence (its kernels "
            "slide along the steps, every channel)",
            stops_on_validation=True,
            inputs=minirocket.channels_first,
            max_train_rows=minirocket.MAX_TRAIN_ROWS,
            skip_reason=minirocket.skip_reason,
            max_train_rows_classes=minirocket.MAX_TRAIN_ROWS_CLASSES,
        ),
    )
}


ORDERED_MODELS = {
    "hgb": replace(
        REFERENCE_MODELS["hgb"],
        description="scikit-learn KBinsDiscretizer(31 quantile bins) + "
        "HistGradientBoostingRegressor of the class's rank (rows weighted to balance the "
        "classes; early stopping on the validation split), its noise Gaussian with the "
        "validation residuals' spread (the classes are ordered)",
        factory=partial(QuantileBinnedTrees, ordered=True),
        max_train_rows_classes=TREE_ROWS_ORDERED,
    ),
    "minirocket": replace(
        REFERENCE_MODELS["minirocket"],
        description=f"aeon MiniRocket({minirocket.budget_text(ordered=True)}) features + "
        "scikit-learn StandardScaler + Ridge regression of the class's rank (rows weighted to "
        f"balance the classes), its alpha (of {minirocket.alpha_grid_text()}, strongest "
        "penalty first until the loss rises) the one of the lowest class-weighted squared "
        "error on the validation split, its noise Gaussian with the validation residuals' "
        "spread (the classes are ordered)",
        factory=partial(minirocket.ValidatedMiniRocket, ordered=True),
        max_train_rows_classes=None,
    ),
}


def reference_model(name: str, ordered: bool) -> ReferenceModel:
    """The reference model `name`; for classes known to be ordered, its ordered variant (the
    regression of the class's rank, where it has one)."""
    return ORDERED_MODELS.get(name, REFERENCE_MODELS[name]) if ordered else REFERENCE_MODELS[name]


@dataclass(frozen=True)
class ReferenceScores:
    """One fitted reference model's test scores and how long it took."""

    model: ReferenceModel
    scores: np.ndarray  # positive-class probability (binary) or one column per class
    seconds: float
    cpu_seconds: float  # of the fitting thread (not its OpenMP workers, if threads > 1)
    n_train: int  # the rows it was fitted on (a k-fold run: the folds' mean)
    n_rows: int  # the training split's rows (n_train unless it fitted on a subsample)
    sees: str  # how it read them (the model's `sees`, and its subsample)
    trained_on: str = TRAINED_ON  # what every reference model shares (k-fold: per fold)
    budget: str = ""  # what the fitted model's budget chose (MiniRocket: its kernels)


def positive_scores(proba: np.ndarray) -> np.ndarray:
    """The positive class's probability for two classes, every class's otherwise."""
    return proba[:, 1] if proba.shape[1] == 2 else proba


@dataclass(frozen=True)
class ReferenceRows:
    """What the reference models see: training rows, validation rows (early stopping), test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_validation: np.ndarray
    y_validation: np.ndarray
    X_test: np.ndarray
    ordered: bool = False  # the classes are known to be ordered (a one-model grid run's K+1)


def stratified_rows(y: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """About `limit` row positions (each class's share kept, at least one row each), seeded."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    quotas = np.maximum(1, counts * limit // len(y))
    picked = [
        rng.choice(np.flatnonzero(y == c), q, replace=False)
        for c, q in zip(classes, quotas, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def subsampled(rows: ReferenceRows, limit: int | None, seed: int) -> ReferenceRows:
    """The rows with at most about `limit` training rows (a stratified subsample; None: all)."""
    if limit is None or len(rows.y_train) <= limit:
        return rows
    keep = stratified_rows(rows.y_train, limit, seed)
    return replace(rows, X_train=rows.X_train[keep], y_train=rows.y_train[keep])


def _fitted(model: ReferenceModel, rows: ReferenceRows, seed: int, threads: int) -> Any:
    """The model fitted on the training rows (stopping on the class-weighted validation loss)."""
    estimator = model.factory(seed, threads)
    if not model.stops_on_validation:
        return estimator.fit(model.inputs(rows.X_train), rows.y_train)
    from sklearn.utils.class_weight import compute_sample_weight

    return estimator.fit(
        model.inputs(rows.X_train),
        rows.y_train,
        X_val=model.inputs(rows.X_validation),
        y_val=rows.y_validation,
        sample_weight_val=compute_sample_weight("balanced", rows.y_validation),
    )


def seen(model: ReferenceModel, n_train: int, n_rows: int, note: str = "") -> str:
    """How `model` read the training rows: its `sees`, the budget `note` of the fitted model
    (e.g. MiniRocket's kernels), and its subsample if it took one."""
    sees = f"{model.sees} ({note})" if note else model.sees
    if n_train == n_rows:
        return sees
    return f"{sees}; a stratified subsample of {n_train} of the {n_rows} rows (seeded)"


def fit_reference(
    model: ReferenceModel, rows: ReferenceRows, seed: int, threads: int = 1
) -> ReferenceScores:
    """Fit `model` (on its subsample) and score the test rows, on at most `threads` cores."""
    from threadpoolctl import threadpool_limits

    started, cpu_started = time.perf_counter(), time.thread_time()
    limit = model.row_limit(len(np.unique(rows.y_train)))
    mine = subsampled(rows, limit, seed)
    with threadpool_limits(limits=threads):
        fitted = _fitted(model, mine, seed, threads)
        proba = fitted.predict_proba(model.inputs(rows.X_test))
    seconds, cpu_seconds = time.perf_counter() - started, time.thread_time() - cpu_started
    n_train, n_rows = len(mine.y_train), len(rows.y_train)
    log.info("reference %s: fitted on %d rows in %.1f s", model.name, n_train, seconds)
    scores = positive_scores(np.asarray(proba, dtype=np.float64))
    budget = getattr(fitted, "budget_note_", "")
    sees = seen(model, n_train, n_rows, budget)
    return ReferenceScores(
        model, scores, seconds, cpu_seconds, n_train, n_rows, sees, budget=budget
    )


def skipped_references(names: Sequence[str], length: int) -> dict[str, str]:
    """The named models that cannot run on sequences of `length` steps here, and why."""
    reasons = {name: REFERENCE_MODELS[name].skip_reason(length) for name in names}
    return {name: reason for name, reason in reasons.items() if reason is not None}


def fit_references(
    names: Sequence[str], rows: ReferenceRows, seed: int, threads: int = 1
) -> list[ReferenceScores]:
    """Every named reference model that can run, fitted and scored (an empty list for none;
    the run logs and records the skipped ones, see `skipped_references`)."""
    skipped = skipped_references(names, rows.X_train.shape[1])
    ordered = rows.ordered and len(np.unique(rows.y_train)) > 2
    return [
        fit_reference(reference_model(name, ordered), rows, seed, threads)
        for name in names
        if name not in skipped
    ]
