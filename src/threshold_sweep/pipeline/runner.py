"""One experiment run: the six stages once, whatever the mode (prepare, train, score,
references, assess and report, results)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threshold_sweep import layout
from threshold_sweep.conf.validate import validate_config
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.io import write_json
from threshold_sweep.model.runtime import import_tensorflow
from threshold_sweep.pipeline import stages
from threshold_sweep.pipeline.messages import log_headline
from threshold_sweep.pipeline.modes import select_mode
from threshold_sweep.pipeline.modes.base import Prepared
from threshold_sweep.pipeline.record import Clock, config_text
from threshold_sweep.preload import preload

EVALUATION_MODULES = (
    "threshold_sweep.evaluate.metrics",
    "threshold_sweep.evaluate.assess",
    "threshold_sweep.report.run_page",
)


def run_experiment(
    cfg: Any,
    out_dir: Path,
    sweep_dir: Path | None = None,
    keras_callbacks: stages.KerasCallbacks = None,
) -> RunResult:
    """Run every stage for one threshold (or list) and write the run folder.

    `sweep_dir` (the Hydra sweep folder of a multirun job) gives report.html its back link;
    `keras_callbacks` makes extra callbacks for model.fit, once TensorFlow is imported.
    """
    validate_config(cfg)
    mode, clock, out_dir = select_mode(cfg), Clock(), Path(out_dir)
    prepared = mode.units(cfg, out_dir)
    write_prepared(out_dir, prepared)
    skipped = stages.skipped_run_references(cfg.evaluate, prepared.units[0].data)
    clock.mark("prepare")
    import_tensorflow()  # first, alone: it takes seconds
    evaluation_imports = preload(EVALUATION_MODULES)  # while the model trains
    fitted = [mode.fit(cfg, prepared, unit, keras_callbacks) for unit in prepared.units]
    clock.mark("train")
    evaluation_imports.join()
    with one_blas_thread():
        done = Trained(mode, prepared, fitted, skipped)
        return evaluate_and_write(cfg, done, (out_dir, sweep_dir), clock)


def one_blas_thread() -> Any:
    """BLAS on one thread while the run evaluates: its products are small, and a second thread
    spent more CPU waiting than it saved (a model with 20 thresholds' outputs: 2.4 CPU s more for
    0.4 s less wall; docs/benchmarks.md). The reference models set their own limit."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


@dataclass(frozen=True)
class Trained:
    """A run after its training: the mode, its prepared units, their fits and the skipped
    reference models."""

    mode: Any
    prepared: Prepared
    fitted: list[Any]
    skipped: dict[str, str]


def evaluate_and_write(
    cfg: Any, done: Trained, folders: tuple[Path, Path | None], clock: Clock
) -> RunResult:
    """Score, fit the references, assess, and write the run folder (`folders`: the run's and,
    in a multirun, the sweep's)."""
    (out_dir, sweep_dir), mode, prepared = folders, done.mode, done.prepared
    fitted, skipped = done.fitted, done.skipped
    evaluation = mode.combine(cfg, prepared, fitted)
    stages.write_predictions(out_dir, evaluation.frames)
    share_history(out_dir, prepared)
    clock.mark("score")
    task, references = prepared.task, stages.resolved(evaluation.references)
    stages.write_reference_predictions(out_dir, evaluation.frames["test"], task, references)
    clock.mark("reference")

    from threshold_sweep.evaluate.assess import assess

    result = assess(evaluation.record, evaluation.frames, cfg.evaluate, references, skipped)
    link = stages.index_link(out_dir, sweep_dir)
    stages.write_report(out_dir, result, evaluation.frames, config_text(cfg), link)
    mode.write_extra(out_dir, cfg, evaluation)
    clock.mark("report")
    stages.write_results(out_dir, result, clock, references)
    log_headline(result, out_dir)
    return result


def write_prepared(out_dir: Path, prepared: Prepared) -> None:
    """data_summary.json and the tested rows' ids, before training starts."""
    write_json(out_dir / layout.DATA_SUMMARY, prepared.summary)
    stages.write_test_ids(out_dir, prepared.test_ids)


def share_history(out_dir: Path, prepared: Prepared) -> None:
    """The run's history.csv is its first unit's (a k-fold run: the first fold's)."""
    first = prepared.units[0].folder
    if first != out_dir:
        shutil.copyfile(first / layout.HISTORY, out_dir / layout.HISTORY)
