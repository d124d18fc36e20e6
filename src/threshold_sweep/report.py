"""The human-readable run report: report.md and the plots it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.evaluate import HEADLINE
from threshold_sweep.io import write_text
from threshold_sweep.plots import (
    plot_confusion_matrix,
    plot_precision_recall,
    plot_roc,
    plot_training_curves,
)

SPLITS = ("train", "validation", "test")


def _fmt(value: Any) -> str:
    """Format a metric for a Markdown table."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if value != value:
            return "n/a"
        return f"{value:g}" if value.is_integer() and abs(value) >= 1 else f"{value:.4f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame."""
    align = ("left",) + ("right",) * (len(frame.columns) - 1)
    return frame.map(_fmt).to_markdown(index=False, disable_numparse=True, colalign=align)


def _counts_table(result: dict[str, Any]) -> pd.DataFrame:
    """Class counts per split before and after sampling."""
    names = result["label_names"]
    rows = []
    for split in SPLITS:
        before = result["class_counts"][split]
        after = result["class_counts_after_sampling"][split]
        rows.append(
            {
                "split": split,
                **{f"{n} (natural)": before[n] for n in names},
                **{f"{n} (used)": after[n] for n in names},
                f"{names[-1]} share": before[names[-1]] / max(1, sum(before.values())),
            }
        )
    return pd.DataFrame(rows)


def _metrics_table(result: dict[str, Any]) -> pd.DataFrame:
    """Headline metrics for train, validation and test side by side."""
    return pd.DataFrame([{"metric": m, **{s: result[s].get(m) for s in SPLITS}} for m in HEADLINE])


def write_run_report(
    out_dir: Path,
    result: dict[str, Any],
    history: pd.DataFrame,
    test_predictions: pd.DataFrame,
    config_yaml: str,
) -> Path:
    """Write the plots and report.md for one run."""
    plots = out_dir / "plots"
    names = result["label_names"]
    threshold = result["threshold"]
    y_true = test_predictions["y_true"].to_numpy()
    y_score = test_predictions["y_score"].to_numpy()
    y_pred = test_predictions["y_pred"].to_numpy()
    title = f"threshold {threshold:g} (test, prevalence {result['prevalence']['test']:.2f})"
    if len(set(y_true)) == 2:
        plot_roc(y_true, y_score, f"ROC, {title}", plots / "roc.png")
        plot_precision_recall(y_true, y_score, f"PR, {title}", plots / "precision_recall.png")
    plot_confusion_matrix(
        y_true, y_pred, names, f"Confusion, {title}", plots / "confusion_matrix.png"
    )
    plot_training_curves(history, result["training"]["best_epoch"], plots / "training_curves.png")
    test = result["test"]
    (tn, fp), (fn, tp) = test["confusion_matrix"]
    training = result["training"]
    text = f"""# Run report: threshold {threshold:g}

`x > {threshold:g}` is **{names[-1]}** (positive class); otherwise **{names[0]}**.
Decision cutoff on the predicted probability of {names[-1]}: {result["cutoff"]:g}.

## Class balance

The test and validation splits keep their natural balance; only the training split is resampled.

{markdown_table(_counts_table(result))}

Positive prevalence on test: **{result["prevalence"]["test"]:.4f}**. A model that always says
{names[-1] if result["prevalence"]["test"] >= 0.5 else names[0]} reaches accuracy
{max(result["prevalence"]["test"], 1 - result["prevalence"]["test"]):.4f} on this test split.

## Metrics

Test = held-out rows, never used for training or early stopping. Train = the (resampled) rows the
model was fitted on. Precision, recall and F1 are for the positive class **{names[-1]}**.

{markdown_table(_metrics_table(result))}

Test confusion matrix (rows true, columns predicted): {names[0]}→{names[0]} {tn},
{names[0]}→{names[-1]} {fp}, {names[-1]}→{names[0]} {fn}, {names[-1]}→{names[-1]} {tp}.

Training: {training["epochs_run"]} epochs run, best validation loss at epoch
{training["best_epoch"]}, seed {training["seed"]}, {training["threads"]} TensorFlow thread(s).

## Plots

![ROC](plots/roc.png) ![Precision-recall](plots/precision_recall.png)

![Confusion matrix](plots/confusion_matrix.png)

![Training curves](plots/training_curves.png)

## Config

```yaml
{config_yaml.rstrip()}
```
"""
    return write_text(out_dir / "report.md", text)
