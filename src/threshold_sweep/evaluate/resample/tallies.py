"""The sums the resampled metric forms read (evaluate/registry.py), for stacks of weightings.

A model's predictions are arranged once: a binary model's rows per class in ascending score
order (ROC-AUC then counts the negatives below each positive, average precision reads precision
at each positive's score), k classes' rows by confusion cell and by one-vs-rest score bucket.
A tallies object holds one stack of weightings (resamples x rows) and computes each shared sum
on first use, so every metric of a stack is a matrix-vector product or a running sum away.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from threshold_sweep.evaluate.resample.draws import ratio
from threshold_sweep.evaluate.task import Ordinal


class BinaryConfusion:
    """(Weighted) confusion counts of a binary model, one per weighting, and the rates its
    label metrics share."""

    def __init__(self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, tn: np.ndarray) -> None:
        self.tp, self.fp, self.fn, self.tn = tp, fp, fn, tn

    @cached_property
    def pos(self) -> np.ndarray:
        """Positives' weight."""
        return self.tp + self.fn

    @cached_property
    def neg(self) -> np.ndarray:
        """Negatives' weight."""
        return self.tn + self.fp

    @cached_property
    def recall(self) -> np.ndarray:
        """Share of the positives predicted positive."""
        return ratio(self.tp, self.pos)

    @cached_property
    def specificity(self) -> np.ndarray:
        """Share of the negatives predicted negative."""
        return ratio(self.tn, self.neg)

    @cached_property
    def f1(self) -> np.ndarray:
        """F1 of the positive class."""
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @cached_property
    def f1_negative(self) -> np.ndarray:
        """F1 of the negative class."""
        return ratio(2 * self.tn, 2 * self.tn + self.fn + self.fp)


@dataclass(frozen=True)
class BinaryArrangement:
    """A binary model's rows per class in ascending score order, and what each row adds."""

    pos_order: np.ndarray  # row indices of the positives, by score
    neg_order: np.ndarray
    neg_below: np.ndarray  # per positive: negatives scored strictly below it
    neg_not_above: np.ndarray  # per positive: negatives scored at most its score
    pos_below: np.ndarray  # per positive: positives scored strictly below it
    hit_pos: np.ndarray  # per positive: 1 if predicted positive
    hit_neg: np.ndarray
    losses: dict[str, tuple[np.ndarray, np.ndarray]]  # brier, log_loss: per positive, negative
    ties_across: bool = True  # some positive has the score of some negative
    ties_within: bool = True  # some positives share a score

    @classmethod
    def of(cls, y_true: np.ndarray, y_score: np.ndarray, y_pred: np.ndarray) -> BinaryArrangement:
        """The arrangement of one binary model's predictions."""
        pos, neg = np.flatnonzero(y_true == 1), np.flatnonzero(y_true != 1)
        pos_order = pos[np.argsort(y_score[pos], kind="mergesort")]
        neg_order = neg[np.argsort(y_score[neg], kind="mergesort")]
        s_pos, s_neg = y_score[pos_order], y_score[neg_order]
        eps = np.finfo(np.float64).eps
        neg_below = np.searchsorted(s_neg, s_pos, side="left")
        neg_not_above = np.searchsorted(s_neg, s_pos, side="right")
        pos_below = np.searchsorted(s_pos, s_pos, side="left")
        return cls(
            pos_order,
            neg_order,
            neg_below,
            neg_not_above,
            pos_below,
            (y_pred[pos_order] == 1).astype(np.float64),
            (y_pred[neg_order] == 1).astype(np.float64),
            {
                "brier": ((1 - s_pos) ** 2, s_neg**2),
                "log_loss": (
                    -np.log(np.clip(s_pos, eps, 1 - eps)),
                    -np.log(1 - np.clip(s_neg, eps, 1 - eps)),
                ),
            },
            bool(np.any(neg_below != neg_not_above)),
            bool(np.any(pos_below != np.arange(len(pos_below)))),
        )


