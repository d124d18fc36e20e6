"""What a run mode is: units -> fit -> combine -> write extra, and what passes between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.pipeline.stages import KerasCallbacks
from threshold_sweep.preload import Later
from threshold_sweep.prepare import PreparedData


@dataclass
class Unit:
    """One model to train: its prepared data and the folder its model goes to."""

    data: PreparedData
    folder: Path  # where its model, history.csv and standardization go
    fold: Any = None  # prepare.folds.Fold of a k-fold unit


@dataclass
class Prepared:
    """A mode's prepared data: its units, the task, what the run folder records first."""

    units: list[Unit]
    task: Task
    summary: dict[str, Any]  # data_summary.json
    test_ids: np.ndarray  # the ids of the rows the run tests (test_ids.csv)
    context: Any = None  # what only this mode needs later (e.g. the head's class weights)


@dataclass
class Fitted:
    """One unit's trained model, with what the mode scored or fitted beside it."""

    unit: Unit
    trained: Any
    frames: dict[str, pd.DataFrame] | None = None
    references: Any = None  # the reference models (or the Future that fits them)
    scores: Any = None  # what the mode predicted, when it makes its frames later


@dataclass
class Evaluation:
    """What the runner assesses and writes: the record (the mode's sections in), frames, refs."""

    record: RunResult
    frames: dict[str, pd.DataFrame]
    references: list[Any] | Later[list[Any]]  # Later: fitted when the runner asks
    extra: dict[str, Any] = field(default_factory=dict)  # what write_extra needs


class Mode(Protocol):
    """A way to run an experiment: one split, k folds, one head for every threshold."""

    def units(self, cfg: Any, out_dir: Path) -> Prepared:
        """Prepare the data, split into the units to train, and log what was prepared."""
        ...

    def fit(self, cfg: Any, prepared: Prepared, unit: Unit, callbacks: KerasCallbacks) -> Fitted:
        """Train one unit's model (its references beside it)."""
        ...

    def combine(self, cfg: Any, prepared: Prepared, fitted: list[Fitted]) -> Evaluation:
        """The run's frames, references and record before assessment."""
        ...

    def write_extra(self, out_dir: Path, cfg: Any, evaluation: Evaluation) -> None:
        """The mode's own files (folds/, thresholds/, ...) once the run's report is written."""
        ...


@runtime_checkable
class ThresholdOutputs(Protocol):
    """A mode whose one model has an output per threshold: each threshold's binary run folder,
    evaluated from its output as a dedicated run's, with the run or later from its files."""

    def threshold_result(
        self,
        cfg: Any,
        prepared: Prepared,
        trained: Any,
        scores: dict[str, np.ndarray],
        references: list[Any],
        k: int,
    ) -> tuple[RunResult, dict[str, pd.DataFrame]]:
        """Threshold k's binary record (assessed) and predictions frames, from output k."""
        ...

    def write_threshold(
        self,
        run_dir: Path,
        folder: Path,
        cfg: Any,
        k: int,
        evaluated: tuple[RunResult, dict[str, pd.DataFrame]],
        references: list[Any],
    ) -> None:
        """Threshold k's binary run folder `folder` of the run in `run_dir`."""
        ...
