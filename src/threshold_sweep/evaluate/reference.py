"""The CNN against the reference models on the same test rows: their metrics, CIs, and the
paired bootstrap of CNN minus each reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.evaluate.bootstrap import (
    drawn_metrics,
    interval_method,
    narrowed,
    paired_difference,
    paired_strata,
    sampled_intervals,
)
from threshold_sweep.evaluate.metrics import scalar_metrics
from threshold_sweep.evaluate.resample.predictions import WeightedMetrics, weighted_predictions
from threshold_sweep.evaluate.result import Comparison, ReferenceModelResult, ReferenceSection
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model.reference import TRAINED_ON, ReferenceScores


def compared_metrics(task: Task) -> tuple[str, str]:
    """What the CNN and a reference are paired on: the ranking metric and balanced accuracy."""
    return (task.ranking_metric, "balanced_accuracy")


@dataclass(frozen=True)
class PairedCNN:
    """The CNN's side of every paired comparison: its test predictions and its compared metrics
    on the resamples every reference is paired on (the same test rows and true classes, so the
    same draws), computed once."""

    predictions: WeightedMetrics
    drawn: dict[str, np.ndarray]

    @classmethod
    def of(
        cls,
        task: Task,
        cnn: tuple[np.ndarray, np.ndarray, np.ndarray],
        boot: Any,
        drawn: Mapping[str, np.ndarray] | None = None,
    ) -> PairedCNN:
        """The CNN's predictions and its compared metrics on the paired resamples (`drawn`:
        its metrics on the resamples drawn within its true classes, when the run has them)."""
        compared = compared_metrics(task)
        predictions = narrowed(weighted_predictions(*cnn), compared)
        if drawn is None:
            strata = paired_strata(predictions, predictions)
            drawn = drawn_metrics(predictions, strata, *_draws(boot))
        return cls(predictions, {metric: drawn[metric] for metric in compared})


def _draws(boot: Any) -> tuple[int, int]:
    """How many resamples a bootstrap config draws, and their seed."""
    return int(boot.resamples), int(boot.seed)


def _one_reference(
    task: Task,
    cnn: PairedCNN,
    reference: ReferenceScores,
    cutoff: float,
    boot: Any,
    inputs: Mapping[str, Any],
) -> ReferenceModelResult:
    """A reference's test metrics (`inputs`: the ordinal settings and x of k >= 3 classes),
    their CIs, and CNN minus it on the same rows; its CIs and the pairing read one set of
    resamples, drawn within the true classes."""
    y_true = cnn.predictions.y_true
    y_pred = task.predicted_classes(reference.scores, cutoff)
    (resamples, seed), level, method = _draws(boot), float(boot.level), interval_method(boot)
    mine = weighted_predictions(y_true, reference.scores, y_pred, **inputs)
    drawn = drawn_metrics(mine, paired_strata(mine, cnn.predictions), resamples, seed)
    return {
        "label": reference.model.label,
        "description": reference.model.description,
        "sees": reference.sees,
        "n_train": int(reference.n_train),
        "test": scalar_metrics(y_true, reference.scores, y_pred, **inputs),
        "ci": sampled_intervals(mine, drawn, level, seed, (method,))[method],
        "cnn_minus_reference": paired_difference(
            mine,
            cnn.predictions,
            compared_metrics(task),
            resamples,
            level,
            seed,
            method,
            drawn=(drawn, cnn.drawn),
        ),
    }


def best_reference(models: dict[str, ReferenceModelResult], metric: str) -> str | None:
    """The reference with the highest test `metric` (the first on ties; None if there is none)."""
    scored = {name: model["test"][metric] for name, model in models.items()}
    finite = {name: value for name, value in scored.items() if np.isfinite(value)}
    return max(finite, key=finite.__getitem__) if finite else None


def trails(comparison: Comparison) -> bool:
    """True when the CNN is below the reference beyond noise (the whole CI under zero)."""
    return bool(comparison["ci_high"] < 0)


def reference_section(
    task: Task,
    cnn: tuple[np.ndarray, np.ndarray, np.ndarray],
    references: Sequence[ReferenceScores],
    n_train: int,
    cutoff: float,
    boot: Any,
    inputs: Mapping[str, Any] | None = None,
    trained_on: str = TRAINED_ON,
    skipped: Mapping[str, str] | None = None,
    cnn_drawn: Mapping[str, np.ndarray] | None = None,
) -> ReferenceSection:
    """metrics.json's `reference` section: every reference model, the best of them and the
    skipped ones with why (`inputs`: Task.ordinal_inputs of the test rows, for the ordinal
    metrics of k classes; `n_train`: the training split's rows; `cnn_drawn`: the CNN's metrics
    on the resamples drawn within its true classes, when the run has them)."""
    paired = PairedCNN.of(task, cnn, boot, cnn_drawn)
    models = {
        ref.model.name: _one_reference(task, paired, ref, cutoff, boot, inputs or {})
        for ref in references
    }
    best = best_reference(models, task.ranking_metric)
    return {
        "trained_on": trained_on,
        "n_train": int(n_train),
        "compared_on": list(compared_metrics(task)),
        "models": models,
        "best": best,
        "cnn_trails_best": bool(
            best is not None and trails(models[best]["cnn_minus_reference"][task.ranking_metric])
        ),
        "skipped": dict(skipped or {}),
    }
