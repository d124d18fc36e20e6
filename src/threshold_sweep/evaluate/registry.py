"""Every metric, one entry each: what it computes on one split, resampled, and how it is named.

An entry holds its plain function (scikit-learn, on one set of predictions), its resampled
forms (a vector per row of weightings, from a binary model's or k classes' tallies, see
evaluate/resample/tallies.py), its page label, which tasks report it, whether it moves with the
class balance alone, which way is better, which no-skill predictor sets the value to beat and,
for a binary headline metric, its chance-corrected skill score. Adding a metric is adding an
entry here. Importing this module loads neither scikit-learn nor SciPy: the sweep pages and
the results API read the names; scikit-learn is loaded when a metric is computed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

import numpy as np

from threshold_sweep.evaluate import ordinal as ordinal_formulas
from threshold_sweep.evaluate.resample.draws import ratio

BINARY, MULTICLASS, ORDINAL = "binary", "multiclass", "ordinal"  # the headlines an entry is in
LABEL, RANKING, LOSS, DISTANCE = "label", "ranking", "loss", "distance"  # what a metric reads
BEST, RATE_MATCHED = "best", "rate_matched"  # which no-skill predictor sets the value to beat
WITHIN_PREFIX = "within_"  # within_<d>: the share predicted at most d classes off
ANY_WITHIN = f"{WITHIN_PREFIX}d"

Form = Callable[[Any], np.ndarray]  # tallies of a stack of weightings -> a value per weighting


@dataclass(frozen=True)
class Rows:
    """One set of predictions as a plain metric reads them: true classes, scores (1-D binary or
    (rows, k) probabilities), predicted classes, row weights, the class labels, whether the
    task is binary, and each row's distance in x from its predicted class (mae_x only)."""

    y_true: np.ndarray
    scores: np.ndarray
    y_pred: np.ndarray
    weight: np.ndarray | None
    labels: list[int]
    binary: bool
    x_error: np.ndarray | None = None


@dataclass(frozen=True)
class Metric:
    """One metric: its plain function, resampled forms and properties."""

    name: str
    label: str  # how pages and sentences name it
    tasks: frozenset[str]  # the headlines (BINARY, MULTICLASS) or ORDINAL metrics it is in
    reads: str  # LABEL (a confusion matrix), RANKING (scores), LOSS (probabilities), DISTANCE
    plain: Callable[[Rows], float] | None = field(repr=False, default=None)
    binary: Form | None = field(repr=False, default=None)  # from BinaryTallies
    classes: Form | None = field(repr=False, default=None)  # from ClassTallies
    prevalence_dependent: bool = False  # moves (and its no-skill value) with the prevalence
    lower_is_better: bool = False
    no_skill: str = BEST  # BEST (lowest for losses) or RATE_MATCHED (random at the model's rate)
    per_step: Callable[[int], Metric] | None = field(repr=False, default=None)  # within_<d>
    skill: Callable[[Chance], float] | None = field(repr=False, default=None)  # binary only
    skill_text: str = ""  # what the skill score is, in words


@dataclass(frozen=True)
class Chance:
    """What a binary run's skill scores read: its metrics, its chance section (the no-skill
    predictors' metrics) and its test labels."""

    metrics: Mapping[str, Any]
    chance: Mapping[str, Mapping[str, float]]
    y_true: np.ndarray
    y_pred: np.ndarray

    def baseline(self, predictor: str) -> Mapping[str, float]:
        """A no-skill predictor's metrics (random at the model's rate: random without it)."""
        if predictor == RATE_MATCHED:
            return self.chance.get(RATE_MATCHED, self.chance["random"])
        return self.chance[predictor]

    def relative(self, metric: str, reference: float | None, best: float = 1.0) -> float:
        """(value - reference) / (best - reference); NaN without either or when best = reference."""
        value = self.metrics[metric]
        if value is None or reference is None or np.isclose(best, reference):
            return float("nan")
        return float((value - reference) / (best - reference))


def _relative_to(metric: str, predictor: str, best: float = 1.0) -> Callable[[Chance], float]:
    """The skill of `metric` relative to a no-skill predictor's value of it."""
    return lambda c: c.relative(metric, c.baseline(predictor)[metric], best)


def _sklearn() -> ModuleType:
    """scikit-learn's metrics, loaded on the first computation (not when names are read)."""
    from sklearn import metrics

    return metrics


