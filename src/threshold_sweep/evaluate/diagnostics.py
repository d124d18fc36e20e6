"""Rules that read a run's numbers and flag overfitting and nonsense, in plain sentences."""

from __future__ import annotations

from typing import Any

from scipy.stats import binomtest

OVERFIT_METRICS = ("roc_auc", "balanced_accuracy")  # prevalence-free: train is resampled


def exact_interval(successes: int, trials: int, level: float) -> tuple[float, float]:
    """Clopper-Pearson interval of a proportion (honest for tiny counts and 0/n or n/n)."""
    if trials == 0:
        return float("nan"), float("nan")
    interval = binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return float(interval.low), float(interval.high)


def overfitting(result: dict[str, Any], max_gap: float) -> dict[str, dict[str, Any]]:
    """Train, validation and test values, the train - test gap, and whether it is too large.

    A gap is too large when it exceeds `max_gap` and the train value lies above the test
    value's CI (when there is one), so test-row noise alone does not raise the flag.
    """
    ci = result.get("ci", {}).get("test", {})
    table = {}
    for metric in OVERFIT_METRICS:
        values = {split: result[split][metric] for split in ("train", "validation", "test")}
        if any(value is None for value in values.values()):
            continue
        gap = values["train"] - values["test"]
        above_ci = metric not in ci or values["train"] > ci[metric][1]
        table[metric] = {**values, "gap": gap, "large": bool(gap > max_gap and above_ci)}
    return table


def run_warnings(result: dict[str, Any], min_class_rows: int, max_gap: float) -> list[str]:
    """Every warning the rules raise for this run, as one sentence each."""
    test = result["test"]
    names = result["label_names"]
    positive, negative = names[-1], names[0]
    p = result["prevalence"]["test"]
    level = result.get("ci", {}).get("level", 0.95)
    warnings = []
    (tn, fp), (fn, tp) = test["confusion_matrix"]
    if tp + fp > 0 and test["precision"] <= p:
        warnings.append(
            f"Test precision {test['precision']:.3f} is at or below the positive prevalence "
            f"{p:.3f}: predicting '{positive}' is no better than chance. Check the label "
            f"encoding (is '{positive}' really x > threshold, and 1 in y_true?)."
        )
    predicted_positive = tp + fp
    if predicted_positive in (0, tn + fp + fn + tp):
        only = negative if predicted_positive == 0 else positive
        warnings.append(
            f"The model predicts only '{only}' on the test split ({test['n']} rows): "
            "precision, recall and F1 of the other class are meaningless. Try a tuned cutoff, "
            "another sampling strategy or more epochs."
        )
    for name, hits, count, metric in (
        (positive, tp, tp + fn, "recall"),
        (negative, tn, tn + fp, "specificity"),
    ):
        if count < min_class_rows:
            low, high = exact_interval(hits, count, level)
            warnings.append(
                f"The test split has only {count} '{name}' rows (< evaluate.min_class_rows="
                f"{min_class_rows}): its {metric} {test[metric]:.3f} ({hits}/{count}) has an "
                f"exact {level:.0%} CI of {low:.3f}-{high:.3f} (width {high - low:.3f}); the "
                "class-stratified bootstrap cannot show this spread. Add data or move the "
                "threshold."
            )
    for metric, row in result.get("overfitting", {}).items():
        if row["large"]:
            warnings.append(
                f"Overfitting: train {metric} {row['train']:.3f} vs test {row['test']:.3f}, a gap "
                f"of {row['gap']:.3f} > evaluate.max_gap={max_gap:g}, beyond the test CI. Use "
                "more data, a smaller model, more dropout or earlier stopping."
            )
    warnings += training_warnings(result, min_class_rows)
    return warnings


def training_warnings(result: dict[str, Any], min_class_rows: int) -> list[str]:
    """Training that had not converged, and a cutoff tuned on too few validation rows."""
    warnings = []
    training = result["training"]
    if training["best_epoch"] == training["epochs_run"] == training.get("max_epochs"):
        warnings.append(
            f"Validation loss was still falling at the last of {training['epochs_run']} epochs: "
            "the model has probably not converged; raise train.epochs."
        )
    counts = result["class_counts"]["validation"]
    smallest = min(counts, key=counts.get)
    if "tuned_cutoff" in result and counts[smallest] < min_class_rows:
        warnings.append(
            f"The cutoff was tuned on a validation split with only {counts[smallest]} "
            f"'{smallest}' rows: treat the tuned cutoff as rough."
        )
    return warnings
