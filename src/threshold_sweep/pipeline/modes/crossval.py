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
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep import layout
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv
from threshold_sweep.model.reference import seen
from threshold_sweep.pipeline import stages
from threshold_sweep.pipeline.modes.base import Evaluation, Fitted, Prepared, Unit
from threshold_sweep.pipeline.record import DataRecord, data_summary, run_record
from threshold_sweep.prepare import PreparedData, prepare_folds, split_method
from threshold_sweep.prepare.checks import pooled_checks
from threshold_sweep.prepare.folds import Fold
from threshold_sweep.prepare.labels import class_counts

log = logging.getLogger(__name__)

FOLD_METRICS = ("roc_auc", "balanced_accuracy", "accuracy", "mcc", "f1", "macro_f1", "qwk")


def fold_dir(out_dir: Path, fold: Fold) -> Path:
    """The folder of one fold's model, standardization and history."""
    return Path(out_dir) / layout.FOLDS / fold.name


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
    """The first repeat's reference scores, every fold's held-out rows in fold order (each
    fitted on its fold's training rows: n_train and n_rows are the folds' means)."""
    mine = [references for fold, references in done if fold.repeat == 0]
    pooled = []
    for position, first in enumerate(mine[0]):
        parts = [references[position] for references in mine]
        n_train = round(np.mean([part.n_train for part in parts]))
        n_rows = round(np.mean([part.n_rows for part in parts]))
        pooled.append(
            replace(
                first,
                scores=np.concatenate([part.scores for part in parts]),
                seconds=sum(part.seconds for part in parts),
                cpu_seconds=sum(part.cpu_seconds for part in parts),
                n_train=n_train,
                n_rows=n_rows,
                sees=seen(first.model, n_train, n_rows, first.budget),
                trained_on="in each fold, " + first.trained_on,
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
    summary = data_summary(first, cfg.sampling.strategy.value)
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


def pooled_record(cfg: Any, prepared: list[tuple[Fold, PreparedData]]) -> DataRecord:
    """The first repeat's folds as one record: class counts and data checks (held-out rows
    seen in training, shared id values) summed over its folds, the k-fold split section."""
    first = prepared[0][1]
    mine = [data for fold, data in prepared if fold.repeat == 0]

    def summed(kind: str) -> dict[str, dict[str, int]]:
        return {
            split: {name: sum(getattr(d, kind)[split][name] for d in mine) for name in first.names}
            for split in layout.SPLITS
        }

    columns = first.dataset.repeated_columns
    checks = pooled_checks([data.checks for data in mine], [d.split for d in mine], columns)
    return replace(
        DataRecord.of(first),
        counts_before=summed("counts_before"),
        counts_after=summed("counts_after"),
        checks=checks,
        split_record=kfold_record(cfg, first.dataset),
    )


def _held_out(prepared: list[tuple[Fold, PreparedData]]) -> np.ndarray:
    """The first repeat's held-out rows, fold after fold."""
    return np.concatenate([data.split.test for fold, data in prepared if fold.repeat == 0])


def _time_section(prepared: list[tuple[Fold, PreparedData]]) -> dict[str, Any]:
    """split=rolling: which dates each fold trained on and tested, and its drift test."""
    return {
        fold.name: {"splits": data.split_record["splits"], "drift": data.split_record["drift"]}
        for fold, data in prepared
    }


class CrossValidated:
    """split=kfold / split=rolling: a model per fold, scored on the pooled held-out rows."""

    def units(self, cfg: Any, out_dir: Path) -> Prepared:
        """Every fold of every repeat, prepared on the data loaded once."""
        prepared = prepare_folds(cfg)
        first = prepared[0][1]
        task = Task.of_run(first.names, cfg.evaluate, first.thresholds)
        held_out = np.sort(_held_out(prepared))
        _log_folds(cfg, len(first.dataset), len(held_out))
        units = [Unit(data, fold_dir(out_dir, fold), fold) for fold, data in prepared]
        summary = _kfold_summary(first, prepared, cfg)
        return Prepared(units, task, summary, first.dataset.ids[held_out], prepared)

    def fit(self, cfg: Any, prepared: Prepared, unit: Unit, callbacks: Any) -> Fitted:
        """Train one fold's model, then fit its references; score and save it, keep its frames."""
        data, folder, fold = unit.data, unit.folder, unit.fold
        folder.mkdir(parents=True, exist_ok=True)
        names = stages.reference_names(cfg.evaluate)
        trained = stages.train_run_model(cfg.model, cfg.train, data, folder, callbacks)
        references = stages.fit_run_references(names, cfg.train, data)  # after: see stages
        batch_size, cutoff = cfg.train.predict_batch_size, cfg.evaluate.cutoff
        frames = stages.score_splits(trained, data, prepared.task, cutoff, batch_size)
        stages.save_model(folder, trained, data)
        frames = {
            name: frame.assign(repeat=fold.repeat + 1, fold=fold.index + 1)
            for name, frame in frames.items()
        }
        log.info(
            "fold %s: held-out ROC-AUC %s on %d rows",
            fold.name,
            _ranking_text(frames["test"], prepared.task),
            len(frames["test"]),
        )
        if unit is not prepared.units[0]:
            trained.model = None  # only the first fold's model stays in memory
        return Fitted(unit, trained, frames, references)

    def combine(self, cfg: Any, prepared: Prepared, fitted: list[Fitted]) -> Evaluation:
        """The first repeat's pooled out-of-fold frames and references, the folds' spread."""
        done = [(one.unit.fold, one.frames) for one in fitted]
        frames = _pooled_frames(done, 0)
        references = _pooled_references([(one.unit.fold, one.references) for one in fitted])
        record = run_record(
            cfg, pooled_record(cfg, prepared.context), prepared.task, fitted[0].trained, frames
        )
        section = cross_validation_section(done, prepared.task, cfg)
        section["training_per_fold"] = [  # `training` is the first fold's
            {"best_epoch": one.trained.best_epoch, "epochs_run": one.trained.epochs_run}
            for one in fitted
        ]
        if split_method(cfg) == "rolling":
            section["time"] = _time_section(prepared.context)
        record["cross_validation"] = section
        every = pd.concat([one.frames["test"] for one in fitted], ignore_index=True)
        return Evaluation(record, frames, references, {"every": every})

    def write_extra(self, out_dir: Path, cfg: Any, evaluation: Evaluation) -> None:
        """Every repeat's out-of-fold predictions (split.repeats > 1)."""
        if int(cfg.split.repeats) > 1:
            write_csv(out_dir / layout.REPEATS_PREDICTIONS, evaluation.extra["every"])
