"""The stages every run mode uses: train, score, fit the references, write the run folder."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep import layout
from threshold_sweep.conf.schema import EvaluateConfig, TrainConfig
from threshold_sweep.evaluate.calibration import Priors, natural_frame
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.pipeline.record import Clock, run_priors
from threshold_sweep.preload import Later
from threshold_sweep.prepare import PreparedData
from threshold_sweep.results.rows import flatten_metrics

log = logging.getLogger(__name__)

KerasCallbacks = Callable[[], list[Any]] | None  # makes extra model.fit callbacks, once TF is in


def predictions_frame(
    data: PreparedData,
    task: Task,
    rows: np.ndarray,
    scores: np.ndarray,
    cutoff: float,
    priors: Priors | None = None,
) -> pd.DataFrame:
    """id, x, y_true, the task's score columns and y_pred of some rows, then, when `priors`
    shifted, the scores at the natural class balance (p_natural or p_natural_<i>, last)."""
    frame = pd.DataFrame(
        {"id": data.dataset.ids[rows], "x": data.dataset.x[rows], "y_true": data.y[rows]}
    )
    predicted = task.predicted_classes(scores, cutoff)
    natural = natural_frame(scores, priors) if priors is not None else {}
    if task.binary:  # the column order predictions.csv has always had
        return frame.assign(y_score=scores, y_pred=predicted, **natural)
    columns = pd.DataFrame(task.score_frame(scores) | natural, index=frame.index)
    # joined at once: 100 class columns assigned one by one fragment the frame (pandas warns)
    return pd.concat([frame.assign(y_pred=predicted), columns], axis=1)


def split_frames(
    data: PreparedData,
    task: Task,
    rows: dict[str, np.ndarray],
    scores: dict[str, np.ndarray],
    cutoff: float,
    priors: Priors,
) -> dict[str, pd.DataFrame]:
    """The predictions frame of every split from its rows and scores."""
    return {
        name: predictions_frame(data, task, rows[name], scores[name], cutoff, priors)
        for name in rows
    }


def write_test_ids(out_dir: Path, ids: np.ndarray) -> None:
    """test_ids.csv: the ids of the rows the run tests, before training starts."""
    write_csv(out_dir / layout.TEST_IDS, pd.DataFrame({"id": ids}))


def train_run_model(
    model_cfg: Any,  # conf.schema.ModelConfig, FCNConfig, ... or a custom builder's
    train_cfg: TrainConfig,
    data: PreparedData,
    out_dir: Path,
    keras_callbacks: KerasCallbacks,
    head_fit: Any = None,
) -> Any:
    """Fit the model on the (resampled) training rows, validating on the validation split
    (`head_fit`: a head other than class probabilities, model.train.HeadFit)."""
    from threshold_sweep.model.train import train_model

    fit_rows = data.training.indices
    return train_model(
        data.features(fit_rows),
        data.y[fit_rows],
        data.features(data.split.validation),
        data.y[data.split.validation],
        n_classes=len(data.names),
        class_weight=data.training.class_weight,
        model_cfg=model_cfg,
        train_cfg=train_cfg,
        history_path=out_dir / layout.HISTORY,
        tensorboard_dir=out_dir / layout.TENSORBOARD if train_cfg.tensorboard else None,
        extra_callbacks=keras_callbacks() if keras_callbacks else (),
        head_fit=head_fit,
    )


def predict_rows(
    trained: Any, data: PreparedData, rows: dict[str, np.ndarray], batch_size: int
) -> dict[str, np.ndarray]:
    """Every split's scores from one predict call (one traced function per job, not three)."""
    from threshold_sweep.model.train import predict_scores

    everything = np.concatenate(list(rows.values()))
    scores = predict_scores(trained.model, data.features(everything), batch_size)
    ends = np.cumsum([len(r) for r in rows.values()])[:-1]
    return dict(zip(rows, np.split(scores, ends), strict=True))


def evaluated_rows(data: PreparedData) -> dict[str, np.ndarray]:
    """The rows each split's predictions hold: train, the rows the model was fitted on."""
    return {
        "train": np.unique(data.training.indices),
        "validation": data.split.validation,
        "test": data.split.test,
    }


def score_splits(
    trained: Any, data: PreparedData, task: Task, cutoff: float, batch_size: int
) -> dict[str, pd.DataFrame]:
    """Predictions of the train (fitted rows), validation and test splits."""
    rows = evaluated_rows(data)
    scores = predict_rows(trained, data, rows, batch_size)
    return split_frames(data, task, rows, scores, float(cutoff), run_priors(data))


def save_model(folder: Path, trained: Any, data: PreparedData) -> None:
    """model.keras and the standardization statistics it needs."""
    trained.model.save(folder / layout.MODEL)
    write_json(folder / layout.STANDARDIZATION, data.standardizer.to_dict())


