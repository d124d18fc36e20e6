"""The Plots section: draws every plot of a run and lists them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.cutoff import cutoff_curves
from threshold_sweep.evaluate.names import no_skill_level
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model.monitor import selected_by
from threshold_sweep.report.document import Image, Section
from threshold_sweep.report.plots import (
    error_steps,
    plot_calibration,
    plot_class_balance,
    plot_confusion_matrix,
    plot_cutoff_curves,
    plot_error_steps,
    plot_per_class_recall,
    plot_precision_recall,
    plot_roc,
    plot_score_distributions,
    plot_training_curves,
)
from threshold_sweep.report.run_page.common import recall_intervals, run_title
from threshold_sweep.report.run_page.head import write_head_plots
from threshold_sweep.report.tables import fmt
from threshold_sweep.thresholds import Thresholds


def _curve_plots(
    plots: Path, result: RunResult, test: pd.DataFrame, title: str
) -> list[tuple[str, str]]:
    """ROC, precision-recall, cutoff and calibration plots of a binary run with both classes."""
    positive = Task.of(result).positive
    y_true, y_score = test["y_true"].to_numpy(), test["y_score"].to_numpy()
    plot_roc(y_true, y_score, f"ROC ({title})", plots / "roc.png", positive)
    plot_precision_recall(
        y_true, y_score, f"PR ({title})", plots / "precision_recall.png", positive
    )
    tuned = result["tuned_cutoff"]
    plot_cutoff_curves(
        cutoff_curves(y_true, y_score),
        result["cutoff"],
        tuned["cutoff"],
        tuned["objective"],
        plots / "cutoff.png",
    )
    plot_calibration(y_true, y_score, plots / "calibration.png", positive)
    return [
        ("ROC curve", "plots/roc.png"),
        ("Precision-recall", "plots/precision_recall.png"),
        ("Metrics against the cutoff", "plots/cutoff.png"),
        ("Calibration", "plots/calibration.png"),
    ]


def _plot_title(result: RunResult) -> str:
    """'threshold 100, test prevalence 0.55' (binary) or 'thresholds 100,1000, test'."""
    task = Task.of(result)
    if task.binary:
        prevalence = result["prevalence"]["test"]
        threshold = Thresholds.of_record(result["threshold"]).text
        return f"threshold {threshold}, test prevalence {fmt(prevalence)}"
    return f"{run_title(result)}, test"


def write_plots(
    out_dir: Path,
    result: RunResult,
    history: pd.DataFrame,
    test: pd.DataFrame,
    shared_curves: Path | None = None,
) -> list[tuple[str, str]]:
    """Draw every run plot the task has; return (caption, relative path) pairs.
    `shared_curves`: a training_curves.png drawn already for the same history, copied."""
    plots, task, title = out_dir / "plots", Task.of(result), _plot_title(result)
    y_true, y_pred = test["y_true"].to_numpy(), test["y_pred"].to_numpy()
    shown = []
    if task.binary and len(set(y_true)) == 2:
        shown += _curve_plots(plots, result, test, title)
    shown += _confusion_plots(plots, list(task.names), y_true, y_pred, title)
    if not task.binary:
        shown += _class_plots(plots, result, y_true, y_pred)
    write_head_plots(plots, result)  # shown in the Threshold curve section
    if task.binary:
        plot_score_distributions(
            y_true,
            test["y_score"].to_numpy(),
            list(task.names),
            result["cutoff"],
            plots / "score_distributions.png",
        )
        shown.append(("Score distributions", "plots/score_distributions.png"))
    _training_curves(plots, result, history, shared_curves)
    shown.append(("Training curves", "plots/training_curves.png"))
    return shown


def _confusion_plots(
    plots: Path, names: list[str], y_true: np.ndarray, y_pred: np.ndarray, title: str
) -> list[tuple[str, str]]:
    """The test confusion matrix as counts and as shares of each true class."""
    shown = []
    for normalize, name, caption in (
        (None, "confusion_matrix", "Confusion matrix (counts)"),
        ("true", "confusion_matrix_normalized", "Confusion matrix (shares of each true class)"),
    ):
        path = plots / f"{name}.png"
        plot_confusion_matrix(y_true, y_pred, names, title, path, normalize)
        shown.append((caption, f"plots/{name}.png"))
    return shown


def _training_curves(
    plots: Path, result: RunResult, history: pd.DataFrame, shared_curves: Path | None
) -> None:
    """Draw training_curves.png, or copy `shared_curves` drawn already for the same history."""
    training = result["training"]
    if shared_curves is not None:
        shutil.copyfile(shared_curves, plots / "training_curves.png")
        return
    plot_training_curves(
        history,
        training["best_epoch"],
        plots / "training_curves.png",
        monitor=str(training.get("monitor", "val_loss")),
        selected_by=selected_by(training, Task.of(result).n_classes),
    )


def balance_series(result: RunResult) -> dict[str, dict[str, int]]:
    """The class counts the class-balance plot compares: the training split before and after
    sampling (one series when sampling left it as it was), validation and test."""
    natural, used = result["class_counts"]["train"], result["class_counts_after_sampling"]["train"]
    train = (
        {"train (used as it is: no sampling)": natural}
        if used == natural
        else {"train (natural)": natural, "train (used, after sampling)": used}
    )
    return train | {
        "validation": result["class_counts"]["validation"],
        "test": result["class_counts"]["test"],
    }


def _class_plots(
    plots: Path, result: RunResult, y_true: np.ndarray, y_pred: np.ndarray
) -> list[tuple[str, str]]:
    """Class balance, recall per class and error steps of a run of k >= 3 ordered classes."""
    names = list(Task.of(result).names)
    counts = pd.DataFrame(
        {label: [c[n] for n in names] for label, c in balance_series(result).items()}, names
    )
    plot_class_balance(counts / counts.sum().clip(lower=1), plots / "class_balance.png")
    chance = result["chance"]["test"]
    plot_per_class_recall(
        recall_intervals(result),
        no_skill_level("balanced_accuracy", chance),
        result["test"]["balanced_accuracy"],
        plots / "per_class_recall.png",
    )
    plot_error_steps(error_steps(y_true, y_pred, len(names)), plots / "error_steps.png")
    return [
        ("Class balance per split", "plots/class_balance.png"),
        ("Recall per class", "plots/per_class_recall.png"),
        ("Errors in class steps", "plots/error_steps.png"),
    ]


def plots_section(plots: list[tuple[str, str]]) -> Section:
    """The Plots section: every plot drawn, with its caption."""
    return Section("Plots", [Image(c, p) for c, p in plots])
