"""One experiment run: prepare -> train -> evaluate -> write the run folder."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from threshold_sweep import layout
from threshold_sweep.config import model_head, validate_config
from threshold_sweep.evaluate.calibration import Priors, calibration_record, natural_frame
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.model.runtime import import_tensorflow
from threshold_sweep.preload import in_background, preload
from threshold_sweep.prepare import PreparedData, prepare, split_method
from threshold_sweep.results.rows import flatten_metrics
from threshold_sweep.thresholds import threshold_text, threshold_value

log = logging.getLogger(__name__)

EVALUATION_MODULES = (
    "threshold_sweep.evaluate.metrics",
    "threshold_sweep.evaluate.assess",
    "threshold_sweep.report.run_page",
)


def config_fingerprint(cfg: Any) -> str:
    """SHA-256 of the resolved config without what leaves the results alone.

    `resume` and `tracking` are left out, and so are `train.tensorboard` while false,
    `data.group` / `data.group_key` / `data.order` while null, `split.method` while random and
    `split.folds` / `split.repeats` unless it is kfold, `evaluate.within` while [1],
    `evaluate.ordinal_prediction` while argmax, `label.bins` / `label.quantiles` while null and
    `model.head` / `model.head_consistency` while probability / rank_consistent and
    `evaluate.compare_thresholds` while null:
    runs made before these keys existed keep their fingerprint.
    """
    import hashlib

    resolved = OmegaConf.to_container(cfg, resolve=True)
    resolved.pop("resume", None)
    resolved.pop("tracking", None)
    if not resolved.get("train", {}).get("tensorboard", True):
        resolved["train"].pop("tensorboard")
    data = resolved.get("data")
    for key in ("group", "group_key", "order"):
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


@dataclass
class Clock:
    """Seconds since the run started, at each named step (timing.json)."""

    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, step: str) -> None:
        """Record that `step` ended now."""
        self.marks[step] = time.perf_counter()

    def seconds(self) -> dict[str, float]:
        """prepare, train, score, reference-model and evaluate/report seconds, and the total."""
        prepared, trained, scored = self.marks["prepare"], self.marks["train"], self.marks["score"]
        referenced, finished = self.marks["reference"], self.marks["report"]
        return {
            "prepare_seconds": prepared - self.started,
            "train_seconds": trained - prepared,
            "score_seconds": scored - trained,
            "reference_seconds": referenced - scored,
            "evaluate_report_seconds": finished - referenced,
            "total_seconds": finished - self.started,
        }


def run_priors(data: PreparedData) -> Priors:
    """The training split's class shares before sampling and those the model trained at."""
    counts = data.counts_before["train"], data.counts_after["train"]
    return Priors.of_counts(data.names, *counts, data.training.class_weight)


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


def log_prepared(data: PreparedData, cfg: Any) -> None:
    """The class counts before and after sampling, and the features used."""
    log.info(
        "%s: %d rows; %s",
        _thresholds_logged(data.thresholds),
        len(data.dataset),
        class_counts_text(
            data.counts_before, data.counts_after["train"], cfg.sampling.strategy.value
        ),
    )
    if data.dataset.features:
        log.info(
            "features (%d, in sequence order): %s; ignored columns: %s",
            len(data.dataset.features),
            ", ".join(data.dataset.features),
            ", ".join(data.dataset.ignored_columns) or "none",
        )
    group = data.checks["group"]
    if group is not None:
        fractions, groups = data.split.fractions(), group["groups"]
        log.info(
            "split by %s (%d groups, each in one split): train %.1f%%, validation %.1f%%, "
            "test %.1f%% of the rows (split.validation_fraction=%g, split.test_fraction=%g); "
            "groups %d / %d / %d",
            group["column"],
            group["n_groups"],
            *(100 * fractions[name] for name in ("train", "validation", "test")),
            cfg.split.validation_fraction,
            cfg.split.test_fraction,
            *(groups[name] for name in ("train", "validation", "test")),
        )
    if data.split_record["method"] == "time":
        _log_time_split(data)


LOGGED_CLASSES = 6  # above this many classes the log gives the count range, not every class


