"""Run plots: ROC, precision-recall, confusion matrix, training curves (matplotlib Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
)

from threshold_sweep.io import write_figure


def plot_roc(y_true: np.ndarray, y_score: np.ndarray, title: str, path: Path) -> Path:
    """ROC curve of the test split with the chance diagonal."""
    figure, axes = plt.subplots(figsize=(5, 5))
    RocCurveDisplay.from_predictions(y_true, y_score, ax=axes, name="CNN", plot_chance_level=True)
    axes.set_title(title)
    return write_figure(path, figure)


def plot_precision_recall(y_true: np.ndarray, y_score: np.ndarray, title: str, path: Path) -> Path:
    """Precision-recall curve with the prevalence (chance) line."""
    figure, axes = plt.subplots(figsize=(5, 5))
    PrecisionRecallDisplay.from_predictions(
        y_true, y_score, ax=axes, name="CNN", plot_chance_level=True
    )
    axes.set_title(title)
    return write_figure(path, figure)


def plot_confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str], title: str, path: Path
) -> Path:
    """Confusion matrix of counts with class names."""
    figure, axes = plt.subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=list(range(len(names))),
        display_labels=list(names),
        ax=axes,
        colorbar=False,
    )
    axes.set_title(title)
    return write_figure(path, figure)


def plot_training_curves(history: pd.DataFrame, best_epoch: int, path: Path) -> Path:
    """Loss and metrics per epoch for train and validation, best epoch marked."""
    names = [c for c in history.columns if c != "epoch" and not c.startswith("val_")]
    names = [n for n in names if n in ("loss", "accuracy", "auc")] or names
    figure, axes_list = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.8), squeeze=False)
    epochs = history["epoch"] + 1 if "epoch" in history else np.arange(1, len(history) + 1)
    for axes, name in zip(axes_list[0], names, strict=True):
        axes.plot(epochs, history[name], marker="o", label="train")
        if f"val_{name}" in history:
            axes.plot(epochs, history[f"val_{name}"], marker="o", label="validation")
        axes.axvline(best_epoch, color="grey", linestyle="--", linewidth=1, label="best epoch")
        axes.set_xlabel("epoch")
        axes.set_title(name)
        axes.legend()
    figure.tight_layout()
    return write_figure(path, figure)
