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

# Metrics whose value (and whose no-skill value) moves with the positive prevalence alone.
PREVALENCE_DEPENDENT = frozenset(
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
    }
)

# Lower is better for these; higher for every other metric.
LOSSES = frozenset({"brier", "log_loss"})


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


def no_skill_level(metric: str, chance: dict[str, dict[str, float]]) -> float:
    """The value to beat: the best no-skill value (lowest for losses).

    Recall and specificity use the random predictor that says positive as often as the model
    (or, without it, at the prevalence): a constant predictor reaches 1.0 on one of them by
    giving up the other entirely.
    """
    if metric in ("recall", "specificity"):
        return chance.get("rate_matched", chance["random"])[metric]
    values = [baseline[metric] for baseline in chance.values()]
    return min(values) if metric in LOSSES else max(values)