def _thresholds_logged(thresholds: list[float]) -> str:
    """'threshold 100', or '50 thresholds from 6.66 to 2557' above LOGGED_CLASSES classes."""
    if len(thresholds) < LOGGED_CLASSES:
        return f"threshold {threshold_text(thresholds)}"
    return f"{len(thresholds)} thresholds from {thresholds[0]:g} to {thresholds[-1]:g}"


SHORT_NAMES = 40  # class names longer than this in all are not spelled out in the log line


def _counts_logged(counts: dict[str, int]) -> str:
    """'1256 / 1544', or '20 to 27 rows a class' above LOGGED_CLASSES classes."""
    values = list(counts.values())
    if len(values) <= LOGGED_CLASSES:
        return " / ".join(str(value) for value in values)
    return f"{min(values)} to {max(values)} rows a class"


def _classes_logged(names: list[str]) -> str:
    """'low / high', '5 classes, lowest x first' when the names are long, or '51 classes'."""
    if len(names) > LOGGED_CLASSES:
        return f"{len(names)} classes"
    if len(" / ".join(names)) <= SHORT_NAMES:
        return " / ".join(names)
    return f"{len(names)} classes, lowest x first"


def class_counts_text(before: dict[str, dict[str, int]], after: dict[str, int], how: str) -> str:
    """One short line of class counts: 'class counts low / high: train 1256 / 1544;
    validation 270 / 330; test 270 / 330; training rows after undersample: 1256 / 1256'."""
    splits = "; ".join(f"{split} {_counts_logged(counts)}" for split, counts in before.items())
    sampled = (
        f"training rows as they are (sampling {how})"
        if after == before.get("train")
        else f"training rows after {how}: {_counts_logged(after)}"
    )
    return f"class counts {_classes_logged(list(after))}: {splits}; {sampled}"


def _log_time_split(data: PreparedData) -> None:
    """Each split's order range, rows and class shares."""
    record = data.split_record
    parts = [
        f"{name} {part['first']} to {part['last']} ({part['rows']} rows, "
        + ", ".join(f"{label} {share:.1%}" for label, share in part["class_shares"].items())
        + ")"
        for name, part in record["splits"].items()
    ]
    log.info("time-ordered split on %s: %s", record["order"], "; ".join(parts))


def write_prepared(out_dir: Path, data: PreparedData, cfg: Any) -> None:
    """data_summary.json and the test rows' ids, before training starts."""
    write_json(out_dir / layout.DATA_SUMMARY, data_summary(data, cfg))
    test_ids = pd.DataFrame({"id": data.dataset.ids[data.split.test]})
    write_csv(out_dir / layout.TEST_IDS, test_ids)


def train_run_model(
    cfg: Any,
    data: PreparedData,
    out_dir: Path,
    keras_callbacks: Callable[[], list[Any]] | None,
    cumulative: Any = None,
) -> Any:
    """Fit the model on the (resampled) training rows, validating on the validation split
    (`cumulative`: a model.head=cumulative fit, model.train.CumulativeFit)."""
    from threshold_sweep.model.train import train_model

    fit_rows = data.training.indices
    return train_model(
        data.features(fit_rows),
        data.y[fit_rows],
        data.features(data.split.validation),
        data.y[data.split.validation],
        n_classes=len(data.names),
        class_weight=data.training.class_weight,
        model_cfg=cfg.model,
        train_cfg=cfg.train,
        history_path=out_dir / layout.HISTORY,
        tensorboard_dir=out_dir / layout.TENSORBOARD if cfg.train.tensorboard else None,
        extra_callbacks=keras_callbacks() if keras_callbacks else (),
        cumulative=cumulative,
    )


