"""The run's record: its config fingerprint, data summary, metrics.json before assessment, clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from threshold_sweep import layout
from threshold_sweep.evaluate.calibration import Priors, calibration_record
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.prepare import PreparedData
from threshold_sweep.thresholds import Thresholds, with_default_threshold


def config_fingerprint(cfg: Any) -> str:
    """SHA-256 of the resolved config without what leaves the results alone.

    `resume` and `tracking` are left out, and so are `train.tensorboard` while false,
    `data.group` / `data.group_key` / `data.order` / `data.part` / `data.part_key` while null,
    `split.method` while random and `split.folds` / `split.repeats` unless it is kfold,
    `evaluate.within` while [1], `evaluate.ordinal_prediction` while argmax, `label.bins` /
    `label.quantiles` while null and `model.head` / `model.head_consistency` while
    probability / rank_consistent and `evaluate.compare_thresholds` while null:
    runs made before these keys existed keep their fingerprint; a null `label.threshold` counts
    as 100, its value before null meant "not set".
    """
    import hashlib

    resolved = OmegaConf.to_container(with_default_threshold(cfg), resolve=True)
    resolved.pop("resume", None)
    resolved.pop("tracking", None)
    if not resolved.get("train", {}).get("tensorboard", True):
        resolved["train"].pop("tensorboard")
    data = resolved.get("data")
    for key in ("group", "group_key", "order", "part", "part_key"):
        if isinstance(data, dict) and key in data and data[key] is None:
            data.pop(key)
    label = resolved.get("label")
    for key in ("bins", "quantiles"):
        if isinstance(label, dict) and key in label and label[key] is None:
            label.pop(key)
    model = resolved.get("model")
    if isinstance(model, dict) and model.get("head", "probability") == "probability":
        model.pop("head", None)
        if model.get("head_consistency") == "rank_consistent":
            model.pop("head_consistency")
    split = resolved.get("split")
    if isinstance(split, dict) and split.get("method") != "kfold":  # a str Enum or text
        split.pop("folds", None)
        split.pop("repeats", None)
    if isinstance(split, dict) and split.get("method") == "random":
        split.pop("method")
    evaluate = resolved.get("evaluate")
    if isinstance(evaluate, dict) and evaluate.get("within") == [1]:
        evaluate.pop("within")
    if isinstance(evaluate, dict) and evaluate.get("ordinal_prediction") == "argmax":
        evaluate.pop("ordinal_prediction")
    if isinstance(evaluate, dict) and evaluate.get("compare_thresholds", 0) is None:
        evaluate.pop("compare_thresholds")
    text = OmegaConf.to_yaml(OmegaConf.create(resolved))
    return hashlib.sha256(text.encode()).hexdigest()


def is_complete(out_dir: Path, cfg: Any) -> bool:
    """True when `out_dir` holds a finished run (metrics.json) of this very config."""
    import json

    path = Path(out_dir) / layout.METRICS_JSON
    if not path.exists():
        return False
    try:
        recorded = json.loads(path.read_text()).get("config_sha256")
    except (OSError, ValueError):
        return False
    return recorded == config_fingerprint(cfg)


def clear_run_folder(out_dir: Path) -> None:
    """Remove a previous run's results, so that no stale metrics.json outlives a new failure."""
    import shutil

    for name in layout.RUN_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name in layout.RUN_FOLDERS:
        shutil.rmtree(out_dir / name, ignore_errors=True)


MARKS = ("prepare", "train", "score", "reference", "report")  # the runner's clock.mark names
STEPS = ("prepare", "train", "score", "reference", "evaluate_report")  # timing.json's names


@dataclass
class Clock:
    """Wall and process CPU seconds since the run started, at each named step (timing.json)."""

    started: float = field(default_factory=time.perf_counter)
    cpu_started: float = field(default_factory=time.process_time)  # every thread's CPU
    marks: dict[str, float] = field(default_factory=dict)
    cpu_marks: dict[str, float] = field(default_factory=dict)

    def mark(self, step: str) -> None:
        """Record that `step` ended now."""
        self.marks[step], self.cpu_marks[step] = time.perf_counter(), time.process_time()

    def seconds(self) -> dict[str, Any]:
        """prepare, train, score, reference-model and evaluate/report seconds, and the total;
        the same in the process's CPU seconds (`cpu_seconds`, every thread), and the CPU
        seconds the process had used before the run started (imports, the config)."""
        ends = [self.marks[mark] for mark in MARKS]
        cpu_ends = [self.cpu_marks[mark] for mark in MARKS]
        cpu = steps_between(self.cpu_started, cpu_ends)
        return {
            **steps_between(self.started, ends),
            "total_seconds": ends[-1] - self.started,
            "cpu_seconds": cpu | {"total_seconds": cpu_ends[-1] - self.cpu_started},
            "cpu_before_run_seconds": self.cpu_started,
        }


def steps_between(started: float, ends: list[float]) -> dict[str, float]:
    """`<step>_seconds` of each step of STEPS, from the end of the one before."""
    starts = [started, *ends[:-1]]
    return {
        f"{step}_seconds": end - start for step, end, start in zip(STEPS, ends, starts, strict=True)
    }


