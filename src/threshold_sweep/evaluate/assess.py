"""What makes a run's test numbers comparable: chance levels, skill, balanced view, CIs,
a validation-tuned cutoff, overfitting gaps and warnings, for every task."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.bootstrap import (
    METHOD_TEXT,
    drawn_metrics,
    interval_method,
    sampled_intervals,
)
from threshold_sweep.evaluate.chance import balanced_view, chance_levels, skill_scores
from threshold_sweep.evaluate.cutoff import tune_cutoff
from threshold_sweep.evaluate.diagnostics import diagnostic_flags, overfitting, run_warnings
from threshold_sweep.evaluate.metrics import predict_labels, scalar_metrics
from threshold_sweep.evaluate.reference import reference_section
from threshold_sweep.evaluate.resample.predictions import WeightedMetrics, weighted_predictions
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.model.reference import TRAINED_ON, ReferenceScores

log = logging.getLogger(__name__)

BALANCED_VIEW_METHOD = (
    "class-reweighted: the same test rows, each class given half the total weight "
    "(scikit-learn compute_sample_weight('balanced'))"
)


def _bootstrap(
    predictions: WeightedMetrics, drawn: dict[str, np.ndarray], boot: Any
) -> dict[str, Any]:
    """The ci section: bootstrap CIs of the test metrics from their values on resamples of the
    rows drawn within each true class (`drawn`, as drawn_metrics computes them)."""
    method = interval_method(boot)
    return {
        "level": float(boot.level),
        "n_resamples": int(boot.resamples),
        "seed": int(boot.seed),
        "method": METHOD_TEXT[method],
        "interval_method": method,
        "test": sampled_intervals(predictions, drawn, float(boot.level), int(boot.seed), (method,))[
            method
        ],
    }


def _tuned_cutoff(task: Task, frames: dict[str, pd.DataFrame], objective: str) -> dict[str, Any]:
    """The cutoff that maximises `objective` on validation, and the test metrics at it."""
    val_true, val_score, _ = task.arrays(frames["validation"])
    tuned, val_value = tune_cutoff(val_true, val_score, objective)
    y_true, y_score, _ = task.arrays(frames["test"])
    return {
        "objective": objective,
        "cutoff": tuned,
        "validation_value": val_value,
        "chosen_on": "validation",
        "test": scalar_metrics(y_true, y_score, predict_labels(y_score, tuned)),
    }


def _binary_extras(
    task: Task, assessed: dict[str, Any], frames: dict[str, pd.DataFrame], cfg: Any
) -> dict[str, Any]:
    """What only a binary task has: chance-corrected skill and a validation-tuned cutoff."""
    y_true, _, y_pred = task.arrays(frames["test"])
    objective = getattr(cfg.tune_objective, "value", cfg.tune_objective)
    return {
        "skill": {
            "test": skill_scores(assessed["test"], assessed["chance"]["test"], y_true, y_pred)
        },
        "tuned_cutoff": _tuned_cutoff(task, frames, objective),
    }


def assess(
    result: RunResult,
    frames: dict[str, pd.DataFrame],
    cfg: Any,
    references: Sequence[ReferenceScores] = (),
    skipped: Mapping[str, str] | None = None,
) -> RunResult:
    """Add chance levels, CIs, the balanced view, gaps, the reference models (and the skipped
    ones, with why) and warnings."""
    task = Task.of(result)
    y_true, scores, y_pred = task.arrays(frames["test"])
    inputs = task.ordinal_inputs(frames["test"])
    assessed = RunResult(**result)
    assessed["chance"] = {
        "test": chance_levels(y_true, y_pred, task.n_classes, **inputs),
        "baselines": task.baselines,
    }
    if task.binary:
        assessed.update(_binary_extras(task, assessed, frames, cfg))
        assessed["balanced_view"] = {
            "method": BALANCED_VIEW_METHOD,
            "test": balanced_view(y_true, scores, y_pred),
        }
    predictions = weighted_predictions(y_true, scores, y_pred, **inputs)
    boot = cfg.bootstrap
    drawn = drawn_metrics(predictions, y_true, int(boot.resamples), int(boot.seed))
    assessed["ci"] = _bootstrap(predictions, drawn, boot)  # its draws serve the references too
    assessed["overfitting"] = overfitting(assessed, float(cfg.max_gap))  # with the test CIs
    assessed["overfitting_max_gap"] = float(cfg.max_gap)
    if references or skipped:
        assessed["reference"] = reference_section(
            task,
            (y_true, scores, y_pred),
            references,
            references[0].n_rows if references else 0,
            float(cfg.cutoff),
            cfg.bootstrap,
            inputs,
            references[0].trained_on if references else TRAINED_ON,
            skipped,
            drawn,
        )
    assessed["diagnostics"] = diagnostic_flags(assessed)
    assessed["warnings"] = run_warnings(assessed, int(cfg.min_class_rows), float(cfg.max_gap))
    for warning in assessed["warnings"]:
        log.warning("%s", warning)
    return assessed
