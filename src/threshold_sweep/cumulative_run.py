"""A model.head=cumulative run: one training answers for every threshold of the grid.

The network's K sigmoid outputs are P(x > t_k). The run folder holds the K+1 ordered classes'
evaluation (class probabilities from differences of the cumulative outputs) and, in
`thresholds/threshold=<t>/`, every threshold as its own binary run folder: predictions, metrics
with CIs and chance levels, the tuned cutoff, warnings, a logistic-regression reference and a
report, as a dedicated run writes them, so that the sweep tools read them. `thresholds.csv` and
the report's Threshold curve section give every headline metric against the threshold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from omegaconf import OmegaConf

from threshold_sweep import layout
from threshold_sweep.config import model_head
from threshold_sweep.evaluate.calibration import Priors
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.logs import every_record, from_background, held_logs
from threshold_sweep.model.runtime import import_tensorflow
from threshold_sweep.preload import in_background, preload
from threshold_sweep.prepare import PreparedData, prepare
from threshold_sweep.prepare.balance import split_record
from threshold_sweep.prepare.labels import class_counts, class_names
from threshold_sweep.prepare.sampling import TrainingRows, threshold_weights
from threshold_sweep.thresholds import threshold_text

log = logging.getLogger(__name__)

CHEAP_REFERENCES = ("logistic",)  # fitted per threshold; the others only for the K+1 classes
CURVE_METRICS = ("roc_auc", "balanced_accuracy", "mcc", "f1", "average_precision")


def threshold_folder(threshold: float) -> str:
    """'threshold=100': a per-threshold run's folder name, as Hydra names a swept value."""
    return f"threshold={threshold:g}"


def natural_training(data: PreparedData) -> PreparedData:
    """The training split unresampled: one resampling cannot balance K label sets, so the
    cumulative head trains on every training row with per-threshold class weights."""
    counts = dict(data.counts_after)
    counts["train"] = data.counts_before["train"]
    training = TrainingRows(indices=data.split.train, class_weight=None)
    return replace(data, training=training, counts_after=counts)


def threshold_view(data: PreparedData, k: int, weights: tuple[float, float]) -> PreparedData:
    """Threshold k's binary labels (x > t_k) of the same rows, splits and standardizer."""
    y = (data.y > k).astype(np.int64)
    names = class_names([data.thresholds[k]], None)
    counts = {split: class_counts(y[rows], names) for split, rows in data.split.items()}
    record = split_record(
        data.split_record["method"],
        data.split,
        counts,
        data.dataset.order,
        data.dataset.order_name,
        data.dataset.group,
    )
    negative, positive = weights
    return replace(
        data,
        y=y,
        names=names,
        thresholds=[data.thresholds[k]],
        counts_before=counts,
        counts_after=counts,
        split_record=record,
        label_cuts=None,
        training=TrainingRows(data.split.train, {0: float(negative), 1: float(positive)}),
    )


def cumulative_fit(cfg: Any, data: PreparedData) -> Any:
    """The head's variant and each threshold's class weights on the training rows."""
    from threshold_sweep.model.train import CumulativeFit

    k = len(data.thresholds)
    positive, negative = threshold_weights(data.y[data.split.train], k, cfg.sampling.strategy)
    return CumulativeFit(model_head(cfg.model)[1], positive, negative)


def split_rows(data: PreparedData) -> dict[str, np.ndarray]:
    """The rows each split's predictions hold (train: every fitted row)."""
    return {
        "train": data.split.train,
        "validation": data.split.validation,
        "test": data.split.test,
    }


def _cumulative_scores(trained: Any, data: PreparedData, cfg: Any) -> dict[str, np.ndarray]:
    """Every split's (n, K) P(x > t_k), from one predict call."""
    from threshold_sweep.model.train import predict_scores

    rows = split_rows(data)
    everything = np.concatenate(list(rows.values()))
    scores = predict_scores(trained.model, data.features(everything), cfg.train.predict_batch_size)
    ends = np.cumsum([len(r) for r in rows.values()])[:-1]
    return dict(zip(rows, np.split(scores, ends), strict=True))


def _fit_all_references(cfg: Any, data: PreparedData, fit: Any) -> tuple[list, list[list]]:
    """The configured reference models on the K+1 classes, and the cheap ones per threshold."""
    from threshold_sweep import run

    classes = run.fit_run_references(cfg, data)
    names = [getattr(n, "value", n) for n in cfg.evaluate.reference]
    cheap = [n for n in names if n in CHEAP_REFERENCES]
    per_threshold = []
    for k in range(len(data.thresholds)):
        view = threshold_view(data, k, (fit.negative[k], fit.positive[k]))
        cheap_cfg = OmegaConf.merge(cfg, {"evaluate": {"reference": cheap}})
        per_threshold.append(run.fit_run_references(cheap_cfg, view) if cheap else [])
    return classes, per_threshold


