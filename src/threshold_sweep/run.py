"""One experiment run: prepare -> train -> evaluate -> write the run folder."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from threshold_sweep.config import validate_config
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.preload import preload
from threshold_sweep.prepare import PreparedData, prepare
from threshold_sweep.prepare.labels import threshold_text

log = logging.getLogger(__name__)

# Everything a run writes besides Hydra's .hydra/ and log: cleared when a job starts again.
RUN_FILES = (
    "metrics.json",
    "metrics.csv",
    "error.txt",
    "predictions.csv",
    "predictions_validation.csv",
    "predictions_train.csv",
    "test_ids.csv",
    "data_summary.json",
    "history.csv",
    "model.keras",
    "report.md",
    "report.html",
    "standardization.json",
    "timing.json",
)
EVALUATION_MODULES = (
    "threshold_sweep.evaluate.metrics",
    "threshold_sweep.evaluate.assess",
    "threshold_sweep.report.run_page",
    "threshold_sweep.report.run_page_multiclass",
)
RUN_FOLDERS = ("plots", "tensorboard")


def config_fingerprint(cfg: Any) -> str:
    """SHA-256 of the resolved config without what leaves the results alone.

    `resume` and `tracking` are left out, and so is `train.tensorboard` while false: runs made
    before these keys existed keep their fingerprint.
    """
    import hashlib

    resolved = OmegaConf.to_container(cfg, resolve=True)
    resolved.pop("resume", None)
    resolved.pop("tracking", None)
    if not resolved.get("train", {}).get("tensorboard", True):
        resolved["train"].pop("tensorboard")
    text = OmegaConf.to_yaml(OmegaConf.create(resolved))
    return hashlib.sha256(text.encode()).hexdigest()


def is_complete(out_dir: Path, cfg: Any) -> bool:
    """True when `out_dir` holds a finished run (metrics.json) of this very config."""
    import json

    path = Path(out_dir) / "metrics.json"
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

    for name in RUN_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name in RUN_FOLDERS:
        shutil.rmtree(out_dir / name, ignore_errors=True)


def _predictions_frame(
    data: PreparedData, rows: np.ndarray, scores: np.ndarray, cutoff: float
) -> pd.DataFrame:
    """id, x, y_true, y_score, y_pred (binary; 1 = positive) or score_<class> (multi-class)."""
    frame = pd.DataFrame(
        {"id": data.dataset.ids[rows], "x": data.dataset.x[rows], "y_true": data.y[rows]}
    )
    if scores.ndim == 1:
        from threshold_sweep.evaluate.metrics import predict_labels

        frame["y_score"] = scores
        frame["y_pred"] = predict_labels(scores, cutoff)
    else:
        frame["y_pred"] = np.argmax(scores, axis=1)
        for index in range(scores.shape[1]):
            frame[f"score_{index}"] = scores[:, index]
    return frame


def _split_metrics(frame: pd.DataFrame, names: list[str]) -> dict[str, Any]:
    """Binary or multi-class metrics of one predictions frame."""
    y_true, y_pred = frame["y_true"].to_numpy(), frame["y_pred"].to_numpy()
    if len(names) == 2:
        from threshold_sweep.evaluate.metrics import binary_metrics

        return binary_metrics(y_true, frame["y_score"].to_numpy(), y_pred, names)
    from threshold_sweep.evaluate.multiclass import multiclass_metrics, score_matrix

    return multiclass_metrics(y_true, score_matrix(frame), y_pred, names)


def _data_summary(data: PreparedData, cfg: Any) -> dict[str, Any]:
    """What data_summary.json records."""
    return {
        "source": data.dataset.source,
        "n_rows": len(data.dataset),
        "sequence_shape": list(data.dataset.X.shape[1:]),
        "target": data.dataset.target,
        "features": data.dataset.features or None,
        "ignored_columns": data.dataset.ignored_columns or None,
        "threshold": data.thresholds[0] if len(data.thresholds) == 1 else data.thresholds,
        "label_names": data.names,
        "positive_class": data.names[-1] if len(data.names) == 2 else None,
        "sampling": cfg.sampling.strategy.value,
        "class_weight": data.training.class_weight,
        "split_sizes": {name: len(rows) for name, rows in data.split.items()},
        "class_counts_before_sampling": data.counts_before,
        "class_counts_after_sampling": data.counts_after,
        "standardization": "per step and channel, training split statistics",
    }


def index_link(out_dir: Path, sweep_dir: Path | None) -> str | None:
    """The relative link from a run folder to its sweep's index.html (None outside a sweep)."""
    if sweep_dir is None:
        return None
    return Path(os.path.relpath(Path(sweep_dir) / "index.html", out_dir)).as_posix()


