"""Plots of a model with one output per threshold over its grid: metrics against the
threshold, errors against the distance from it, and the share of rows near each threshold
(matplotlib Agg)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from threshold_sweep.evaluate.names import metric_label
from threshold_sweep.io import write_figure
from threshold_sweep.report.plots import _subplots

PANEL_COLUMNS = 2
PREVALENCE_LABEL = "test share x > t"
TWIN = "twin"  # the label of a twin (second y) axis, so callers can tell panels from twins
METRIC_COLOUR, PREVALENCE_COLOUR = "tab:blue", "tab:orange"


def log_axis(axes: Any) -> None:
    """A log x axis with plain tick labels (100, 300, not 3x10^2) and no minor labels."""
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _marker_size(count: int) -> float:
    """Marker size that keeps `count` grid points readable on one panel."""
    return 4.0 if count <= 30 else max(1.0, 4.0 * math.sqrt(30 / count))


def _prevalence_axis(axes: Any, curve: pd.DataFrame) -> Any:
    """The test prevalence on a second, light y axis of `axes`."""
    twin = axes.twinx()
    twin.set_label(TWIN)
    twin.plot(curve["threshold"], curve["prevalence"], color=PREVALENCE_COLOUR, alpha=0.45, lw=1)
    twin.set_ylim(0, 1)
    twin.set_ylabel(PREVALENCE_LABEL, color=PREVALENCE_COLOUR, fontsize=8)
    twin.tick_params(axis="y", colors=PREVALENCE_COLOUR, labelsize=7)
    return twin


def _metric_panel(axes: Any, curve: pd.DataFrame, metric: str, log_x: bool) -> None:
    """One metric against the threshold: CI band, no-skill level dashed, grid markers."""
    t = curve["threshold"].to_numpy()
    axes.fill_between(
        t,
        curve[f"{metric}_ci_low"],
        curve[f"{metric}_ci_high"],
        color=METRIC_COLOUR,
        alpha=0.2,
        lw=0,
        label="95% CI",
    )
    axes.plot(
        t,
        curve[metric],
        color=METRIC_COLOUR,
        marker="o",
        ms=_marker_size(len(t)),
        lw=1.2,
        label=metric_label(metric),
    )
    axes.plot(t, curve[f"chance_{metric}"], color="grey", ls="--", lw=1, label="no skill")
    validation = f"validation_{metric}"  # ROC-AUC: the values that choose the best threshold
    if validation in curve and curve[validation].notna().any():
        axes.plot(t, curve[validation], color=METRIC_COLOUR, ls=":", lw=1.2, label="validation")
    if log_x:
        log_axis(axes)
    axes.set_xlabel("threshold t (x > t is high)")
    axes.set_ylabel(metric_label(metric))
    axes.legend(fontsize=7, loc="best", frameon=False)
    _prevalence_axis(axes, curve)


def threshold_curve_figure(
    curve: pd.DataFrame, metrics: Sequence[str], log_x: bool, title: str
) -> Figure:
    """One panel per metric (two columns) against the threshold, the prevalence on twin axes;
    figure.axes starts with the panels, the twins (label TWIN) follow."""
    if not metrics:
        raise ValueError("threshold_curve_figure needs at least one metric")
    curve = curve.sort_values("threshold")
    ncols = min(PANEL_COLUMNS, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    figure, grid = _subplots(nrows, ncols, figsize=(5.2 * ncols, 3.4 * nrows), squeeze=False)
    panels = list(np.ravel(grid))
    for axes in panels[len(metrics) :]:
        figure.delaxes(axes)
    for axes, metric in zip(panels, metrics, strict=False):
        _metric_panel(axes, curve, metric, log_x)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_threshold_curve(
    curve: pd.DataFrame, metrics: Sequence[str], path: Path, log_x: bool, title: str
) -> Path:
    """Write `threshold_curve_figure` to `path`."""
    return write_figure(path, threshold_curve_figure(curve, metrics, log_x, title))


def distance_label(log: bool) -> str:
    """The x label of a signed distance from the threshold."""
    return "log10(x) - log10(threshold)" if log else "x - threshold"


def errors_figure(table: pd.DataFrame, log: bool, width: float) -> Figure:
    """Error rate (Wilson 95% CI bars) and mean score against the signed distance from the
    threshold, a line at 0 and the near band |d| <= width shaded."""
    figure, axes = _subplots(figsize=(6.4, 4.2))
    d = table["distance_mid"].to_numpy()
    rate = table["error_rate"].to_numpy()
    bars = np.vstack([rate - table["error_ci_low"], table["error_ci_high"] - rate])
    axes.axvspan(-width, width, color="tab:red", alpha=0.1, lw=0, label=f"near (|d| <= {width:g})")
    axes.axvline(0, color="black", lw=0.8)
    axes.errorbar(
        d, rate, yerr=bars, fmt="o-", ms=4, capsize=2, color="tab:red", label="error rate"
    )
    axes.plot(d, table["mean_score"], "s--", ms=3, color="tab:blue", label="mean score")
    axes.set_ylim(0, 1)
    axes.set_xlabel(distance_label(log))
    axes.set_ylabel("error rate / mean score")
    axes.set_title("Errors by distance from the threshold (all thresholds pooled)")
    axes.legend(fontsize=7, frameon=False)
    figure.tight_layout()
    return figure


def plot_errors_by_distance(table: pd.DataFrame, path: Path, log: bool, width: float) -> Path:
    """Write `errors_figure` to `path`."""
    return write_figure(path, errors_figure(table, log, width))


def near_shares_figure(
    thresholds: Sequence[float],
    shares: Sequence[float],
    metric_values: Sequence[float],
    log_x: bool,
    metric_label: str,
) -> Figure:
    """The share of test rows near each threshold (line) with the metric on a twin axis."""
    figure, axes = _subplots(figsize=(6.4, 3.8))
    size = _marker_size(len(thresholds))
    axes.plot(thresholds, shares, "o-", ms=size, color="tab:green", label="near share")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("threshold t")
    axes.set_ylabel("share of test rows near t", color="tab:green")
    if log_x:
        log_axis(axes)
    twin = axes.twinx()
    twin.set_label(TWIN)
    twin.plot(thresholds, metric_values, "s-", ms=size, color=METRIC_COLOUR, lw=1)
    twin.set_ylabel(metric_label, color=METRIC_COLOUR)
    figure.tight_layout()
    return figure


def plot_near_shares(
    thresholds: Sequence[float],
    shares: Sequence[float],
    metric_values: Sequence[float],
    path: Path,
    log_x: bool,
    metric_label: str,
) -> Path:
    """Write `near_shares_figure` to `path`."""
    return write_figure(
        path, near_shares_figure(thresholds, shares, metric_values, log_x, metric_label)
    )