def score_splits(trained: Any, data: PreparedData, task: Task, cfg: Any) -> dict[str, pd.DataFrame]:
    """Predictions of the train (fitted rows), validation and test splits."""
    from threshold_sweep.model.train import predict_scores

    eval_rows = {
        "train": np.unique(data.training.indices),  # the rows the model was fitted on
        "validation": data.split.validation,
        "test": data.split.test,
    }
    # one predict call for the three splits: one traced function per job, not three
    all_rows = np.concatenate(list(eval_rows.values()))
    all_scores = predict_scores(
        trained.model, data.features(all_rows), cfg.train.predict_batch_size
    )
    ends = np.cumsum([len(rows) for rows in eval_rows.values()])
    cutoff, priors = float(cfg.evaluate.cutoff), run_priors(data)
    return {
        name: predictions_frame(data, task, rows, scores, cutoff, priors)
        for (name, rows), scores in zip(
            eval_rows.items(), np.split(all_scores, ends[:-1]), strict=True
        )
    }


def write_model_outputs(
    out_dir: Path, frames: dict[str, pd.DataFrame], trained: Any, data: PreparedData
) -> None:
    """The three predictions files, model.keras and the standardization statistics."""
    for split, name in layout.PREDICTIONS.items():
        write_csv(out_dir / name, frames[split])
    trained.model.save(out_dir / layout.MODEL)
    write_json(out_dir / layout.STANDARDIZATION, data.standardizer.to_dict())


