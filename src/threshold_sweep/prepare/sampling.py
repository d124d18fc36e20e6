"""Rebalancing of the training split only (imbalanced-learn samplers on row indices).

`sampling._target_` names `sample_training_rows`; the run binds `strategy` and `seed` from the
config and calls it with the training rows and the labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TrainingRows:
    """Row indices the model trains on (may repeat rows) and optional Keras class weights."""

    indices: np.ndarray
    class_weight: dict[int, float] | None


@dataclass(frozen=True)
class SamplingPlan:
    """What a run mode asks of the training split and of the class counts prepare checks."""

    resample: bool = True  # False: every training row once, unweighted (the mode weights them)
    per_threshold: bool = False  # check each threshold's two sides, not each class


RESAMPLE = SamplingPlan()  # the default plan: sampling.strategy on the training split


def resampled(
    train_indices: np.ndarray, y_train: np.ndarray, strategy: str, seed: int
) -> TrainingRows:
    """imbalanced-learn's random under- or oversampler applied to the row indices."""
    from imblearn.over_sampling import RandomOverSampler  # imported only when used
    from imblearn.under_sampling import RandomUnderSampler

    sampler_type = RandomUnderSampler if strategy == "undersample" else RandomOverSampler
    sampled, _ = sampler_type(random_state=seed).fit_resample(train_indices.reshape(-1, 1), y_train)
    return TrainingRows(indices=sampled[:, 0], class_weight=None)


def class_weighted(train_indices: np.ndarray, y_train: np.ndarray) -> TrainingRows:
    """The rows unchanged, with scikit-learn's balanced class weights for Keras."""
    from sklearn.utils.class_weight import compute_class_weight

    classes = np.unique(y_train)
    weights = compute_class_weight("balanced", classes=classes, y=y_train)
    return TrainingRows(
        indices=train_indices,
        class_weight={int(c): float(w) for c, w in zip(classes, weights, strict=True)},
    )


def sample_training_rows(
    train_indices: np.ndarray, y: np.ndarray, strategy: Any, seed: int
) -> TrainingRows:
    """Resample `train_indices` (rows of `y`) by `strategy`; nothing else is touched."""
    y_train = y[train_indices]
    strategy = getattr(strategy, "value", strategy)
    if strategy in ("undersample", "oversample"):
        return resampled(train_indices, y_train, strategy, int(seed))
    if strategy == "class_weight":
        return class_weighted(train_indices, y_train)
    if strategy == "none":
        return TrainingRows(indices=train_indices, class_weight=None)
    raise ValueError(f"unknown sampling strategy {strategy!r}")


def threshold_weights(y_train: np.ndarray, k: int, strategy: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-threshold class weights of a model with one output per threshold (the weights of
    x > t_k rows and of the others): scikit-learn's balanced weights of each threshold's two
    classes, so that every output trains at 50:50 (one resampling cannot balance K label sets
    at once), or ones for sampling=none."""
    from sklearn.utils.class_weight import compute_class_weight

    if getattr(strategy, "value", strategy) == "none":
        return np.ones(k), np.ones(k)
    positive, negative = np.ones(k), np.ones(k)
    for j in range(k):
        above = (np.asarray(y_train) > j).astype(np.int64)
        if 0 < above.sum() < len(above):
            weights = compute_class_weight("balanced", classes=np.array([0, 1]), y=above)
            negative[j], positive[j] = weights
    return positive, negative
