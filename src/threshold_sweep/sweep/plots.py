"""Sweep plot: each metric against the threshold (or per group when the threshold is fixed),
with its CI and no-skill level."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure  # no pyplot: nothing interactive, faster start-up

from threshold_sweep.evaluate.names import PREVALENCE_DEPENDENT
from threshold_sweep.io import write_figure
from threshold_sweep.sweep.naming import (
    group_label,
    key_name,
    series_name,
    short_keys,
    strip_threshold,
)
from threshold_sweep.sweep.stats import SweepAxis, by_group, overfit_metrics

MAIN_METRICS = ("accuracy", "balanced_accuracy", "f1", "mcc", "roc_auc", "average_precision")
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
    frame["series"] = [strip_threshold(label) for label in frame["group"]]
    threshold = f"{short_keys(list(keys)).get('label.threshold', 'label.threshold')}="
    shown = {
        series: series_name(names.get(label, label), threshold)
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
    ticks = [_tick_text(names.get(label, label)) for label in groups["group"]]
    axes.set_xticks(x, ticks, rotation=20 if len(x) > 2 else 0, ha="right")
    axes.set_xlim(-0.5, len(x) - 0.5)
    axes.set_xlabel(f"group (threshold {groups['threshold'].iloc[0]:g})")


TICK_WIDTH = 24  # characters per line of a group's tick label
TICK_LINES = 3


def _tick_text(label: str) -> str:
    """A group's name on at most TICK_LINES lines of TICK_WIDTH characters, a longer word (a
    file path) by its end, so that no name leaves tight_layout without room (a UserWarning)."""
    words = textwrap.wrap(label, TICK_WIDTH, break_long_words=False, break_on_hyphens=False)
    lines = [line if len(line) <= TICK_WIDTH else "…" + line[1 - TICK_WIDTH :] for line in words]
    if len(lines) > TICK_LINES:
        lines = [*lines[: TICK_LINES - 1], "…"]
    return "\n".join(lines) or label


SPLIT_COLOURS = {"train": "C2", "validation": "C1", "test": "C0"}


def _axis_values(
    runs: pd.DataFrame, groups: pd.DataFrame, keys: Sequence[str], key: str
) -> tuple[pd.Series, pd.Series]:
    """Each group's value of the swept `key` (a float) and its series: the group label without
    that key (one series when it is the only swept key)."""
    labels = [group_label(run, list(keys)) for _, run in runs.iterrows()]
    value = dict(zip(labels, pd.to_numeric(runs[key]), strict=True))
    others = [k for k in keys if k != key]
    series = {
        label: group_label(run, others) if others else ""
        for label, (_, run) in zip(labels, runs.iterrows(), strict=True)
    }
    return groups["group"].map(value).astype(float), groups["group"].map(series)


def _held(frame: pd.DataFrame, column: str) -> bool:
    """Whether `frame` has `column` with some value in it."""
    return column in frame and bool(frame[column].notna().any())


def _errorbar(axes: Axes, part: pd.DataFrame, value: str, **style: object) -> None:
    """The group means of `value` ('test_roc_auc') in `part` against x, with the mean of its CI
    bounds as bars where the groups have them."""
    mean = part[f"{value}_mean"]
    low, high = part.get(f"{value}_ci_low_mean"), part.get(f"{value}_ci_high_mean")
    yerr = None if low is None or low.isna().all() else [mean - low, high - mean]
    axes.errorbar(part["x"], mean, yerr=yerr, capsize=3, **style)


def _draw_splits(axes: Axes, frame: pd.DataFrame, metric: str) -> None:
    """One metric's panel: its splits per series of groups against x, no-skill dashed."""
    first = frame["series"].iloc[0]
    for label, part in frame.groupby("series", sort=False):
        suffix = f" · {label}" if label else ""
        for split in _splits_of(metric):
            if _held(part, f"{split}_{metric}_mean"):
                line = "-" if split == "test" else ":"
                style = {"color": SPLIT_COLOURS[split], "linestyle": line, "marker": "o"}
                _errorbar(axes, part, f"{split}_{metric}", label=f"{split}{suffix}", **style)
        if f"chance_{metric}_mean" in part:
            no_skill = "no skill" if label == first else None
            axes.plot(part["x"], part[f"chance_{metric}_mean"], "--", color="grey", label=no_skill)
    axes.set_title(metric)


def _draw_gaps(axes: Axes, frame: pd.DataFrame, metrics: list[str], max_gap: float) -> None:
    """The train - test gap of each of `metrics` per series against x with its CI bars, 0 and
    evaluate.max_gap marked."""
    for offset, metric in enumerate(metrics):
        for label, part in frame.groupby("series", sort=False):
            name = metric + (f" · {label}" if label else "")
            _errorbar(axes, part, f"gap_test_{metric}", marker="os"[offset % 2], label=name)
    axes.axhline(0, color="grey", linewidth=1)
    limit = f"evaluate.max_gap={max_gap:g}"
    axes.axhline(max_gap, color="red", linestyle="--", linewidth=1, label=limit)
    axes.set_title("train - test gap (CI: test-row noise)")