class BinaryTallies(BinaryConfusion):
    """A binary model's sums for a stack of weightings of its positives and negatives (each
    in ascending score order)."""

    def __init__(self, rows: BinaryArrangement, w_pos: np.ndarray, w_neg: np.ndarray) -> None:
        self.rows, self.w_pos, self.w_neg = rows, w_pos, w_neg
        self.n_pos, self.n_neg = w_pos.sum(axis=1), w_neg.sum(axis=1)
        tp, fp = w_pos @ rows.hit_pos, w_neg @ rows.hit_neg
        super().__init__(tp, fp, self.n_pos - tp, self.n_neg - fp)

    @staticmethod
    def _running(weights: np.ndarray) -> np.ndarray:
        """Running sums of the weights, a leading 0 column first: [:, i] weighs the first i."""
        out = np.zeros((len(weights), weights.shape[1] + 1))
        np.cumsum(weights, axis=1, out=out[:, 1:])
        return out

    @cached_property
    def _cum_neg(self) -> np.ndarray:
        """The negatives' running sums of weights."""
        return self._running(self.w_neg)

    @cached_property
    def neg_below(self) -> np.ndarray:
        """Per positive, the weight of the negatives scored below it."""
        return self._cum_neg[:, self.rows.neg_below]

    @cached_property
    def neg_tied(self) -> np.ndarray:
        """Per positive, the weight of the negatives scored the same."""
        return self._cum_neg[:, self.rows.neg_not_above] - self.neg_below

    @cached_property
    def ranked_pairs(self) -> np.ndarray:
        """Per weighting, the (positive, negative) pairs ranked right, ties counting half: the
        weighted Mann-Whitney U (no tie term when no positive ties a negative)."""
        pairs = np.einsum("ij,ij->i", self.w_pos, self.neg_below)
        if self.rows.ties_across:
            pairs += 0.5 * np.einsum("ij,ij->i", self.w_pos, self.neg_tied)
        return pairs

    @cached_property
    def tp_at(self) -> np.ndarray:
        """Per positive, the weight of the positives scored at least as high."""
        running = self._running(self.w_pos)
        below = running[:, :-1] if not self.rows.ties_within else running[:, self.rows.pos_below]
        return self.n_pos[:, None] - below

    @cached_property
    def fp_at(self) -> np.ndarray:
        """Per positive, the weight of the negatives scored at least as high."""
        return self.n_neg[:, None] - self.neg_below

    def mean_loss(self, name: str) -> np.ndarray:
        """The weighted mean of a per-row loss (brier or log_loss)."""
        loss_pos, loss_neg = self.rows.losses[name]
        return (self.w_pos @ loss_pos + self.w_neg @ loss_neg) / (self.n_pos + self.n_neg)


class CellSums:
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


class OneVsRestAUC:
    """Every class's one-vs-rest ROC-AUC for many weightings at once, from one sparse product.

    Per class c, the distinct scores of its rows u_1 < ... < u_m cut the other rows into buckets:
    strictly between two of them, or tied with one. One sparse (rows x buckets) indicator
    matrix, with a block per class, turns a stack of weightings into each bucket's weight and
    each u_b's positive weight; the negatives below u_b are a running sum over buckets, so
    AUC_c = sum_b pos_b (below_b + tied_b / 2) / (n_pos n_neg), as the binary code computes it.
    The work per resample is one pass over k entries per row, not k sorts or running sums
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
            out[:, c] = ratio(np.sum(positive * (below + 0.5 * tied), axis=1), pairs)
        return out


class ClassConfusion:
    """A stack of (k, k) confusion matrices (rows true, columns predicted) and the sums the
    label metrics of k classes share; the ordinal metrics read `ordinal_confusion`, that of the
    class the ordinal settings name (the same stack by default)."""

    def __init__(self, confusion: np.ndarray, ordinal_confusion: np.ndarray | None = None) -> None:
        self.confusion = confusion
        self._ordinal = ordinal_confusion

    @property
    def ordinal_confusion(self) -> np.ndarray:
        """The confusion matrices of the class the ordinal metrics read."""
        return self.confusion if self._ordinal is None else self._ordinal

    @cached_property
    def total(self) -> np.ndarray:
        """The total weight per matrix."""
        return self.confusion.sum(axis=(1, 2))

    @cached_property
    def true_counts(self) -> np.ndarray:
        """Each true class's weight."""
        return self.confusion.sum(axis=2)

    @cached_property
    def pred_counts(self) -> np.ndarray:
        """Each predicted class's weight."""
        return self.confusion.sum(axis=1)

    @cached_property
    def correct(self) -> np.ndarray:
        """The weight on the diagonal."""
        return np.trace(self.confusion, axis1=1, axis2=2)

    @cached_property
    def diagonal(self) -> np.ndarray:
        """Each class's correctly predicted weight."""
        return np.diagonal(self.confusion, axis1=1, axis2=2)

    @cached_property
    def recall(self) -> np.ndarray:
        """Per class, the share of its rows predicted as it."""
        return ratio(self.diagonal, self.true_counts)

    @cached_property
    def precision(self) -> np.ndarray:
        """Per class, the share of its predictions that are right."""
        return ratio(self.diagonal, self.pred_counts)

    @cached_property
    def f1(self) -> np.ndarray:
        """Per class F1."""
        return ratio(2 * self.diagonal, self.true_counts + self.pred_counts)

    @cached_property
    def present(self) -> np.ndarray:
        """Whether each class occurs."""
        return self.true_counts > 0

    @cached_property
    def expected(self) -> np.ndarray:
        """sum_k true_k predicted_k: the agreement of independent margins, times the total^2."""
        return np.sum(self.true_counts * self.pred_counts, axis=1)

    @cached_property
    def chance_agreement(self) -> np.ndarray:
        """The accuracy expected of independent margins."""
        return self.expected / self.total**2

    @cached_property
    def mcc_denominator(self) -> np.ndarray:
        """The denominator of the k-class MCC."""
        total, pred, true = self.total, self.pred_counts, self.true_counts
        return np.sqrt((total**2 - np.sum(pred**2, axis=1)) * (total**2 - np.sum(true**2, axis=1)))


