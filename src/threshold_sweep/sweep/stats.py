"""Across runs: repeats grouped by everything but the training seed, and paired bootstraps."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.bootstrap import (
    DEFAULT_METHOD,
    PERCENTILE,
    bootstrap_ci,
    paired_difference,
)
from threshold_sweep.evaluate.resample.predictions import weighted_predictions
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import METRICS_JSON, PREDICTIONS
from threshold_sweep.shared_model import PARENT_COLUMN as PARENT
from threshold_sweep.sweep.naming import group_label

SEED_KEYS = ("train.seed", "sampling.seed")
MAX_GROUPS_FOR_ALL_PAIRS = 6
LOG_AXIS_DECADES = 2.0  # a positive swept key spanning this many decades gets a log axis
GAP_SPLITS = ("validation", "test")  # train - split: the gaps a sweep reports per run
SHARED_TRUNK = "shared_trunk"  # groups column: the group's runs are per-threshold folders


@dataclass(frozen=True)
class SweepAxis:
    """The numeric swept key that a sweep's plots and insights put on their x axis."""

    key: str
    log: bool
    only: bool = True  # the only swept key besides seeds: one group per value


def sweep_axis(table: pd.DataFrame, keys: list[str]) -> SweepAxis | None:
    """The first numeric swept key when the threshold is not swept (a threshold sweep keeps its
    own axis); log when its values are all positive and span LOG_AXIS_DECADES decades or more."""
    if "label.threshold" in keys:
        return None
    for key in keys:
        values = pd.to_numeric(table[key], errors="coerce")
        if values.notna().all() and values.nunique() > 1:
            positive = bool((values > 0).all())
            log = positive and float(np.log10(values.max() / values.min())) >= LOG_AXIS_DECADES
            return SweepAxis(key, log, len(keys) == 1)
    return None


def overfit_metrics(runs: pd.DataFrame) -> list[str]:
    """The Task.overfit_metrics (binary or k classes) whose train and test values the runs hold."""
    tasks = (Task(("0", "1")), Task(("0", "1", "2")))
    names = dict.fromkeys(metric for task in tasks for metric in task.overfit_metrics)
    held = [
        m
        for m in names
        if {f"train_{m}", f"test_{m}"} <= set(runs) and runs[f"train_{m}"].notna().any()
    ]
    return sorted(held, key=lambda metric: not metric.startswith("roc_auc"))  # ranking first


def ranking_metric(frame: pd.DataFrame) -> str:
    """The ranking metric a table of runs or groups holds: ROC-AUC (binary) or one-vs-rest."""
    binary = [c for c in ("test_roc_auc", "test_roc_auc_mean") if c in frame]
    return "roc_auc" if any(frame[c].notna().any() for c in binary) else "roc_auc_ovr"


def _validation_ci(run_dir: Path, metrics: list[str]) -> dict[str, float]:
    """A run's bootstrap CI of `metrics` on its validation rows (predictions_validation.csv, the
    run's CI settings) as validation_{metric}_ci_low / _ci_high; empty without the file."""
    path = run_dir / PREDICTIONS["validation"]
    if not path.exists():
        return {}
    result = json.loads((run_dir / METRICS_JSON).read_text())
    ci = result.get("ci") or {}
    if "n_resamples" not in ci:
        return {}
    task = Task.of(result)
    predictions = weighted_predictions(*task.arrays(pd.read_csv(path)))
    method = ci.get("interval_method", DEFAULT_METHOD)
    bounds = bootstrap_ci(
        predictions, int(ci["n_resamples"]), float(ci["level"]), int(ci["seed"]), method
    )
    row = {}
    for metric in metrics:
        if metric in bounds:
            row[f"validation_{metric}_ci_low"], row[f"validation_{metric}_ci_high"] = bounds[metric]
    return row


def gap_columns(root: Path, runs: pd.DataFrame) -> pd.DataFrame:
    """Per run (indexed like `runs`): the validation CIs of the overfit metrics and, for each
    split of GAP_SPLITS, gap_{split}_{metric} = train - split with its CI, the split's
    bootstrap CI subtracted from the train value (the training rows are the ones the model was
    fitted on; the noise in question is that of the rows it was not: the rule of metrics.json's
    `overfitting`, whose train value beyond the test CI is a gap CI above 0)."""
    metrics = overfit_metrics(runs)
    validation = pd.DataFrame(
        [_validation_ci(root / run, metrics) for run in runs["run"]], index=runs.index
    )
    columns: dict[str, pd.Series] = {c: validation[c] for c in validation}
    for metric in metrics:
        train = runs[f"train_{metric}"]
        for split in GAP_SPLITS:
            name = f"gap_{split}_{metric}"
            columns[name] = train - runs[f"{split}_{metric}"]
            low, high = (f"{split}_{metric}_ci_{end}" for end in ("low", "high"))
            source = validation if split == "validation" else runs
            if low in source:
                columns[f"{name}_ci_low"] = train - source[high]
                columns[f"{name}_ci_high"] = train - source[low]
    frame = pd.DataFrame(columns, index=runs.index)
    return frame


def group_keys(table: pd.DataFrame, override_columns: list[str]) -> list[str]:
    """Swept parameters that define a group: every varying override except training seeds."""
    return [
        column
        for column in override_columns
        if column not in SEED_KEYS and table[column].astype(str).nunique(dropna=False) > 1
    ]


