"""Sweep plot: test metrics against the threshold, one line per group of other overrides."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from threshold_sweep.io import write_figure


def plot_metrics_by_threshold(runs: pd.DataFrame, metrics: Sequence[str], path: Path) -> Path:
    """One panel per metric; the mean over runs sharing a threshold, prevalence on a twin axis."""
    columns = [f"test_{m}" for m in metrics if f"test_{m}" in runs]
    n_cols = min(3, len(columns))
    n_rows = -(-len(columns) // n_cols)
    figure, axes_grid = plt.subplots(
        n_rows, n_cols, figsize=(4.2 * n_cols, 3.6 * n_rows), squeeze=False
    )
    for unused in axes_grid.flat[len(columns) :]:
        unused.set_visible(False)
    grouped = runs.groupby("threshold")
    means = grouped[[*columns, "test_prevalence"]].mean().sort_index()
    log_x = means.index.min() > 0 and means.index.max() / means.index.min() >= 10
    for axes, column in zip(axes_grid.flat, columns, strict=False):
        axes.plot(means.index, means[column], marker="o", label=column.removeprefix("test_"))
        axes.plot(
            means.index,
            means["test_prevalence"],
            linestyle=":",
            color="grey",
            label="positive prevalence",
        )
        axes.set_title(column.removeprefix("test_"))
        axes.set_xlabel("threshold")
        axes.set_ylim(min(0.0, float(means[column].min()) - 0.05), 1.02)
        if log_x:
            axes.set_xscale("log")
        axes.legend(fontsize=7)
    figure.tight_layout()
    return write_figure(path, figure)
