"""A split=kfold run: one CNN (and reference models) per fold, evaluated on the pooled
out-of-fold predictions, so that every row is tested once by a model that did not train on it.

The headline metrics, their bootstrap CIs, the chance levels and the paired comparisons with
the reference models are computed as for a single split, on the first repeat's out-of-fold
predictions of every row (predictions.csv, one row per data row, with its `fold`); the
validation and training "splits" are every fold's validation and fitted rows, pooled. The
metrics.json `cross_validation` section adds each held-out fold's metrics (mean, sd, min,
max) and, with split.repeats > 1, each repeat's pooled metrics (predictions_repeats.csv holds
every repeat's out-of-fold predictions).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from threshold_sweep import layout
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.model.runtime import import_tensorflow
from threshold_sweep.preload import in_background, preload
from threshold_sweep.prepare import PreparedData, prepare_folds, split_method
from threshold_sweep.prepare.checks import pooled_checks
from threshold_sweep.prepare.folds import Fold
from threshold_sweep.prepare.labels import class_counts

log = logging.getLogger(__name__)

FOLD_METRICS = ("roc_auc", "balanced_accuracy", "accuracy", "mcc", "f1", "macro_f1", "qwk")


def fold_dir(out_dir: Path, fold: Fold) -> Path:
    """The folder of one fold's model, standardization and history."""
    return Path(out_dir) / layout.FOLDS / fold.name


def _fold_frames(
    fold: Fold,
    data: PreparedData,
    task: Task,
    cfg: Any,
    folder: Path,
    keras_callbacks: Callable[[], list[Any]] | None,
) -> tuple[dict[str, pd.DataFrame], Any, list[Any]]:
    """Train one fold's CNN beside its reference models; its frames (with the fold), model."""
    from threshold_sweep import run

    folder.mkdir(parents=True, exist_ok=True)
    fitting_references = in_background("references", run.fit_run_references, cfg, data)
    trained = run.train_run_model(cfg, data, folder, keras_callbacks)
    frames = run.score_splits(trained, data, task, cfg)
    trained.model.save(folder / layout.MODEL)
    write_json(folder / layout.STANDARDIZATION, data.standardizer.to_dict())
    frames = {
        name: frame.assign(repeat=fold.repeat + 1, fold=fold.index + 1)
        for name, frame in frames.items()
    }
    log.info(
        "fold %s: held-out ROC-AUC %s on %d rows",
        fold.name,
        _ranking_text(frames["test"], task),
        len(frames["test"]),
    )
    return frames, trained, fitting_references.result()


def _ranking_text(frame: pd.DataFrame, task: Task) -> str:
    """The held-out fold's ranking metric, as text (n/a when a class is missing)."""
    from threshold_sweep.evaluate.metrics import split_metrics

    value = split_metrics(*task.arrays(frame), task.names).get(task.ranking_metric)
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3f}"


def _pooled_frames(
    done: list[tuple[Fold, dict[str, pd.DataFrame]]], repeat: int
) -> dict[str, pd.DataFrame]:
    """One repeat's train, validation and out-of-fold test frames, every fold's pooled."""
    mine = [frames for fold, frames in done if fold.repeat == repeat]
    return {
        name: pd.concat([frames[name] for frames in mine], ignore_index=True)
        for name in layout.SPLITS
    }


def _pooled_references(done: list[tuple[Fold, list[Any]]]) -> list[Any]:
    """The first repeat's reference scores, every fold's held-out rows in fold order."""
    mine = [references for fold, references in done if fold.repeat == 0]
    pooled = []
    for position, first in enumerate(mine[0]):
        parts = [references[position] for references in mine]
        pooled.append(
            replace(
                first,
                scores=np.concatenate([part.scores for part in parts]),
                seconds=sum(part.seconds for part in parts),
                cpu_seconds=sum(part.cpu_seconds for part in parts),
            )
        )
    return pooled


