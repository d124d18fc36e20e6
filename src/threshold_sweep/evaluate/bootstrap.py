"""Vectorized, stratified bootstrap of every task's metrics: CIs and paired differences.

A resample is a vector of counts (how often each row was drawn); a chunk of resamples is a
count matrix. Rows are kept per class, each sorted by score once, so every metric is a
matrix-vector product or a cumulative sum over the columns: ROC-AUC counts the negatives
below each positive, average precision reads precision at each positive's score. Nothing
loops over resamples, and the results equal scikit-learn's weighted metrics. k ordered classes
are evaluated from weighted confusion matrices (their ordinal metrics too), their one-vs-rest
ROC-AUC from one sparse product of the weights with every class's score buckets.

An interval is read from the resampled values by one of INTERVALS: `percentile` (their
quantiles) or `bca` (Efron's bias-corrected and accelerated percentiles, the acceleration from a
jackknife within the same strata; leaving rows out is one more weight matrix, so it is
vectorized too). evaluate.bootstrap.method also offers `auto`, the best per metric in
benchmarks/bench_coverage.py: a binary run's recall, specificity, accuracy, balanced accuracy
and ROC-AUC, and two binary runs' paired ROC-AUC and balanced accuracy, from formulas
(evaluate/intervals.py); the rest from the resamples (AUTO_INTERVALS). With every method, an
interval that is a point (every resample gives the same value) is replaced by the predictions'
`fallback`, and every interval holds its estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np

from threshold_sweep.evaluate import intervals as closed
from threshold_sweep.evaluate.ordinal import confusion_metrics
from threshold_sweep.evaluate.result import Comparison
from threshold_sweep.evaluate.task import Ordinal

CHUNK_CELLS = 10_000_000  # resamples x rows held in memory at once
PERCENTILE, BCA, AUTO = "percentile", "bca", "auto"
INTERVALS = (PERCENTILE, BCA)  # how an interval is read from the resampled values
METHODS = (*INTERVALS, AUTO)  # the values of evaluate.bootstrap.method
# The resampled interval auto reads where it has no formula (evaluate/intervals.py has those):
# BCa's acceleration helps a run's CIs (a metric near its bound is skewed), while for a
# difference of two similar models it is mostly jackknife noise (docs/outputs.md has the table).
AUTO_INTERVALS = {"single": BCA, "paired": PERCENTILE}
DEFAULT_METHOD = AUTO
RANKING = ("roc_auc", "average_precision", "roc_auc_ovr")  # repaired by a score interval
LOSSES = ("brier", "log_loss")  # repaired by letting the share of positives vary
JACKKNIFE_ROWS = 200  # most leave-out evaluations for BCa; larger strata leave out groups
JACKKNIFE_STREAM = 1  # the groups' partition uses its own stream: resamples match percentile
TIE_TOLERANCE = 1e-12  # resampled values this close (relative) to the estimate count as ties

LeftOut = Callable[[list[np.ndarray]], dict[str, np.ndarray]]  # row groups -> metric per group
Scores = dict[str, float]
_NORMAL = NormalDist()


def _counts(rng: np.random.Generator, rows: int, size: int) -> np.ndarray:
    """A (rows, size) matrix: each row counts `size` draws with replacement from `size` items."""
    offsets = (np.arange(rows) * size)[:, None]
    draws = (offsets + rng.integers(0, size, size=(rows, size))).ravel()
    return np.bincount(draws, minlength=rows * size).reshape(rows, size).astype(np.float64)


def _chunks(n_resamples: int, n_rows: int) -> Iterator[int]:
    """Sizes of the resample chunks that keep memory bounded."""
    chunk = max(1, min(n_resamples, CHUNK_CELLS // max(n_rows, 1)))
    for start in range(0, n_resamples, chunk):
        yield min(chunk, n_resamples - start)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


class WeightedMetrics(Protocol):
    """Predictions that evaluate their headline metrics for many row weightings at once."""

    y_true: np.ndarray

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


def _left_out_weights(groups: list[np.ndarray], n: int) -> np.ndarray:
    """A (groups, n) weight matrix: ones, with zeros on each row's group of rows."""
    weights = np.ones((len(groups), n))
    weights[np.repeat(np.arange(len(groups)), [len(g) for g in groups]), np.concatenate(groups)] = 0
    return weights


