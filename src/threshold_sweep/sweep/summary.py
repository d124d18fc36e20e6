"""Sweep summary built from run folders: works after failures and on any folder of runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.names import PREVALENCE_DEPENDENT
from threshold_sweep.evaluate.task import MULTICLASS_CARDS
from threshold_sweep.io import write_csv, write_figure, write_text
from threshold_sweep.layout import HISTORY, METRICS_JSON
from threshold_sweep.report.tables import fmt
from threshold_sweep.results.read import (
    GRID_KEYS,
    PARENT_COLUMN,
    config_values,
    cumulative_parent,
    find_run_dirs,
    read_job_number,
    read_overrides,
    run_error,
    unreadable,
)
from threshold_sweep.results.rows import metric_columns

log = logging.getLogger(__name__)

MAIN_METRICS = ("accuracy", "balanced_accuracy", "f1", "mcc", "roc_auc", "average_precision")
RESERVED_COLUMNS = ("run", "status", "error", "job")
CURVES_PNG = "summary_curves.png"
SHARED_CSV = "summary_shared_vs_dedicated.csv"
PARENT = PARENT_COLUMN  # a per-threshold run's cumulative run folder ('' for the other runs)


@dataclass
class SweepSummary:
    """The summary tables and how many runs completed or failed."""

    table: pd.DataFrame
    completed: int
    failed: int
    varying: list[str] | None = None
    keys: list[str] | None = None
    names: dict[str, str] | None = None  # run folder -> its short name (see run_labels)
    group_names: dict[str, str] | None = None  # group label -> its short name (group_names)
    groups: pd.DataFrame | None = None
    paired: pd.DataFrame | None = None
    pooled: pd.DataFrame | None = None  # one row per pair of groups and metric (sweep.pooled)
    complete: pd.DataFrame | None = None
    insights: list[str] | None = None  # every sentence, the verdict first
    insight_groups: dict[str, list[str]] | None = None  # the same under their headings
    axis: Any = None  # the numeric swept key of the plots (stats.SweepAxis), None: threshold
    shared: pd.DataFrame | None = None  # cumulative - dedicated at each shared threshold
    max_gap: float = 0.05  # evaluate.max_gap of the runs


def _run_row(root: Path, run_dir: Path, overrides: dict[str, str]) -> dict[str, Any]:
    """One summary row: run path, status, job number, overrides, threshold and test metrics."""
    row: dict[str, Any] = {"run": _relative(root, run_dir)}
    row["job"] = read_job_number(run_dir)
    metrics_path = run_dir / METRICS_JSON
    if metrics_path.exists():
        problem = unreadable(metrics_path)
        if problem:
            row.update(status="failed", error=problem, **overrides)
            return row
        row.update(status="complete", error="", **overrides)
        row.update(metric_columns(json.loads(metrics_path.read_text())))
    else:
        row.update(status="failed", error=run_error(run_dir), **overrides)
    parent = cumulative_parent(run_dir)
    row[PARENT] = "" if parent is None else _relative(root, parent)
    return row


def _relative(root: Path, folder: Path) -> str:
    """A run folder as the summary names it: relative to `root`, or its name for `root`."""
    relative = str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder)
    return relative if relative != "." else folder.name


def _fill_defaults(run_dirs: list[Path], overrides: list[dict[str, str]]) -> None:
    """Give each run the value its config used for keys other runs override and it does not
    (a dedicated run's model.head beside a cumulative run's), so that an unset key does not
    look like a different setting."""
    keys = list(dict.fromkeys(k for o in overrides for k in o))
    for run_dir, own in zip(run_dirs, overrides, strict=True):
        missing = [k for k in keys if k not in own]
        if missing:
            own.update(config_values(run_dir, missing))


def collect_runs(root: Path) -> pd.DataFrame:
    """A DataFrame with one row per run folder under `root`, in threshold then sweep order;
    columns: run, status, error, job, every run's overrides, then the metrics."""
    run_dirs = find_run_dirs(root)
    overrides = [read_overrides(run_dir) for run_dir in run_dirs]
    _fill_defaults(run_dirs, overrides)
    rows = [_run_row(root, d, o) for d, o in zip(run_dirs, overrides, strict=True)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    keys = [k for k in dict.fromkeys(k for o in overrides for k in o) if k not in RESERVED_COLUMNS]
    reserved = [c for c in ("run", "status", "error", "job") if c in frame]
    rest = [c for c in frame.columns if c not in (*reserved, *keys)]
    frame = frame[[*reserved, *keys, *rest]].astype({"job": "Int64"})
    order = [c for c in ("threshold", "job", "run") if c in frame]
    return frame.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)


def override_columns(table: pd.DataFrame) -> list[str]:
    """The columns that came from the runs' overrides."""
    first_metric = (
        table.columns.get_loc("threshold") if "threshold" in table else len(table.columns)
    )
    return [c for c in table.columns[:first_metric] if c not in RESERVED_COLUMNS]


