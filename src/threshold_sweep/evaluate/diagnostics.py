"""Rules that read a run's numbers and flag overfitting and nonsense, in plain sentences."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binomtest

from threshold_sweep.evaluate.calibration import calibration_warnings
from threshold_sweep.evaluate.data_warnings import (
    discarded_training_rows,
    seen_test_rows,
    shared_entities,
    table_as_sequence,
)
from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import drift_warnings
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model.monitor import monitor_of, monitor_text

UNDERFIT_AUC = 0.6  # train ROC-AUC below this: the model did not learn its training rows
PER_CLASS_WARNINGS = 5  # above this many affected classes, one counted line per kind
# A train - test gap means overfitting only when the train value recovers this share of the
# way from chance to perfect: ROC-AUC or balanced accuracy 0.65 for two classes, 0.533 for 3.
# At the 68 training rows of a 120-row run, balanced accuracy's binomial SE at chance is 0.06,
# so 0.65 is 2.5 SE above chance; the flags seen at train 0.506 and 0.581 fall below it.
OVERFIT_MIN_SKILL = 0.3
# The smallest test class below this: the run's first line says the test set is too small.
# Under 10 rows a recall of 8/10 has an exact 95% CI of 0.44-0.98 (reaching below chance),
# even 9/9 one of 0.66-1.00, and a class recalled at 90% is all correct (a zero-width
# bootstrap interval) in 35% (10 rows) to 48% (7 rows) of test sets.
SMALL_TEST_CLASS = 10
# The CNN trails a reference model by at least this much (ROC-AUC units), beyond noise, before
# a warning says the data allow better: smaller gaps are negligible for choosing a model.
TRAILS_MARGIN = 0.02


def exact_interval(successes: int, trials: int, level: float) -> tuple[float, float]:
    """Clopper-Pearson interval of a proportion (honest for tiny counts and 0/n or n/n)."""
    if trials == 0:
        return float("nan"), float("nan")
    interval = binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return float(interval.low), float(interval.high)


def overfitting(result: RunResult, max_gap: float) -> dict[str, dict[str, Any]]:
    """Train, validation and test values, the train - test gap, and whether it is too large.

    A gap is too large when it exceeds `max_gap`, the train value lies above the test value's
    CI (when there is one), so test-row noise alone does not raise the flag, and nothing in
    `overfit_blocker` rules overfitting out.
    """
    ci = result.get("ci", {}).get("test", {})
    table = {}
    for metric in Task.of(result).overfit_metrics:
        values = {split: result[split][metric] for split in ("train", "validation", "test")}
        if any(value is None for value in values.values()):
            continue
        gap = values["train"] - values["test"]
        above_ci = metric not in ci or values["train"] > ci[metric][1]
        blocked = overfit_blocker(result, metric) is not None
        table[metric] = {
            **values,
            "gap": gap,
            "large": bool(not blocked and gap > max_gap and above_ci),
        }
    return table


def chance_value(metric: str, n_classes: int) -> float:
    """What a no-skill model scores on a prevalence-free metric: 0.5 for ROC-AUC, 1/k for
    balanced accuracy."""
    return 1 / n_classes if metric == "balanced_accuracy" else 0.5


def kept_first_epoch(result: RunResult) -> bool:
    """The model keeps the weights of epoch 1 (of several): nothing later helped validation."""
    training = result.get("training") or {}
    return training.get("best_epoch") == 1 and training.get("epochs_run", 1) >= 2


def overfit_blocker(result: RunResult, metric: str) -> str | None:
    """Why a gap on `metric` cannot be overfitting (underfitting, a train value too close to
    chance, weights from epoch 1), or None when it can."""
    if underfit(result):
        return "train near chance: underfitting, not overfitting"
    if kept_first_epoch(result):
        return "weights from epoch 1: learned nothing after epoch 1, not overfitting"
    chance = chance_value(metric, Task.of(result).n_classes)
    floor = chance + OVERFIT_MIN_SKILL * (1 - chance)
    train = result["train"].get(metric)
    if train is not None and train < floor:
        return f"train {train:.3f} below {floor:.3f} (not well above chance {chance:.3f})"
    return None


def underfit(result: RunResult) -> bool:
    """The model did not learn its own training rows: train ROC-AUC below UNDERFIT_AUC."""
    train = result["train"].get(Task.of(result).ranking_metric)
    return train is not None and bool(np.isfinite(train)) and train < UNDERFIT_AUC


def _underfitting(result: RunResult) -> list[str]:
    """A model near chance on the rows it was fitted on: underfitting, never overfitting."""
    if not underfit(result):
        return []
    metric = Task.of(result).ranking_metric
    section = result.get("reference") or {}
    best = section.get("best")
    rival = ""
    if best:
        model = section["models"][best]
        rival = f"; the {model['label']} reference reaches {model['test'][metric]:.3f} on test"
    return [
        f"Underfitting: train {METRIC_LABELS[metric]} {result['train'][metric]:.3f} is near "
        f"chance (0.5; below {UNDERFIT_AUC}): the model did not learn the rows it was fitted "
        f"on{rival}. More epochs, a higher or lower train.learning_rate, another architecture "
        "or a feature transform (e.g. log1p for counts) can help; a gap to test is not "
        "overfitting here."
    ]


def _chance_precision(result: RunResult) -> list[str]:
    """A binary model whose positive predictions are no better than the prevalence."""
    task, test = Task.of(result), result["test"]
    p = result["prevalence"]["test"]
    if not task.binary or test["predicted_positive_rate"] == 0 or test["precision"] > p:
        return []
    return [
        f"Test precision {test['precision']:.3f} is at or below the positive prevalence "
        f"{p:.3f}: at cutoff {result.get('cutoff', 0.5):g}, predicting '{task.positive}' is no "
        "better than chance."
    ]


def _listed(names: list[str], shown: int = 3) -> str:
    """The first `shown` names quoted, then how many more: "'a', 'b', 'c' and 31 more"."""
    head = ", ".join(map(repr, names[:shown]))
    return head + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _unpredicted_classes(result: RunResult) -> list[str]:
    """Classes the model never predicts on test, whose precision and F1 mean nothing.

    Up to PER_CLASS_WARNINGS such classes are named in full; more become one counted line.
    """
    names, test = Task.of(result).names, result["test"]
    predicted = np.asarray(test["confusion_matrix"]).sum(axis=0)
    missing = [name for name, count in zip(names, predicted, strict=True) if count == 0]
    if not missing:
        return []
    if len(missing) == len(names) - 1:
        (only,) = (name for name, count in zip(names, predicted, strict=True) if count > 0)
        return [
            f"The model predicts only '{only}' on the test split ({test['n']} rows): "
            "precision, recall and F1 of the other classes are meaningless. Try a tuned cutoff, "
            "another sampling strategy or more epochs."
        ]
    if len(missing) > PER_CLASS_WARNINGS:
        return [
            f"{len(missing)} of {len(names)} classes are never predicted on the test split "
            f"({_listed(missing)}): their precision and F1 are meaningless (see the per-class "
            "table). Try undersampling, more epochs or fewer classes."
        ]
    whose = "that class's" if len(missing) == 1 else "those classes'"
    return [
        f"The model never predicts {', '.join(map(repr, missing))} on the test split: {whose} "
        "precision and F1 are meaningless. Try undersampling or more epochs."
    ]


def _small_class_rows(result: RunResult, min_class_rows: int) -> list[dict[str, Any]]:
    """Each test class with fewer than `min_class_rows` rows: its recall (specificity for a
    binary run's negative class), hits, count and exact interval."""
    task, test = Task.of(result), result["test"]
    level = result.get("ci", {}).get("level", 0.95)
    matrix = np.asarray(test["confusion_matrix"])
    rows = []
    for index, name in enumerate(task.names):
        count, hits = int(matrix[index].sum()), int(matrix[index, index])
        if count >= min_class_rows:
            continue
        metric = "specificity" if task.binary and index == 0 else "recall"
        value = test[metric] if task.binary else test["per_class"][name]["recall"]
        low, high = exact_interval(hits, count, level)
        rows.append(
            {
                "name": name,
                "metric": metric,
                "value": value,
                "hits": hits,
                "count": count,
                "low": low,
                "high": high,
                "level": level,
            }
        )
    return rows


def _small_tuned_cutoff(result: RunResult, min_class_rows: int) -> str:
    """'' or a sentence: the cutoff was tuned on too few validation rows of a class."""
    counts = result["class_counts"]["validation"]
    smallest = min(counts, key=counts.get)
    if "tuned_cutoff" not in result or counts[smallest] >= min_class_rows:
        return ""
    return (
        f"The cutoff was tuned on a validation split with only {counts[smallest]} "
        f"'{smallest}' rows: treat the tuned cutoff as rough."
    )


def _small_classes(result: RunResult, min_class_rows: int) -> list[str]:
    """One line on every count too small to trust: test classes under `min_class_rows` (each
    recall with its exact interval; above PER_CLASS_WARNINGS classes, counted) and a cutoff
    tuned on a small validation class."""
    rows = _small_class_rows(result, min_class_rows)
    cutoff = _small_tuned_cutoff(result, min_class_rows)
    if not rows:
        return [cutoff] if cutoff else []
    n_classes = Task.of(result).n_classes
    if len(rows) > PER_CLASS_WARNINGS:
        counts = [row["count"] for row in rows]
        widths = [row["high"] - row["low"] for row in rows]
        text = (
            f"{len(rows)} of {n_classes} classes have fewer than "
            f"evaluate.min_class_rows={min_class_rows} test rows ({min(counts)}-{max(counts)} "
            f"each; {_listed([row['name'] for row in rows])}): per-class numbers are rough, "
            f"their recalls' exact {rows[0]['level']:.0%} CIs are {min(widths):.3f}-"
            f"{max(widths):.3f} wide, which the class-stratified bootstrap cannot show; see the "
            "per-class table. Add data or use fewer classes."
        )
    else:
        each = "; ".join(
            f"'{row['name']}' {row['count']} rows, {row['metric']} {row['value']:.3f} "
            f"({row['hits']}/{row['count']}, exact {row['level']:.0%} CI {row['low']:.3f}-"
            f"{row['high']:.3f})"
            for row in rows
        )
        text = (
            f"Small test classes: {len(rows)} of {n_classes} have fewer than "
            f"evaluate.min_class_rows={min_class_rows} test rows ({each}); the "
            "class-stratified bootstrap cannot show this spread. Add data or move the threshold."
        )
    return [f"{text} {cutoff}" if cutoff else text]


def _overfitting_warnings(result: RunResult, max_gap: float) -> list[str]:
    """One line for every flagged train - test gap."""
    flagged = {m: row for m, row in result.get("overfitting", {}).items() if row["large"]}
    if not flagged:
        return []
    gaps = "; ".join(
        f"train {metric} {row['train']:.3f} vs test {row['test']:.3f} (gap {row['gap']:.3f})"
        for metric, row in flagged.items()
    )
    stopping = (
        ""
        if (result.get("training") or {}).get("early_stopping", True)
        else ", or train.early_stopping=true"
    )
    return [
        f"Overfitting: {gaps}, each gap > evaluate.max_gap={max_gap:g} and beyond the test CI. "
        f"Use more data, a smaller model or more dropout{stopping}."
    ]


def trailing_reference(result: RunResult) -> list[str]:
    """The CNN below the best reference model beyond noise and by at least TRAILS_MARGIN."""
    section = result.get("reference")
    if not section or not section["cnn_trails_best"]:
        return []
    metric = Task.of(result).ranking_metric
    best = section["models"][section["best"]]
    comparison = best["cnn_minus_reference"][metric]
    if comparison["difference"] > -TRAILS_MARGIN:
        return []
    level = result.get("ci", {}).get("level", 0.95)
    return [
        f"The CNN trails the {best['label']} reference beyond test-row noise (one training): "
        f"test {METRIC_LABELS[metric]} {result['test'][metric]:.3f} vs "
        f"{best['test'][metric]:.3f} (CNN - reference {comparison['difference']:+.3f}, "
        f"{level:.0%} CI {comparison['ci_low']:+.3f} to {comparison['ci_high']:+.3f}, same "
        f"test rows; at least {TRAILS_MARGIN:.3f} behind). These data allow better: try another "
        "architecture or global pooling, more epochs or a feature transform, or use the "
        "reference model."
    ]


def diagnostic_flags(result: RunResult) -> dict[str, bool]:
    """Which of the data and learning diagnostics fired (metrics.json `diagnostics`)."""
    return {
        "underfit": bool(_underfitting(result)),
        "test_rows_in_train": bool(seen_test_rows(result)),
        "entities_in_train_and_test": bool(shared_entities(result)),
        "table_as_sequence": bool(table_as_sequence(result)),
        "trails_reference": bool(trailing_reference(result)),
        "best_at_first_epoch": bool(_first_epoch_best(result)),
        "class_balance_drift": bool(drift_warnings(result)),
        "small_test_set": small_test_set(result),
        "training_rows_discarded": bool(discarded_training_rows(result)),
    }


def small_test_set(result: RunResult) -> bool:
    """The smallest test class has fewer than SMALL_TEST_CLASS rows."""
    counts = np.asarray(result["test"]["confusion_matrix"]).sum(axis=1)
    return bool(counts.min() < SMALL_TEST_CLASS)


def run_warnings(result: RunResult, min_class_rows: int, max_gap: float) -> list[str]:
    """Every warning the rules raise for this run, as one sentence each."""
    return [
        *trailing_reference(result),
        *_underfitting(result),
        *drift_warnings(result),
        *seen_test_rows(result),
        *shared_entities(result),
        *table_as_sequence(result),
        *_chance_precision(result),
        *_unpredicted_classes(result),
        *_small_classes(result, min_class_rows),
        *_overfitting_warnings(result, max_gap),
        *training_warnings(result),
        *discarded_training_rows(result),
        *calibration_warnings(result),
    ]


def _rebalanced(result: RunResult) -> bool:
    """True when sampling changed the training split's class shares."""
    before = result.get("class_counts", {}).get("train")
    after = result.get("class_counts_after_sampling", {}).get("train")
    if not before or not after:
        return False
    total_before, total_after = sum(before.values()), sum(after.values())
    return any(
        abs(before[name] / total_before - after[name] / total_after) > 0.01 for name in before
    )


def _first_epoch_best(result: RunResult) -> list[str]:
    """The monitored metric was best at epoch 1: the model learnt (almost) nothing after it."""
    training = result["training"]
    best = training.get("monitor_best_epoch", training["best_epoch"])
    if best != 1 or training["epochs_run"] < 2:
        return []
    monitor = str(training.get("monitor", "val_loss"))
    text = monitor_text(monitor, Task.of(result).n_classes)
    kept = (
        "and the model keeps its weights"
        if training.get("early_stopping", True)
        else "yet early stopping is off, so the model keeps the last epoch's weights"
    )
    message = (
        f"The {text} was best at epoch 1 of {training['epochs_run']} {kept}: the model learned "
        "nothing after epoch 1 that helped on validation (this is not overfitting)."
    )
    if monitor == "val_loss":
        cause = (
            "the training split was rebalanced"
            if _rebalanced(result)
            else "the training split was rebalanced (sampling or class weights)"
        )
        lead = "Since" if _rebalanced(result) else "If"
        message += (
            f" {lead} {cause}, validation loss at the natural class balance punishes the model "
            "for becoming confident at the training balance: use train.monitor=val_roc_auc "
            "(or val_loss_balanced)."
        )
    else:
        rows = sum(result.get("class_counts_after_sampling", {}).get("train", {}).values())
        fitted = f" (the model was fitted on {rows} rows)" if rows else ""
        message += (
            " Try a lower train.learning_rate (the first epoch may overshoot), "
            f"train.reduce_lr_on_plateau=true or more training data{fitted}."
        )
    return [message]


def training_warnings(result: RunResult) -> list[str]:
    """Training that had not converged or never improved after epoch 1."""
    warnings = []
    training = result["training"]
    last = training.get("monitor_best_epoch", training["best_epoch"])
    if last == training["epochs_run"] == training.get("max_epochs"):
        monitor = monitor_of(training.get("monitor", "val_loss"))
        text = monitor_text(monitor.key, Task.of(result).n_classes)
        trend = "falling" if monitor.mode == "min" else "rising"
        warnings.append(
            f"{text[0].upper()}{text[1:]} was still {trend} at the last of "
            f"{training['epochs_run']} epochs: the model has probably not converged; "
            "raise train.epochs."
        )
    warnings += _first_epoch_best(result)
    return warnings
