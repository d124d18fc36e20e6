"""A model.head=cumulative run: one training answers for every threshold of the grid.

The network's K sigmoid outputs are P(x > t_k). The run folder holds the K+1 ordered classes'
evaluation (class probabilities from differences of the cumulative outputs), P(x > t) of every
threshold beside x in the predictions files (p_above_<t>), and `thresholds.csv`: every
threshold's headline metrics with CIs and no-skill levels, evaluated in one pass on one set of
resamples (evaluate/threshold_table.py), its validation ROC-AUC and tuned cutoff, and the
reference models' ROC-AUC (fitted once on the K+1 classes; their P(x > t) sums the classes
above t). With evaluate.threshold_folders=true, `thresholds/threshold=<t>/` also holds every
threshold as its own binary run folder, as a dedicated run writes it, for the sweep tools.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep import layout
from threshold_sweep.conf.heads import model_head
from threshold_sweep.conf.label import class_names
from threshold_sweep.evaluate.calibration import Priors
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv
from threshold_sweep.logs import every_record, held_logs
from threshold_sweep.pipeline import stages
from threshold_sweep.pipeline.messages import log_prepared
from threshold_sweep.pipeline.modes.base import Evaluation, Fitted, Prepared, Unit
from threshold_sweep.pipeline.record import (
    DataRecord,
    config_text,
    data_summary,
    run_priors,
    run_record,
)
from threshold_sweep.prepare import PreparedData, prepare
from threshold_sweep.prepare.balance import split_record
from threshold_sweep.prepare.labels import class_counts
from threshold_sweep.prepare.sampling import SamplingPlan, TrainingRows, threshold_weights
from threshold_sweep.shared_model import HEAD, OUTPUTS_KEY, SECTION
from threshold_sweep.thresholds import Thresholds

log = logging.getLogger(__name__)

# one resampling cannot balance K label sets: every training row, per-threshold class weights
PLAN = SamplingPlan(resample=False, per_threshold=True)


def threshold_view(data: PreparedData, k: int, fit: Any) -> PreparedData:
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
        data.split_record.get("part"),
        data.split_record.get("validation_carved"),
    )
    negative, positive = fit.negative[k], fit.positive[k]
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
    from threshold_sweep.model.cumulative import CumulativeFit

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


def threshold_references(references: list[Any], k: int) -> list[Any]:
    """The K+1-class reference models' test scores as threshold k's: P(class > k)."""
    from threshold_sweep.evaluate.cumulative import above

    return [replace(r, scores=above(r.scores)[:, k]) for r in references]


def class_priors(data: PreparedData, weights: dict[str, Any]) -> Priors:
    """The K+1 class scores' balances: natural, the training rows' shares; trained at, equal
    shares when class_scores divided by those shares (the training rebalanced), else natural."""
    natural = run_priors(data).natural
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
        "head": HEAD,
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
    references: list[Any],
    compare: list[int] | None,
) -> dict[str, Any]:
    """The threshold curve of the test rows, every threshold in one pass, and the references'
    ROC-AUC at each threshold."""
    from threshold_sweep.evaluate.cumulative import CurveRows, curve_record

    test, validation = data.split.test, data.split.validation
    rows = CurveRows(
        data.dataset.x[test],
        data.y[test],
        scores["test"],
        (data.y[validation], scores["validation"]),
        {r.model.name: r.scores for r in references},
    )
    return curve_record(rows, data.thresholds, float(cfg.evaluate.cutoff), cfg.evaluate, compare)


def with_threshold_scores(
    frames: dict[str, pd.DataFrame], scores: dict[str, np.ndarray], thresholds: list[float]
) -> dict[str, pd.DataFrame]:
    """Each split's predictions with P(x > t) of every threshold (p_above_<t>) before y_pred."""
    from threshold_sweep.evaluate.threshold_curve import with_above

    return {split: with_above(frame, scores[split], thresholds) for split, frame in frames.items()}


@dataclass(frozen=True)
class Head:
    """What the cumulative head's run needs after prepare: its fit, compared thresholds, views."""

    fit: Any  # model.cumulative.CumulativeFit: the variant and each threshold's class weights
    compare: list[int] | None  # evaluate.compare_thresholds' grid positions
    views: list[PreparedData]  # each threshold's binary labels of the same rows