def _all_present(rows: Rows) -> bool:
    """True when every class occurs (ranking metrics are undefined otherwise)."""
    return np.unique(rows.y_true).size == len(rows.labels)


def _averaged(score: str, average: str) -> Callable[[Rows], float]:
    """A precision / recall / F1 metric with this averaging over the task's classes."""

    def metric(r: Rows) -> float:
        function = getattr(_sklearn(), score)
        return function(
            r.y_true,
            r.y_pred,
            labels=r.labels,
            average=average,
            sample_weight=r.weight,
            zero_division=0.0,
        )

    return metric


def _binary_score(score: str, **kwargs: Any) -> Callable[[Rows], float]:
    """A label metric of the positive class (scikit-learn's binary average)."""

    def metric(r: Rows) -> float:
        return getattr(_sklearn(), score)(r.y_true, r.y_pred, sample_weight=r.weight, **kwargs)

    return metric


def _balanced_accuracy(r: Rows) -> float:
    """Mean recall over classes (NaN for a one-class binary split)."""
    if r.binary and not _all_present(r):
        return np.nan
    return _sklearn().balanced_accuracy_score(r.y_true, r.y_pred, sample_weight=r.weight)


def _ranking(score: str) -> Callable[[Rows], float]:
    """ROC-AUC or average precision of the positive scores (NaN with one class)."""

    def metric(r: Rows) -> float:
        if not _all_present(r):
            return np.nan
        return getattr(_sklearn(), score)(r.y_true, r.scores, sample_weight=r.weight)

    return metric


def _roc_auc_ovr(r: Rows) -> float:
    """Macro one-vs-rest ROC-AUC of the class probabilities (NaN unless all classes occur)."""
    if not _all_present(r):
        return np.nan
    return _sklearn().roc_auc_score(
        r.y_true,
        r.scores,
        multi_class="ovr",
        average="macro",
        labels=r.labels,
        sample_weight=r.weight,
    )


def _kappa(weights: str | None) -> Callable[[Rows], float]:
    """Cohen's kappa of the predicted classes (quadratic: weighted by squared class steps)."""

    def metric(r: Rows) -> float:
        return _sklearn().cohen_kappa_score(
            r.y_true, r.y_pred, labels=r.labels, weights=weights, sample_weight=r.weight
        )

    return metric


def _spearman(r: Rows) -> float:
    """Spearman correlation of true and predicted class (ties mid-ranked; NaN when constant)."""
    confusion = _sklearn().confusion_matrix(
        r.y_true, r.y_pred, labels=r.labels, sample_weight=r.weight
    )
    return ordinal_formulas.spearman(confusion.astype(np.float64))


def _mae_x(r: Rows) -> float:
    """Mean distance of each true x from its predicted class's interval (NaN without x)."""
    if r.x_error is None:
        return float("nan")
    return float(np.average(r.x_error, weights=r.weight))


def _within(d: int) -> Metric:
    """The entry of within_<d>: the share of rows (weighted) predicted at most d classes off."""
    return replace(
        WITHIN,
        name=f"{WITHIN_PREFIX}{d}",
        label=WITHIN.label.format(d=d),
        plain=lambda r: np.average(np.abs(r.y_pred - r.y_true) <= d, weights=r.weight),
        classes=lambda t: ordinal_formulas.within(t.ordinal_confusion, d),
        per_step=None,
    )


_BOTH, _MULTI = frozenset({BINARY, MULTICLASS}), frozenset({MULTICLASS})
_BIN, _ORD = frozenset({BINARY}), frozenset({ORDINAL})
WITHIN = Metric(  # stands for within_<d> of every d (evaluate.within): `metric` makes each
    ANY_WITHIN, "within ±{d} classes", _ORD, LABEL, prevalence_dependent=True, per_step=_within
)

