"""Sweep plot: each metric against the threshold (or per group when the threshold is fixed),
with its CI and no-skill level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure  # no pyplot: nothing interactive, faster start-up

from threshold_sweep.io import write_figure
from threshold_sweep.sweep.stats import by_group, group_label
from threshold_sweep.sweep.summary import NAME_SEPARATOR, short_keys

NO_SKILL_WIDTH = 0.6  # width of a group's no-skill segment on the category axis


def plot_metrics_by_threshold(
    groups: pd.DataFrame,
    runs: pd.DataFrame,
    metrics: Sequence[str],
    path: Path,
    keys: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> Path:
    """Write the sweep plot (see metrics_figure) to `path`."""
    return write_figure(path, metrics_figure(groups, runs, metrics, keys, names))


def metrics_figure(
    groups: pd.DataFrame,
    runs: pd.DataFrame,
    metrics: Sequence[str],
    keys: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> Figure:
    """One panel per metric: group means with mean CI bars, repeats as dots, no-skill dashed;
    against the threshold, or with the groups as categories when they share one threshold.
    Legends and axes name a group by `names` (its short name on the pages) where given."""
    groups = groups[groups["threshold"].notna()]
    runs = runs[runs["threshold"].notna()]
    columns = [m for m in metrics if f"test_{m}_mean" in groups]
    n_cols = min(3, len(columns))
    n_rows = -(-len(columns) // n_cols)
    figure = Figure(figsize=(4.4 * n_cols, 3.7 * n_rows + (0.8 if by_group(groups) else 0)))
    axes_grid = figure.subplots(n_rows, n_cols, squeeze=False)
    for unused in axes_grid.flat[len(columns) :]:
        unused.set_visible(False)
    draw = _draw_by_group if by_group(groups) else _draw_by_threshold
    for axes, metric in zip(axes_grid.flat, columns, strict=False):
        draw(axes, groups, runs, metric, keys, names or {})
        axes.set_title(metric)
        axes.set_ylim(min(0.0, float(runs[f"test_{metric}"].min()) - 0.05), 1.02)
        if axes.get_legend_handles_labels()[1]:  # no labelled line when every group is skipped
            axes.legend(fontsize=7)
    figure.suptitle(
        "Test metrics: mean over repeats (bars: mean of the runs' bootstrap CIs), "
        "single runs as dots, no-skill level dashed"
    )
    figure.tight_layout()
    return figure


def _draw_by_threshold(
    axes: Axes,
    groups: pd.DataFrame,
    runs: pd.DataFrame,
    metric: str,
    keys: Sequence[str],
    names: Mapping[str, str],
) -> None:
    """One line per series of groups (the groups without their threshold) over the threshold."""
    frame = groups.copy()
    frame["series"] = [_strip_threshold(label) for label in frame["group"]]
    threshold = f"{short_keys(list(keys)).get('label.threshold', 'label.threshold')}="
    shown = {
        series: _strip_threshold(names.get(label, label), threshold, NAME_SEPARATOR)
        for series, label in zip(frame["series"], frame["group"], strict=True)
    }
    positive = (frame["threshold"] > 0).all()
    log_x = positive and frame["threshold"].max() / frame["threshold"].min() >= 10
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
            label=shown[series],
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
    axes.set_xlabel("threshold")
    if log_x:
        axes.set_xscale("log")


def _draw_by_group(
    axes: Axes,
    groups: pd.DataFrame,
    runs: pd.DataFrame,
    metric: str,
    keys: Sequence[str],
    names: Mapping[str, str],
) -> None:
    """The groups side by side as categories, each with its no-skill level as a dashed segment."""
    positions = {label: x for x, label in enumerate(groups["group"])}
    x = [positions[label] for label in groups["group"]]
    mean = groups[f"test_{metric}_mean"]
    low = groups.get(f"test_{metric}_ci_low_mean", mean)
    high = groups.get(f"test_{metric}_ci_high_mean", mean)
    axes.errorbar(x, mean, yerr=[mean - low, high - mean], marker="o", linestyle="", capsize=3)
    if f"chance_{metric}_mean" in groups:
        for position, level in zip(x, groups[f"chance_{metric}_mean"], strict=True):
            half = NO_SKILL_WIDTH / 2
            axes.plot(
                [position - half, position + half],
                [level, level],
                linestyle="--",
                color="grey",
                label="no skill" if position == 0 else None,
            )
    labels = [group_label(run, list(keys)) for _, run in runs.iterrows()]
    run_x = [positions.get(label) for label in labels]
    shown = [i for i, position in enumerate(run_x) if position is not None]
    axes.scatter(
        [run_x[i] for i in shown],
        runs[f"test_{metric}"].iloc[shown],
        s=10,
        color="black",
        alpha=0.4,
        zorder=3,
    )
    ticks = [names.get(label, label) for label in groups["group"]]
    axes.set_xticks(x, ticks, rotation=20 if len(x) > 2 else 0, ha="right")
    axes.set_xlim(-0.5, len(x) - 0.5)
    axes.set_xlabel(f"group (threshold {groups['threshold'].iloc[0]:g})")


def _strip_threshold(label: str, threshold: str = "label.threshold=", separator: str = ", ") -> str:
    """A group label (or short name) without its threshold part (the x axis shows it)."""
    parts = [part for part in label.split(separator) if not part.startswith(threshold)]
    return separator.join(parts) or "model"
