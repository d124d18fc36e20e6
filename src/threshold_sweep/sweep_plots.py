"""Sweep plot: each metric against the threshold, with its CI and no-skill level."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure  # no pyplot: nothing interactive, faster start-up

from threshold_sweep.io import write_figure


def plot_metrics_by_threshold(
    groups: pd.DataFrame, runs: pd.DataFrame, metrics: Sequence[str], path: Path
) -> Path:
    """One panel per metric: group means with mean CI bars, repeats as dots, no-skill dashed."""
    groups = groups[groups["threshold"].notna()]
    runs = runs[runs["threshold"].notna()]
    columns = [m for m in metrics if f"test_{m}_mean" in groups]
    n_cols = min(3, len(columns))
    n_rows = -(-len(columns) // n_cols)
    figure = Figure(figsize=(4.4 * n_cols, 3.7 * n_rows))
    axes_grid = figure.subplots(n_rows, n_cols, squeeze=False)
    for unused in axes_grid.flat[len(columns) :]:
        unused.set_visible(False)
    frame = groups.copy()
    frame["series"] = [_strip_threshold(label) for label in frame["group"]]
    positive = (frame["threshold"] > 0).all()
    log_x = positive and frame["threshold"].max() / frame["threshold"].min() >= 10
    for axes, metric in zip(axes_grid.flat, columns, strict=False):
        for series, part in frame.groupby("series", sort=False):
            part = part.sort_values("threshold")
            mean = part[f"test_{metric}_mean"]
            low = part.get(f"test_{metric}_ci_low_mean", mean)
            high = part.get(f"test_{metric}_ci_high_mean", mean)
            axes.errorbar(
                part["threshold"],
                mean,
                yerr=[mean - low, high - mean],
                marker="o",
                capsize=3,
                label=series,
            )
            if f"chance_{metric}_mean" in part:
                axes.plot(
                    part["threshold"],
                    part[f"chance_{metric}_mean"],
                    linestyle="--",
                    color="grey",
                    label="no skill" if series == frame["series"].iloc[0] else None,
                )
        axes.scatter(
            runs["threshold"], runs[f"test_{metric}"], s=10, color="black", alpha=0.4, zorder=3
        )
        axes.set_title(metric)
        axes.set_xlabel("threshold")
        axes.set_ylim(min(0.0, float(runs[f"test_{metric}"].min()) - 0.05), 1.02)
        if log_x:
            axes.set_xscale("log")
        if axes.get_legend_handles_labels()[1]:  # no labelled line when every group is skipped
            axes.legend(fontsize=7)
    figure.suptitle(
        "Test metrics: mean over repeats (bars: mean of the runs' bootstrap CIs), "
        "single runs as dots, no-skill level dashed"
    )
    figure.tight_layout()
    return write_figure(path, figure)


def _strip_threshold(label: str) -> str:
    """A group label without its threshold part (the x axis shows it)."""
    parts = [part for part in label.split(", ") if not part.startswith("label.threshold=")]
    return ", ".join(parts) or "model"
