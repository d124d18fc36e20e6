"""report.md for ordered multi-class labels (a list of thresholds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.io import write_text
from threshold_sweep.labels import threshold_text
from threshold_sweep.multiclass import MULTI_HEADLINE
from threshold_sweep.plots import plot_confusion_matrix, plot_training_curves
from threshold_sweep.report import SPLITS
from threshold_sweep.tables import fmt, markdown_table


def _counts_table(result: dict[str, Any]) -> pd.DataFrame:
    """Class counts per split, natural and after sampling."""
    rows = []
    for split in SPLITS:
        row: dict[str, Any] = {"split": split}
        for name in result["label_names"]:
            natural = result["class_counts"][split][name]
            used = result["class_counts_after_sampling"][split][name]
            row[name] = f"{natural}" if natural == used else f"{natural} → {used}"
        rows.append(row)
    return pd.DataFrame(rows)


def write_multiclass_report(
    out_dir: Path,
    result: dict[str, Any],
    history: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    config_yaml: str,
) -> Path:
    """Write the plots and report.md of a multi-class run."""
    names = result["label_names"]
    test_frame = frames["test"]
    plot_confusion_matrix(
        test_frame["y_true"].to_numpy(),
        test_frame["y_pred"].to_numpy(),
        names,
        f"Confusion (thresholds {threshold_text(result['threshold'])}, test)",
        out_dir / "plots" / "confusion_matrix.png",
    )
    plot_training_curves(
        history, result["training"]["best_epoch"], out_dir / "plots" / "training_curves.png"
    )
    chance = result["chance"]["test"]
    ci = result["ci"]["test"]
    metric_rows = [
        {
            "metric": metric,
            "test": result["test"][metric],
            f"{result['ci']['level']:.0%} CI": f"{ci[metric][0]:.3f}-{ci[metric][1]:.3f}",
            "majority": chance["majority"][metric],
            "random": chance["random"][metric],
            "train": result["train"][metric],
            "validation": result["validation"][metric],
        }
        for metric in MULTI_HEADLINE
    ]
    per_class = pd.DataFrame(
        [{"class": name, **values} for name, values in result["test"]["per_class"].items()]
    )
    gaps = pd.DataFrame([{"metric": m, **row} for m, row in result["overfitting"].items()])
    warnings = "\n".join(f"- **Warning:** {w}" for w in result["warnings"]) or "None fired."
    bold = ", ".join(f"**{n}**" for n in names)
    class_line = f"{len(names)} ordered classes of `{result.get('target', 'x')}`: {bold}"
    text = f"""# Run report: thresholds {threshold_text(result["threshold"])}

{class_line}
(class i = the value exceeds i of the thresholds). The model has a softmax head; the
predicted class is the most probable one.

## Warnings

{warnings}

## Class balance

Counts per split ("a → b": natural count, then after sampling; only train is resampled).

{markdown_table(_counts_table(result))}

## Test metrics

Averages: **macro** = unweighted mean over classes, **weighted** = weighted by class support,
**micro** pools all rows; for single-label multi-class data micro-F1 equals accuracy.
ROC-AUC is one-vs-rest, macro-averaged (weighted: {fmt(result["test"]["roc_auc_ovr_weighted"])}).
No-skill levels: **majority** always predicts the most frequent test class, **random** predicts
each class with its test share (expected value); both score rows with the class shares.
CIs: {result["ci"]["method"]}, {result["ci"]["n_resamples"]} resamples.

{markdown_table(pd.DataFrame(metric_rows))}

## Per class (test)

{markdown_table(per_class)}

## Overfitting

{markdown_table(gaps.rename(columns={"gap": "gap (train - test)", "large": "too large"}))}

Training: {result["training"]["epochs_run"]} epochs, best validation loss at epoch
{result["training"]["best_epoch"]}, seed {result["training"]["seed"]}.

## Plots

![Confusion matrix](plots/confusion_matrix.png)

![Training curves](plots/training_curves.png)

## Config

```yaml
{config_yaml.rstrip()}
```
"""
    return write_text(out_dir / "report.md", text)
