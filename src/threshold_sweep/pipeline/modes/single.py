"""One train/validation/test split: one model, scored on the test rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threshold_sweep.evaluate.task import Task
from threshold_sweep.pipeline import stages
from threshold_sweep.pipeline.messages import log_prepared
from threshold_sweep.pipeline.modes.base import Evaluation, Fitted, Prepared, Unit
from threshold_sweep.pipeline.record import DataRecord, data_summary, run_record
from threshold_sweep.preload import Later
from threshold_sweep.prepare import prepare


class SingleSplit:
    """split=default / split=time: one split, one model, its references beside it."""

    def units(self, cfg: Any, out_dir: Path) -> Prepared:
        """Load, label, split and resample once."""
        data = prepare(cfg)
        log_prepared(data, cfg.sampling.strategy.value, cfg.split)
        task = Task.of_run(data.names, cfg.evaluate, data.thresholds)
        summary = data_summary(data, cfg.sampling.strategy.value)
        return Prepared([Unit(data, out_dir)], task, summary, data.dataset.ids[data.split.test])

    def fit(self, cfg: Any, prepared: Prepared, unit: Unit, callbacks: Any) -> Fitted:
        """Train the model; the references fit after it (stages.reference_threads says why)."""
        names = stages.reference_names(cfg.evaluate)
        references = Later(stages.fit_run_references, names, cfg.train, unit.data)
        trained = stages.train_run_model(cfg.model, cfg.train, unit.data, unit.folder, callbacks)
        return Fitted(unit, trained, references=references)

    def combine(self, cfg: Any, prepared: Prepared, fitted: list[Fitted]) -> Evaluation:
        """Score the three splits, save the model; the references fit when the runner asks."""
        (one,) = fitted
        data = one.unit.data
        frames = stages.score_splits(
            one.trained, data, prepared.task, cfg.evaluate.cutoff, cfg.train.predict_batch_size
        )
        stages.save_model(one.unit.folder, one.trained, data)
        record = run_record(cfg, DataRecord.of(data), prepared.task, one.trained, frames)
        return Evaluation(record, frames, one.references)

    def write_extra(self, out_dir: Path, cfg: Any, evaluation: Evaluation) -> None:
        """Nothing beyond the run folder."""
