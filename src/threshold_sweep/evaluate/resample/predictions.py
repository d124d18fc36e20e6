"""One model's predictions, arranged to evaluate every metric for many row weightings at once.

The metrics are the registry's resampled forms (evaluate/registry.py) of the task's headline:
a binary model's from BinaryTallies, k classes' from ClassTallies. The results equal
scikit-learn's weighted metrics. Each also knows the interval a metric gets when all its
resamples are equal (`fallback`) and, for a binary model, the closed-form CIs auto takes.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from threshold_sweep.evaluate import intervals as closed
from threshold_sweep.evaluate.registry import BINARY as BINARY_TASK
from threshold_sweep.evaluate.registry import LABEL, LOSS, RANKING, headline, metric
from threshold_sweep.evaluate.registry import MULTICLASS as MULTICLASS_TASK
from threshold_sweep.evaluate.resample.draws import (
    counts,
    left_out_weights,
    strata_of,
    stratified_weights,
)
from threshold_sweep.evaluate.resample.readout import JACKKNIFE_STREAM
from threshold_sweep.evaluate.resample.tallies import (
    BinaryArrangement,
    BinaryConfusion,
    BinaryTallies,
    ClassArrangement,
    ClassConfusion,
    ClassTallies,
)
from threshold_sweep.evaluate.task import Ordinal, Task


class WeightedMetrics(Protocol):
    """Predictions that evaluate their headline metrics for many row weightings at once."""

    y_true: np.ndarray
    names: tuple[str, ...]  # the metrics it evaluates

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Every headline metric per row of `weights` (resamples x rows)."""
        ...

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples drawn within each true class."""
        ...

    def left_out_metrics(self, groups: list[np.ndarray]) -> dict[str, np.ndarray]:
        """The metrics of all rows but one group, per group (row indices), for the jackknife."""
        ...

    def closed_form(self, level: float) -> dict[str, list[float]]:
        """The CIs auto takes from a formula rather than the resamples."""
        ...

    def fallback(self, metrics: list[str], level: float, seed: int) -> dict[str, list[float]]:
        """CIs of `metrics` whose resamples are all equal."""
        ...


class Predictions:
    """One model's binary predictions, arranged for weighted metric evaluation."""

    names = headline(BINARY_TASK)

    def __init__(self, y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray) -> None:
        self.y_true = np.asarray(y_true, dtype=np.int64)
        self.y_score = np.asarray(y_score, dtype=np.float64)
        self.y_pred = np.asarray(y_pred, dtype=np.int64)
        self.rows = BinaryArrangement.of(self.y_true, self.y_score, self.y_pred)
        self._rank = np.empty(len(self.y_true), dtype=np.int64)  # row -> place in its class
        self._rank[self.rows.pos_order] = np.arange(len(self.rows.pos_order))
        self._rank[self.rows.neg_order] = np.arange(len(self.rows.neg_order))

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Every HEADLINE metric per row of `weights` (resamples x rows, original row order)."""
        weights = np.atleast_2d(weights)
        return self.class_metrics(weights[:, self.rows.pos_order], weights[:, self.rows.neg_order])

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples, drawn per class straight in score order."""
        n_pos, n_neg = len(self.rows.pos_order), len(self.rows.neg_order)
        return self.class_metrics(counts(rng, rows, n_pos), counts(rng, rows, n_neg))

    def left_out_metrics(self, groups: list[np.ndarray]) -> dict[str, np.ndarray]:
        """The metrics without each group of rows, the weights built straight in score order."""
        rows = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        left_out = np.concatenate(groups)
        positive = self.y_true[left_out] == 1
        w_pos = np.ones((len(groups), len(self.rows.pos_order)))
        w_neg = np.ones((len(groups), len(self.rows.neg_order)))
        w_pos[rows[positive], self._rank[left_out[positive]]] = 0
        w_neg[rows[~positive], self._rank[left_out[~positive]]] = 0
        return self.class_metrics(w_pos, w_neg)

    def class_metrics(self, w_pos: np.ndarray, w_neg: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics from weights of the positives and negatives, each in ascending score order."""
        tallies = BinaryTallies(self.rows, w_pos, w_neg)
        return {name: metric(name).binary(tallies) for name in self.names}

    def counts(self) -> tuple[int, int, int, int]:
        """The confusion counts tp, fn, tn, fp."""
        tp, fp = int(self.rows.hit_pos.sum()), int(self.rows.hit_neg.sum())
        return tp, len(self.rows.pos_order) - tp, len(self.rows.neg_order) - fp, fp

    def closed_form(self, level: float) -> dict[str, list[float]]:
        """The CIs auto takes from a formula (benchmarks/bench_coverage.py): Wilson for recall
        and specificity, MOVER sums of their Wilson intervals for balanced accuracy and
        accuracy, DeLong on the logit scale for ROC-AUC. Not precision: given the class counts
        the resamples keep, Wilson's interval of tp / (tp + fp) over-covers (99-100 %)."""
        tp, fn, tn, fp = self.counts()
        n_pos, n_neg = tp + fn, tn + fp
        if n_pos == 0 or n_neg == 0:
            return {}
        recall, specificity = closed.wilson(tp, n_pos, level), closed.wilson(tn, n_neg, level)
        rates, bounds = [tp / n_pos, tn / n_neg], [recall, specificity]
        n = n_pos + n_neg
        s_pos, s_neg = self.y_score[self.rows.pos_order], self.y_score[self.rows.neg_order]
        return {
            "accuracy": closed.mover_sum(rates, bounds, [n_pos / n, n_neg / n]),
            "balanced_accuracy": closed.mover_sum(rates, bounds, [0.5, 0.5]),
            "recall": recall,
            "specificity": specificity,
            "roc_auc": closed.auc_interval(s_pos, s_neg, level),
        }

    def fallback(self, metrics: list[str], level: float, seed: int) -> dict[str, list[float]]:
        """CIs of `metrics` whose resamples are all equal: the label metrics from a Jeffreys
        posterior of the confusion matrix, ROC-AUC and average precision from the
        Hanley-McNeil score interval, the Brier score and log loss (the same loss on every row
        of a class) from the Wilson interval of the share of positives, which the
        class-stratified resamples hold fixed."""
        tp, fn, tn, fp = self.counts()
        drawn = closed.jeffreys_confusions(
            np.array([[tn, fp], [fn, tp]], dtype=float), closed.POSTERIOR_DRAWS, seed
        )
        posterior = BinaryConfusion(drawn[:, 1, 1], drawn[:, 0, 1], drawn[:, 1, 0], drawn[:, 0, 0])
        point = {m: float(v[0]) for m, v in self.metrics(np.ones((1, len(self.y_true)))).items()}
        out = {}
        for name in metrics:
            entry = metric(name)
            if entry.reads == LABEL:
                out[name] = closed.quantile_interval(entry.binary(posterior), point[name], level)
            elif entry.reads == RANKING:
                out[name] = closed.hanley_mcneil_score(point[name], tp + fn, tn + fp, level)
            elif entry.reads == LOSS:
                out[name] = self._prevalence_interval(name, level)
        return out

    def _prevalence_interval(self, name: str, level: float) -> list[float]:
        """A mean loss over the rows as the share of positives moves over its Wilson interval
        (each class's mean loss kept)."""
        loss_pos, loss_neg = (float(np.mean(r)) if len(r) else 0.0 for r in self.rows.losses[name])
        n_pos, n = len(self.rows.pos_order), len(self.y_true)
        ends = [
            share * loss_pos + (1 - share) * loss_neg for share in closed.wilson(n_pos, n, level)
        ]
        return [min(ends), max(ends)]


class ClassPredictions:
    """Predictions of k ordered classes, arranged for weighted metric evaluation.

    With `ordinal` settings the ordinal metrics are evaluated too: from the confusion matrices
    of the class they read (argmax or expected value) and, for mae_x, each row's x error.
    """

    def __init__(
        self,
        y_true: np.ndarray,
        proba: np.ndarray,
        y_pred: np.ndarray,
        ordinal: Ordinal | None = None,
        x: np.ndarray | None = None,
    ) -> None:
        self.y_true = np.asarray(y_true, dtype=np.int64)
        self.y_pred = np.asarray(y_pred, dtype=np.int64)
        self.proba = np.asarray(proba, dtype=np.float64)
        self.rows = ClassArrangement.of(self.y_true, self.proba, self.y_pred, ordinal, x)
        self._classes = strata_of(self.y_true)
        self.ordinal = ordinal
        self.names = headline(MULTICLASS_TASK) + (ordinal.names if ordinal else ())

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """MULTI_HEADLINE (and the ordinal metrics) per row of `weights`, from weighted
        confusion matrices."""
        tallies = ClassTallies(self.rows, np.atleast_2d(weights))
        return {name: metric(name).classes(tallies) for name in self.names}

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples drawn within each true class."""
        return self.metrics(stratified_weights(rng, self._classes, rows, len(self.y_true)))

    def left_out_metrics(self, groups: list[np.ndarray]) -> dict[str, np.ndarray]:
        """The metrics without each group of rows."""
        return self.metrics(left_out_weights(groups, len(self.y_true)))

    def closed_form(self, level: float) -> dict[str, list[float]]:
        """No formula is used for k classes: auto reads their CIs from the resamples."""
        return {}

    def _posterior(self, seed: int) -> ClassConfusion:
        """Jeffreys posterior draws of the confusion matrix (and of the ordinal class's)."""
        ones = np.ones((1, len(self.y_true)))
        draws = closed.POSTERIOR_DRAWS
        drawn = closed.jeffreys_confusions(self.rows.cells.confusion(ones)[0], draws, seed)
        ordinal = closed.jeffreys_confusions(
            self.rows.ordinal_cells.confusion(ones)[0], draws, seed
        )
        return ClassConfusion(drawn, ordinal)

    def fallback(self, metrics: list[str], level: float, seed: int) -> dict[str, list[float]]:
        """CIs of `metrics` whose resamples are all equal: the confusion metrics from a
        Jeffreys posterior of each true class's row of the confusion matrix, the one-vs-rest
        ROC-AUC from the Hanley-McNeil score interval of the smallest class against the rest,
        the log loss (the same loss on every row of a class) as the class shares vary."""
        point = {m: float(v[0]) for m, v in self.metrics(np.ones((1, len(self.y_true)))).items()}
        posterior = None  # drawn on first need
        smallest = int(min(len(rows) for rows in self._classes))
        out = {}
        for name in metrics:
            entry = metric(name)
            if entry.reads == LABEL:
                posterior = posterior or self._posterior(seed)
                out[name] = closed.quantile_interval(entry.classes(posterior), point[name], level)
            elif entry.reads == RANKING:
                rest = len(self.y_true) - smallest
                out[name] = closed.hanley_mcneil_score(point[name], smallest, rest, level)
            elif entry.reads == LOSS:
                out[name] = self._share_interval(point[name], level, seed)
        return out

    def _share_interval(self, point: float, level: float, seed: int) -> list[float]:
        """The mean log loss as the class shares move over their Jeffreys (Dirichlet)
        posterior, each class's mean loss kept (the stratified resamples hold the shares)."""
        counts = np.array([len(rows) for rows in self._classes], dtype=np.float64)
        losses = np.array([self.rows.row_loss[rows].mean() for rows in self._classes])
        rng = np.random.default_rng([seed, JACKKNIFE_STREAM + 1])
        shares = rng.dirichlet(counts + 0.5, closed.POSTERIOR_DRAWS)
        return closed.quantile_interval(shares @ losses, point, level)


def weighted_predictions(
    y_true: np.ndarray,
    y_score: np.ndarray,
    y_pred: np.ndarray,
    ordinal: Ordinal | None = None,
    x: np.ndarray | None = None,
) -> Predictions | ClassPredictions:
    """The task's weighted evaluator (the task of the scores, see Task.of_scores; with
    `ordinal` settings and the rows' x, k classes' ordinal metrics too)."""
    if Task.of_scores(y_score).binary:
        return Predictions(y_true, y_score, y_pred)
    return ClassPredictions(y_true, y_score, y_pred, ordinal, x)
