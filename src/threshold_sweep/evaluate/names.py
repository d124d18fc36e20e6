"""Metric names and their properties, read from the registry's entries; imports nothing heavy
(the sweep report needs no sklearn)."""

from __future__ import annotations

from threshold_sweep.evaluate.registry import (
    ANY_WITHIN,
    BINARY,
    DISTANCE,
    ENTRIES,
    MULTICLASS,
    ORDINAL,
    RATE_MATCHED,
    WITHIN,
    WITHIN_PREFIX,
    headline,
)

HEADLINE = headline(BINARY)  # the scalar metrics reported per split, in report order
MULTI_HEADLINE = headline(MULTICLASS)


class MetricSet(frozenset):
    """A set of metric names in which within_d stands for within_<d> of every d."""

    def __contains__(self, metric: object) -> bool:
        """True for a listed name, and for any within_<d> when within_d is listed."""
        if isinstance(metric, str) and metric.startswith(WITHIN_PREFIX):
            metric = ANY_WITHIN
        return super().__contains__(metric)


# Metrics whose value (and whose no-skill value) moves with the positive prevalence alone.
PREVALENCE_DEPENDENT = MetricSet(entry.name for entry in ENTRIES if entry.prevalence_dependent)

# Lower is better for these; higher for every other metric.
LOSSES = frozenset(entry.name for entry in ENTRIES if entry.lower_is_better)

# How pages and sentences name the metrics (metric_label also names within_<d>).
METRIC_LABELS = {entry.name: entry.label for entry in ENTRIES if entry.per_step is None}

# Metrics whose value to beat is random guessing at the model's rate, not the best predictor.
RATE_MATCHED_METRICS = frozenset(entry.name for entry in ENTRIES if entry.no_skill == RATE_MATCHED)


def ordinal_metric_names(within: tuple[int, ...], with_x: bool) -> tuple[str, ...]:
    """The ordinal metrics of k >= 3 ordered classes in report order: MAE in class steps,
    within_<d> per d of evaluate.within, QWK, Spearman and, with x and thresholds, MAE in x."""
    names: list[str] = []
    for entry in ENTRIES:
        if ORDINAL not in entry.tasks or (entry.reads == DISTANCE and not with_x):
            continue
        steps = [f"{WITHIN_PREFIX}{d}" for d in within] if entry.per_step else [entry.name]
        names.extend(steps)
    return tuple(names)


def metric_label(metric: str) -> str:
    """How pages name a metric (within_<d>: 'within +-d classes')."""
    if metric.startswith(WITHIN_PREFIX):
        return WITHIN.label.format(d=metric.removeprefix(WITHIN_PREFIX))
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
    if metric in RATE_MATCHED_METRICS:
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
