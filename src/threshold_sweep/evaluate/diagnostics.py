"""Rules that read a run's numbers and flag overfitting and nonsense, in plain sentences."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binomtest

from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import drift_warnings, split_of
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model.monitor import monitor_of, monitor_text

UNDERFIT_AUC = 0.6  # train ROC-AUC below this: the model did not learn its training rows
SEEN_SHARE = 0.01  # warn when at least this share of test rows also occurs in training
PER_CLASS_WARNINGS = 5  # above this many affected classes, one counted line per kind


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
    learned = not underfit(result)
    for metric in Task.of(result).overfit_metrics:
        values = {split: result[split][metric] for split in ("train", "validation", "test")}
        if any(value is None for value in values.values()):
            continue
        gap = values["train"] - values["test"]
        above_ci = metric not in ci or values["train"] > ci[metric][1]
        table[metric] = {
            **values,
            "gap": gap,
            "large": bool(learned and gap > max_gap and above_ci),
        }
    return table


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


def _seen_test_rows(result: RunResult) -> list[str]:
    """Test rows whose features also occur, identically, in training: inflated test metrics."""
    checks = result.get("data_checks")
    if not checks or not checks["test_rows"]:
        return []
    seen, total = checks["test_rows_in_train"], checks["test_rows"]
    if seen / total < SEEN_SHARE:
        return []
    group = checks.get("group")
    if group:
        advice = (
            f"The split is grouped by `{group['column']}`, so these are rows of different "
            "groups: if one entity spans several groups, group by a column that names it, or "
            "remove the duplicates."
        )
    elif _timed(result):
        advice = (
            "Under a time split they may be known entities measured again later (fine when the "
            "model is meant for them); otherwise remove the duplicates."
        )
    else:
        advice = (
            "Remove the duplicates, or split by entity with `data.group=<column>` (arrays: "
            "`data.group_key`) so that no entity is in both splits."
        )
    return [
        f"{seen} of {total} test rows ({seen / total:.0%}) have a feature row identical to a "
        "training row: if they are the same entity (a person, sensor or item measured again), "
        f"the test metrics are optimistic. {advice}"
    ]


def _timed(result: RunResult) -> bool:
    """Whether the run's rows were split in time order (split=time or split=rolling)."""
    return split_of(result).get("method") in ("time", "rolling")


def _shared_entities(result: RunResult) -> list[str]:
    """Values of an id-like column not grouped by that occur in both train and test."""
    checks = result.get("data_checks") or {}
    total = checks.get("test_rows") or 0
    advice = (
        "the test measures those entities later in time, not new ones (data.group cannot be "
        f"combined with split={split_of(result)['method']} yet)"
        if _timed(result)
        else "split by it with `data.group={column}`"
    )
    sides = (
        ("in a fold's training rows and its held-out rows", "held-out rows")
        if split_of(result).get("method") in ("kfold", "rolling")
        else ("in both train and test", "test rows")
    )
    return [
        f"{shared['values']} values of `{shared['column']}` appear {sides[0]} "
        f"({shared['test_rows']} {sides[1]}): if a value is one entity, "
        + advice.format(column=shared["column"])
        + "."
        for shared in checks.get("shared_values") or []
        if shared["values"] and total and shared["test_rows"] / total >= SEEN_SHARE
    ]