def reference_threads(cfg: Any) -> int:
    """Cores for the reference models, which fit while the CNN trains: half the job's cores.

    Measured on 2 cores: the CNN's training keeps about one of them busy on average, so one
    thread of trees beside it costs the run little wall time; as many threads as the CNN's
    would oversubscribe the cores, which slows OpenMP's trees many times over.
    """
    return max(1, int(cfg.train.threads) // 2)  # train.threads: this job's cores (set by the CLI)


def fit_run_references(cfg: Any, data: PreparedData) -> list[Any]:
    """The reference models, fitted on the natural training split and scored on the test rows."""
    from threshold_sweep.model.reference import ReferenceRows, fit_references

    names = [getattr(name, "value", name) for name in cfg.evaluate.reference]
    train, validation, test = data.split.train, data.split.validation, data.split.test
    rows = ReferenceRows(
        data.features(train),
        data.y[train],
        data.features(validation),
        data.y[validation],
        data.features(test),
    )
    return fit_references(names, rows, int(cfg.train.seed), reference_threads(cfg))


def write_reference_predictions(
    out_dir: Path, data: PreparedData, task: Task, references: list[Any]
) -> None:
    """predictions_reference.csv: every reference model's test scores (none: no file)."""
    if not references:
        return
    test = data.split.test
    frame = pd.DataFrame({"id": data.dataset.ids[test], "y_true": data.y[test]})
    for reference in references:
        columns = task.score_frame(reference.scores)
        frame = frame.assign(**{f"{reference.model.name}_{c}": v for c, v in columns.items()})
    write_csv(out_dir / layout.REFERENCE_PREDICTIONS, frame)


def run_record(
    cfg: Any,
    data: PreparedData,
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
    priors = priors if priors is not None else run_priors(data)
    calibration = calibration_record(task.names, y_true, scores, frames["test"], priors)
    return {
        "schema_version": layout.SCHEMA_VERSION,
        "status": "complete",
        "config_sha256": config_fingerprint(cfg),
        "task": task.kind,
        "target": data.dataset.target,
        "threshold": threshold_value(data.thresholds),
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
            "reduce_lr_on_plateau": trained.reduce_lr_factor,
        },
        **splits,
        "calibration": calibration,
    }


def write_results(out_dir: Path, result: RunResult, clock: Clock, references: list[Any]) -> None:
    """timing.json, metrics.csv and, last, metrics.json (which marks the run complete)."""
    reference_models = {
        reference.model.name: {
            "seconds": reference.seconds,
            "cpu_seconds": reference.cpu_seconds,
        }
        for reference in references
    }
    write_json(out_dir / layout.TIMING, clock.seconds() | {"reference_models": reference_models})
    write_csv(out_dir / layout.METRICS_CSV, pd.DataFrame([flatten_metrics(result)]))
    write_json(out_dir / layout.METRICS_JSON, result)


def log_headline(result: RunResult, out_dir: Path) -> None:
    """One line of test metrics and the report to open."""
    test = result["test"]
    log.info(
        "test: ROC-AUC %.3f, balanced accuracy %.3f, accuracy %.3f -> open %s (or read %s)",
        test[Task.of(result).ranking_metric],
        test["balanced_accuracy"],
        test["accuracy"],
        out_dir / layout.REPORT_HTML,
        out_dir / layout.REPORT_MD,
    )


def run_experiment(
    cfg: Any,
    out_dir: Path,
    sweep_dir: Path | None = None,
    keras_callbacks: Callable[[], list[Any]] | None = None,
) -> RunResult:
    """Run every stage for one threshold (or list) and write the run folder.

    `sweep_dir` (the Hydra sweep folder of a multirun job) gives report.html its back link;
    `keras_callbacks` makes extra callbacks for model.fit, once TensorFlow is imported.
    """
    validate_config(cfg)
    if model_head(cfg.model)[0] == "cumulative":
        from threshold_sweep.cumulative_run import run_cumulative

        return run_cumulative(cfg, out_dir, sweep_dir, keras_callbacks)
    if split_method(cfg) in ("kfold", "rolling"):
        from threshold_sweep.cross_validation import run_cross_validated

        return run_cross_validated(cfg, out_dir, sweep_dir, keras_callbacks)
    clock = Clock()
    out_dir = Path(out_dir)
    data = prepare(cfg)
    task = Task.of_run(data.names, cfg.evaluate, data.thresholds)
    log_prepared(data, cfg)
    write_prepared(out_dir, data, cfg)
    clock.mark("prepare")
    import_tensorflow()  # first, alone: it takes seconds

    # while the model trains: the evaluation stage's imports, the reference models' fits
    evaluation_imports = preload(EVALUATION_MODULES)
    fitting_references = in_background("references", fit_run_references, cfg, data)
    trained = train_run_model(cfg, data, out_dir, keras_callbacks)
    clock.mark("train")
    evaluation_imports.join()
    frames = score_splits(trained, data, task, cfg)
    write_model_outputs(out_dir, frames, trained, data)
    clock.mark("score")
    references = fitting_references.result()  # the wait, if they take longer than the CNN
    write_reference_predictions(out_dir, data, task, references)
    clock.mark("reference")

    from threshold_sweep.evaluate.assess import assess
    from threshold_sweep.report.run_page import write_run_report

    result = assess(run_record(cfg, data, task, trained, frames), frames, cfg.evaluate, references)
    history = pd.read_csv(out_dir / layout.HISTORY)
    config_yaml = OmegaConf.to_yaml(cfg, resolve=True)
    write_run_report(out_dir, result, history, frames, config_yaml, index_link(out_dir, sweep_dir))
    clock.mark("report")
    write_results(out_dir, result, clock, references)
    log_headline(result, out_dir)
    return result


def data_summary(data: PreparedData, cfg: Any) -> dict[str, Any]:
    """What data_summary.json records."""
    return {
        "source": data.dataset.source,
        "n_rows": len(data.dataset),
        "sequence_shape": list(data.dataset.X.shape[1:]),
        "target": data.dataset.target,
        "features": data.dataset.features or None,
        "ignored_columns": data.dataset.ignored_columns or None,
        "threshold": threshold_value(data.thresholds),
        "label_cuts": data.label_cuts,
        "label_names": data.names,
        "positive_class": data.names[-1] if len(data.names) == 2 else None,
        "sampling": cfg.sampling.strategy.value,
        "class_weight": data.training.class_weight,
        "split_sizes": {name: len(rows) for name, rows in data.split.items()},
        "split_fractions": {name: round(f, 4) for name, f in data.split.fractions().items()},
        "group": data.checks["group"],
        "split": data.split_record,
        "class_counts_before_sampling": data.counts_before,
        "class_counts_after_sampling": data.counts_after,
        "standardization": "per step and channel, training split statistics",
    }


def index_link(out_dir: Path, sweep_dir: Path | None) -> str | None:
    """The relative link from a run folder to its sweep's index.html (None outside a sweep)."""
    if sweep_dir is None:
        return None
    return Path(os.path.relpath(Path(sweep_dir) / layout.INDEX_HTML, out_dir)).as_posix()