def _frames(
    view: PreparedData,
    task: Task,
    scores: dict[str, np.ndarray],
    cutoff: float,
    priors: Priors,
) -> dict[str, pd.DataFrame]:
    """The predictions frames of one task from its scores per split (with the natural-balance
    columns when `priors` shifted)."""
    from threshold_sweep import run

    rows = split_rows(view)
    return {
        name: run.predictions_frame(view, task, rows[name], scores[name], cutoff, priors)
        for name in rows
    }


def class_priors(data: PreparedData, weights: dict[str, Any]) -> Priors:
    """The K+1 class scores' balances: natural, the training rows' shares; trained at, equal
    shares when class_scores divided by those shares (the training rebalanced), else natural."""
    from threshold_sweep import run

    natural = run.run_priors(data).natural
    if not weights.get("class_shares"):
        return Priors(natural, natural)
    return Priors(natural, np.full(len(natural), 1.0 / len(natural)))


def training_shares(data: PreparedData) -> list[float]:
    """Each class's share of the training rows, lowest class first."""
    counts = np.bincount(data.y[data.split.train], minlength=len(data.names)).astype(float)
    return [float(c) for c in counts / counts.sum()]


def head_record(cfg: Any, data: PreparedData, fit: Any, k: int | None = None) -> dict[str, Any]:
    """metrics.json's `cumulative`: the head, the grid, the weights (and which output)."""
    sampling = str(getattr(cfg.sampling.strategy, "value", cfg.sampling.strategy))
    record: dict[str, Any] = {
        "head": "cumulative",
        "consistency": fit.consistency,
        "cutoff": float(cfg.evaluate.cutoff),
        "thresholds": [float(t) for t in data.thresholds],
        "weights": {
            "sampling": sampling,
            "positive": [float(w) for w in fit.positive],
            "negative": [float(w) for w in fit.negative],
            "class_shares": None if sampling == "none" else training_shares(data),
        },
    }
    if k is not None:
        record.update(output=k, parent="../..")
    return record


