"""The run result as rows: metrics.csv's wide row, the sweep summary's test columns (also
MLflow's metrics), and the long per-split frame of the Python API. Light: no scikit-learn."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.names import PREVALENCE_DEPENDENT, no_skill_level
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import split_of
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import SPLITS
from threshold_sweep.thresholds import Thresholds


def flatten_metrics(result: RunResult) -> dict[str, Any]:
    """One flat row: threshold, prevalences and every scalar metric as split_metric."""
    thresholds = Thresholds.of_record(result["threshold"])
    flat: dict[str, Any] = {
        "threshold": thresholds.text if thresholds.single is None else thresholds.single,
        "cutoff": result["cutoff"],
    }
    for split in SPLITS:
        prevalence = result["prevalence"][split]
        if isinstance(prevalence, dict):
            flat.update({f"{split}_share_{name}": v for name, v in prevalence.items()})
        else:
            flat[f"{split}_prevalence"] = prevalence
        for key, value in result[split].items():
            if isinstance(value, int | float) and key != "prevalence":
                flat[f"{split}_{key}"] = value
        matrix = result[split]["confusion_matrix"]
        if len(matrix) == 2:
            (tn, fp), (fn, tp) = matrix
            flat.update(
                {f"{split}_tn": tn, f"{split}_fp": fp, f"{split}_fn": fn, f"{split}_tp": tp}
            )
    flat.update({f"training_{k}": v for k, v in result["training"].items()})
    return flat


# assessed_record's fields as the sweep summary's (and MLflow's) columns, per metric
SUMMARY_COLUMNS = {
    "value": "test_{}",
    "ci_low": "test_{}_ci_low",
    "ci_high": "test_{}_ci_high",
    "no_skill": "chance_{}",
    "skill": "skill_{}",
    "balanced_view": "reweighted_{}",
}


def assessed_record(result: RunResult, metric: str) -> dict[str, Any]:
    """A test metric with each assessment the run holds for it: CI, no-skill level, skill and
    the class-balanced view (a field is absent when the run has no such section)."""
    record: dict[str, Any] = {"value": result["test"][metric]}
    ci = result.get("ci", {}).get("test", {})
    if metric in ci:
        record["ci_low"], record["ci_high"] = ci[metric]
    chance = result.get("chance", {}).get("test")
    if chance:
        record["no_skill"] = no_skill_level(metric, chance)
    for section in ("skill", "balanced_view"):
        if section in result:
            record[section] = result[section]["test"].get(metric)
    return record


def metric_columns(result: RunResult) -> dict[str, Any]:
    """Test metrics with CI, no-skill level, skill and balanced view, as flat columns."""
    task, thresholds = Task.of(result), Thresholds.of_record(result["threshold"])
    row: dict[str, Any] = {
        "threshold": thresholds.single if task.binary else float("nan"),
        "thresholds": thresholds.text,
        "test_prevalence": result["prevalence"]["test"] if task.binary else float("nan"),
        "test_n": result["test"]["n"],
        "ci_level": result.get("ci", {}).get("level"),
    }
    for metric in task.headline:
        for field, value in assessed_record(result, metric).items():
            row[SUMMARY_COLUMNS[field].format(metric)] = value
    for split in ("train", "validation"):  # a sweep plots them beside test, per swept value
        for key in dict.fromkeys((*task.overfit_metrics, *task.cards)):
            row[f"{split}_{key}"] = result.get(split, {}).get(key)
    gaps = [entry["gap"] for entry in result.get("overfitting", {}).values()]
    row["overfit_gap"] = max(gaps) if gaps else None
    row["overfit"] = any(entry["large"] for entry in result.get("overfitting", {}).values())
    row["n_warnings"] = len(result.get("warnings", []))
    if "tuned_cutoff" in result:
        row["tuned_cutoff"] = result["tuned_cutoff"]["cutoff"]
        row["tuned_test_f1"] = result["tuned_cutoff"]["test"]["f1"]
    row.update(training_columns(result))
    row.update(split_columns(result))
    row.update(reference_columns(result))
    row.update({f"diagnostic_{k}": v for k, v in result.get("diagnostics", {}).items()})
    return row


def training_columns(result: RunResult) -> dict[str, Any]:
    """Epochs run, whether the monitored metric was still improving at the last allowed epoch
    (1.0 / 0.0, so that a group's mean is the share), and the training rows before and after
    sampling."""
    training = result["training"]
    best = training.get("monitor_best_epoch", training["best_epoch"])
    last = training["epochs_run"]
    counts = result.get("class_counts", {}).get("train", {})
    fitted = result.get("class_counts_after_sampling", {}).get("train", counts)
    return {
        "epochs_run": last,
        "train_still_improving": float(best == last == training.get("max_epochs")),
        "train_rows": sum(counts.values()) if counts else None,
        "train_rows_fitted": sum(fitted.values()) if fitted else None,
    }


def split_columns(result: RunResult) -> dict[str, Any]:
    """How the rows were split (split_method; split_group, split_order, split_part: the columns
    of a grouped, time or predefined split) and, for a time split, the p-values of the
    class-balance drift tests against training."""
    record = split_of(result)
    drift = record.get("drift") or {}
    return {
        "split_method": record["method"],
        "split_group": record.get("group"),
        "split_order": record.get("order"),
        "split_part": record.get("part"),
        **{
            f"drift_p_value_{name}": drift[name]["p_value"]
            for name in ("validation", "test")
            if name in drift
        },
        **fold_columns(result),
    }


def fold_columns(result: RunResult) -> dict[str, Any]:
    """A k-fold run's folds and repeats and, per metric, the sd and range over held-out folds."""
    cv = result.get("cross_validation")
    if not cv:
        return {}
    row: dict[str, Any] = {"split_folds": cv["folds"], "split_repeats": cv["repeats"]}
    for metric, spread in cv["per_fold"].items():
        row[f"fold_{metric}_sd"] = spread["sd"]
        row[f"fold_{metric}_min"] = spread["min"]
        row[f"fold_{metric}_max"] = spread["max"]
    return row


def reference_columns(result: RunResult) -> dict[str, Any]:
    """Each reference model's compared test metrics with CIs, and CNN minus it with its CI."""
    section = result.get("reference")
    if not section:
        return {}
    row: dict[str, Any] = {}
    for name, model in section["models"].items():
        for metric in section["compared_on"]:
            row[f"ref_{name}_test_{metric}"] = model["test"][metric]
            row[f"ref_{name}_test_{metric}_ci_low"], row[f"ref_{name}_test_{metric}_ci_high"] = (
                model["ci"][metric]
            )
            comparison = model["cnn_minus_reference"][metric]
            row[f"cnn_minus_{name}_{metric}"] = comparison["difference"]
            row[f"cnn_minus_{name}_{metric}_ci_low"] = comparison["ci_low"]
            row[f"cnn_minus_{name}_{metric}_ci_high"] = comparison["ci_high"]
    row["best_reference"] = section["best"]
    row["cnn_trails_best_reference"] = section["cnn_trails_best"]
    return row


def metrics_frame(result: RunResult) -> pd.DataFrame:
    """One row per model, split and metric: the CNN's splits (test rows with the CI, no-skill
    level, skill and class-balanced view), then each reference model's test metrics."""
    names = Task.of(result).headline
    rows = []
    for split in SPLITS:
        for metric in names:
            if metric not in result[split]:
                continue
            row: dict[str, Any] = {
                "model": "cnn",
                "split": split,
                "metric": metric,
                "value": result[split][metric],
                "ci_low": None,
                "ci_high": None,
                "no_skill": None,
                "skill": None,
                "balanced_view": None,
                "prevalence_dependent": metric in PREVALENCE_DEPENDENT,
            }
            if split == "test":
                row.update(assessed_record(result, metric))
            rows.append(row)
    rows.extend(_reference_rows(result))
    frame = pd.DataFrame(rows)
    numeric = ["value", "ci_low", "ci_high", "no_skill", "skill", "balanced_view"]
    frame[numeric] = frame[numeric].astype(float)
    return frame


def _reference_rows(result: RunResult) -> list[dict[str, Any]]:
    """The long frame's test rows of every reference model (model = its name)."""
    section = result.get("reference") or {"models": {}}
    return [
        {
            "model": name,
            "split": "test",
            "metric": metric,
            "value": value,
            "ci_low": model["ci"].get(metric, [None, None])[0],
            "ci_high": model["ci"].get(metric, [None, None])[1],
            "prevalence_dependent": metric in PREVALENCE_DEPENDENT,
        }
        for name, model in section["models"].items()
        for metric, value in model["test"].items()
    ]


def tracked_metrics(result: RunResult) -> dict[str, Any]:
    """Every column of metrics.csv and of the sweep summary (what MLflow records)."""
    return {**flatten_metrics(result), **metric_columns(result)}
