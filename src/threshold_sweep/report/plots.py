"""Run plots: ROC, precision-recall, confusion matrix, class balance, per-class recall, error
steps, training curves (matplotlib Agg)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


CELL_TEXT_CLASSES = 12  # a confusion matrix of more classes shows colours only, no counts
TICK_FONT = 7.0  # points, the class names on the axes of many-class plots


def _laid_out_names(figure: Figure, axes: Any, names: Sequence[str], fontsize: float) -> None:
    """Lay the figure out, then name every n-th class on the x axis (vertical text) so that
    names never overlap at the axes' final width; lay it out again."""
    figure.tight_layout()
    room = axes.get_position().width * figure.get_figwidth()
    _class_ticks(axes.xaxis, names, room, fontsize)
    axes.tick_params(axis="x", labelrotation=90)
    figure.tight_layout()


def _legend_above(axes: Any, ncols: int) -> None:
    """The legend in a row above the axes, so the bars get the figure's whole width."""
    axes.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=ncols, frameon=False)


def _class_ticks(axis: Any, names: Sequence[str], room: float, fontsize: float) -> list[int]:
    """Label every n-th class so that labels `fontsize` pt tall never overlap on `room`
    inches of axis; return the labelled class indices."""
    per_label = fontsize * 1.6 / 72  # inches one label needs, its gap included
    step = max(1, math.ceil(len(names) * per_label / max(room, 1e-9)))
    shown = list(range(0, len(names), step))
    axis.set_ticks(shown)
    axis.set_ticklabels([names[i] for i in shown], fontsize=fontsize)
    return shown


def confusion_size(n_classes: int) -> tuple[float, float]:
    """Figure size (inches) of a confusion matrix: room for cell text up to CELL_TEXT_CLASSES
    classes, then growing with the classes up to 11 x 10."""
    if n_classes <= CELL_TEXT_CLASSES:
        side = max(5.0, 2.5 + 0.42 * n_classes)
    else:
        side = float(np.clip(2.8 + 0.09 * n_classes, 6.0, 11.0))
    return side, side * 0.92


def plot_confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    names: Sequence[str],
    title: str,
    path: Path,
    normalize: str | None = None,
) -> Path:
    """Write `confusion_figure` to `path`."""
    return write_figure(path, confusion_figure(y_true, y_pred, names, title, normalize))


def confusion_figure(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    names: Sequence[str],
    title: str,
    normalize: str | None = None,
) -> Figure:
    """Confusion matrix heatmap with class names: counts, or shares of each true class
    (`normalize="true"`, rows sum to 1, recall on the diagonal); cell text up to
    CELL_TEXT_CLASSES classes, a colour bar and thinned class names above."""
    k = len(names)
    few = k <= CELL_TEXT_CLASSES
    figure, axes = _subplots(figsize=confusion_size(k))
    display = ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=list(range(k)),
        display_labels=list(names),
        normalize=normalize,
        include_values=few,
        values_format=".2f" if normalize else None,
        text_kw={"fontsize": 10 if k <= 6 else 8},
        ax=axes,
        colorbar=not few,
        xticks_rotation=30 if k == 3 else "horizontal",
    )
    if k > 3:  # vertical names on x, every n-th class named where they would not fit
        width, height = figure.get_size_inches()
        fontsize = 9.0 if few else TICK_FONT
        _class_ticks(axes.yaxis, names, 0.75 * height, fontsize)
        _class_ticks(axes.xaxis, names, 0.7 * width, fontsize)
        axes.tick_params(axis="x", labelrotation=90)
    if few and k > 6:  # empty cells blank, so the confusions stand out
        for text, value in zip(
            display.text_.ravel(), display.confusion_matrix.ravel(), strict=True
        ):
            if value == 0:
                text.set_text("")
    if not few:
        display.im_.colorbar.set_label("share of the true class" if normalize else "test rows")
    shown = "shares of each true class, rows sum to 1" if normalize else "test rows"
    axes.set_xlabel("Predicted label")
    axes.set_ylabel("True label")
    axes.set_title(f"Confusion, {shown}\n({title})", fontsize=9)
    figure.tight_layout()
    return figure


def _bar_width(n_classes: int) -> float:
    """Figure width (inches) of a bar chart with one group per class: 7 (a row of its own on
    report.html) to 14."""
    return float(np.clip(3.0 + 0.11 * n_classes, 7.0, 14.0))


def plot_class_balance(shares: pd.DataFrame, path: Path) -> Path:
    """Write `class_balance_figure` to `path`."""
    return write_figure(path, class_balance_figure(shares))


def class_balance_figure(shares: pd.DataFrame) -> Figure:
    """Each class's share of every split (columns: train before and after sampling,
    validation, test), grouped bars per class (index: class names, lowest first)."""
    names, k = [str(n) for n in shares.index], len(shares)
    figure, axes = _subplots(figsize=(_bar_width(k), 4.2))
    width = 0.8 / len(shares.columns)
    positions = np.arange(k)
    for i, column in enumerate(shares.columns):
        axes.bar(
            positions + (i - (len(shares.columns) - 1) / 2) * width,
            shares[column],
            width=width,
            label=column,
        )
    axes.axhline(1 / k, color="grey", linestyle="--", linewidth=1, label=f"equal shares (1/{k})")
    axes.set_xlim(-0.6, k - 0.4)
    axes.set_ylabel("share of the split's rows")
    axes.set_xlabel("class")
    figure.suptitle("Class balance per split")
    _legend_above(axes, ncols=3)
    _laid_out_names(figure, axes, names, TICK_FONT)
    return figure