@dataclass(frozen=True)
class DataRecord:
    """What metrics.json records of the data a run evaluated (a k-fold run: its folds pooled)."""

    target: str | None
    names: list[str]
    thresholds: list[float]
    label_cuts: dict[str, Any] | None
    counts_before: dict[str, dict[str, int]]
    counts_after: dict[str, dict[str, int]]
    class_weight: dict[int, float] | None
    checks: Any  # prepare.checks.DataChecks
    split_record: Any  # prepare.balance.SplitRecord, or a k-fold run's split section

    @classmethod
    def of(cls, data: PreparedData) -> DataRecord:
        """The record of one prepared split."""
        return cls(
            data.dataset.target,
            data.names,
            data.thresholds,
            data.label_cuts,
            data.counts_before,
            data.counts_after,
            data.training.class_weight,
            data.checks,
            data.split_record,
        )

    def priors(self) -> Priors:
        """The training split's class shares before sampling and those the model trained at."""
        counts = self.counts_before["train"], self.counts_after["train"]
        return Priors.of_counts(self.names, *counts, self.class_weight)


def run_priors(data: PreparedData) -> Priors:
    """The training split's class shares before sampling and those the model trained at."""
    return DataRecord.of(data).priors()


# data_summary.json's words for data.standardize
STANDARDIZATION_TEXT = {
    "step": "per step and channel, training split statistics",
    "channel": "per channel over every step, training split statistics",
}


def config_text(cfg: Any) -> str:
    """The resolved config as YAML, as the report shows it (a null label.threshold as 100)."""
    return OmegaConf.to_yaml(with_default_threshold(cfg), resolve=True)


def data_summary(data: PreparedData, sampling: str) -> dict[str, Any]:
    """What data_summary.json records."""
    return {
        "source": data.dataset.source,
        "n_rows": len(data.dataset),
        "sequence_shape": list(data.dataset.X.shape[1:]),
        "target": data.dataset.target,
        "features": data.dataset.features or None,
        "ignored_columns": data.dataset.ignored_columns or None,
        "threshold": Thresholds.of_record(data.thresholds).record,
        "label_cuts": data.label_cuts,
        "label_names": data.names,
        "positive_class": data.names[-1] if len(data.names) == 2 else None,
        "sampling": sampling,
        "class_weight": data.training.class_weight,
        "split_sizes": {name: len(rows) for name, rows in data.split.items()},
        "split_fractions": {name: round(f, 4) for name, f in data.split.fractions().items()},
        "group": data.checks["group"],
        "split": data.split_record,
        "class_counts_before_sampling": data.counts_before,
        "class_counts_after_sampling": data.counts_after,
        "standardization": STANDARDIZATION_TEXT[data.standardizer.per],
    }


def run_record(
    cfg: Any,
    data: DataRecord,
    task: Task,
    trained: Any,
    frames: dict[str, pd.DataFrame],
    priors: Priors | None = None,
) -> RunResult:
    """metrics.json before assessment: what ran, every split's metrics and the calibration
    of the test probabilities (`priors`: the class balances, by default run_priors)."""
    from threshold_sweep.evaluate.metrics import split_metrics

    splits = {
        name: split_metrics(*task.arrays(frame), task.names, **task.ordinal_inputs(frame))
        for name, frame in frames.items()
    }
    y_true, scores, _ = task.arrays(frames["test"])
    priors = priors if priors is not None else data.priors()
    calibration = calibration_record(task.names, y_true, scores, frames["test"], priors)
    return {
        "schema_version": layout.SCHEMA_VERSION,
        "status": "complete",
        "config_sha256": config_fingerprint(cfg),
        "task": task.kind,
        "target": data.target,
        "threshold": Thresholds.of_record(data.thresholds).record,
        "label_cuts": data.label_cuts,  # label.bins / label.quantiles: each cut's quantile, value
        "label_names": list(task.names),
        "positive_class": task.positive,
        "cutoff": float(cfg.evaluate.cutoff) if task.binary else None,
        **({"ordinal": task.ordinal.record()} if task.ordinal else {}),
        "prevalence": {name: task.prevalence(m) for name, m in splits.items()},
        "class_counts": data.counts_before,
        "class_counts_after_sampling": data.counts_after,
        "data_checks": data.checks,
        "split": data.split_record,
        "training": {
            "epochs_run": trained.epochs_run,
            "best_epoch": trained.best_epoch,
            "threads": trained.threads,
            "seed": int(cfg.train.seed),
            "max_epochs": int(cfg.train.epochs),
            "monitor": trained.monitor,
            "early_stopping": trained.early_stopping,
            "monitor_best_epoch": trained.monitor_best_epoch,
            "monitor_best": trained.monitor_best,
            "batch_size": trained.batch_size,
            "min_steps": int(cfg.train.min_steps),
            "warmup_validation_rows": int(cfg.train.warmup_validation_rows),
            "warmup_epochs": trained.warmup_epochs,
            "reduce_lr_on_plateau": trained.reduce_lr_factor,
        },
        **splits,
        "calibration": calibration,
    }
