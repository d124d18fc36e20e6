"""Rules that read a run's numbers and flag overfitting and nonsense, in plain sentences."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binomtest

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model.monitor import monitor_of, monitor_text


def exact_interval(successes: int, trials: int, level: float) -> tuple[float, float]:
    """Clopper-Pearson interval of a proportion (honest for tiny counts and 0/n or n/n)."""
    if trials == 0:
        return float("nan"), float("nan")
    interval = binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return float(interval.low), float(interval.high)


def overfitting(result: RunResult, max_gap: float) -> dict[str, dict[str, Any]]:
    """Train, validation and test values, the train - test gap, and whether it is too large.

    A gap is too large when it exceeds `max_gap` and the train value lies above the test
    value's CI (when there is one), so test-row noise alone does not raise the flag.
    """
    ci = result.get("ci", {}).get("test", {})
    table = {}
    for metric in Task.of(result).overfit_metrics:
        values = {split: result[split][metric] for split in ("train", "validation", "test")}
        if any(value is None for value in values.values()):
            continue
        gap = values["train"] - values["test"]
        above_ci = metric not in ci or values["train"] > ci[metric][1]
        table[metric] = {**values, "gap": gap, "large": bool(gap > max_gap and above_ci)}
    return table


def _chance_precision(result: RunResult) -> list[str]:
    """A binary model whose positive predictions are no better than the prevalence."""
    task, test = Task.of(result), result["test"]
    p = result["prevalence"]["test"]
    if not task.binary or test["predicted_positive_rate"] == 0 or test["precision"] > p:
        return []
    return [
        f"Test precision {test['precision']:.3f} is at or below the positive prevalence "
        f"{p:.3f}: predicting '{task.positive}' is no better than chance. Check the label "
        f"encoding (is '{task.positive}' really x > threshold, and 1 in y_true?)."
    ]


def _unpredicted_classes(result: RunResult) -> list[str]:
    """Classes the model never predicts on test, whose precision and F1 mean nothing."""
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
    return [
        f"The model never predicts {', '.join(map(repr, missing))} on the test split: those "
        "classes' precision and F1 are meaningless. Try undersampling or more epochs."
    ]


def _small_classes(result: RunResult, min_class_rows: int) -> list[str]:
    """Test classes too small for their recall to mean much, with its exact interval."""
    task, test = Task.of(result), result["test"]
    level = result.get("ci", {}).get("level", 0.95)
    matrix = np.asarray(test["confusion_matrix"])
    warnings = []
    for index, name in enumerate(task.names):
        count, hits = int(matrix[index].sum()), int(matrix[index, index])
        if count >= min_class_rows:
            continue
        metric = "specificity" if task.binary and index == 0 else "recall"
        value = test[metric] if task.binary else test["per_class"][name]["recall"]
        low, high = exact_interval(hits, count, level)
        warnings.append(
            f"The test split has only {count} '{name}' rows (< evaluate.min_class_rows="
            f"{min_class_rows}): its {metric} {value:.3f} ({hits}/{count}) has an "
            f"exact {level:.0%} CI of {low:.3f}-{high:.3f} (width {high - low:.3f}); the "
            "class-stratified bootstrap cannot show this spread. Add data or move the "
            "threshold."
        )
    return warnings


def _overfitting_warnings(result: RunResult, max_gap: float) -> list[str]:
    """One sentence per flagged train - test gap."""
    return [
        f"Overfitting: train {metric} {row['train']:.3f} vs test {row['test']:.3f}, a gap "
        f"of {row['gap']:.3f} > evaluate.max_gap={max_gap:g}, beyond the test CI. Use "
        "more data, a smaller model, more dropout or earlier stopping."
        for metric, row in result.get("overfitting", {}).items()
        if row["large"]
    ]


def run_warnings(result: RunResult, min_class_rows: int, max_gap: float) -> list[str]:
    """Every warning the rules raise for this run, as one sentence each."""
    return [
        *_chance_precision(result),
        *_unpredicted_classes(result),
        *_small_classes(result, min_class_rows),
        *_overfitting_warnings(result, max_gap),
        *training_warnings(result, min_class_rows),
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
        f"The {text} was best at epoch 1 of {training['epochs_run']} {kept}: it got no better "
        "after one pass over the training rows."
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


def training_warnings(result: RunResult, min_class_rows: int) -> list[str]:
    """Training that had not converged or never improved after epoch 1, and a cutoff tuned on
    too few validation rows."""
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
    counts = result["class_counts"]["validation"]
    smallest = min(counts, key=counts.get)
    if "tuned_cutoff" in result and counts[smallest] < min_class_rows:
        warnings.append(
            f"The cutoff was tuned on a validation split with only {counts[smallest]} "
            f"'{smallest}' rows: treat the tuned cutoff as rough."
        )
    return warnings
