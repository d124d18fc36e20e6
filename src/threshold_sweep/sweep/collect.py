"""A sweep summarized from its run folders: tables, comparisons and insights; writes nothing.

Works after failures and on any folder of runs; sweep.build writes what it finds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.layout import METRICS_JSON
from threshold_sweep.results.read import (
    config_values,
    find_run_dirs,
    read_job_number,
    read_overrides,
    run_error,
    shared_model_parent,
    unreadable,
)
from threshold_sweep.results.rows import metric_columns
from threshold_sweep.sweep.insights.compose import insight_groups
from threshold_sweep.sweep.naming import PARENT, group_names, run_labels, shown_groups
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

RESERVED_COLUMNS = ("run", "status", "error", "job")
METRIC_PREFIXES = ("test_", "chance_", "skill_", "reweighted_", "train_", "validation_", "gap_")


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
    shared: pd.DataFrame | None = None  # shared model - dedicated at each common threshold
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
    parent = shared_model_parent(run_dir)
    row[PARENT] = "" if parent is None else _relative(root, parent)
    return row


def _relative(root: Path, folder: Path) -> str:
    """A run folder as the summary names it: relative to `root`, or its name for `root`."""
    relative = str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder)
    return relative if relative != "." else folder.name


def _fill_defaults(run_dirs: list[Path], overrides: list[dict[str, str]]) -> None:
    """Give each run the value its config used for keys other runs override and it does not
    (a dedicated run's model.head beside a shared model's), so that an unset key does not
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
        _compare(root, summary, complete)
        _find_insights(summary)
    return summary


def _compare(root: Path, summary: SweepSummary, complete: pd.DataFrame) -> None:
    """Fill `summary` with the complete runs in sweep order, their gaps, groups, paired and
    pooled comparisons and the shared-vs-dedicated table."""
    keys = group_keys(summary.table, summary.varying or [])
    summary.keys = keys
    complete = sort_runs(complete, keys)
    gaps = gap_columns(root, complete)
    complete = complete.join(gaps).copy()  # one block, not one per added column
    summary.table = summary.table.merge(complete[["run", *gaps.columns]], on="run", how="left")
    summary.axis = sweep_axis(complete, keys)
    summary.max_gap = _max_gap(root, complete)
    metrics = [c for c in complete.columns if c.startswith(METRIC_PREFIXES)]
    summary.complete = complete
    summary.groups = repeats(complete, keys, metrics)
    summary.paired = paired_comparisons(root, complete, keys)
    summary.pooled = pooled_comparisons(root, complete, keys, summary.paired)
    summary.shared = shared_vs_dedicated(root, complete)
    summary.group_names = group_names(complete, keys)


def _find_insights(summary: SweepSummary) -> None:
    """Fill `summary` with the insights under their headings, the verdict first."""
    # insights name a run by what varies in the sweep, not by its (long) folder name,
    # and a group by the same short form
    complete, names = summary.complete, summary.group_names or {}
    named = complete.assign(run=complete["run"].map(summary.names))
    groups = shown_groups(summary.groups, names, "group")
    pooled = summary.pooled
    if not pooled.empty:
        pooled = shown_groups(pooled, names, "first_group", "second_group")
    found = insight_groups(groups, pooled, named, summary.max_gap, summary.axis)
    # sharing the trunk or not opens the summary: the question a shared model's run asks
    verdict = [*shared_sentences(summary.shared), *found.pop("Verdict", [])]
    summary.insight_groups = {"Verdict": verdict, **found} if verdict else found
    summary.insights = [s for group in summary.insight_groups.values() for s in group]