def varying_overrides(table: pd.DataFrame) -> list[str]:
    """The override columns whose value differs between runs (failed runs included)."""
    return [c for c in override_columns(table) if table[c].astype(str).nunique(dropna=False) > 1]


def _max_gap(root: Path, table: pd.DataFrame) -> float:
    """evaluate.max_gap of the first complete run (0.05 when unknown)."""
    for run in table["run"]:
        path = root / run / METRICS_JSON
        if path.exists():
            return float(json.loads(path.read_text()).get("overfitting_max_gap", 0.05))
    return 0.05


def summarize(root: Path) -> SweepSummary:
    """The summary tables of every run under `root`, computed without writing anything."""
    from threshold_sweep.sweep.insights import insight_groups
    from threshold_sweep.sweep.pooled import pooled_comparisons
    from threshold_sweep.sweep.shared import shared_sentences, shared_vs_dedicated
    from threshold_sweep.sweep.stats import (
        gap_columns,
        group_keys,
        paired_comparisons,
        repeats,
        sort_runs,
        sweep_axis,
    )

    root = Path(root)
    table = collect_runs(root)
    if table.empty:
        return SweepSummary(table=table, completed=0, failed=0)
    complete = table[table["status"] == "complete"].reset_index(drop=True)
    failed = table[table["status"] == "failed"].reset_index(drop=True)
    varying = varying_overrides(table)
    names = dict(zip(table["run"], run_labels(table, varying), strict=True))
    summary = SweepSummary(
        table=table, completed=len(complete), failed=len(failed), varying=varying, names=names
    )
    if not complete.empty:
        keys = group_keys(table, varying)
        summary.keys = keys
        complete = sort_runs(complete, keys)
        gaps = gap_columns(root, complete)
        complete = complete.join(gaps).copy()  # one block, not one per added column
        summary.table = table.merge(complete[["run", *gaps.columns]], on="run", how="left")
        summary.axis = sweep_axis(complete, keys)
        summary.max_gap = _max_gap(root, complete)
        prefixes = ("test_", "chance_", "skill_", "reweighted_", "train_", "validation_", "gap_")
        metrics = [c for c in complete.columns if c.startswith(prefixes)]
        summary.complete = complete
        summary.groups = repeats(complete, keys, metrics)
        summary.paired = paired_comparisons(root, complete, keys)
        summary.pooled = pooled_comparisons(root, complete, keys, summary.paired)
        summary.shared = shared_vs_dedicated(root, complete)
        # insights name a run by what varies in the sweep, not by its (long) folder name,
        # and a group by the same short form
        named = complete.assign(run=complete["run"].map(names))
        summary.group_names = group_names(complete, keys)
        groups = shown_groups(summary.groups, summary.group_names, "group")
        pooled = summary.pooled
        if not pooled.empty:
            pooled = shown_groups(pooled, summary.group_names, "first_group", "second_group")
        found = insight_groups(groups, pooled, named, summary.max_gap, summary.axis)
        # sharing the trunk or not opens the summary: the question a cumulative run asks
        verdict = [*shared_sentences(summary.shared), *found.pop("Verdict", [])]
        summary.insight_groups = {"Verdict": verdict, **found} if verdict else found
        summary.insights = [s for group in summary.insight_groups.values() for s in group]
    return summary


NAME_SEPARATOR = " · "


def short_keys(keys: list[str]) -> dict[str, str]:
    """Each override key by its last dotted part ('label.threshold' -> 'threshold'), or whole
    where two keys share that part (train.seed and sampling.seed)."""
    last = [key.rsplit(".", 1)[-1] for key in keys]
    return {
        key: part if last.count(part) == 1 else key for key, part in zip(keys, last, strict=True)
    }


def is_threshold_run(row: pd.Series) -> bool:
    """Whether a summary row is a cumulative run's per-threshold folder."""
    parent = row.get(PARENT)
    return isinstance(parent, str) and parent != ""


def _threshold_name(row: pd.Series) -> str:
    """'cumulative t=100': a cumulative run's per-threshold folder by its threshold."""
    threshold = pd.to_numeric(pd.Series([row.get("threshold")]), errors="coerce").iloc[0]
    if pd.isna(threshold):
        return f"cumulative t={row.get('label.threshold')}"
    return f"cumulative t={float(threshold):g}"


def _short_name(row: pd.Series, columns: list[str], keys: dict[str, str], with_keys: bool) -> str:
    """One row's overrides `columns` as 'threshold=100 · seed=1' (or '100 · 1'); '' if none.
    A cumulative run's per-threshold folder is 'cumulative t=100', then its other values."""
    lead = []
    if is_threshold_run(row):
        lead = [_threshold_name(row)]
        columns = [c for c in columns if c not in (*GRID_KEYS, "model.head")]
    if not with_keys:
        return NAME_SEPARATOR.join([*lead, *(fmt(row[c]) for c in columns)])
    parts = [f"{keys[c]}={row[c]}" for c in columns if pd.notna(row[c]) and row[c] != ""]
    return NAME_SEPARATOR.join([*lead, *parts])


