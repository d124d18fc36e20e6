"""Ordinal metrics of k ordered classes from stacks of weighted (k, k) confusion matrices.

numpy only, and vectorized over the stack: the bootstrap evaluates all resamples' confusion
matrices at once, and a single split is a stack of one. Rows of a matrix are the true class,
columns the predicted one; weights need not be integers (the no-skill random predictor's rows
carry its class shares). The tests check each against scikit-learn / SciPy.
"""

from __future__ import annotations

import numpy as np


def _steps(k: int) -> np.ndarray:
    """|i - j| for every cell of a (k, k) matrix."""
    classes = np.arange(k)
    return np.abs(classes[:, None] - classes[None, :]).astype(np.float64)


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0."""
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def mean_steps(confusion: np.ndarray) -> np.ndarray:
    """Mean |predicted - true| in class steps, per matrix."""
    k = confusion.shape[-1]
    return np.sum(confusion * _steps(k), axis=(-2, -1)) / confusion.sum(axis=(-2, -1))


def within(confusion: np.ndarray, d: int) -> np.ndarray:
    """Share of rows predicted at most d classes from the true class, per matrix."""
    k = confusion.shape[-1]
    near = _steps(k) <= d
    return np.sum(confusion * near, axis=(-2, -1)) / confusion.sum(axis=(-2, -1))


def quadratic_kappa(confusion: np.ndarray) -> np.ndarray:
    """Cohen's kappa with quadratic weights, per matrix, as scikit-learn's cohen_kappa_score:
    1 - sum(w O) / sum(w E), w = (i - j)^2, E the outer product of the margins over the total."""
    k = confusion.shape[-1]
    weights = _steps(k) ** 2
    total = confusion.sum(axis=(-2, -1))
    expected = confusion.sum(axis=-1)[..., :, None] * confusion.sum(axis=-2)[..., None, :]
    expected = expected / total[..., None, None]
    observed = np.sum(confusion * weights, axis=(-2, -1))
    return 1 - _divide(observed, np.sum(expected * weights, axis=(-2, -1)))


def _midranks(counts: np.ndarray) -> np.ndarray:
    """The (weighted) mid-rank of each class from its count and the counts below it."""
    return np.cumsum(counts, axis=-1) - counts / 2


def spearman(confusion: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation of true and predicted class, per matrix: Pearson's
    correlation of the mid-ranks (ties share their mean rank, as scipy.stats.spearmanr), NaN
    when either side is constant."""
    true_counts, pred_counts = confusion.sum(axis=-1), confusion.sum(axis=-2)
    total = true_counts.sum(axis=-1)
    rank_true, rank_pred = _midranks(true_counts), _midranks(pred_counts)
    centred_true = rank_true - (np.sum(true_counts * rank_true, axis=-1) / total)[..., None]
    centred_pred = rank_pred - (np.sum(pred_counts * rank_pred, axis=-1) / total)[..., None]
    covariance = np.einsum("...ij,...i,...j->...", confusion, centred_true, centred_pred)
    var_true = np.sum(true_counts * centred_true**2, axis=-1)
    var_pred = np.sum(pred_counts * centred_pred**2, axis=-1)
    tolerance = 1e-14 * total**3  # a constant side leaves at most rounding in its variance
    constant = (var_true <= tolerance) | (var_pred <= tolerance)
    value = _divide(covariance, np.sqrt(var_true * var_pred))
    return np.where(constant, np.nan, value)


def confusion_metrics(
    confusion: np.ndarray, within_steps: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """mae_classes, within_<d> for each d, qwk and spearman of a stack of confusion matrices."""
    return {
        "mae_classes": mean_steps(confusion),
        **{f"within_{d}": within(confusion, d) for d in within_steps},
        "qwk": quadratic_kappa(confusion),
        "spearman": spearman(confusion),
    }