def _spread(values: list[float]) -> dict[str, Any]:
    """Mean, sample sd, min, max and the values of a metric across folds or repeats."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return {"mean": None, "sd": None, "min": None, "max": None, "values": values}
    return {
        "mean": float(np.mean(finite)),
        "sd": float(np.std(finite, ddof=1)) if len(finite) > 1 else None,
        "min": float(np.min(finite)),
        "max": float(np.max(finite)),
        "values": [None if v is None or not np.isfinite(v) else float(v) for v in values],
    }


def cross_validation_section(
    done: list[tuple[Fold, dict[str, pd.DataFrame]]], task: Task, cfg: Any
) -> dict[str, Any]:
    """metrics.json's cross_validation: per held-out fold and per repeat metric spreads."""
    from threshold_sweep.evaluate.metrics import split_metrics

    def metrics(frame: pd.DataFrame) -> dict[str, Any]:
        return split_metrics(*task.arrays(frame), task.names)

    per_fold = [metrics(frames["test"]) for _, frames in done]
    repeats = int(cfg.split.repeats)
    per_repeat = [metrics(_pooled_frames(done, r)["test"]) for r in range(repeats)]
    names = [m for m in FOLD_METRICS if m in per_fold[0]]
    return {
        "folds": int(cfg.split.folds),
        "repeats": repeats,
        "tested": (
            "every row once per repeat, by the model of the fold that held it out; the headline "
            "metrics and CIs are the first repeat's pooled out-of-fold predictions"
        ),
        "fold_names": [fold.name for fold, _ in done],
        "held_out_rows": [int(m["n"]) for m in per_fold],
        "per_fold": {name: _spread([m.get(name) for m in per_fold]) for name in names},
        "per_repeat": {name: _spread([m.get(name) for m in per_repeat]) for name in names},
    }


def _pooled_data(first: PreparedData, done_data: list[tuple[Fold, PreparedData]]) -> Any:
    """The first fold's PreparedData with the first repeat's class counts and data checks
    (held-out rows seen in training, shared id values) summed over its folds."""
    mine = [data for fold, data in done_data if fold.repeat == 0]

    def summed(kind: str) -> dict[str, dict[str, int]]:
        return {
            split: {name: sum(getattr(d, kind)[split][name] for d in mine) for name in first.names}
            for split in layout.SPLITS
        }

    pooled = replace(first, counts_before=summed("counts_before"))
    splits = [data.split for data in mine]
    columns = first.dataset.repeated_columns
    checks = pooled_checks([data.checks for data in mine], splits, columns)
    return replace(pooled, counts_after=summed("counts_after"), checks=checks)


def kfold_record(cfg: Any, dataset: Any) -> dict[str, Any]:
    """metrics.json's split section of a k-fold or rolling-origin run (no drift test)."""
    rolling = split_method(cfg) == "rolling"
    return {
        "method": split_method(cfg),
        "folds": int(cfg.split.folds),
        "repeats": int(cfg.split.repeats),
        "order": dataset.order_name if rolling else None,
        "group": dataset.group,
        "stratified": not rolling,
        "drift": None,
    }


def _kfold_summary(first: PreparedData, done_data: list[tuple[Fold, PreparedData]], cfg: Any):
    """data_summary.json of a k-fold run: the data, and every fold's sizes and class counts."""
    from threshold_sweep import run

    summary = run.data_summary(first, cfg)
    summary["split_sizes"] = {"all": len(first.dataset)}
    summary["split_fractions"] = None
    rolling = split_method(cfg) == "rolling"
    summary["split"] = {
        **kfold_record(cfg, first.dataset),
        "per_fold": {
            fold.name: {
                "sizes": {name: len(rows) for name, rows in data.split.items()},
                "class_counts": data.counts_before,
                **({"time": data.split_record} if rolling else {}),
            }
            for fold, data in done_data
        },
    }
    if first.label_cuts is not None and not rolling:  # label.bins: as each row's fold made it
        held_out = [data.counts_before["test"] for fold, data in done_data if fold.repeat == 0]
        counts = {name: sum(c[name] for c in held_out) for name in first.names}
    else:
        counts = class_counts(first.y, first.names)
    summary["class_counts_before_sampling"] = {"all": counts}
    summary["class_counts_after_sampling"] = None
    return summary