class Predictions:
    """One model's binary predictions, arranged for weighted metric evaluation."""

    def __init__(self, y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray) -> None:
        y_true = np.asarray(y_true, dtype=np.int64)
        y_score = np.asarray(y_score, dtype=np.float64)
        y_pred = np.asarray(y_pred, dtype=np.int64)
        self.y_true, self.y_score, self.y_pred = y_true, y_score, y_pred
        pos, neg = np.flatnonzero(y_true == 1), np.flatnonzero(y_true != 1)
        self.pos_order = pos[np.argsort(y_score[pos], kind="mergesort")]
        self.neg_order = neg[np.argsort(y_score[neg], kind="mergesort")]
        s_pos, s_neg = y_score[self.pos_order], y_score[self.neg_order]
        self._neg_below = np.searchsorted(s_neg, s_pos, side="left")
        self._neg_not_above = np.searchsorted(s_neg, s_pos, side="right")
        self._pos_below = np.searchsorted(s_pos, s_pos, side="left")
        self._hit_pos = (y_pred[self.pos_order] == 1).astype(np.float64)
        self._hit_neg = (y_pred[self.neg_order] == 1).astype(np.float64)
        eps = np.finfo(np.float64).eps
        self._brier_pos, self._brier_neg = (1 - s_pos) ** 2, s_neg**2
        self._loss_pos = -np.log(np.clip(s_pos, eps, 1 - eps))
        self._loss_neg = -np.log(1 - np.clip(s_neg, eps, 1 - eps))
        self._rank = np.empty(len(y_true), dtype=np.int64)  # row -> place in its class's order
        self._rank[self.pos_order] = np.arange(len(self.pos_order))
        self._rank[self.neg_order] = np.arange(len(self.neg_order))

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Every HEADLINE metric per row of `weights` (resamples x rows, original row order)."""
        weights = np.atleast_2d(weights)
        return self.class_metrics(weights[:, self.pos_order], weights[:, self.neg_order])

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples, drawn per class straight in score order."""
        n_pos, n_neg = len(self.pos_order), len(self.neg_order)
        return self.class_metrics(_counts(rng, rows, n_pos), _counts(rng, rows, n_neg))

    def left_out_metrics(self, groups: list[np.ndarray]) -> dict[str, np.ndarray]:
        """The metrics without each group of rows, the weights built straight in score order."""
        rows = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        left_out = np.concatenate(groups)
        positive = self.y_true[left_out] == 1
        w_pos = np.ones((len(groups), len(self.pos_order)))
        w_neg = np.ones((len(groups), len(self.neg_order)))
        w_pos[rows[positive], self._rank[left_out[positive]]] = 0
        w_neg[rows[~positive], self._rank[left_out[~positive]]] = 0
        return self.class_metrics(w_pos, w_neg)

    def counts(self) -> tuple[int, int, int, int]:
        """The confusion counts tp, fn, tn, fp."""
        tp, fp = int(self._hit_pos.sum()), int(self._hit_neg.sum())
        return tp, len(self.pos_order) - tp, len(self.neg_order) - fp, fp

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
        scores = self.y_score
        return {
            "accuracy": closed.mover_sum(rates, bounds, [n_pos / n, n_neg / n]),
            "balanced_accuracy": closed.mover_sum(rates, bounds, [0.5, 0.5]),
            "recall": recall,
            "specificity": specificity,
            "roc_auc": closed.auc_interval(scores[self.pos_order], scores[self.neg_order], level),
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
        posterior = _label_metrics(drawn[:, 1, 1], drawn[:, 0, 1], drawn[:, 1, 0], drawn[:, 0, 0])
        point = {m: float(v[0]) for m, v in self.metrics(np.ones((1, len(self.y_true)))).items()}
        out = {}
        for metric in metrics:
            if metric in posterior:
                out[metric] = closed.quantile_interval(posterior[metric], point[metric], level)
            elif metric in RANKING:
                out[metric] = closed.hanley_mcneil_score(point[metric], tp + fn, tn + fp, level)
            elif metric in LOSSES:
                out[metric] = self._prevalence_interval(metric, level)
        return out

    def _prevalence_interval(self, metric: str, level: float) -> list[float]:
        """A mean loss over the rows as the share of positives moves over its Wilson interval
        (each class's mean loss kept)."""
        rows = {
            "brier": (self._brier_pos, self._brier_neg),
            "log_loss": (self._loss_pos, self._loss_neg),
        }
        loss_pos, loss_neg = (float(np.mean(r)) if len(r) else 0.0 for r in rows[metric])
        n_pos, n = len(self.pos_order), len(self.y_true)
        ends = [
            share * loss_pos + (1 - share) * loss_neg for share in closed.wilson(n_pos, n, level)
        ]
        return [min(ends), max(ends)]

    def class_metrics(self, w_pos: np.ndarray, w_neg: np.ndarray) -> dict[str, np.ndarray]:
        """Metrics from weights of the positives and negatives, each in ascending score order."""
        n_pos, n_neg = w_pos.sum(axis=1), w_neg.sum(axis=1)
        tp, fp = w_pos @ self._hit_pos, w_neg @ self._hit_neg
        n = n_pos + n_neg
        cum_neg = np.zeros((len(w_neg), w_neg.shape[1] + 1))
        np.cumsum(w_neg, axis=1, out=cum_neg[:, 1:])
        cum_pos = np.zeros((len(w_pos), w_pos.shape[1] + 1))
        np.cumsum(w_pos, axis=1, out=cum_pos[:, 1:])
        neg_below = cum_neg[:, self._neg_below]
        neg_tied = cum_neg[:, self._neg_not_above] - neg_below
        tp_at = n_pos[:, None] - cum_pos[:, self._pos_below]  # positives scored >= each positive
        fp_at = n_neg[:, None] - neg_below
        return {
            **_label_metrics(tp, fp, n_pos - tp, n_neg - fp),
            "roc_auc": _ratio(np.sum(w_pos * (neg_below + 0.5 * neg_tied), axis=1), n_pos * n_neg),
            "average_precision": _ratio(
                np.sum(w_pos * _ratio(tp_at, tp_at + fp_at), axis=1), n_pos
            ),
            "brier": (w_pos @ self._brier_pos + w_neg @ self._brier_neg) / n,
            "log_loss": (w_pos @ self._loss_pos + w_neg @ self._loss_neg) / n,
        }


def _label_metrics(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray
) -> dict[str, np.ndarray]:
    """The binary metrics of the predicted labels from (weighted) confusion counts."""
    n_pos, n_neg = tp + fn, tn + fp
    recall, specificity = _ratio(tp, n_pos), _ratio(tn, n_neg)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    f1_negative = _ratio(2 * tn, 2 * tn + fn + fp)
    return {
        "accuracy": (tp + tn) / (n_pos + n_neg),
        "balanced_accuracy": (recall + specificity) / 2,
        "precision": _ratio(tp, tp + fp),
        "recall": recall,
        "f1": f1,
        "specificity": specificity,
        "macro_f1": (f1 + f1_negative) / 2,
        "mcc": _ratio(tp * tn - fp * fn, np.sqrt((tp + fp) * n_pos * (tn + fn) * n_neg)),
    }


class _CellSums:
    """Weighted confusion matrices of fixed cells: each row's weight summed into its cell.

    The rows are sorted by cell once, so a stack of weightings becomes confusion matrices by one
    gather and a segment sum (no dense rows x k^2 matrix, which 51 classes make 2,601 wide).
    """

    def __init__(self, y_true: np.ndarray, classes: np.ndarray, k: int) -> None:
        cells = y_true * k + classes
        self.order = np.argsort(cells, kind="mergesort")
        sorted_cells = cells[self.order]
        self.starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
        self.present = sorted_cells[self.starts]
        self.k = k

    def confusion(self, weights: np.ndarray) -> np.ndarray:
        """A (resamples, k, k) stack: row weights summed per (true, predicted) cell."""
        out = np.zeros((len(weights), self.k * self.k))
        if self.order.size:
            out[:, self.present] = np.add.reduceat(weights[:, self.order], self.starts, axis=1)
        return out.reshape(-1, self.k, self.k)


class _OneVsRestAUC:
    """Every class's one-vs-rest ROC-AUC for many weightings at once, from one sparse product.

    Per class c, the distinct scores of its rows u_1 < ... < u_m cut the other rows into buckets:
    strictly between two of them, or tied with one. One sparse (rows x buckets) indicator
    matrix, with a block per class, turns a stack of weightings into each bucket's weight and
    each u_b's positive weight; the negatives below u_b are a cumulative sum over buckets, so
    AUC_c = sum_b pos_b (below_b + tied_b / 2) / (n_pos n_neg), as the binary code computes it.
    The work per resample is one pass over k entries per row, not k sorts or cumulative sums
    over all rows.
    """

    def __init__(self, y_true: np.ndarray, proba: np.ndarray) -> None:
        from scipy import sparse

        n, k = proba.shape
        columns, self.blocks, offset = [], [], 0
        for c in range(k):
            positive = y_true == c
            values = np.unique(proba[positive, c])
            m = len(values)
            place = np.searchsorted(values, proba[:, c], side="left")
            tied = np.zeros(n, dtype=bool)
            if m:  # a class absent from the rows has no scores to tie with
                tied = (place < m) & (values[np.minimum(place, m - 1)] == proba[:, c])
            bucket = np.where(positive, 2 * m + 1 + place, 2 * place + tied)
            columns.append(offset + bucket)
            self.blocks.append((offset, m))
            offset += 3 * m + 1
        rows = np.tile(np.arange(n), k)
        cells = np.ones(n * k)
        self._indicator = sparse.csr_matrix(
            (cells, (np.concatenate(columns), rows)), shape=(offset, n)
        )

    def roc_auc(self, weights: np.ndarray) -> np.ndarray:
        """A (resamples, k) matrix: each class's one-vs-rest ROC-AUC per row of `weights`."""
        sums = np.asarray(self._indicator @ weights.T).T
        out = np.empty((len(weights), len(self.blocks)))
        for c, (offset, m) in enumerate(self.blocks):
            negative = sums[:, offset : offset + 2 * m + 1]
            positive = sums[:, offset + 2 * m + 1 : offset + 3 * m + 1]
            below = np.cumsum(negative, axis=1)[:, 0 : 2 * m : 2]  # buckets 0..2b
            tied = negative[:, 1 : 2 * m + 1 : 2]
            pairs = positive.sum(axis=1) * negative.sum(axis=1)
            out[:, c] = _ratio(np.sum(positive * (below + 0.5 * tied), axis=1), pairs)
        return out


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
        k, n = self.proba.shape[1], len(self.y_true)
        self._cells = _CellSums(self.y_true, self.y_pred, k)
        eps = np.finfo(np.float64).eps
        self._row_loss = -np.log(np.clip(self.proba[np.arange(n), self.y_true], eps, 1))
        self._one_vs_rest = _OneVsRestAUC(self.y_true, self.proba)
        self._classes = _strata(self.y_true)
        self.ordinal = ordinal
        if ordinal is not None:
            classes = ordinal.classes(self.proba, self.y_pred)
            same = np.array_equal(classes, self.y_pred)
            self._ordinal_cells = self._cells if same else _CellSums(self.y_true, classes, k)
            has_x = x is not None and ordinal.thresholds is not None
            self._x_error = ordinal.x_error(x, classes) if has_x else None

    def resampled_metrics(self, rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
        """The metrics of `rows` resamples drawn within each true class."""
        return self.metrics(_stratified_weights(rng, self._classes, rows, len(self.y_true)))

    def left_out_metrics(self, groups: list[np.ndarray]) -> dict[str, np.ndarray]:
        """The metrics without each group of rows."""
        return self.metrics(_left_out_weights(groups, len(self.y_true)))

    def closed_form(self, level: float) -> dict[str, list[float]]:
        """No formula is used for k classes: auto reads their CIs from the resamples."""
        return {}

    def fallback(self, metrics: list[str], level: float, seed: int) -> dict[str, list[float]]:
        """CIs of `metrics` whose resamples are all equal: the confusion metrics from a
        Jeffreys posterior of each true class's row of the confusion matrix, the one-vs-rest
        ROC-AUC from the Hanley-McNeil score interval of the smallest class against the rest,
        the log loss (the same loss on every row of a class) as the class shares vary."""
        ones = np.ones((1, len(self.y_true)))
        point = {m: float(v[0]) for m, v in self.metrics(ones).items()}
        drawn = closed.jeffreys_confusions(
            self._cells.confusion(ones)[0], closed.POSTERIOR_DRAWS, seed
        )
        posterior = _confusion_metrics(drawn)
        if self.ordinal is not None:
            ordinal = closed.jeffreys_confusions(
                self._ordinal_cells.confusion(ones)[0], closed.POSTERIOR_DRAWS, seed
            )
            posterior.update(confusion_metrics(ordinal, self.ordinal.within))
        smallest = int(min(len(rows) for rows in self._classes))
        out = {}
        for metric in metrics:
            if metric in posterior:
                out[metric] = closed.quantile_interval(posterior[metric], point[metric], level)
            elif metric in RANKING:
                rest = len(self.y_true) - smallest
                out[metric] = closed.hanley_mcneil_score(point[metric], smallest, rest, level)
            elif metric == "log_loss":
                out[metric] = self._share_interval(point[metric], level, seed)
        return out

    def _share_interval(self, point: float, level: float, seed: int) -> list[float]:
        """The mean log loss as the class shares move over their Jeffreys (Dirichlet)
        posterior, each class's mean loss kept (the stratified resamples hold the shares)."""
        counts = np.array([len(rows) for rows in self._classes], dtype=np.float64)
        losses = np.array([self._row_loss[rows].mean() for rows in self._classes])
        rng = np.random.default_rng([seed, JACKKNIFE_STREAM + 1])
        shares = rng.dirichlet(counts + 0.5, closed.POSTERIOR_DRAWS)
        return closed.quantile_interval(shares @ losses, point, level)

    def metrics(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """MULTI_HEADLINE (and the ordinal metrics) per row of `weights`, from weighted
        confusion matrices."""
        weights = np.atleast_2d(weights)
        confusion = self._cells.confusion(weights)
        aucs = self._one_vs_rest.roc_auc(weights)
        total = confusion.sum(axis=(1, 2))
        out = {
            **_confusion_metrics(confusion),
            "roc_auc_ovr": aucs.mean(axis=1),
            "log_loss": (weights @ self._row_loss) / total,
        }
        if self.ordinal is not None:
            out.update(self._ordinal_metrics(weights, confusion))
        return out

    def _ordinal_metrics(self, weights: np.ndarray, confusion: np.ndarray) -> dict[str, np.ndarray]:
        """The ordinal metrics per row of `weights` (mae_x NaN without x)."""
        if self._ordinal_cells is not self._cells:
            confusion = self._ordinal_cells.confusion(weights)
        out = confusion_metrics(confusion, self.ordinal.within)
        if "mae_x" in self.ordinal.names:
            if self._x_error is None:
                out["mae_x"] = np.full(len(weights), np.nan)
            else:
                out["mae_x"] = (weights @ self._x_error) / confusion.sum(axis=(1, 2))
        return out


def _confusion_metrics(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """The label metrics of MULTI_HEADLINE from a stack of (k, k) confusion matrices."""
    total = confusion.sum(axis=(1, 2))
    true_counts, pred_counts = confusion.sum(axis=2), confusion.sum(axis=1)
    correct = np.trace(confusion, axis1=1, axis2=2)
    diagonal = np.diagonal(confusion, axis1=1, axis2=2)
    recall = _ratio(diagonal, true_counts)
    precision = _ratio(diagonal, pred_counts)
    f1 = _ratio(2 * diagonal, true_counts + pred_counts)
    present = true_counts > 0
    expected = np.sum(true_counts * pred_counts, axis=1)
    mcc_denominator = np.sqrt(
        (total**2 - np.sum(pred_counts**2, axis=1)) * (total**2 - np.sum(true_counts**2, axis=1))
    )
    chance_agreement = expected / total**2
    return {
        "accuracy": correct / total,
        "balanced_accuracy": np.sum(recall * present, axis=1) / present.sum(axis=1),
        "macro_precision": precision.mean(axis=1),
        "macro_recall": recall.mean(axis=1),
        "macro_f1": f1.mean(axis=1),
        "micro_f1": correct / total,
        "weighted_f1": np.sum(f1 * true_counts, axis=1) / total,
        "mcc": _ratio(correct * total - expected, mcc_denominator),
        "cohen_kappa": _ratio(correct / total - chance_agreement, 1 - chance_agreement),
    }


def weighted_predictions(
    y_true: np.ndarray,
    y_score: np.ndarray,
    y_pred: np.ndarray,
    ordinal: Ordinal | None = None,
    x: np.ndarray | None = None,
) -> Predictions | ClassPredictions:
    """The task's weighted evaluator: 1-D scores are binary, a matrix holds k classes (with
    `ordinal` settings and the rows' x, its ordinal metrics too)."""
    if np.ndim(y_score) == 1:
        return Predictions(y_true, y_score, y_pred)
    return ClassPredictions(y_true, y_score, y_pred, ordinal, x)


_BCA_TEXT = "BCa bootstrap (jackknife within each true class)"
_RESAMPLED = ", test rows resampled within each true class"
_REPAIR_TEXT = "; a degenerate (zero-width) bootstrap interval is replaced by a closed-form one"
_AUTO_TEXT = (
    "per metric, by simulated coverage: Wilson (recall, specificity), MOVER-Wilson (balanced "
    "accuracy, accuracy), logit DeLong (ROC-AUC), else BCa; paired: DeLong (ROC-AUC), "
    "Bonett-Price Wald (balanced accuracy), else percentile bootstrap"
)
METHOD_TEXT = {  # metrics.json's ci.method: what each value of evaluate.bootstrap.method does
    PERCENTILE: f"percentile bootstrap{_RESAMPLED}{_REPAIR_TEXT}",
    BCA: f"{_BCA_TEXT}{_RESAMPLED}{_REPAIR_TEXT}",
    AUTO: f"{_AUTO_TEXT}{_RESAMPLED}{_REPAIR_TEXT} (docs/outputs.md)",
}


def interval_method(boot: Any) -> str:
    """evaluate.bootstrap.method of a bootstrap config (the default where it names none)."""
    return _choice(getattr(boot, "method", DEFAULT_METHOD))


def _choice(method: str | Enum) -> str:
    """A value of evaluate.bootstrap.method (the config's Enum or its text), checked."""
    name = str(getattr(method, "value", method))
    if name not in METHODS:
        raise ValueError(f"unknown interval method {name!r}: use one of {', '.join(METHODS)}")
    return name


def _intervals_named(methods: Sequence[str | Enum]) -> list[str]:
    """The names of `methods`, each one of METHODS."""
    return [_choice(method) for method in methods]


def _resampled(names: list[str], kind: str) -> list[str]:
    """The resampled intervals (of INTERVALS) that `names` need: auto reads AUTO_INTERVALS."""
    needed = {AUTO_INTERVALS[kind] if name == AUTO else name for name in names}
    return [name for name in INTERVALS if name in needed]


def _collapsed(bounds: list[float], point: float) -> bool:
    """Whether an interval is a point (within rounding); NaN intervals are left alone."""
    low, high = bounds
    return bool(np.isfinite([low, high]).all() and high - low <= TIE_TOLERANCE * max(1, abs(point)))


def _repaired(
    by_metric: dict[str, list[float]],
    point: Scores,
    predictions: WeightedMetrics,
    level: float,
    seed: int,
) -> dict[str, list[float]]:
    """`by_metric` with every interval that is a point replaced by the predictions' fallback,
    and every interval widened to hold its estimate."""
    collapsed = [m for m, bounds in by_metric.items() if _collapsed(bounds, point[m])]
    fixes = predictions.fallback(collapsed, level, seed) if collapsed else {}
    return {m: _holding(fixes.get(m, bounds), point[m]) for m, bounds in by_metric.items()}


def _holding(bounds: list[float], point: float) -> list[float]:
    """An interval widened to hold its (finite) estimate."""
    low, high = bounds
    if not np.isfinite(point) or not np.isfinite([low, high]).all():
        return [low, high]
    return [min(low, point), max(high, point)]


def _percentile_interval(samples: np.ndarray, level: float) -> list[float]:
    """Percentile interval of the finite samples."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return [float("nan"), float("nan")]
    low, high = np.quantile(finite, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [float(low), float(high)]


def _bca_interval(
    samples: np.ndarray, point: float, acceleration: float, level: float
) -> list[float]:
    """Efron's BCa interval: quantiles of the finite samples at tail levels moved by the bias
    correction z0 (where the point estimate falls among them, ties counted half) and the
    acceleration a: alpha' = Phi(z0 + (z0 + z_alpha) / (1 - a (z0 + z_alpha))).

    Where the estimate lies outside the percentile interval (|z0| beyond the tail's quantile,
    infinite where every resample lies on one side: the estimate sits at the edge of what the
    resamples can give, and BCa collapses onto it), or without a finite estimate or
    acceleration, this is the percentile interval.
    """
    finite = samples[np.isfinite(samples)]
    if finite.size == 0 or not (np.isfinite(point) and np.isfinite(acceleration)):
        return _percentile_interval(samples, level)
    tie = TIE_TOLERANCE * max(1.0, abs(point))
    below = np.count_nonzero(finite < point - tie) + np.count_nonzero(finite <= point + tie)
    share, tail = below / (2 * finite.size), (1 - level) / 2
    if not tail < share < 1 - tail:
        return _percentile_interval(finite, level)  # z0 beyond the interval it corrects
    z0 = _NORMAL.inv_cdf(share)
    levels = []
    for tail in ((1 - level) / 2, 1 - (1 - level) / 2):
        shifted = z0 + _NORMAL.inv_cdf(tail)
        denominator = 1 - acceleration * shifted
        z = z0 + shifted / denominator if denominator > 0 else math.copysign(math.inf, shifted)
        levels.append(_NORMAL.cdf(z))
    low, high = np.quantile(finite, levels)
    return [float(low), float(high)]


def _jackknife_shares(sizes: list[int], budget: int) -> list[int]:
    """How many leave-out groups each stratum gets: every row of the small strata, the rest of
    `budget` shared by the large ones (at least 2 per stratum); none for a stratum of one row,
    which every resample draws whole."""
    shares = [0] * len(sizes)
    left = sum(size > 1 for size in sizes)
    for i in sorted(range(len(sizes)), key=sizes.__getitem__):
        if sizes[i] > 1:
            shares[i] = min(sizes[i], max(2, budget // left))
            budget, left = budget - shares[i], left - 1
    return shares


def _jackknife_groups(strata: list[np.ndarray], seed: int) -> list[list[np.ndarray]]:
    """Per stratum, the row groups the jackknife leaves out one at a time: single rows, or in a
    stratum larger than its share, a seeded random partition into that many groups."""
    rng = np.random.default_rng([seed, JACKKNIFE_STREAM])
    shares = _jackknife_shares([len(rows) for rows in strata], JACKKNIFE_ROWS)
    groups = []
    for rows, share in zip(strata, shares, strict=True):
        if share == 0:
            groups.append([])
        elif share == len(rows):
            groups.append(np.split(rows, share))
        else:
            groups.append(np.array_split(rng.permutation(rows), share))
    return groups


def _acceleration(left_out: LeftOut, n: int, strata: list[np.ndarray], seed: int) -> Scores:
    """BCa's acceleration of every metric from a stratified jackknife, as scipy computes it for
    several samples: a = sum_j sum_i U_ji^3 / m_j^3 / (6 (sum_j sum_i U_ji^2 / m_j^2)^1.5), where
    U_ji = (m_j - 1) (mean_i theta_(ji) - theta_(ji)) and stratum j is left out in m_j groups.

    Leaving out a group of rows is a row of weights (ones, zero on the group), so the whole
    jackknife is one weight matrix, evaluated by `left_out` in chunks like the resamples.
    Grouping (above JACKKNIFE_ROWS rows) keeps the sums' expectations: cumulants of sums add.
    """
    per_stratum = _jackknife_groups(strata, seed)
    groups = [group for stratum in per_stratum for group in stratum]
    if not groups:
        return {}
    parts, start = [], 0
    for rows in _chunks(len(groups), n):
        parts.append(left_out(groups[start : start + rows]))
        start += rows
    out = {}
    for metric in parts[0]:
        estimates = np.concatenate([part[metric] for part in parts])
        numerator = denominator = 0.0
        start = 0
        for stratum in per_stratum:
            m = len(stratum)
            values, start = estimates[start : start + m], start + m
            if m == 0 or np.ptp(values) <= TIE_TOLERANCE * max(1.0, abs(values.mean())):
                continue  # no spread beyond rounding: this stratum adds nothing
            u = (m - 1) * (values.mean() - values)
            numerator += np.sum(u**3) / m**3
            denominator += np.sum(u**2) / m**2
        out[metric] = float(numerator / (6 * denominator**1.5)) if denominator > 0 else 0.0
    return out


def _intervals(
    samples: dict[str, np.ndarray],
    point: Scores,
    level: float,
    methods: Sequence[str | Enum],
    jackknife: tuple[LeftOut, int, list[np.ndarray], int],
) -> dict[str, dict[str, list[float]]]:
    """Every metric's interval from its resamples by each method (method -> metric -> [lo, hi]).

    `jackknife` is what BCa's acceleration needs: the metrics without each of some row groups,
    the number of rows, the strata the resamples were drawn within, the seed of the groups.
    """
    names = list(methods)
    out: dict[str, dict[str, list[float]]] = {}
    if PERCENTILE in names:
        out[PERCENTILE] = {m: _percentile_interval(s, level) for m, s in samples.items()}
    if BCA in names:
        acceleration = _acceleration(*jackknife)
        out[BCA] = {
            m: _bca_interval(s, point[m], acceleration.get(m, 0.0), level)
            for m, s in samples.items()
        }
    return {name: out[name] for name in names}


def stratified_counts(strata: np.ndarray, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Yield (chunk, n) count matrices over all rows that keep each stratum's size."""
    rng = np.random.default_rng(seed)
    groups = _strata(strata)
    for rows in _chunks(n_resamples, len(strata)):
        yield _stratified_weights(rng, groups, rows, len(strata))


def _strata(values: np.ndarray) -> list[np.ndarray]:
    """Row indices of each distinct value, in ascending order of the value."""
    return [np.flatnonzero(values == value) for value in np.unique(values)]


def _stratified_weights(
    rng: np.random.Generator, groups: list[np.ndarray], rows: int, n: int
) -> np.ndarray:
    """A (rows, n) count matrix that redraws each group's rows within the group."""
    weights = np.zeros((rows, n))
    for group in groups:
        weights[:, group] = _counts(rng, rows, len(group))
    return weights


def bootstrap_intervals(
    predictions: WeightedMetrics,
    n_resamples: int,
    level: float,
    seed: int,
    methods: Sequence[str | Enum] = INTERVALS,
) -> dict[str, dict[str, list[float]]]:
    """CIs of every headline metric by each of `methods` (of METHODS), from the same resamples
    of the rows within each true class: method -> metric -> [low, high]. auto takes the
    predictions' closed-form CIs where they have one; no method returns a point."""
    names = _intervals_named(methods)
    rng = np.random.default_rng(seed)
    chunks = [
        predictions.resampled_metrics(rng, rows)
        for rows in _chunks(n_resamples, len(predictions.y_true))
    ]
    samples = {metric: np.concatenate([chunk[metric] for chunk in chunks]) for metric in chunks[0]}
    n = len(predictions.y_true)
    point = {m: float(v[0]) for m, v in predictions.metrics(np.ones((1, n))).items()}
    jackknife = (predictions.left_out_metrics, n, _strata(predictions.y_true), seed)
    resampled = _intervals(samples, point, level, _resampled(names, "single"), jackknife)
    out = {}
    for name in names:
        by_metric = resampled[AUTO_INTERVALS["single"] if name == AUTO else name]
        if name == AUTO:
            formulas = predictions.closed_form(level)
            by_metric = {m: formulas.get(m, bounds) for m, bounds in by_metric.items()}
        out[name] = _repaired(by_metric, point, predictions, level, seed)
    return out


def bootstrap_ci(
    predictions: WeightedMetrics,
    n_resamples: int,
    level: float,
    seed: int,
    method: str | Enum = DEFAULT_METHOD,
) -> dict[str, list[float]]:
    """CIs of every headline metric by `method` (a value of evaluate.bootstrap.method),
    resampling rows within each true class."""
    name = _choice(method)
    return bootstrap_intervals(predictions, n_resamples, level, seed, (name,))[name]


def paired_intervals(
    first: WeightedMetrics,
    second: WeightedMetrics,
    metrics: tuple[str, ...],
    n_resamples: int,
    level: float,
    seed: int,
    methods: Sequence[str | Enum] = INTERVALS,
) -> dict[str, dict[str, Comparison]]:
    """second - first for each metric on the same rows, resampled jointly, with its CI by each
    of `methods` from the same resamples: method -> metric -> difference, CI, within_noise.

    Rows are resampled within each combination of the two runs' true classes, so both runs
    keep their class counts in every resample. auto takes the closed-form paired intervals of
    two binary runs; a difference all of whose resamples are equal gets the MOVER interval of
    the two runs' own CIs, unless the two runs' predictions are the same (then it is 0 exactly).
    """
    names = _intervals_named(methods)
    strata = first.y_true * (second.y_true.max() + 1) + second.y_true

    def difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {metric: b[metric] - a[metric] for metric in metrics}

    def left_out(groups: list[np.ndarray]) -> dict[str, np.ndarray]:
        return difference(first.left_out_metrics(groups), second.left_out_metrics(groups))

    parts = [
        difference(first.metrics(weights), second.metrics(weights))
        for weights in stratified_counts(strata, n_resamples, seed)
    ]
    samples = {metric: np.concatenate([part[metric] for part in parts]) for metric in metrics}
    n = len(strata)
    ones = np.ones((1, n))
    point = {
        m: float(v[0]) for m, v in difference(first.metrics(ones), second.metrics(ones)).items()
    }
    jackknife = (left_out, n, _strata(strata), seed)
    resampled = _intervals(samples, point, level, _resampled(names, "paired"), jackknife)
    intervals = {}
    same = _same_predictions(first, second)
    for name in names:
        by_metric = resampled[AUTO_INTERVALS["paired"] if name == AUTO else name]
        if same:  # every resample's difference is 0, and so is the truth
            intervals[name] = by_metric
            continue
        if name == AUTO:
            formulas = paired_closed_form(first, second, point, strata, level)
            by_metric = {m: formulas.get(m, bounds) for m, bounds in by_metric.items()}
        singles = (first, second), (n_resamples, level, seed, name)
        intervals[name] = _repaired_paired(by_metric, point, singles)
    return {
        method: {
            metric: {
                "difference": point[metric],
                "ci_low": low,
                "ci_high": high,
                "within_noise": bool(low <= 0 <= high),
            }
            for metric, (low, high) in by_metric.items()
        }
        for method, by_metric in intervals.items()
    }


def paired_difference(
    first: WeightedMetrics,
    second: WeightedMetrics,
    metrics: tuple[str, ...],
    n_resamples: int,
    level: float,
    seed: int,
    method: str | Enum = DEFAULT_METHOD,
) -> dict[str, Comparison]:
    """second - first for each metric on the same rows, resampled jointly, with its CI by
    `method` (a value of evaluate.bootstrap.method). Rows are resampled within each
    combination of the two runs' true classes."""
    name = _choice(method)
    return paired_intervals(first, second, metrics, n_resamples, level, seed, (name,))[name]


def _same_predictions(first: WeightedMetrics, second: WeightedMetrics) -> bool:
    """Whether two runs predict the same rows identically (their difference is 0 exactly)."""
    fields = ("y_true", "y_score", "y_pred", "proba")
    return all(
        np.array_equal(getattr(first, f, None), getattr(second, f, None))
        and type(first) is type(second)
        for f in fields
    )


def paired_closed_form(
    first: WeightedMetrics, second: WeightedMetrics, point: Scores, strata: np.ndarray, level: float
) -> dict[str, list[float]]:
    """The paired CIs auto takes from a formula, for two binary runs with both classes each:
    ROC-AUC by DeLong's paired variance (of the rows' influences, within the strata), balanced
    accuracy by a Wald interval with Bonett-Price pseudo-rows."""
    both = (first, second)
    if not all(isinstance(p, Predictions) and np.ptp(p.y_true) == 1 for p in both):
        return {}
    out = {}
    if "roc_auc" in point:
        influence = closed.auc_influence(second.y_true, second.y_score) - closed.auc_influence(
            first.y_true, first.y_score
        )
        auc = closed.paired_auc_interval(point["roc_auc"], influence, strata, level)
        if auc is not None:
            out["roc_auc"] = auc
    if "balanced_accuracy" in point:
        shares = tuple(closed.class_shares(p.y_true) for p in both)
        hits = tuple((p.y_pred == p.y_true).astype(np.float64) for p in both)
        out["balanced_accuracy"] = closed.paired_balanced_accuracy_interval(
            point["balanced_accuracy"], shares, hits, strata, level
        )
    return out


def _repaired_paired(
    by_metric: dict[str, list[float]],
    point: Scores,
    singles: tuple[tuple[WeightedMetrics, WeightedMetrics], tuple[int, float, int, str]],
) -> dict[str, list[float]]:
    """`by_metric` with every interval that is a point replaced by the MOVER interval of the
    two runs' own CIs (by the same method and resamples)."""
    collapsed = [m for m, bounds in by_metric.items() if _collapsed(bounds, point[m])]
    if not collapsed:
        return {m: _holding(bounds, point[m]) for m, bounds in by_metric.items()}
    (first, second), (n_resamples, level, seed, name) = singles
    ones = np.ones((1, len(first.y_true)))
    runs = [
        (
            {m: float(v[0]) for m, v in run.metrics(ones).items()},
            bootstrap_intervals(run, n_resamples, level, seed, (name,))[name],
        )
        for run in (first, second)
    ]
    out = dict(by_metric)
    for metric in collapsed:
        (point_1, ci_1), (point_2, ci_2) = runs
        out[metric] = closed.mover_difference(
            (point_1[metric], point_2[metric]), (ci_1[metric], ci_2[metric])
        )
    return {m: _holding(bounds, point[m]) for m, bounds in out.items()}