# In report order: a task's headline is the entries it is in, in this order.
ENTRIES: tuple[Metric, ...] = (
    Metric(
        "accuracy",
        "accuracy",
        _BOTH,
        LABEL,
        plain=lambda r: _sklearn().accuracy_score(r.y_true, r.y_pred, sample_weight=r.weight),
        binary=lambda c: (c.tp + c.tn) / (c.pos + c.neg),
        classes=lambda c: c.correct / c.total,
        prevalence_dependent=True,
        skill=lambda c: float(_sklearn().cohen_kappa_score(c.y_true, c.y_pred)),
        skill_text="Cohen's kappa",
    ),
    Metric(
        "balanced_accuracy",
        "balanced accuracy",
        _BOTH,
        LABEL,
        plain=_balanced_accuracy,
        binary=lambda c: (c.recall + c.specificity) / 2,
        classes=lambda c: np.sum(c.recall * c.present, axis=1) / c.present.sum(axis=1),
        skill=lambda c: float(
            _sklearn().balanced_accuracy_score(c.y_true, c.y_pred, adjusted=True)
        ),
        skill_text="informedness (Youden's J) = 2 x balanced accuracy - 1",
    ),
    Metric(
        "precision",
        "precision",
        _BIN,
        LABEL,
        plain=_binary_score("precision_score", zero_division=0.0),
        binary=lambda c: ratio(c.tp, c.tp + c.fp),
        prevalence_dependent=True,
        skill=_relative_to("precision", "random"),
        skill_text="(value - random) / (1 - random); random precision = prevalence",
    ),
    Metric(
        "recall",
        "recall",
        _BIN,
        LABEL,
        plain=_binary_score("recall_score", zero_division=0.0),
        binary=lambda c: c.recall,
        no_skill=RATE_MATCHED,
        skill=_relative_to("recall", RATE_MATCHED),
        skill_text="(value - q) / (1 - q), q = the model's predicted-positive rate",
    ),
    Metric(
        "f1",
        "F1",
        _BIN,
        LABEL,
        plain=_binary_score("f1_score", zero_division=0.0),
        binary=lambda c: c.f1,
        prevalence_dependent=True,
        skill=_relative_to("f1", RATE_MATCHED),
        skill_text="(value - F1 of random at rate q) / (1 - that)",
    ),
    Metric(
        "specificity",
        "specificity",
        _BIN,
        LABEL,
        plain=_binary_score("recall_score", pos_label=0, zero_division=0.0),
        binary=lambda c: c.specificity,
        no_skill=RATE_MATCHED,
        skill=_relative_to("specificity", RATE_MATCHED),
        skill_text="(value - (1 - q)) / q, q = the model's predicted-positive rate",
    ),
    Metric(
        "macro_precision",
        "macro precision",
        _MULTI,
        LABEL,
        plain=_averaged("precision_score", "macro"),
        classes=lambda c: c.precision.mean(axis=1),
        prevalence_dependent=True,
    ),
    Metric(
        "macro_recall",
        "macro recall",
        _MULTI,
        LABEL,
        plain=_averaged("recall_score", "macro"),
        classes=lambda c: c.recall.mean(axis=1),
    ),
    Metric(
        "macro_f1",
        "macro F1",
        _BOTH,
        LABEL,
        plain=_averaged("f1_score", "macro"),
        binary=lambda c: (c.f1 + c.f1_negative) / 2,
        classes=lambda c: c.f1.mean(axis=1),
        prevalence_dependent=True,
        skill=_relative_to("macro_f1", RATE_MATCHED),
        skill_text="(value - macro F1 of random at rate q) / (1 - that)",
    ),
    Metric(
        "micro_f1",
        "micro F1",
        _MULTI,
        LABEL,
        plain=_averaged("f1_score", "micro"),
        classes=lambda c: c.correct / c.total,
        prevalence_dependent=True,
    ),
    Metric(
        "weighted_f1",
        "weighted F1",
        _MULTI,
        LABEL,
        plain=_averaged("f1_score", "weighted"),
        classes=lambda c: np.sum(c.f1 * c.true_counts, axis=1) / c.total,
        prevalence_dependent=True,
    ),
    Metric(
        "mcc",
        "MCC",
        _BOTH,
        LABEL,
        plain=lambda r: _sklearn().matthews_corrcoef(r.y_true, r.y_pred, sample_weight=r.weight),
        binary=lambda c: ratio(
            c.tp * c.tn - c.fp * c.fn, np.sqrt((c.tp + c.fp) * c.pos * (c.tn + c.fn) * c.neg)
        ),
        classes=lambda c: ratio(c.correct * c.total - c.expected, c.mcc_denominator),
        prevalence_dependent=True,
        skill=lambda c: float(c.metrics["mcc"]),
        skill_text="MCC itself (0 = chance)",
    ),
    Metric(
        "cohen_kappa",
        "Cohen's kappa",
        _MULTI,
        LABEL,
        plain=_kappa(None),
        classes=lambda c: ratio(c.correct / c.total - c.chance_agreement, 1 - c.chance_agreement),
        prevalence_dependent=True,
    ),
    Metric(
        "roc_auc",
        "ROC-AUC",
        _BIN,
        RANKING,
        plain=_ranking("roc_auc_score"),
        binary=lambda t: ratio(t.ranked_pairs, t.n_pos * t.n_neg),
        skill=lambda c: c.relative("roc_auc", 0.5),
        skill_text="Gini = 2 x ROC-AUC - 1",
    ),
    Metric(
        "roc_auc_ovr",
        "ROC-AUC (one-vs-rest)",
        _MULTI,
        RANKING,
        plain=_roc_auc_ovr,
        classes=lambda t: t.one_vs_rest_auc.mean(axis=1),
    ),
    Metric(
        "average_precision",
        "average precision",
        _BIN,
        RANKING,
        plain=_ranking("average_precision_score"),
        binary=lambda t: ratio(
            np.einsum("ij,ij->i", t.w_pos, ratio(t.tp_at, t.tp_at + t.fp_at)), t.n_pos
        ),
        prevalence_dependent=True,
        skill=_relative_to("average_precision", "majority"),
        skill_text="(AP - prevalence) / (1 - prevalence)",
    ),
    Metric(
        "brier",
        "Brier score",
        _BIN,
        LOSS,
        plain=lambda r: _sklearn().brier_score_loss(r.y_true, r.scores, sample_weight=r.weight),
        binary=lambda t: t.mean_loss("brier"),
        prevalence_dependent=True,
        lower_is_better=True,
        skill=_relative_to("brier", "majority", best=0.0),
        skill_text="Brier skill score = 1 - Brier / Brier of the prior",
    ),
    Metric(
        "log_loss",
        "log loss",
        _BOTH,
        LOSS,
        plain=lambda r: _sklearn().log_loss(
            r.y_true, r.scores, sample_weight=r.weight, labels=r.labels
        ),
        binary=lambda t: t.mean_loss("log_loss"),
        classes=lambda t: t.mean_log_loss,
        prevalence_dependent=True,
        lower_is_better=True,
        skill=_relative_to("log_loss", "majority", best=0.0),
        skill_text="1 - log loss / log loss of the prior",
    ),
    # ordinal (k >= 3): the class read per row is the one the Ordinal settings name
    Metric(
        "mae_classes",
        "MAE (class steps)",
        _ORD,
        LABEL,
        plain=lambda r: _sklearn().mean_absolute_error(r.y_true, r.y_pred, sample_weight=r.weight),
        classes=lambda t: ordinal_formulas.mean_steps(t.ordinal_confusion),
        prevalence_dependent=True,
        lower_is_better=True,
    ),
    WITHIN,
    Metric(
        "qwk",
        "quadratic-weighted kappa",
        _ORD,
        LABEL,
        plain=_kappa("quadratic"),
        classes=lambda t: ordinal_formulas.quadratic_kappa(t.ordinal_confusion),
        prevalence_dependent=True,
    ),
    Metric(
        "spearman",
        "Spearman correlation",
        _ORD,
        LABEL,
        plain=_spearman,
        classes=lambda t: ordinal_formulas.spearman(t.ordinal_confusion),
        prevalence_dependent=True,
    ),
    Metric(
        "mae_x",
        "MAE (units of x)",
        _ORD,
        DISTANCE,
        plain=_mae_x,
        classes=lambda t: t.mean_x_error,
        prevalence_dependent=True,
        lower_is_better=True,
    ),
)
REGISTRY: dict[str, Metric] = {entry.name: entry for entry in ENTRIES}


def metric(name: str) -> Metric:
    """The entry of a metric name; within_<d> for any d."""
    if name not in REGISTRY and name.startswith(WITHIN_PREFIX):
        return _within(int(name.removeprefix(WITHIN_PREFIX)))
    return REGISTRY[name]


def headline(task: str) -> tuple[str, ...]:
    """The names of the entries in a task's headline (BINARY or MULTICLASS), in report order."""
    return tuple(entry.name for entry in ENTRIES if task in entry.tasks)