def _log_folds(cfg: Any, n_rows: int, n_tested: int) -> None:
    """Say how the rows were dealt to the folds and how many get tested."""
    folds = int(cfg.split.folds)
    if split_method(cfg) == "rolling":
        log.info(
            "split=rolling: %d folds in data.order's order; %d of %d rows are tested, each by "
            "a model trained on earlier rows only (the earliest %d only train)",
            folds,
            n_tested,
            n_rows,
            n_rows - n_tested,
        )
        return
    log.info(
        "split=kfold: %d folds x %d repeats of %d rows; every row is tested once per repeat",
        folds,
        int(cfg.split.repeats),
        n_rows,
    )


def run_cross_validated(
    cfg: Any,
    out_dir: Path,
    sweep_dir: Path | None = None,
    keras_callbacks: Callable[[], list[Any]] | None = None,
) -> RunResult:
    """Every fold's CNN and references; the run folder of their pooled out-of-fold scores."""
    from threshold_sweep import run

    clock = run.Clock()
    out_dir = Path(out_dir)
    prepared = prepare_folds(cfg)
    first = prepared[0][1]
    task = Task.of_run(first.names, cfg.evaluate, first.thresholds)
    write_json(out_dir / layout.DATA_SUMMARY, _kfold_summary(first, prepared, cfg))
    held_out = np.sort(np.concatenate([d.split.test for f, d in prepared if f.repeat == 0]))
    write_csv(out_dir / layout.TEST_IDS, pd.DataFrame({"id": first.dataset.ids[held_out]}))
    _log_folds(cfg, len(first.dataset), len(held_out))
    clock.mark("prepare")
    import_tensorflow()
    evaluation_imports = preload(run.EVALUATION_MODULES)
    done, done_references, first_trained, epochs = [], [], None, []
    for fold, data in prepared:
        frames, trained, references = _fold_frames(
            fold, data, task, cfg, fold_dir(out_dir, fold), keras_callbacks
        )
        first_trained = first_trained or trained
        done.append((fold, frames))
        epochs.append({"best_epoch": trained.best_epoch, "epochs_run": trained.epochs_run})
        done_references.append((fold, references))
        if fold is not prepared[0][0]:
            trained.model = None  # only the first fold's model stays in memory
    clock.mark("train")
    evaluation_imports.join()
    frames = _pooled_frames(done, 0)
    for split, name in layout.PREDICTIONS.items():
        write_csv(out_dir / name, frames[split])
    if int(cfg.split.repeats) > 1:
        every = pd.concat([frames["test"] for _, frames in done], ignore_index=True)
        write_csv(out_dir / layout.REPEATS_PREDICTIONS, every)
    shutil.copyfile(fold_dir(out_dir, prepared[0][0]) / layout.HISTORY, out_dir / layout.HISTORY)
    clock.mark("score")
    pooled = _pooled_data(first, prepared)
    held_out = np.concatenate([d.split.test for f, d in prepared if f.repeat == 0])
    test_first = replace(first, split=replace(first.split, test=held_out))
    references = _pooled_references(done_references)
    run.write_reference_predictions(out_dir, test_first, task, references)
    clock.mark("reference")

    from threshold_sweep.evaluate.assess import assess
    from threshold_sweep.report.run_page import write_run_report

    summary = run.run_record(cfg, pooled, task, first_trained, frames)
    summary["split"] = kfold_record(cfg, first.dataset)
    summary["cross_validation"] = cross_validation_section(done, task, cfg)
    summary["cross_validation"]["training_per_fold"] = epochs  # `training` is the first fold's
    if split_method(cfg) == "rolling":  # which dates each fold trained on and tested
        summary["cross_validation"]["time"] = {
            fold.name: {"splits": data.split_record["splits"], "drift": data.split_record["drift"]}
            for fold, data in prepared
        }
    result = assess(summary, frames, cfg.evaluate, references)
    if "reference" in result:  # fitted once per fold, on that fold's training rows
        result["reference"]["n_train"] = round(
            result["reference"]["n_train"] / sum(fold.repeat == 0 for fold, _ in prepared)
        )
        result["reference"]["trained_on"] = "in each fold, " + result["reference"]["trained_on"]
    history = pd.read_csv(out_dir / layout.HISTORY)
    config_yaml = OmegaConf.to_yaml(cfg, resolve=True)
    write_run_report(
        out_dir, result, history, frames, config_yaml, run.index_link(out_dir, sweep_dir)
    )
    clock.mark("report")
    run.write_results(out_dir, result, clock, references)
    run.log_headline(result, out_dir)
    return result