def axis_figure(
    groups: pd.DataFrame,
    runs: pd.DataFrame,
    metrics: Sequence[str],
    keys: Sequence[str],
    axis: SweepAxis,
    max_gap: float,
) -> Figure:
    """One panel per metric against the swept numeric key (log when it spans decades): test
    with its mean CI bars, validation and train beside it, no-skill dashed; a last panel with
    the train - test gap of the overfit metrics and its CI, 0 and evaluate.max_gap marked."""
    x, series = _axis_values(runs, groups, keys, axis.key)
    frame = groups.assign(x=x, series=series).sort_values("x")
    columns = [m for m in metrics if _held(frame, f"test_{m}_mean")]
    gaps = [m for m in overfit_metrics(runs) if _held(frame, f"gap_test_{m}_mean")]
    n_panels = len(columns) + (1 if gaps else 0)
    n_cols = min(3, n_panels)
    n_rows = -(-n_panels // n_cols)
    figure = Figure(figsize=(4.4 * n_cols, 3.7 * n_rows))
    grid = figure.subplots(n_rows, n_cols, squeeze=False)
    for unused in grid.flat[n_panels:]:
        unused.set_visible(False)
    name = key_name(axis.key)
    for axes, metric in zip(grid.flat, columns, strict=False):
        _draw_splits(axes, frame, metric)
    if gaps:
        _draw_gaps(grid.flat[len(columns)], frame, gaps, max_gap)
    for axes in grid.flat[:n_panels]:
        _axis_style(axes, name, axis.log)
    figure.suptitle(
        f"Metrics against {name}: test (bars: mean of the runs' bootstrap CIs), validation and "
        "train\n(train for prevalence-free metrics only: its rows are resampled); no-skill dashed"
    )
    figure.tight_layout()
    return figure


def _splits_of(metric: str) -> tuple[str, ...]:
    """The splits drawn for `metric`: train only where the metric ignores the class balance,
    since the training rows are resampled (accuracy, F1 or MCC there are at another balance)."""
    if metric in PREVALENCE_DEPENDENT:
        return ("validation", "test")
    return ("train", "validation", "test")


def _axis_style(axes: Axes, name: str, log: bool) -> None:
    """The x label, a log scale when asked, the legend."""
    axes.set_xlabel(name)
    if log:
        axes.set_xscale("log")
    if axes.get_legend_handles_labels()[1]:
        axes.legend(fontsize=7)


def _train_counterpart(monitor: str, history: pd.DataFrame) -> str | None:
    """The history column of the monitored metric on the training rows: the name without
    'val_', or Keras's 'auc' for a monitored ROC-AUC; None when the history has neither."""
    plain = monitor.removeprefix("val_")
    if plain in history:
        return plain
    return "auc" if plain.endswith("roc_auc") and "auc" in history else None


def _run_colours(values: Mapping[str, float | None], log: bool) -> dict[str, object]:
    """One colour per run: along viridis by its swept value (log-spaced when `log`), or the
    default cycle when a run has no value."""
    import numpy as np
    from matplotlib import colormaps

    numbers = list(values.values())
    if not numbers or any(v is None for v in numbers):
        return {run: f"C{i % 10}" for i, run in enumerate(values)}
    position = np.log10(numbers) if log else np.asarray(numbers, dtype=float)
    span = float(position.max() - position.min()) or 1.0
    colours = colormaps["viridis"]((position - position.min()) / span * 0.9)
    return {run: colours[i] for i, run in enumerate(values)}


def curves_figure(
    histories: Mapping[str, pd.DataFrame],
    values: Mapping[str, float | None],
    monitor: str,
    log: bool = False,
) -> Figure:
    """Every run's per-epoch loss and monitored metric in one figure: train solid, validation
    dashed, one colour per run by its swept value, the runs' names in the legend."""
    panels = ["loss"] + ([monitor] if monitor != "val_loss" else [])
    figure = Figure(figsize=(5.2 * len(panels) + 2.2, 4.0))
    grid = figure.subplots(1, len(panels), squeeze=False)[0]
    colours = _run_colours(values, log)
    for axes, panel in zip(grid, panels, strict=True):
        for run, history in histories.items():
            epochs = (
                history["epoch"] + 1 if "epoch" in history else pd.RangeIndex(1, len(history) + 1)
            )
            train = _train_counterpart(panel, history) if panel != "loss" else "loss"
            validation = panel if panel.startswith("val_") else f"val_{panel}"
            if train and train in history:
                axes.plot(epochs, history[train], color=colours[run], linestyle="-", label=run)
            if validation in history:
                axes.plot(
                    epochs,
                    history[validation],
                    color=colours[run],
                    linestyle="--",
                    label=None if train and train in history else run,
                )
        axes.set_xlabel("epoch")
        axes.set_title(
            f"{panel} (train solid, validation dashed)"
            if panel == "loss"
            else f"{panel.removeprefix('val_')} (monitored; train solid, validation dashed)"
        )
    handles, labels = grid[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="center right", fontsize=7, title="run")
    figure.tight_layout(rect=(0, 0, 1 - 1.9 / (5.2 * len(panels) + 2.2), 1))
    return figure


def plot_curves(
    path: Path,
    histories: Mapping[str, pd.DataFrame],
    values: Mapping[str, float | None],
    monitor: str,
    log: bool = False,
) -> Path:
    """Write curves_figure to `path`."""
    return write_figure(path, curves_figure(histories, values, monitor, log))
