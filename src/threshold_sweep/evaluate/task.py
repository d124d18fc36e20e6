"""What differs between a binary run and a run of k ordered classes, chosen once from the labels.

A `Task` is small and imports nothing heavy: the run, the reports, the sweep summary and the
Python API all ask it which metrics, baselines and score columns a run has, instead of
branching on "binary" themselves. Binary is the case k = 2: its scores are one column (the
positive class's probability), every other task has one probability column per class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.evaluate.names import HEADLINE, MULTI_HEADLINE, ordinal_metric_names

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


ARGMAX, EXPECTED = "argmax", "expected"  # the values of evaluate.ordinal_prediction
ORDINAL_AFFECTS = "mae_classes, within_<d>, qwk, spearman and mae_x"


@dataclass(frozen=True)
class Ordinal:
    """How k >= 3 ordered classes are scored by distance: evaluate.within,
    evaluate.ordinal_prediction and the thresholds that put mae_x in units of x (None: no
    mae_x)."""

    within: tuple[int, ...] = (1,)
    prediction: str = ARGMAX
    thresholds: tuple[float, ...] | None = None

    @classmethod
    def of(cls, record: Mapping[str, Any] | None) -> Ordinal | None:
        """The ordinal settings metrics.json records (None for binary runs and older files)."""
        if not record:
            return None
        thresholds = record.get("thresholds")
        return cls(
            tuple(int(d) for d in record["within"]),
            str(record["prediction"]),
            None if thresholds is None else tuple(float(t) for t in thresholds),
        )

    @classmethod
    def from_config(cls, evaluate: Any, thresholds: Sequence[float] | None) -> Ordinal:
        """The settings of an evaluate config, with the run's class thresholds."""
        prediction = getattr(evaluate, "ordinal_prediction", ARGMAX)
        within = getattr(evaluate, "within", (1,))
        cuts = None if thresholds is None else tuple(float(t) for t in np.ravel(thresholds))
        name = str(getattr(prediction, "value", prediction))
        return cls(tuple(int(d) for d in within), name, cuts)

    @property
    def names(self) -> tuple[str, ...]:
        """The ordinal metrics, in report order."""
        return ordinal_metric_names(self.within, self.thresholds is not None)

    def record(self) -> dict[str, Any]:
        """metrics.json's `ordinal` section: the settings and which metrics they concern."""
        return {
            "prediction": self.prediction,
            "prediction_affects": ORDINAL_AFFECTS,
            "within": list(self.within),
            "thresholds": None if self.thresholds is None else list(self.thresholds),
            "metrics": list(self.names),
        }

    def classes(self, scores: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """The class the ordinal metrics read per row: y_pred (argmax) or the probability-weighted
        class sum_k k p_k rounded to the nearest class (expected)."""
        if self.prediction != EXPECTED:
            return np.asarray(y_pred, dtype=np.int64)
        expected = np.asarray(scores, dtype=np.float64) @ np.arange(scores.shape[1])
        return np.clip(np.rint(expected), 0, scores.shape[1] - 1).astype(np.int64)

    def x_error(self, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Distance of each true x from its predicted class's interval [t_(c-1), t_c] (0 inside;
        the outer classes are open on one side)."""
        edges = np.concatenate([[-np.inf], np.asarray(self.thresholds, dtype=np.float64), [np.inf]])
        x = np.asarray(x, dtype=np.float64)
        return np.maximum(edges[classes] - x, 0.0) + np.maximum(x - edges[classes + 1], 0.0)


@dataclass(frozen=True)
class Task:
    """Binary (two classes) or k ordered classes; owns every task-dependent choice."""

    names: tuple[str, ...]
    ordinal: Ordinal | None = None  # k >= 3: the ordinal metrics' settings

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> Task:
        """The task of a metrics.json result (its label names and ordinal settings)."""
        return cls(tuple(result["label_names"]), Ordinal.of(result.get("ordinal")))

    @classmethod
    def of_classes(cls, names: Sequence[str], ordinal: Ordinal | None = None) -> Task:
        """The task of these class names; ordinal settings apply to k >= 3 classes only."""
        return cls(tuple(names), ordinal if len(names) > 2 else None)

    @classmethod
    def of_count(cls, n_classes: int, ordinal: Ordinal | None = None) -> Task:
        """The task of k classes named by their index."""
        return cls.of_classes([str(i) for i in range(n_classes)], ordinal)

    @classmethod
    def of_scores(cls, scores: Any, ordinal: Ordinal | None = None) -> Task:
        """The task of a score array: 1-D scores are a binary task's positive-class
        probability, a (rows, k) matrix k classes' probabilities."""
        return cls.of_count(2 if np.ndim(scores) == 1 else np.shape(scores)[1], ordinal)

    @classmethod
    def of_run(
        cls, names: Sequence[str], evaluate: Any, thresholds: Sequence[float] | None
    ) -> Task:
        """The task of a run: its class names and, for k >= 3, the evaluate config's ordinal
        settings with the thresholds."""
        return cls.of_classes(names, Ordinal.from_config(evaluate, thresholds))

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
        if self.binary:
            return HEADLINE
        return MULTI_HEADLINE + (self.ordinal.names if self.ordinal else ())

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
        bootstrap): the ranking metric, balanced accuracy and MCC, for 2 or k classes; for
        ordered classes with ordinal settings also the MAE in class steps and QWK."""
        ordinal = ("mae_classes", "qwk") if self.ordinal else ()
        return (self.ranking_metric, "balanced_accuracy", "mcc", *ordinal)

    @property
    def cards(self) -> tuple[str, ...]:
        """The few metrics shown first on a run's page (with ordinal settings: how far off,
        the MAE in class steps and QWK, too)."""
        if self.binary:
            return BINARY_CARDS
        return MULTICLASS_CARDS + (("mae_classes", "qwk") if self.ordinal else ())

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

    def ordinal_inputs(self, frame: Any) -> dict[str, Any]:
        """What the metric functions need beyond y_true, scores and y_pred: the ordinal settings
        and the rows' x (None without an x column); nothing for a binary task."""
        if self.ordinal is None:
            return {}
        has_x = "x" in frame and self.ordinal.thresholds is not None
        x = frame["x"].to_numpy(dtype=np.float64) if has_x else None
        return {"ordinal": self.ordinal, "x": x}

    def class_scores(self, proba: np.ndarray) -> np.ndarray:
        """The task's scores from (rows, k) class probabilities: the positive class's column
        (binary) or all of them."""
        return proba[:, 1] if self.binary else proba

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