def log_head(head: Head, data: PreparedData) -> None:
    """One line on the head: its variant and how many thresholds one training answers."""
    log.info(
        "model.head=cumulative (%s): one model for %d thresholds (%s), every training row, "
        "each threshold's classes weighted to 50:50",
        head.fit.consistency,
        len(data.thresholds),
        Thresholds.of_record(data.thresholds).text if len(data.thresholds) < 8 else "a grid",
    )


class Cumulative:
    """model.head=cumulative: one model with an output per threshold; a run folder per
    threshold under thresholds/, and the threshold curve."""

    def units(self, cfg: Any, out_dir: Path) -> Prepared:
        """One split of every training row; each threshold's weights and binary view."""
        data = prepare(cfg, PLAN)
        task = Task.of_run(data.names, cfg.evaluate, data.thresholds)
        fit = cumulative_fit(cfg, data)
        compare = compared_positions(cfg, data)  # before training: a typo costs no training
        head = Head(fit, compare, [threshold_view(data, k, fit) for k in range(len(fit.positive))])
        log_prepared(data, cfg.sampling.strategy.value, cfg.split)
        log_head(head, data)
        summary = data_summary(data, cfg.sampling.strategy.value)
        test_ids = data.dataset.ids[data.split.test]
        return Prepared([Unit(data, out_dir)], task, summary, test_ids, head)

    def fit(self, cfg: Any, prepared: Prepared, unit: Unit, callbacks: Any) -> Fitted:
        """Train on every row, predict every output of every split, then fit the references
        (after the training, on one thread, as every mode: never beside it; the K+1 classes
        are ordered, so the trees and MiniRocket regress their rank)."""
        data, head = unit.data, prepared.context
        trained = stages.train_run_model(
            cfg.model, cfg.train, data, unit.folder, callbacks, head.fit
        )
        batch_size = cfg.train.predict_batch_size
        scores = stages.predict_rows(trained, data, split_rows(data), batch_size)
        names = stages.reference_names(cfg.evaluate)
        references = stages.fit_run_references(names, cfg.train, data, ordered=True)
        return Fitted(unit, trained, references=references, scores=scores)

    def combine(self, cfg: Any, prepared: Prepared, fitted: list[Fitted]) -> Evaluation:
        """The K+1 classes' frames (with every threshold's P(x > t)) and record, the curve, and
        each threshold's own evaluation when evaluate.threshold_folders is on."""
        from threshold_sweep.evaluate.threshold_curve import class_scores

        (one,) = fitted
        data, head, task = one.unit.data, prepared.context, prepared.task
        weights = head_record(cfg, data, head.fit)["weights"]
        probabilities = {split: class_scores(s, weights) for split, s in one.scores.items()}
        priors = class_priors(data, weights)
        cutoff = float(cfg.evaluate.cutoff)
        frames = stages.split_frames(data, task, split_rows(data), probabilities, cutoff, priors)
        stages.save_model(one.unit.folder, one.trained, data)
        references = one.references
        evaluated = []
        if cfg.evaluate.threshold_folders:
            with held_logs(every_record, "at {n} thresholds"):  # a warning once, with a count
                evaluated = self.threshold_results(
                    cfg, prepared, one.trained, one.scores, references
                )
        record = run_record(cfg, DataRecord.of(data), task, one.trained, frames, priors)
        record["training"][OUTPUTS_KEY] = len(data.thresholds)
        curve = _curve(cfg, data, one.scores, references, head.compare)
        if evaluated:  # each row links its threshold's folder
            grid = Thresholds.of_record(data.thresholds)
            for k, row in enumerate(curve["curve"]):
                row["run"] = f"{layout.THRESHOLDS}/{grid.folder(k)}"
        record[SECTION] = head_record(cfg, data, head.fit) | curve
        frames = with_threshold_scores(frames, one.scores, data.thresholds)
        return Evaluation(record, frames, references, {"evaluated": evaluated, "head": head})

    def write_extra(self, out_dir: Path, cfg: Any, evaluation: Evaluation) -> None:
        """thresholds.csv and errors_by_distance.csv; with evaluate.threshold_folders, a run
        folder per threshold and their sweep summary."""
        extra = evaluation.extra
        if extra["evaluated"]:
            self.write_threshold_folders(out_dir, cfg, evaluation)
        section = evaluation.record[SECTION]
        write_csv(out_dir / layout.CURVE_CSV, pd.DataFrame(section["curve"]))
        write_csv(out_dir / layout.ERRORS_CSV, pd.DataFrame(section["errors_by_distance"]))

    def threshold_result(
        self,
        cfg: Any,
        prepared: Prepared,
        trained: Any,
        scores: dict[str, np.ndarray],
        references: list[Any],
        k: int,
    ) -> tuple[RunResult, dict[str, pd.DataFrame]]:
        """Threshold k's binary evaluation from output k of the shared model, as a dedicated
        run's (evaluate.threshold_folders=true); the references' scores from the K+1 classes'."""
        from threshold_sweep.evaluate.assess import assess

        data, head = prepared.units[0].data, prepared.context
        view, cutoff = head.views[k], float(cfg.evaluate.cutoff)
        task = Task.of_run(view.names, cfg.evaluate, view.thresholds)
        priors = run_priors(view)  # each output trained at 50:50 by its class weights
        output = {split: values[:, k] for split, values in scores.items()}
        frames = stages.split_frames(view, task, split_rows(view), output, cutoff, priors)
        result = run_record(cfg, DataRecord.of(view), task, trained, frames, priors)
        result["training"][OUTPUTS_KEY] = len(head.views)
        result[SECTION] = head_record(cfg, data, head.fit, k)
        shared = threshold_references(references, k)
        return assess(result, frames, cfg.evaluate, shared), frames

    def threshold_results(
        self,
        cfg: Any,
        prepared: Prepared,
        trained: Any,
        scores: dict[str, np.ndarray],
        references: list[Any],
    ) -> list[tuple[RunResult, dict[str, pd.DataFrame]]]:
        """Every threshold's binary evaluation (threshold_result of each output)."""
        outputs = range(len(prepared.context.views))
        return [
            self.threshold_result(cfg, prepared, trained, scores, references, k) for k in outputs
        ]

    def write_threshold(
        self,
        run_dir: Path,
        folder: Path,
        cfg: Any,
        k: int,
        evaluated: tuple[RunResult, dict[str, pd.DataFrame]],
        references: list[Any],
    ) -> None:
        """Threshold k's binary run folder `folder` of the run in `run_dir`: its evaluation
        (threshold_result), the references' P(x > t_k), the run's training curves."""
        result, frames = evaluated
        curves = run_dir / layout.PLOTS / "training_curves.png"
        write_threshold_run(
            folder, result, frames, cfg, threshold_references(references, k), curves
        )

    def write_threshold_folders(self, out_dir: Path, cfg: Any, evaluation: Evaluation) -> None:
        """thresholds/threshold=<t>/: every threshold's binary run folder, and their summary."""
        from threshold_sweep.sweep.build import build_summary

        extra = evaluation.extra
        for k, evaluated in enumerate(extra["evaluated"]):
            grid = Thresholds.of_record(extra["head"].views[k].thresholds)
            folder = out_dir / layout.THRESHOLDS / grid.folder()
            self.write_threshold(out_dir, folder, cfg, k, evaluated, evaluation.references)
        build_summary(out_dir / layout.THRESHOLDS)


def write_threshold_run(
    folder: Path,
    result: RunResult,
    frames: dict[str, pd.DataFrame],
    cfg: Any,
    references: list[Any],
    shared_curves: Path,
) -> None:
    """One threshold's run folder, as a dedicated run writes it (without the model); its
    metrics.json's `cumulative` section (output, parent) marks it as the head's."""
    folder.mkdir(parents=True, exist_ok=True)
    stages.write_predictions(folder, frames)
    stages.write_reference_predictions(folder, frames["test"], Task.of(result), references)
    stages.write_report(folder, result, frames, config_text(cfg), "../index.html", shared_curves)
    stages.write_results(folder, result, None, [])