def write_threshold_run(
    folder: Path,
    view: PreparedData,
    result: RunResult,
    frames: dict[str, pd.DataFrame],
    history: pd.DataFrame,
    config_yaml: str,
    references: list[Any],
    shared_curves: Path | None = None,
) -> None:
    """One threshold's run folder (`view`: its binary labels), as a dedicated run writes it
    (without the model)."""
    from threshold_sweep import run
    from threshold_sweep.report.run_page import write_run_report
    from threshold_sweep.results.rows import flatten_metrics

    folder.mkdir(parents=True, exist_ok=True)
    for split, name in layout.PREDICTIONS.items():
        write_csv(folder / name, frames[split])
    run.write_reference_predictions(folder, view, Task.of(result), references)
    hydra = folder / ".hydra"
    hydra.mkdir(exist_ok=True)
    overrides = [f"label.threshold={result['threshold']:g}", "model.head=cumulative"]
    (hydra / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    write_run_report(folder, result, history, frames, config_yaml, "../index.html", shared_curves)
    write_csv(folder / layout.METRICS_CSV, pd.DataFrame([flatten_metrics(result)]))
    write_json(folder / layout.METRICS_JSON, result)


def threshold_results(
    cfg: Any,
    data: PreparedData,
    fit: Any,
    trained: Any,
    scores: dict[str, np.ndarray],
    references: list[list[Any]],
) -> list[tuple[RunResult, dict[str, pd.DataFrame]]]:
    """Every threshold's binary evaluation from its output of the shared model."""
    from threshold_sweep import run
    from threshold_sweep.evaluate.assess import assess

    cutoff = float(cfg.evaluate.cutoff)
    evaluated = []
    for k in range(len(data.thresholds)):
        view = threshold_view(data, k, (fit.negative[k], fit.positive[k]))
        task = Task.of_run(view.names, cfg.evaluate, view.thresholds)
        priors = run.run_priors(view)  # each output trained at 50:50 by its class weights
        frames = _frames(view, task, {s: v[:, k] for s, v in scores.items()}, cutoff, priors)
        result = run.run_record(cfg, view, task, trained, frames, priors)
        result["training"]["cumulative_outputs"] = len(data.thresholds)
        result["cumulative"] = head_record(cfg, data, fit, k)
        evaluated.append((assess(result, frames, cfg.evaluate, references[k]), frames))
    return evaluated


def compared_positions(cfg: Any, data: PreparedData) -> list[int] | None:
    """The grid positions evaluate.compare_thresholds names (None: the default choice)."""
    from threshold_sweep.evaluate.cumulative import grid_indices

    requested = cfg.evaluate.get("compare_thresholds")
    if requested is None:
        return None
    setting = f"evaluate.compare_thresholds={[float(t) for t in requested]}"
    return grid_indices([float(t) for t in requested], data.thresholds, setting)


def _curve(
    cfg: Any,
    data: PreparedData,
    scores: dict[str, np.ndarray],
    evaluated: list[tuple[RunResult, dict[str, pd.DataFrame]]],
    compare: list[int] | None,
) -> dict[str, Any]:
    """The threshold curve of the test rows, each threshold's row from its own evaluation."""
    from threshold_sweep.evaluate.cumulative import curve_record

    test = data.split.test
    folders = [f"{layout.THRESHOLDS}/{threshold_folder(t)}" for t in data.thresholds]
    return curve_record(
        data.dataset.x[test],
        data.y[test],
        scores["test"],
        data.thresholds,
        [result for result, _ in evaluated],
        folders,
        float(cfg.evaluate.cutoff),
        cfg.evaluate.bootstrap,
        compare,
    )


def summarize_thresholds(folder: Path) -> None:
    """The per-threshold runs' sweep summary (summary.md, index.html, paired comparisons of
    neighbouring thresholds), as threshold-sweep-report writes it."""
    from threshold_sweep.sweep.build import build_summary

    build_summary(folder)


def run_cumulative(
    cfg: Any,
    out_dir: Path,
    sweep_dir: Path | None = None,
    keras_callbacks: Callable[[], list[Any]] | None = None,
) -> RunResult:
    """Train one cumulative head for every threshold and write the run folder with the
    K+1 classes' report, the threshold curve and one run folder per threshold."""
    from threshold_sweep import run

    clock = run.Clock()
    out_dir = Path(out_dir)
    data = natural_training(prepare(cfg))
    task = Task.of_run(data.names, cfg.evaluate, data.thresholds)
    fit = cumulative_fit(cfg, data)
    compare = compared_positions(cfg, data)  # before training: a typo costs no training
    run.log_prepared(data, cfg)
    log.info(
        "model.head=cumulative (%s): one model for %d thresholds (%s), every training row, "
        "each threshold's classes weighted to 50:50",
        fit.consistency,
        len(data.thresholds),
        threshold_text(data.thresholds) if len(data.thresholds) < 8 else "a grid",
    )
    run.write_prepared(out_dir, data, cfg)
    clock.mark("prepare")
    import_tensorflow()
    evaluation_imports = preload(run.EVALUATION_MODULES)
    with held_logs(from_background):  # the references' lines, each once with its count
        fitting_references = in_background("references", _fit_all_references, cfg, data, fit)
        trained = run.train_run_model(cfg, data, out_dir, keras_callbacks, fit)  # every row
        clock.mark("train")
        evaluation_imports.join()
        scores = _cumulative_scores(trained, data, cfg)
        from threshold_sweep.evaluate.cumulative import class_scores

        weights = head_record(cfg, data, fit)["weights"]
        probabilities = {split: class_scores(s, weights) for split, s in scores.items()}
        priors = class_priors(data, weights)
        frames = _frames(data, task, probabilities, float(cfg.evaluate.cutoff), priors)
        run.write_model_outputs(out_dir, frames, trained, data)
        clock.mark("score")
        class_references, per_threshold = fitting_references.result()
    run.write_reference_predictions(out_dir, data, task, class_references)
    clock.mark("reference")

    from threshold_sweep.evaluate.assess import assess
    from threshold_sweep.report.run_page import write_run_report

    with held_logs(every_record, "at {n} thresholds"):  # a warning once, not once a threshold
        evaluated = threshold_results(cfg, data, fit, trained, scores, per_threshold)
    result = run.run_record(cfg, data, task, trained, frames, priors)
    result["training"]["cumulative_outputs"] = len(data.thresholds)
    result = assess(result, frames, cfg.evaluate, class_references)
    result["cumulative"] = head_record(cfg, data, fit) | _curve(
        cfg, data, scores, evaluated, compare
    )
    history = pd.read_csv(out_dir / layout.HISTORY)
    config_yaml = OmegaConf.to_yaml(cfg, resolve=True)
    link = run.index_link(out_dir, sweep_dir)
    write_run_report(out_dir, result, history, frames, config_yaml, link)
    curves = out_dir / layout.PLOTS / "training_curves.png"  # one training: drawn once
    for k, ((threshold_result, threshold_frames), references) in enumerate(
        zip(evaluated, per_threshold, strict=True)
    ):
        folder = out_dir / layout.THRESHOLDS / threshold_folder(data.thresholds[k])
        view = threshold_view(data, k, (fit.negative[k], fit.positive[k]))
        write_threshold_run(
            folder,
            view,
            threshold_result,
            threshold_frames,
            history,
            config_yaml,
            references,
            curves,
        )
    summarize_thresholds(out_dir / layout.THRESHOLDS)
    write_csv(out_dir / layout.CURVE_CSV, pd.DataFrame(result["cumulative"]["curve"]))
    write_csv(out_dir / layout.ERRORS_CSV, pd.DataFrame(result["cumulative"]["errors_by_distance"]))
    clock.mark("report")
    run.write_results(out_dir, result, clock, class_references)
    run.log_headline(result, out_dir)
    return result
