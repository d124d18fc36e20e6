"""Metric names and their properties; imports nothing heavy (the sweep report needs no sklearn)."""

from __future__ import annotations

# Scalar metrics reported per split, in report order.
HEADLINE = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "macro_f1",
    "mcc",
    "roc_auc",
    "average_precision",
    "brier",
    "log_loss",
)

WITHIN_PREFIX = "within_"  # within_<d>: the share predicted at most d classes off
ANY_WITHIN = f"{WITHIN_PREFIX}d"


class MetricSet(frozenset):
    """A set of metric names in which within_d stands for within_<d> of every d."""

    def __contains__(self, metric: object) -> bool:
        """True for a listed name, and for any within_<d> when within_d is listed."""
        if isinstance(metric, str) and metric.startswith(WITHIN_PREFIX):
            metric = ANY_WITHIN
        return super().__contains__(metric)


# Metrics whose value (and whose no-skill value) moves with the positive prevalence alone.
PREVALENCE_DEPENDENT = MetricSet(
    {
        "accuracy",
        "precision",
        "f1",
        "macro_f1",
        "mcc",
        "average_precision",
        "brier",
        "log_loss",
        "macro_precision",
        "micro_f1",
        "weighted_f1",
        "cohen_kappa",
        "mae_classes",
        ANY_WITHIN,
        "qwk",
        "spearman",
        "mae_x",
    }
)

# Lower is better for these; higher for every other metric.
LOSSES = frozenset({"brier", "log_loss", "mae_classes", "mae_x"})


MULTI_HEADLINE = (
    "accuracy",
    "balanced_accuracy",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "micro_f1",
    "weighted_f1",
    "mcc",
    "cohen_kappa",
    "roc_auc_ovr",
    "log_loss",
)


# How pages and sentences name the metrics.
METRIC_LABELS = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
    "specificity": "specificity",
    "macro_f1": "macro F1",
    "mcc": "MCC",
    "roc_auc": "ROC-AUC",
    "average_precision": "average precision",
    "brier": "Brier score",
    "log_loss": "log loss",
    "macro_precision": "macro precision",
    "macro_recall": "macro recall",
    "micro_f1": "micro F1",
    "weighted_f1": "weighted F1",
    "cohen_kappa": "Cohen's kappa",
    "roc_auc_ovr": "ROC-AUC (one-vs-rest)",
    "mae_classes": "MAE (class steps)",
    "qwk": "quadratic-weighted kappa",
    "spearman": "Spearman correlation",
    "mae_x": "MAE (units of x)",
}


def ordinal_metric_names(within: tuple[int, ...], with_x: bool) -> tuple[str, ...]:
    """The ordinal metrics of k >= 3 ordered classes in report order: MAE in class steps,
    within_<d> per d of evaluate.within, QWK, Spearman and, with x and thresholds, MAE in x."""
    within_names = tuple(f"{WITHIN_PREFIX}{d}" for d in within)
    return ("mae_classes", *within_names, "qwk", "spearman", *(("mae_x",) if with_x else ()))


def metric_label(metric: str) -> str:
    """How pages name a metric (within_<d>: 'within +-d classes')."""
    if metric.startswith(WITHIN_PREFIX):
        return f"within ±{metric.removeprefix(WITHIN_PREFIX)} classes"
    return METRIC_LABELS.get(metric, metric)


# How reports name the no-skill predictors (the keys of metrics.json's chance section).
BASELINE_NAMES = {
    "majority": "majority",
    "always_positive": "always positive",
    "random": "random",
    "rate_matched": "random at model's rate",
}


def no_skill_source(metric: str, chance: dict[str, dict[str, float]]) -> str:
    """Which no-skill predictor sets the value to beat: the best one (lowest for losses).

    Recall and specificity use the random predictor that says positive as often as the model
    (or, without it, at the prevalence): a constant predictor reaches 1.0 on one of them by
    giving up the other entirely. Ties go to the first predictor in the chance section's order.
    """
    if metric in ("recall", "specificity"):
        return "rate_matched" if "rate_matched" in chance else "random"
    values = {
        name: baseline[metric]
        for name, baseline in chance.items()
        if baseline.get(metric) is not None and baseline[metric] == baseline[metric]
    }
    if not values:  # undefined for every predictor (Spearman of constant predictions): NaN
        return next(iter(chance))
    best = (min if metric in LOSSES else max)(values.values())
    # several predictors often score the same (ROC-AUC 0.5 for all): name the first of them
    return next(name for name, value in values.items() if abs(value - best) <= 1e-9)


def no_skill_level(metric: str, chance: dict[str, dict[str, float]]) -> float:
    """The value to beat: the metric of the predictor `no_skill_source` names."""
    return chance[no_skill_source(metric, chance)][metric]
