"""report.md for ordered multi-class labels (a list of thresholds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.multiclass import MULTI_HEADLINE
from threshold_sweep.prepare.labels import threshold_text
from threshold_sweep.report.document import (
    Code,
    Document,
    Image,
    Section,
    Table,
    warnings_section,
)
from threshold_sweep.report.html import write_run_pages
from threshold_sweep.report.plots import plot_confusion_matrix, plot_training_curves
from threshold_sweep.report.run_page import SPLITS
from threshold_sweep.report.tables import fmt


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
    index_link: str | None = None,
) -> Path:
    """Write the plots, report.html and report.md of a multi-class run."""
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
    document = multiclass_document(result, config_yaml)
    return write_run_pages(out_dir, document, result, index_link)


def multiclass_document(result: dict[str, Any], config_yaml: str) -> Document:
    """The run report of a multi-class run as a Document (Markdown and HTML share it)."""
    names = result["label_names"]
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
    bold = ", ".join(f"**{n}**" for n in names)
    intro = (
        f"{len(names)} ordered classes of `{result.get('target', 'x')}`: {bold}\n"
        "(class i = the value exceeds i of the thresholds). The model has a softmax head; the\n"
        "predicted class is the most probable one."
    )
    sections = [
        warnings_section(result["warnings"], "None fired."),
        Section(
            "Class balance",
            [
                'Counts per split ("a → b": natural count, then after sampling; only train is '
                "resampled).",
                Table(_counts_table(result)),
            ],
        ),
        Section(
            "Test metrics",
            [
                f"""Averages: **macro** = unweighted mean over classes, **weighted** = weighted by
class support, **micro** pools all rows; for single-label multi-class data micro-F1 equals accuracy.
ROC-AUC is one-vs-rest, macro-averaged (weighted: {fmt(result["test"]["roc_auc_ovr_weighted"])}).
No-skill levels: **majority** always predicts the most frequent test class, **random** predicts
each class with its test share (expected value); both score rows with the class shares.
CIs: {result["ci"]["method"]}, {result["ci"]["n_resamples"]} resamples.""",
                Table(pd.DataFrame(metric_rows)),
            ],
        ),
        Section("Per class (test)", [Table(per_class)]),
        Section(
            "Overfitting",
            [
                Table(gaps.rename(columns={"gap": "gap (train - test)", "large": "too large"})),
                f"""Training: {result["training"]["epochs_run"]} epochs, best validation loss at
epoch {result["training"]["best_epoch"]}, seed {result["training"]["seed"]}.""",
            ],
        ),
        Section(
            "Plots",
            [
                Image("Confusion matrix", "plots/confusion_matrix.png"),
                Image("Training curves", "plots/training_curves.png"),
            ],
        ),
        Section("Config", [Code(config_yaml, "yaml")]),
    ]
    title = f"Run report: thresholds {threshold_text(result['threshold'])}"
    return Document(title, [intro], sections)