def write_predictions(out_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    """The three predictions files."""
    for split, name in layout.PREDICTIONS.items():
        write_csv(out_dir / name, frames[split])


def reference_threads(train_cfg: TrainConfig) -> int:
    """Threads for the reference models, which fit after the CNN's training: one.

    Measured on 2 cores shared with other work (docs/benchmarks.md, "Cost of a run against a
    bare Keras script"; medians of 2 alternated runs, 10 epochs on 20,000 x 128): fitted
    beside the training on one thread they slowed it (train_seconds 53 s against 42 s) and
    the run used 38.0 CPU s against 36.6 s after it; after it on two threads, OpenMP's trees
    spun on the busy cores (7.4-8.8 CPU s against 2.3-2.5 s on one thread; the run 58.1 s).
    Training on 1 thread beside them (threads adding up to the cores) changed the CNN's
    scores (test ROC-AUC 0.9088 against 0.9132). What the choice adds to the wall time is
    the references' own fit.
    """
    return 1


def reference_names(evaluate_cfg: EvaluateConfig) -> list[str]:
    """evaluate.reference as text."""
    return [getattr(name, "value", name) for name in evaluate_cfg.reference]


def skipped_run_references(evaluate_cfg: EvaluateConfig, data: PreparedData) -> dict[str, str]:
    """The configured reference models that cannot run on these data, each logged once with
    why (the modes' fits leave them out)."""
    from threshold_sweep.model.reference import skipped_references

    skipped = skipped_references(reference_names(evaluate_cfg), data.dataset.X.shape[1])
    for name, reason in skipped.items():
        log.info("reference %s skipped: %s", name, reason)
    return skipped


def resolved(references: list[Any] | Later[list[Any]]) -> list[Any]:
    """The fitted reference models, fitting them now if they were put off (`Later`)."""
    return references.result() if isinstance(references, Later) else references


def fit_run_references(
    names: list[str], train_cfg: TrainConfig, data: PreparedData, ordered: bool = False
) -> list[Any]:
    """The reference models `names`, fitted on the natural training split and scored on the
    test rows (seed and threads from train.*; `ordered`: the classes are known to be ordered,
    and 3+ of them get the models' rank regressions)."""
    from threshold_sweep.model.reference import ReferenceRows, fit_references

    train, validation, test = data.split.train, data.split.validation, data.split.test
    rows = ReferenceRows(
        data.features(train),
        data.y[train],
        data.features(validation),
        data.y[validation],
        data.features(test),
        ordered,
    )
    return fit_references(names, rows, int(train_cfg.seed), reference_threads(train_cfg))


def write_reference_predictions(
    out_dir: Path, test: pd.DataFrame, task: Task, references: list[Any]
) -> None:
    """predictions_reference.csv: the test rows' ids and labels, every reference model's
    scores (none: no file)."""
    if not references:
        return
    frame = test[["id", "y_true"]].reset_index(drop=True)
    for reference in references:
        columns = task.score_frame(reference.scores)
        frame = frame.assign(**{f"{reference.model.name}_{c}": v for c, v in columns.items()})
    write_csv(out_dir / layout.REFERENCE_PREDICTIONS, frame)


def index_link(out_dir: Path, sweep_dir: Path | None) -> str | None:
    """The relative link from a run folder to its sweep's index.html (None outside a sweep)."""
    if sweep_dir is None:
        return None
    return Path(os.path.relpath(Path(sweep_dir) / layout.INDEX_HTML, out_dir)).as_posix()


def write_report(
    out_dir: Path,
    result: RunResult,
    frames: dict[str, pd.DataFrame],
    config_yaml: str,
    link: str | None,
    shared_curves: Path | None = None,
) -> None:
    """report.md, report.html and the plots of a run folder."""
    from threshold_sweep.report.run_page import write_run_report

    history = pd.read_csv(history_path(out_dir, shared_curves))
    write_run_report(out_dir, result, history, frames, config_yaml, link, shared_curves)


def history_path(out_dir: Path, shared_curves: Path | None) -> Path:
    """history.csv of the run folder, or of the run whose training curves it shares."""
    if shared_curves is None:
        return out_dir / layout.HISTORY
    return shared_curves.parents[1] / layout.HISTORY


def write_results(out_dir: Path, result: RunResult, clock: Clock | None, references: list) -> None:
    """timing.json (with a clock), metrics.csv and, last, metrics.json (marks the run complete)."""
    if clock is not None:
        reference_models = {
            reference.model.name: {
                "seconds": reference.seconds,
                "cpu_seconds": reference.cpu_seconds,
            }
            for reference in references
        }
        timing = clock.seconds() | {"reference_models": reference_models}
        write_json(out_dir / layout.TIMING, timing)
    write_csv(out_dir / layout.METRICS_CSV, pd.DataFrame([flatten_metrics(result)]))
    write_json(out_dir / layout.METRICS_JSON, result)
