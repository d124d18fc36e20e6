"""Run plots: ROC, precision-recall, confusion matrix, training curves (matplotlib Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
)

from threshold_sweep.io import write_figure


def _subplots(nrows: int = 1, ncols: int = 1, **kwargs: object) -> tuple[Figure, object]:
    """A figure outside pyplot (no global state, nothing interactive) and its axes."""
    squeeze = bool(kwargs.pop("squeeze", True))
    figure = Figure(**kwargs)
    return figure, figure.subplots(nrows, ncols, squeeze=squeeze)


def plot_roc(
    y_true: np.ndarray, y_score: np.ndarray, title: str, path: Path, positive: str = "1"
) -> Path:
    """ROC curve of the test split with the chance diagonal."""
    figure, axes = _subplots(figsize=(5, 5))
    RocCurveDisplay.from_predictions(y_true, y_score, ax=axes, name="CNN", plot_chance_level=True)
    axes.set_xlabel(f"False positive rate (positive class: {positive})")
    axes.set_ylabel(f"True positive rate (positive class: {positive})")
    axes.set_title(title)
    return write_figure(path, figure)


def plot_precision_recall(
    y_true: np.ndarray, y_score: np.ndarray, title: str, path: Path, positive: str = "1"
) -> Path:
    """Precision-recall curve with the prevalence (chance) line."""
    figure, axes = _subplots(figsize=(5, 5))
    PrecisionRecallDisplay.from_predictions(
        y_true, y_score, ax=axes, name="CNN", plot_chance_level=True
    )
    axes.set_xlabel(f"Recall (positive class: {positive})")
    axes.set_ylabel(f"Precision (positive class: {positive})")
    axes.set_title(title)
    return write_figure(path, figure)


def plot_confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str], title: str, path: Path
) -> Path:
    """Confusion matrix of counts with class names."""
    figure, axes = _subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=list(range(len(names))),
        display_labels=list(names),
        ax=axes,
        colorbar=False,
        xticks_rotation=30 if len(names) > 2 else "horizontal",
    )
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title(title, fontsize=9)
    figure.tight_layout()
    return write_figure(path, figure)


def plot_training_curves(
    history: pd.DataFrame,
    best_epoch: int,
    path: Path,
    monitor: str = "val_loss",
    selected_by: str = "best validation loss",
) -> Path:
    """Loss and metrics per epoch for train and validation, the kept epoch marked.

    The `monitor` curve (its own panel unless it is val_loss) carries a marker at the kept
    epoch, labelled `selected_by` ("best validation ROC-AUC", "last epoch").
    """
    names = [c for c in history.columns if c != "epoch" and not c.startswith("val_")]
    names = [n for n in names if n in ("loss", "accuracy", "auc")] or names
    panels = [(name, name) for name in names]
    if monitor != "val_loss" and monitor in history:
        panels.append((monitor, f"{monitor} (monitor)"))
    figure, axes_list = _subplots(1, len(panels), figsize=(4.5 * len(panels), 3.8), squeeze=False)
    epochs = history["epoch"] + 1 if "epoch" in history else np.arange(1, len(history) + 1)
    for axes, (name, title) in zip(axes_list[0], panels, strict=True):
        if name in names:
            axes.plot(epochs, history[name], marker="o", color="C0", label="train")
        validation = name if name.startswith("val_") else f"val_{name}"
        if validation in history:
            axes.plot(epochs, history[validation], marker="o", color="C1", label="validation")
        axes.axvline(best_epoch, color="grey", linestyle="--", linewidth=1, label="kept epoch")
        if validation == monitor and 1 <= best_epoch <= len(history):
            axes.plot(
                [best_epoch],
                [history[monitor].iloc[best_epoch - 1]],
                marker="*",
                markersize=14,
                color="black",
                linestyle="none",
                label=f"{selected_by} (epoch {best_epoch})",
            )
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axes.set_title(title)
        axes.legend(fontsize=8)
    figure.tight_layout()
    return write_figure(path, figure)


def plot_cutoff_curves(
    curves: pd.DataFrame, default_cutoff: float, tuned_cutoff: float, objective: str, path: Path
) -> Path:
    """Precision, recall, F1, balanced accuracy and positive rate against the cutoff."""
    figure, axes = _subplots(figsize=(8.5, 4.5))
    visible = curves[np.isfinite(curves["cutoff"]) & (curves["cutoff"] <= 1)]
    for column in ("precision", "recall", "f1", "balanced_accuracy", "positive_rate"):
        axes.plot(visible["cutoff"], visible[column], label=column, drawstyle="steps-post")
    axes.axvline(default_cutoff, color="grey", linestyle="--", label=f"default {default_cutoff:g}")
    axes.axvline(
        tuned_cutoff,
        color="black",
        linestyle=":",
        label=f"tuned on validation ({objective}) {tuned_cutoff:.3f}",
    )
    axes.set_xlabel("cutoff on the predicted probability of the positive class")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_title("Test metrics against the decision cutoff")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    return write_figure(path, figure)


def plot_score_distributions(
    y_true: np.ndarray, y_score: np.ndarray, names: Sequence[str], cutoff: float, path: Path
) -> Path:
    """Histogram of predicted probabilities per true class (each normalised to its count)."""
    figure, axes = _subplots(figsize=(6, 4))
    bins = np.linspace(0, 1, 41)
    for label, name in enumerate(names):
        scores = y_score[y_true == label]
        if len(scores):
            axes.hist(
                scores, bins=bins, alpha=0.55, density=True, label=f"true {name} (n={len(scores)})"
            )
    axes.axvline(cutoff, color="grey", linestyle="--", label=f"cutoff {cutoff:g}")
    axes.set_xlabel(f"predicted probability of {names[-1]}")
    axes.set_ylabel("density")
    axes.set_title("Score distributions per class (test)")
    axes.legend(fontsize=8)
    return write_figure(path, figure)


def plot_calibration(
    y_true: np.ndarray, y_score: np.ndarray, path: Path, positive: str = "1"
) -> Path:
    """Reliability diagram: observed positive share per bin of predicted probability."""
    from sklearn.calibration import CalibrationDisplay

    figure, axes = _subplots(figsize=(5, 5))
    CalibrationDisplay.from_predictions(
        y_true, y_score, n_bins=10, strategy="quantile", ax=axes, name="CNN"
    )
    axes.set_xlabel(f"Mean predicted probability of {positive}")
    axes.set_ylabel(f"Observed share of {positive}")
    axes.set_title("Calibration (test, quantile bins)")
    # resampled training inflates the scores: points fall below the diagonal, to the lower right
    axes.legend(loc="upper left")
    return write_figure(path, figure)