def run_experiment(
    cfg: Any,
    out_dir: Path,
    sweep_dir: Path | None = None,
    keras_callbacks: Callable[[], list[Any]] | None = None,
) -> dict[str, Any]:
    """Run every stage for one threshold (or list) and write the run folder.

    `sweep_dir` (the Hydra sweep folder of a multirun job) gives report.html its back link;
    `keras_callbacks` makes extra callbacks for model.fit, once TensorFlow is imported.
    """
    started = time.perf_counter()
    validate_config(cfg)
    out_dir = Path(out_dir)
    data = prepare(cfg)
    binary = len(data.names) == 2
    log.info(
        "threshold %s: %d rows; class counts %s; training rows after %s: %s",
        threshold_text(data.thresholds),
        len(data.dataset),
        data.counts_before,
        cfg.sampling.strategy.value,
        data.counts_after["train"],
    )
    if data.dataset.features:
        log.info(
            "features (%d, in sequence order): %s; ignored columns: %s",
            len(data.dataset.features),
            ", ".join(data.dataset.features),
            ", ".join(data.dataset.ignored_columns) or "none",
        )
    write_json(out_dir / "data_summary.json", _data_summary(data, cfg))
    write_csv(out_dir / "test_ids.csv", pd.DataFrame({"id": data.dataset.ids[data.split.test]}))
    prepared_at = time.perf_counter()

    import tensorflow  # noqa: F401  (first, alone: it takes seconds)

    from threshold_sweep.model.train import predict_scores, train_model

    # the evaluation stage imports scikit-learn and matplotlib while the model trains
    evaluation_imports = preload(EVALUATION_MODULES)
    fit_rows = data.training.indices
    trained = train_model(
        data.features(fit_rows),
        data.y[fit_rows],
        data.features(data.split.validation),
        data.y[data.split.validation],
        n_classes=len(data.names),
        class_weight=data.training.class_weight,
        model_cfg=cfg.model,
        train_cfg=cfg.train,
        history_path=out_dir / "history.csv",
        tensorboard_dir=out_dir / "tensorboard" if cfg.train.tensorboard else None,
        extra_callbacks=keras_callbacks() if keras_callbacks else (),
    )
    trained_at = time.perf_counter()
    evaluation_imports.join()
    cutoff = float(cfg.evaluate.cutoff)
    eval_rows = {
        "train": np.unique(fit_rows),  # the rows the model was fitted on
        "validation": data.split.validation,
        "test": data.split.test,
    }
    frames: dict[str, pd.DataFrame] = {}
    split_metrics: dict[str, dict[str, Any]] = {}
    # one predict call for the three splits: one traced function per job, not three
    all_rows = np.concatenate(list(eval_rows.values()))
    all_scores = predict_scores(
        trained.model, data.features(all_rows), cfg.train.predict_batch_size
    )
    ends = np.cumsum([len(rows) for rows in eval_rows.values()])
    for (name, rows), scores in zip(
        eval_rows.items(), np.split(all_scores, ends[:-1]), strict=True
    ):
        frames[name] = _predictions_frame(data, rows, scores, cutoff)
        split_metrics[name] = _split_metrics(frames[name], data.names)
    write_csv(out_dir / "predictions.csv", frames["test"])
    write_csv(out_dir / "predictions_validation.csv", frames["validation"])
    write_csv(out_dir / "predictions_train.csv", frames["train"])
    trained.model.save(out_dir / "model.keras")
    write_json(out_dir / "standardization.json", data.standardizer.to_dict())

    result: dict[str, Any] = {
        "status": "complete",
        "config_sha256": config_fingerprint(cfg),
        "task": "binary" if binary else "multiclass",
        "target": data.dataset.target,
        "threshold": data.thresholds[0] if binary else data.thresholds,
        "label_names": data.names,
        "positive_class": data.names[-1] if binary else None,
        "cutoff": cutoff if binary else None,
        "prevalence": {
            name: (m["prevalence"] if binary else m["class_shares"])
            for name, m in split_metrics.items()
        },
        "class_counts": data.counts_before,
        "class_counts_after_sampling": data.counts_after,
        "training": {
            "epochs_run": trained.epochs_run,
            "best_epoch": trained.best_epoch,
            "threads": trained.threads,
            "seed": int(cfg.train.seed),
            "max_epochs": int(cfg.train.epochs),
        },
        **split_metrics,
    }
    history = pd.read_csv(out_dir / "history.csv")
    config_yaml = OmegaConf.to_yaml(cfg, resolve=True)
    if binary:
        from threshold_sweep.evaluate.assess import assess
        from threshold_sweep.report.run_page import write_run_report

        result = assess(result, frames, cfg.evaluate)
        write_run_report(
            out_dir, result, history, frames, config_yaml, index_link(out_dir, sweep_dir)
        )
    else:
        from threshold_sweep.evaluate.assess import assess_multiclass
        from threshold_sweep.report.run_page_multiclass import write_multiclass_report

        result = assess_multiclass(result, frames, cfg.evaluate)
        write_multiclass_report(
            out_dir, result, history, frames, config_yaml, index_link(out_dir, sweep_dir)
        )
    finished = time.perf_counter()
    write_json(
        out_dir / "timing.json",
        {
            "prepare_seconds": prepared_at - started,
            "train_seconds": trained_at - prepared_at,
            "evaluate_report_seconds": finished - trained_at,
            "total_seconds": finished - started,
        },
    )
    write_csv(out_dir / "metrics.csv", pd.DataFrame([flatten_metrics(result)]))
    write_json(out_dir / "metrics.json", result)  # written last: marks the run complete
    headline = "roc_auc" if binary else "roc_auc_ovr"
    log.info(
        "test: ROC-AUC %.3f, balanced accuracy %.3f, accuracy %.3f -> %s",
        result["test"][headline],
        result["test"]["balanced_accuracy"],
        result["test"]["accuracy"],
        out_dir,
    )
    return result


def flatten_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """One flat row: threshold, prevalences and every scalar metric as split_metric."""
    threshold = result["threshold"]
    flat: dict[str, Any] = {
        "threshold": threshold_text(threshold) if isinstance(threshold, list) else threshold,
        "cutoff": result["cutoff"],
    }
    for split in ("train", "validation", "test"):
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