def _table_as_sequence(result: RunResult) -> list[str]:
    """Table columns fed to the CNN as the steps of one series, when the names do not say so."""
    checks = result.get("data_checks") or {}
    columns = checks.get("sequence_columns")
    if not columns or checks.get("columns_look_like_a_series"):
        return []
    shown = ", ".join(columns[:6]) + (", ..." if len(columns) > 6 else "")
    return [
        f"The CNN reads the {len(columns)} table columns ({shown}) as {len(columns)} steps of "
        "one sequence, in this order: convolutions assume neighbouring columns are related, "
        "which their names do not suggest. Compare with the reference models, which treat "
        "them as separate features."
    ]


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
    return [
        f"The model never predicts {', '.join(map(repr, missing))} on the test split: those "
        "classes' precision and F1 are meaningless. Try undersampling or more epochs."
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


def _small_classes(result: RunResult, min_class_rows: int) -> list[str]:
    """Test classes too small for their recall to mean much, with its exact interval.

    Up to PER_CLASS_WARNINGS such classes get a sentence each; more become one counted line.
    """
    rows = _small_class_rows(result, min_class_rows)
    if len(rows) > PER_CLASS_WARNINGS:
        counts = [row["count"] for row in rows]
        widths = [row["high"] - row["low"] for row in rows]
        return [
            f"{len(rows)} of {Task.of(result).n_classes} classes have fewer than "
            f"evaluate.min_class_rows={min_class_rows} test rows ({min(counts)}-{max(counts)} "
            f"each; {_listed([row['name'] for row in rows])}): per-class numbers are rough, "
            f"their recalls' exact {rows[0]['level']:.0%} CIs are {min(widths):.3f}-"
            f"{max(widths):.3f} wide, which the class-stratified bootstrap cannot show; see the "
            "per-class table. Add data or use fewer classes."
        ]
    return [
        f"The test split has only {row['count']} '{row['name']}' rows (< evaluate.min_class_rows="
        f"{min_class_rows}): its {row['metric']} {row['value']:.3f} ({row['hits']}/{row['count']}) "
        f"has an exact {row['level']:.0%} CI of {row['low']:.3f}-{row['high']:.3f} (width "
        f"{row['high'] - row['low']:.3f}); the class-stratified bootstrap cannot show this "
        "spread. Add data or move the threshold."
        for row in rows
    ]


def _overfitting_warnings(result: RunResult, max_gap: float) -> list[str]:
    """One sentence per flagged train - test gap."""
    return [
        f"Overfitting: train {metric} {row['train']:.3f} vs test {row['test']:.3f}, a gap "
        f"of {row['gap']:.3f} > evaluate.max_gap={max_gap:g}, beyond the test CI. Use "
        "more data, a smaller model, more dropout or earlier stopping."
        for metric, row in result.get("overfitting", {}).items()
        if row["large"]
    ]


def trailing_reference(result: RunResult) -> list[str]:
    """The CNN below the best reference model beyond noise, with both numbers."""
    section = result.get("reference")
    if not section or not section["cnn_trails_best"]:
        return []
    metric = Task.of(result).ranking_metric
    best = section["models"][section["best"]]
    comparison = best["cnn_minus_reference"][metric]
    level = result.get("ci", {}).get("level", 0.95)
    return [
        f"The CNN trails the {best['label']} reference beyond noise: test "
        f"{METRIC_LABELS[metric]} {result['test'][metric]:.3f} vs {best['test'][metric]:.3f} "
        f"(CNN - reference {comparison['difference']:+.3f}, {level:.0%} CI "
        f"{comparison['ci_low']:+.3f} to {comparison['ci_high']:+.3f}, same test rows). "
        "These data allow better: try another architecture or global pooling, more epochs "
        "or a feature transform, or use the reference model."
    ]


def diagnostic_flags(result: RunResult) -> dict[str, bool]:
    """Which of the data and learning diagnostics fired (metrics.json `diagnostics`)."""
    return {
        "underfit": bool(_underfitting(result)),
        "test_rows_in_train": bool(_seen_test_rows(result)),
        "entities_in_train_and_test": bool(_shared_entities(result)),
        "table_as_sequence": bool(_table_as_sequence(result)),
        "trails_reference": bool(trailing_reference(result)),
        "best_at_first_epoch": bool(_first_epoch_best(result)),
        "class_balance_drift": bool(drift_warnings(result)),
    }


def run_warnings(result: RunResult, min_class_rows: int, max_gap: float) -> list[str]:
    """Every warning the rules raise for this run, as one sentence each."""
    return [
        *trailing_reference(result),
        *_underfitting(result),
        *drift_warnings(result),
        *_seen_test_rows(result),
        *_shared_entities(result),
        *_table_as_sequence(result),
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
