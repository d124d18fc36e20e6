"""Rules that read a run's numbers and flag overfitting and nonsense, in plain sentences."""

from __future__ import annotations

from typing import Any

OVERFIT_METRICS = ("roc_auc", "balanced_accuracy")  # prevalence-free: train is resampled


def overfitting(result: dict[str, Any], max_gap: float) -> dict[str, dict[str, Any]]:
    """Train, validation and test values of the headline metrics and the train - test gap."""
    table = {}
    for metric in OVERFIT_METRICS:
        values = {split: result[split][metric] for split in ("train", "validation", "test")}
        if any(value is None for value in values.values()):
            continue
        gap = values["train"] - values["test"]
        table[metric] = {**values, "gap": gap, "large": bool(gap > max_gap)}
    return table


def run_warnings(result: dict[str, Any], min_class_rows: int, max_gap: float) -> list[str]:
    """Every warning the rules raise for this run's test split, as one sentence each."""
    test = result["test"]
    names = result["label_names"]
    positive, negative = names[-1], names[0]
    p = result["prevalence"]["test"]
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
    ci = result.get("ci", {}).get("test", {})
    for name, count, metric in ((positive, tp + fn, "recall"), (negative, tn + fp, "specificity")):
        if count < min_class_rows:
            low, high = ci.get(metric, [float("nan"), float("nan")])
            warnings.append(
                f"The test split has only {count} '{name}' rows (< evaluate.min_class_rows="
                f"{min_class_rows}): its {metric} {test[metric]:.3f} has a "
                f"{result['ci']['level']:.0%} CI of {low:.3f}-{high:.3f} (width {high - low:.3f}). "
                "Treat per-class numbers as rough; add data or move the threshold."
            )
    for metric, row in result.get("overfitting", {}).items():
        if row["large"]:
            warnings.append(
                f"Overfitting: train {metric} {row['train']:.3f} vs test {row['test']:.3f}, a gap "
                f"of {row['gap']:.3f} > evaluate.max_gap={max_gap:g}. Use more data, a smaller "
                "model, more dropout or earlier stopping."
            )
    return warnings
