"""One experiment run: prepare -> train -> evaluate -> write the run folder."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from threshold_sweep.assess import assess
from threshold_sweep.config import validate_config
from threshold_sweep.evaluate import binary_metrics, predict_labels
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.prepare import PreparedData, prepare
from threshold_sweep.report import write_run_report

log = logging.getLogger(__name__)


def _predictions_frame(
    data: PreparedData, rows: np.ndarray, y_score: np.ndarray, cutoff: float
) -> pd.DataFrame:
    """id, x, y_true, y_score, y_pred for the given rows (1 = positive class)."""
    return pd.DataFrame(
        {
            "id": data.dataset.ids[rows],
            "x": data.dataset.x[rows],
            "y_true": data.y[rows],
            "y_score": y_score,
            "y_pred": predict_labels(y_score, cutoff),
        }
    )


def run_experiment(cfg: Any, out_dir: Path) -> dict[str, Any]:
    """Run every stage for one threshold and write the run folder; return metrics.json's data."""
    started = time.perf_counter()
    validate_config(cfg)
    out_dir = Path(out_dir)
    data = prepare(cfg)
    threshold = float(cfg.label.threshold)
    log.info(
        "threshold %g: %d rows; class counts %s; training rows after %s: %s",
        threshold,
        len(data.dataset),
        data.counts_before,
        cfg.sampling.strategy.value,
        data.counts_after["train"],
    )
    write_json(
        out_dir / "data_summary.json",
        {
            "source": data.dataset.source,
            "n_rows": len(data.dataset),
            "sequence_shape": list(data.dataset.X.shape[1:]),
            "threshold": threshold,
            "label_names": data.names,
            "positive_class": data.names[-1],
            "sampling": cfg.sampling.strategy.value,
            "class_weight": data.training.class_weight,
            "split_sizes": {name: len(rows) for name, rows in data.split.items()},
            "class_counts_before_sampling": data.counts_before,
            "class_counts_after_sampling": data.counts_after,
            "standardization": "per step and channel, training split statistics",
        },
    )
    write_csv(out_dir / "test_ids.csv", pd.DataFrame({"id": data.dataset.ids[data.split.test]}))
    prepared_at = time.perf_counter()

    from threshold_sweep.train import predict_scores, train_model  # imports TensorFlow

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
    )
    trained_at = time.perf_counter()
    cutoff = float(cfg.evaluate.cutoff)
    eval_rows = {
        "train": np.unique(fit_rows),  # the rows the model was fitted on
        "validation": data.split.validation,
        "test": data.split.test,
    }
    frames: dict[str, pd.DataFrame] = {}
    split_metrics: dict[str, dict[str, Any]] = {}
    for name, rows in eval_rows.items():
        scores = predict_scores(trained.model, data.features(rows), cfg.train.predict_batch_size)
        frames[name] = _predictions_frame(data, rows, scores, cutoff)
        split_metrics[name] = binary_metrics(
            frames[name]["y_true"].to_numpy(),
            frames[name]["y_score"].to_numpy(),
            frames[name]["y_pred"].to_numpy(),
            data.names,
        )
    write_csv(out_dir / "predictions.csv", frames["test"])
    write_csv(out_dir / "predictions_validation.csv", frames["validation"])
    write_csv(out_dir / "predictions_train.csv", frames["train"])
    trained.model.save(out_dir / "model.keras")
    write_json(out_dir / "standardization.json", data.standardizer.to_dict())

    result: dict[str, Any] = {
        "status": "complete",
        "threshold": threshold,
        "label_names": data.names,
        "positive_class": data.names[-1],
        "cutoff": cutoff,
        "prevalence": {name: split_metrics[name]["prevalence"] for name in eval_rows},
        "class_counts": data.counts_before,
        "class_counts_after_sampling": data.counts_after,
        "training": {
            "epochs_run": trained.epochs_run,
            "best_epoch": trained.best_epoch,
            "threads": trained.threads,
            "seed": int(cfg.train.seed),
        },
        "train": split_metrics["train"],
        "validation": split_metrics["validation"],
        "test": split_metrics["test"],
    }
    result = assess(result, frames, cfg.evaluate)
    history = pd.read_csv(out_dir / "history.csv")
    write_run_report(out_dir, result, history, frames, OmegaConf.to_yaml(cfg, resolve=True))
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
    flat = flatten_metrics(result)
    write_csv(out_dir / "metrics.csv", pd.DataFrame([flat]))
    write_json(out_dir / "metrics.json", result)  # written last: marks the run complete
    log.info(
        "test: ROC-AUC %.3f, balanced accuracy %.3f, F1 %.3f (prevalence %.3f) -> %s",
        result["test"]["roc_auc"],
        result["test"]["balanced_accuracy"],
        result["test"]["f1"],
        result["prevalence"]["test"],
        out_dir,
    )
    return result


def flatten_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """One flat row: threshold, prevalences and every scalar metric as split_metric."""
    flat: dict[str, Any] = {"threshold": result["threshold"], "cutoff": result["cutoff"]}
    for split in ("train", "validation", "test"):
        flat[f"{split}_prevalence"] = result["prevalence"][split]
        for key, value in result[split].items():
            if isinstance(value, int | float) and key != "prevalence":
                flat[f"{split}_{key}"] = value
        (tn, fp), (fn, tp) = result[split]["confusion_matrix"]
        flat.update({f"{split}_tn": tn, f"{split}_fp": fp, f"{split}_fn": fn, f"{split}_tp": tp})
    flat.update({f"training_{k}": v for k, v in result["training"].items()})
    return flat
