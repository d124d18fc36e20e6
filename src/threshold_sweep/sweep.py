"""Sweep summary built from run folders: works after failures and on any folder of runs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from threshold_sweep.io import write_csv, write_text

log = logging.getLogger(__name__)

MAIN_METRICS = ("accuracy", "balanced_accuracy", "f1", "mcc", "roc_auc", "average_precision")
IGNORED_OVERRIDE_PREFIXES = ("hydra.", "experiment", "+experiment")


@dataclass
class SweepSummary:
    """The summary table and how many runs completed or failed."""

    table: pd.DataFrame
    completed: int
    failed: int


def find_run_dirs(root: Path) -> list[Path]:
    """Folders under `root` (or `root` itself) holding a finished or failed run."""
    markers = list(root.rglob("metrics.json")) + list(root.rglob("error.txt"))
    return sorted({marker.parent for marker in markers})


def read_overrides(run_dir: Path) -> dict[str, str]:
    """The run's command-line overrides (from Hydra's .hydra/overrides.yaml) as key -> value."""
    path = run_dir / ".hydra" / "overrides.yaml"
    if not path.exists():
        return {}
    overrides: dict[str, str] = {}
    for item in yaml.safe_load(path.read_text()) or []:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if not key.startswith(IGNORED_OVERRIDE_PREFIXES):
            overrides[key] = value
    return overrides


def _run_row(root: Path, run_dir: Path) -> dict[str, Any]:
    """One summary row: run path, status, overrides, threshold and test metrics."""
    row: dict[str, Any] = {"run": str(run_dir.relative_to(root)) or "."}
    overrides = read_overrides(run_dir)
    metrics_path = run_dir / "metrics.json"
    if metrics_path.exists():
        result = json.loads(metrics_path.read_text())
        row["status"] = "complete"
        row["error"] = ""
        row.update(overrides)
        row["threshold"] = result["threshold"]
        row["test_prevalence"] = result["prevalence"]["test"]
        row["test_n"] = result["test"]["n"]
        for key, value in result["test"].items():
            if isinstance(value, int | float) and key not in ("n", "prevalence"):
                row[f"test_{key}"] = value
        for key in ("roc_auc", "balanced_accuracy"):
            row[f"train_{key}"] = result["train"].get(key)
        row["epochs_run"] = result["training"]["epochs_run"]
    else:
        error = (run_dir / "error.txt").read_text(errors="replace").strip().splitlines()
        row["status"] = "failed"
        row["error"] = error[0] if error else "unknown error"
        row.update(overrides)
    return row


def collect_runs(root: Path) -> pd.DataFrame:
    """A DataFrame with one row per run folder under `root`."""
    rows = [_run_row(root, run_dir) for run_dir in find_run_dirs(root)]
    frame = pd.DataFrame(rows)
    if "threshold" in frame:
        frame = frame.sort_values(["threshold", "run"], na_position="last", kind="stable")
    return frame.reset_index(drop=True)


def build_summary(root: Path) -> SweepSummary:
    """Write summary.csv, summary.md and the metric plot into `root` from its run folders."""
    from threshold_sweep.report import markdown_table

    root = Path(root)
    table = collect_runs(root)
    if table.empty:
        return SweepSummary(table=table, completed=0, failed=0)
    write_csv(root / "summary.csv", table)
    complete = table[table["status"] == "complete"]
    failed = table[table["status"] == "failed"]
    plot_line = ""
    if not complete.empty:
        from threshold_sweep.sweep_plots import plot_metrics_by_threshold

        plot_metrics_by_threshold(complete, MAIN_METRICS, root / "summary_metrics.png")
        plot_line = "![Test metrics against the threshold](summary_metrics.png)\n"
    override_columns = [
        c
        for c in table.columns
        if c not in ("run", "status", "error")
        and not c.startswith(("test_", "train_"))
        and c not in ("threshold", "epochs_run")
    ]
    shown = ["run", *override_columns, "threshold", "test_prevalence", "test_n"]
    shown += [f"test_{m}" for m in MAIN_METRICS]
    lines = [
        f"# Sweep summary: {root.name}",
        "",
        f"{len(complete)} run(s) complete, {len(failed)} failed. Test metrics; every run of "
        "one split seed is evaluated on the same test rows. `test_prevalence` is the share "
        "of the positive class: accuracy, precision, F1 and average precision depend on it, "
        "ROC-AUC, balanced accuracy and MCC much less.",
        "",
    ]
    if not complete.empty:
        lines += [markdown_table(complete[[c for c in shown if c in complete]]), "", plot_line]
    if not failed.empty:
        lines += ["## Failed runs", "", markdown_table(failed[["run", "error"]]), ""]
    write_text(root / "summary.md", "\n".join(lines))
    return SweepSummary(table=table, completed=len(complete), failed=len(failed))
