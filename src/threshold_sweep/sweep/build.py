"""Write a sweep folder's summary: its tables, plots, summary.md and index.html."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from pathlib import Path

import pandas as pd

from threshold_sweep.evaluate.names import PREVALENCE_DEPENDENT
from threshold_sweep.evaluate.task import MULTICLASS_CARDS
from threshold_sweep.io import write_csv, write_figure, write_text
from threshold_sweep.layout import HISTORY, METRICS_JSON
from threshold_sweep.sweep.collect import SweepSummary, summarize
from threshold_sweep.sweep.files import (
    CURVES_PNG,
    GROUPS_CSV,
    METRICS_PNG,
    PAIRED_CSV,
    POOLED_CSV,
    SHARED_CSV,
    SUMMARY_CSV,
)
from threshold_sweep.sweep.html import write_sweep_pages
from threshold_sweep.sweep.page import summary_document
from threshold_sweep.sweep.plots import (
    MAIN_METRICS,
    axis_figure,
    plot_curves,
    plot_metrics_by_threshold,
)
from threshold_sweep.sweep.stats import ranking_metric


def build_summary(root: Path) -> SweepSummary:
    """Write summary.csv, summary_groups.csv, summary_paired.csv, summary_pooled.csv, the plots,
    summary.md and index.html (and summary_shared_vs_dedicated.csv when a shared model's
    per-threshold folders meet dedicated runs)."""
    root = Path(root)
    summary = summarize(root)
    if summary.table.empty:
        return summary
    write_csv(root / SUMMARY_CSV, summary.table)
    if summary.groups is not None:
        _write_tables(root, summary)
        _plot_metrics(summary, root / METRICS_PNG)
        _plot_curves(root, summary, root / CURVES_PNG)
    write_summary_markdown(root, summary, PREVALENCE_DEPENDENT)
    return summary


def _write_tables(root: Path, summary: SweepSummary) -> None:
    """The groups, paired, pooled and shared-vs-dedicated CSVs (the last removed when empty)."""
    write_csv(root / GROUPS_CSV, summary.groups)
    write_csv(root / PAIRED_CSV, summary.paired)
    write_csv(root / POOLED_CSV, summary.pooled)
    if summary.shared is not None and not summary.shared.empty:
        write_csv(root / SHARED_CSV, summary.shared)
    else:
        (root / SHARED_CSV).unlink(missing_ok=True)  # no longer any pair to compare


def write_summary_markdown(
    root: Path, summary: SweepSummary, prevalence_dependent: Collection[str]
) -> Path:
    """Write summary.md and index.html for the sweep folder."""
    return write_sweep_pages(root, summary_document(root, summary, prevalence_dependent))


def _plot_if_changed(path: Path, tables: str, draw: Callable[[Path], object]) -> None:
    """Call `draw(path)` unless the same `tables` drew the file already (a stamp records it)."""
    stamp = path.with_name(f".{path.name}.sha256")
    digest = hashlib.sha256(tables.encode()).hexdigest()
    if path.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return
    stamp.unlink(missing_ok=True)
    draw(path)
    write_text(stamp, digest + "\n")


def _metrics_tables(summary: SweepSummary) -> str:
    """Everything the sweep plot is drawn from, as text (its stamp's content)."""
    groups, runs, keys = summary.groups, summary.complete, summary.keys or []
    tables = groups.to_csv(index=False) + runs.to_csv(index=False) + ",".join(MAIN_METRICS)
    tables += ",".join(keys) + repr(sorted((summary.group_names or {}).items()))
    return tables + repr(summary.axis) + repr(summary.max_gap)


def _plot_metrics(summary: SweepSummary, path: Path) -> None:
    """The sweep plot: against the swept numeric key (summary.axis), else the threshold."""
    groups, runs, keys = summary.groups, summary.complete, summary.keys or []
    if summary.axis is not None:
        axis, max_gap = summary.axis, summary.max_gap

        def draw(target: Path) -> object:
            binary = ranking_metric(runs) == "roc_auc"
            metrics = MAIN_METRICS if binary else MULTICLASS_CARDS
            figure = axis_figure(groups, runs, metrics, keys, axis, max_gap)
            return write_figure(target, figure)
    else:

        def draw(target: Path) -> object:
            names = summary.group_names
            return plot_metrics_by_threshold(groups, runs, MAIN_METRICS, target, keys, names)

    _plot_if_changed(path, _metrics_tables(summary), draw)


def run_histories(root: Path, summary: SweepSummary) -> dict[str, pd.DataFrame]:
    """Each complete run's history.csv by its short name (runs without one left out)."""
    names = summary.names or {}
    return {
        names.get(run, run): pd.read_csv(root / run / HISTORY)
        for run in summary.complete["run"]
        if (root / run / HISTORY).exists()
    }


def _monitor(root: Path, runs: pd.DataFrame) -> str:
    """train.monitor of the first complete run (val_loss when unknown)."""
    for run in runs["run"]:
        path = root / run / METRICS_JSON
        if path.exists():
            return str(json.loads(path.read_text()).get("training", {}).get("monitor", "val_loss"))
    return "val_loss"


def _plot_curves(root: Path, summary: SweepSummary, path: Path) -> None:
    """Every run's per-epoch curves in one figure, coloured by the swept value."""
    histories = run_histories(root, summary)
    if not histories:
        return
    axis, names = summary.axis, summary.names or {}
    runs = summary.complete
    values = {
        names.get(row["run"], row["run"]): (float(row[axis.key]) if axis else None)
        for _, row in runs.iterrows()
        if names.get(row["run"], row["run"]) in histories
    }
    monitor = _monitor(root, runs)
    tables = "".join(h.to_csv(index=False) for h in histories.values()) + repr(values) + monitor
    log = bool(axis and axis.log)
    _plot_if_changed(
        path, tables, lambda target: plot_curves(target, histories, values, monitor, log)
    )