def plot_per_class_recall(
    recall: pd.DataFrame, no_skill: float, mean_recall: float, path: Path
) -> Path:
    """Write `per_class_recall_figure` to `path`."""
    return write_figure(path, per_class_recall_figure(recall, no_skill, mean_recall))


def per_class_recall_figure(recall: pd.DataFrame, no_skill: float, mean_recall: float) -> Figure:
    """Test recall per class (bars) with its exact CI (columns recall, low, high; index:
    class names), the no-skill level (any constant or random predictor's mean recall) and
    the model's mean recall (its balanced accuracy)."""
    names, k = [str(n) for n in recall.index], len(recall)
    figure, axes = _subplots(figsize=(_bar_width(k), 4.0))
    positions = np.arange(k)
    values = recall["recall"].to_numpy(dtype=float)
    errors = np.vstack([values - recall["low"], recall["high"] - values])
    axes.bar(positions, values, color="C0", label="recall (test)")
    axes.errorbar(
        positions,
        values,
        yerr=errors,
        fmt="none",
        ecolor="black",
        elinewidth=0.7,
        capsize=0 if k > 20 else 2,
        label="exact 95% CI",
    )
    axes.axhline(
        no_skill,
        color="grey",
        linestyle="--",
        linewidth=1,
        label=f"no skill {no_skill:.3f} (mean recall of a constant or random guess)",
    )
    axes.axhline(
        mean_recall,
        color="C1",
        linestyle=":",
        linewidth=1.5,
        label=f"mean recall = balanced accuracy {mean_recall:.3f}",
    )
    axes.set_xlim(-0.6, k - 0.4)
    axes.set_ylim(0, 1.02)
    axes.set_ylabel("recall (share of the class predicted right)")
    axes.set_xlabel("true class")
    figure.suptitle("Recall per class (test)")
    _legend_above(axes, ncols=2)
    _laid_out_names(figure, axes, names, TICK_FONT)
    return figure


def error_steps(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> pd.DataFrame:
    """Share of test rows per error y_pred - y_true in class steps (-(k-1)..k-1), and the
    expected share of a guess drawn at random with the test class shares."""
    steps = np.arange(-(n_classes - 1), n_classes)
    errors = np.asarray(y_pred, dtype=np.int64) - np.asarray(y_true, dtype=np.int64)
    counts = np.bincount(errors + n_classes - 1, minlength=len(steps))
    shares = np.bincount(np.asarray(y_true, dtype=np.int64), minlength=n_classes) / len(errors)
    # P(pred - true = d) for independent pred and true with the same shares
    expected = np.correlate(shares, shares, mode="full")
    return pd.DataFrame({"step": steps, "model": counts / len(errors), "random": expected})


def plot_error_steps(errors: pd.DataFrame, path: Path) -> Path:
    """Write `error_steps_figure` to `path`."""
    return write_figure(path, error_steps_figure(errors))


def error_steps_figure(errors: pd.DataFrame) -> Figure:
    """Histogram of y_pred - y_true in class steps (test), beside a random guess at the
    test class shares (`error_steps`)."""
    figure, axes = _subplots(figsize=(_bar_width(len(errors) // 2 + 1), 3.8))
    axes.bar(errors["step"], errors["model"], width=0.9, color="C0", label="model (test)")
    axes.step(
        errors["step"],
        errors["random"],
        where="mid",
        color="grey",
        linewidth=1,
        label="random guess at the test class shares (expected)",
    )
    axes.axvline(0, color="black", linewidth=0.6)
    axes.set_xlim(errors["step"].min() - 0.6, errors["step"].max() + 0.6)
    axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=21))
    axes.set_xlabel("predicted class - true class (class steps; 0 = right)")
    axes.set_ylabel("share of test rows")
    figure.suptitle("How far off the predictions are (test)")
    _legend_above(axes, ncols=2)
    figure.tight_layout()
    return figure


def _validation_column(name: str, history: pd.DataFrame) -> str:
    """The validation counterpart of a training curve: val_<name>, and for Keras's training
    `auc` the exact val_roc_auc that runs record since val_auc was dropped."""
    if name.startswith("val_"):
        return name
    if name == "auc" and "val_auc" not in history and "val_roc_auc" in history:
        return "val_roc_auc"
    return f"val_{name}"


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
    drawn = {_validation_column(name, history) for name in names}
    if monitor != "val_loss" and monitor in history and monitor not in drawn:
        panels.append((monitor, f"{monitor} (monitor)"))
    figure, axes_list = _subplots(1, len(panels), figsize=(4.5 * len(panels), 3.8), squeeze=False)
    epochs = history["epoch"] + 1 if "epoch" in history else np.arange(1, len(history) + 1)
    for axes, (name, title) in zip(axes_list[0], panels, strict=True):
        if name in names:
            axes.plot(epochs, history[name], marker="o", color="C0", label="train")
        validation = _validation_column(name, history)
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