@dataclass(frozen=True)
class ClassArrangement:
    """Predictions of k classes arranged by confusion cell and by one-vs-rest score bucket."""

    cells: CellSums
    row_loss: np.ndarray  # each row's log loss
    one_vs_rest: OneVsRestAUC
    ordinal_cells: CellSums  # the cells of the class the ordinal metrics read
    x_error: np.ndarray | None  # each row's distance in x from its ordinal class (mae_x)

    @classmethod
    def of(
        cls,
        y_true: np.ndarray,
        proba: np.ndarray,
        y_pred: np.ndarray,
        ordinal: Ordinal | None,
        x: np.ndarray | None,
    ) -> ClassArrangement:
        """The arrangement of one model's predictions of k classes (ordinal settings, x: for
        the ordinal metrics)."""
        k, n = proba.shape[1], len(y_true)
        cells = CellSums(y_true, y_pred, k)
        eps = np.finfo(np.float64).eps
        row_loss = -np.log(np.clip(proba[np.arange(n), y_true], eps, 1))
        ordinal_cells, x_error = cells, None
        if ordinal is not None:
            classes = ordinal.classes(proba, y_pred)
            if not np.array_equal(classes, y_pred):
                ordinal_cells = CellSums(y_true, classes, k)
            if x is not None and ordinal.thresholds is not None:
                x_error = ordinal.x_error(x, classes)
        return cls(cells, row_loss, OneVsRestAUC(y_true, proba), ordinal_cells, x_error)


class ClassTallies(ClassConfusion):
    """The sums of k classes' predictions for a stack of weightings of the rows."""

    def __init__(self, rows: ClassArrangement, weights: np.ndarray) -> None:
        self.rows, self.weights = rows, weights
        confusion = rows.cells.confusion(weights)
        same = rows.ordinal_cells is rows.cells
        super().__init__(confusion, None if same else rows.ordinal_cells.confusion(weights))

    @cached_property
    def one_vs_rest_auc(self) -> np.ndarray:
        """(resamples, k): each class's one-vs-rest ROC-AUC."""
        return self.rows.one_vs_rest.roc_auc(self.weights)

    @cached_property
    def mean_log_loss(self) -> np.ndarray:
        """The weighted mean log loss."""
        return (self.weights @ self.rows.row_loss) / self.total

    @cached_property
    def mean_x_error(self) -> np.ndarray:
        """The weighted mean distance in x from the ordinal class (NaN without x)."""
        if self.rows.x_error is None:
            return np.full(len(self.weights), np.nan)
        return (self.weights @ self.rows.x_error) / self.ordinal_confusion.sum(axis=(1, 2))
