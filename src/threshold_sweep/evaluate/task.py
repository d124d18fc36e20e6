"""What differs between a binary run and a run of k ordered classes, chosen once from the labels.

A `Task` is small and imports nothing heavy: the run, the reports, the sweep summary and the
Python API all ask it which metrics, baselines and score columns a run has, instead of
branching on "binary" themselves. Binary is the case k = 2: its scores are one column (the
positive class's probability), every other task has one probability column per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.evaluate.names import HEADLINE, MULTI_HEADLINE

BINARY_BASELINES = {
    "majority": "always predicts the majority class",
    "always_positive": "always predicts the positive class",
    "random": "predicts positive at random with probability = prevalence (expected value)",
    "rate_matched": "predicts positive at random as often as the model does (expected value)",
}
MULTICLASS_BASELINES = {
    "majority": "always predicts the most frequent class",
    "random": "predicts each class at random with its test share (expected value)",
}
# The metrics shown first (cards of report.html, the final sweep table), per task.
BINARY_CARDS = ("roc_auc", "balanced_accuracy", "mcc", "f1", "accuracy", "average_precision")
MULTICLASS_CARDS = ("roc_auc_ovr", "balanced_accuracy", "macro_f1", "mcc", "accuracy")


@dataclass(frozen=True)
class Task:
    """Binary (two classes) or k ordered classes; owns every task-dependent choice."""

    names: tuple[str, ...]

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> Task:
        """The task of a metrics.json result (its label names)."""
        return cls(tuple(result["label_names"]))

    @property
    def n_classes(self) -> int:
        """How many ordered classes."""
        return len(self.names)

    @property
    def binary(self) -> bool:
        """Two classes: one score column, a decision cutoff, a positive class."""
        return self.n_classes == 2

    @property
    def kind(self) -> str:
        """'binary' or 'multiclass', as metrics.json's `task` records it."""
        return "binary" if self.binary else "multiclass"

    @property
    def positive(self) -> str | None:
        """The positive class of a binary task (the last name), else None."""
        return self.names[-1] if self.binary else None

    @property
    def headline(self) -> tuple[str, ...]:
        """The scalar metrics reported per split, in report order."""
        return HEADLINE if self.binary else MULTI_HEADLINE

    @property
    def ranking_metric(self) -> str:
        """The prevalence-free ranking metric: ROC-AUC, one-vs-rest for k classes."""
        return "roc_auc" if self.binary else "roc_auc_ovr"

    @property
    def overfit_metrics(self) -> tuple[str, str]:
        """Prevalence-free metrics whose train - test gap is checked (train is resampled)."""
        return (self.ranking_metric, "balanced_accuracy")

    @property
    def paired_metrics(self) -> tuple[str, ...]:
        """The metrics a sweep compares between two runs on the same test rows (paired
        bootstrap): the ranking metric, balanced accuracy and MCC, for 2 or k classes."""
        return (self.ranking_metric, "balanced_accuracy", "mcc")

    @property
    def cards(self) -> tuple[str, ...]:
        """The few metrics shown first on a run's page."""
        return BINARY_CARDS if self.binary else MULTICLASS_CARDS

    @property
    def baselines(self) -> dict[str, str]:
        """The no-skill predictors scored for this task, with what each does."""
        return dict(BINARY_BASELINES if self.binary else MULTICLASS_BASELINES)

    def score_columns(self) -> list[str]:
        """The predictions.csv columns that hold the model's scores."""
        return ["y_score"] if self.binary else [f"score_{i}" for i in range(self.n_classes)]

    def scores(self, frame: Any) -> np.ndarray:
        """The scores of a predictions frame: 1-D (binary) or (rows, k) probabilities."""
        if self.binary:
            return frame["y_score"].to_numpy(dtype=np.float64)
        return frame[self.score_columns()].to_numpy(dtype=np.float64)

    def arrays(self, frame: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """y_true, scores and y_pred of a predictions frame."""
        return frame["y_true"].to_numpy(), self.scores(frame), frame["y_pred"].to_numpy()

    def predicted_classes(self, scores: np.ndarray, cutoff: float) -> np.ndarray:
        """Class index per row: score >= cutoff (binary) or the most probable class."""
        if self.binary:
            return (np.asarray(scores) >= cutoff).astype(np.int64)
        return np.argmax(scores, axis=1).astype(np.int64)

    def score_frame(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        """The score columns of a predictions frame, by name."""
        if self.binary:
            return {"y_score": np.asarray(scores)}
        return {name: scores[:, i] for i, name in enumerate(self.score_columns())}

    def prevalence(self, split_metrics: Mapping[str, Any]) -> float | dict[str, float]:
        """A split's class balance as metrics.json records it: positive share or all shares."""
        return split_metrics["prevalence"] if self.binary else split_metrics["class_shares"]