def _sweep_order(table: pd.DataFrame, column: str) -> pd.Series:
    """Numbers sort as numbers (empty cells, a multi-class run's threshold, last); other values
    in the order of the sweep (the first job that used each value, from Hydra's job number),
    then as text."""
    values = table[column]
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().any() and numbers.notna().sum() == values.notna().sum():
        return numbers
    text = values.astype(str)
    if "job" not in table or table["job"].isna().all():
        return text
    first_job = pd.to_numeric(table["job"]).groupby(text).min()
    ranks = {value: rank for rank, value in enumerate(first_job.sort_values().index)}
    return text.map(ranks)


def sort_runs(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Runs ordered by threshold, then by each swept parameter (numbers ascending, other values
    in the order the sweep ran them), then by run folder."""
    columns = [c for c in ("threshold", *keys, *SEED_KEYS) if c in table]
    order = pd.DataFrame({c: _sweep_order(table, c) for c in columns}, index=table.index)
    order["run"] = table["run"].astype(str)
    index = order.sort_values([*columns, "run"], kind="stable").index
    return table.loc[index].reset_index(drop=True)


def by_group(groups: pd.DataFrame) -> bool:
    """Whether the sweep plot puts the groups on its x axis: the plotted ones share one
    threshold (groups without a single threshold, multi-class, are not plotted)."""
    return groups["threshold"].dropna().nunique() == 1


def repeats(table: pd.DataFrame, keys: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean, standard deviation and count of each metric per group of runs."""
    if table.empty:
        return pd.DataFrame()
    labels = pd.Series(table.apply(group_label, axis=1, keys=keys), index=table.index, name="group")
    frame = pd.concat([table, labels], axis=1)
    parent = frame[PARENT] if PARENT in frame else pd.Series("", index=frame.index)
    frame[SHARED_TRUNK] = parent.fillna("").astype(str) != ""
    columns = [m for m in metrics if m in frame]
    grouped = frame.groupby("group", sort=False)
    stats = grouped[columns].agg(["mean", "std", "count"])
    stats.columns = [f"{metric}_{stat}" for metric, stat in stats.columns]
    stats = stats.copy()
    first = grouped[["threshold", "test_prevalence", SHARED_TRUNK]].first()
    return first.join(stats).reset_index()


def _load_predictions(run_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A run's test predictions and its metrics.json."""
    predictions = pd.read_csv(run_dir / PREDICTIONS["test"])
    return predictions, json.loads((run_dir / METRICS_JSON).read_text())


def _side(merged: pd.DataFrame, task: Task, suffix: str) -> Any:
    """One run's weighted predictions from a merge of two runs' predictions on id."""
    columns = {c: c.removesuffix(suffix) for c in merged.columns if c.endswith(suffix)}
    frame = merged[list(columns)].rename(columns=columns)
    return weighted_predictions(*task.arrays(frame), **task.ordinal_inputs(frame))


def _pairs(table: pd.DataFrame, keys: list[str]) -> list[tuple[int, int]]:
    """Row index pairs to compare: runs of different groups with the same training seed."""
    labels = table.apply(group_label, axis=1, keys=keys).tolist()
    groups = list(dict.fromkeys(labels))
    if len(groups) <= MAX_GROUPS_FOR_ALL_PAIRS:
        group_pairs = list(itertools.combinations(groups, 2))
    else:  # neighbours, and the first against the last: the pair the verdict reads
        group_pairs = [*itertools.pairwise(groups), (groups[0], groups[-1])]
    seed_column = next((key for key in SEED_KEYS if key in table), None)
    pairs = []
    for first_group, second_group in group_pairs:
        first_rows = [i for i, label in enumerate(labels) if label == first_group]
        second_rows = [i for i, label in enumerate(labels) if label == second_group]
        for i in first_rows:
            for j in second_rows:
                same_seed = seed_column is None or str(table.iloc[i][seed_column]) == str(
                    table.iloc[j][seed_column]
                )
                if same_seed:
                    pairs.append((i, j))
    return pairs


def paired_comparisons(root: Path, table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Paired bootstrap differences (second - first) between runs that share test rows."""
    rows = []
    loaded: dict[str, tuple[pd.DataFrame, dict[str, Any]]] = {}
    for i, j in _pairs(table, keys):
        first, second = table.iloc[i], table.iloc[j]
        for run in (first["run"], second["run"]):
            if run not in loaded:
                loaded[run] = _load_predictions(root / run)
        (pred_a, result_a), (pred_b, result_b) = loaded[first["run"]], loaded[second["run"]]
        base = {
            "first": first["run"],
            "second": second["run"],
            "first_group": group_label(first, keys),
            "second_group": group_label(second, keys),
        }
        task = Task.of(result_a)
        if task.n_classes != Task.of(result_b).n_classes:
            rows.append({**base, "metric": "", "note": "different numbers of classes: not paired"})
            continue
        if len(pred_a) != len(pred_b) or set(pred_a["id"]) != set(pred_b["id"]):
            rows.append({**base, "metric": "", "note": "different test rows: not paired"})
            continue
        merged = pred_a.merge(pred_b, on="id", suffixes=("_a", "_b"))
        ci = result_a["ci"]
        differences = paired_difference(
            _side(merged, task, "_a"),
            _side(merged, task, "_b"),
            task.paired_metrics,
            int(ci["n_resamples"]),
            float(ci["level"]),
            int(ci["seed"]),
            ci.get("interval_method", PERCENTILE),  # files written before it: percentile
        )
        for metric, values in differences.items():
            rows.append(
                {**base, "metric": metric, **values, "level": float(ci["level"]), "note": ""}
            )
    return pd.DataFrame(rows)