def run_labels(runs: pd.DataFrame, varying: list[str], with_keys: bool = True) -> pd.Series:
    """Each run's short name: only the overrides that vary over the sweep, by their short key
    ('threshold=100 · seed=1'), or their values alone ('100 · 1') for a table whose columns
    name the keys; its folder when nothing varies or two runs would share a name. Pages show
    it in place of the folder name, which summary.csv keeps."""
    columns = [c for c in varying if c in runs]
    keys = short_keys(columns)
    names = pd.Series(
        [_short_name(row, columns, keys, with_keys) or row["run"] for _, row in runs.iterrows()],
        index=runs.index,
        dtype=str,
    )
    shared = names.duplicated(keep=False)
    return names.where(~shared, runs["run"].astype(str))


def group_names(runs: pd.DataFrame, keys: list[str]) -> dict[str, str]:
    """Each group's label (summary_groups.csv, 'label.threshold=100, sampling=none') -> the name
    the pages show, in the runs' short form ('threshold=100 · sampling=none'); the label itself
    where two groups would share a name."""
    from threshold_sweep.sweep.stats import group_label

    short = short_keys(keys)
    names = {
        group_label(row, keys): _short_name(row, keys, short, True) or group_label(row, keys)
        for _, row in runs.iterrows()
    }
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}
    return {label: label if name in shared else name for label, name in names.items()}


def shown_groups(frame: pd.DataFrame, names: dict[str, str], *columns: str) -> pd.DataFrame:
    """`frame` with its group label `columns` as the pages name the groups."""
    return frame.assign(**{c: frame[c].map(lambda g: names.get(g, g)) for c in columns})


def build_summary(root: Path) -> SweepSummary:
    """Write summary.csv, summary_groups.csv, summary_paired.csv, summary_pooled.csv, summary.md
    and the plot (and
    summary_shared_vs_dedicated.csv when a cumulative run meets dedicated ones)."""
    from threshold_sweep.sweep.page import write_summary_markdown

    root = Path(root)
    summary = summarize(root)
    if summary.table.empty:
        return summary
    write_csv(root / "summary.csv", summary.table)
    if summary.groups is not None:
        write_csv(root / "summary_groups.csv", summary.groups)
        write_csv(root / "summary_paired.csv", summary.paired)
        write_csv(root / "summary_pooled.csv", summary.pooled)
        if summary.shared is not None and not summary.shared.empty:
            write_csv(root / SHARED_CSV, summary.shared)
        else:
            (root / SHARED_CSV).unlink(missing_ok=True)  # no longer any pair to compare
        _plot_metrics(summary, root / "summary_metrics.png")
        _plot_curves(root, summary, root / CURVES_PNG)
    write_summary_markdown(root, summary, PREVALENCE_DEPENDENT)
    return summary


def _plot_if_changed(path: Path, tables: str, draw: Callable[[Path], object]) -> None:
    """Call `draw(path)` unless the same `tables` drew the file already (a stamp records it)."""
    import hashlib

    stamp = path.with_name(f".{path.name}.sha256")
    digest = hashlib.sha256(tables.encode()).hexdigest()
    if path.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return
    stamp.unlink(missing_ok=True)
    draw(path)
    write_text(stamp, digest + "\n")


def _plot_metrics(summary: SweepSummary, path: Path) -> None:
    """The sweep plot: against the swept numeric key (summary.axis), else the threshold."""
    from threshold_sweep.sweep import plots
    from threshold_sweep.sweep.insights import ranking_metric

    groups, runs, keys = summary.groups, summary.complete, summary.keys or []
    tables = groups.to_csv(index=False) + runs.to_csv(index=False) + ",".join(MAIN_METRICS)
    tables += ",".join(keys) + repr(sorted((summary.group_names or {}).items()))
    tables += repr(summary.axis) + repr(summary.max_gap)
    if summary.axis is not None:
        axis, max_gap = summary.axis, summary.max_gap

        def draw(target: Path) -> object:
            binary = ranking_metric(runs) == "roc_auc"
            metrics = MAIN_METRICS if binary else MULTICLASS_CARDS
            figure = plots.axis_figure(groups, runs, metrics, keys, axis, max_gap)
            return write_figure(target, figure)
    else:

        def draw(target: Path) -> object:
            names = summary.group_names
            return plots.plot_metrics_by_threshold(groups, runs, MAIN_METRICS, target, keys, names)

    _plot_if_changed(path, tables, draw)


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
    from threshold_sweep.sweep import plots

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
        path, tables, lambda target: plots.plot_curves(target, histories, values, monitor, log)
    )
