"""What makes a run's test numbers comparable: chance levels, skill, balanced view, CIs,
a validation-tuned cutoff, overfitting gaps and warnings."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.bootstrap import Predictions, bootstrap_ci
from threshold_sweep.evaluate.chance import BASELINES, balanced_view, chance_levels, skill_scores
from threshold_sweep.evaluate.cutoff import tune_cutoff
from threshold_sweep.evaluate.diagnostics import exact_interval, overfitting, run_warnings
from threshold_sweep.evaluate.metrics import predict_labels, scalar_metrics

log = logging.getLogger(__name__)


def _arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y_true, y_score, y_pred of a predictions frame."""
    return (frame["y_true"].to_numpy(), frame["y_score"].to_numpy(), frame["y_pred"].to_numpy())


def assess(result: dict[str, Any], frames: dict[str, pd.DataFrame], cfg: Any) -> dict[str, Any]:
    """Add chance levels, skill, balanced view, CIs, tuned cutoff, gaps and warnings."""
    y_true, y_score, y_pred = _arrays(frames["test"])
    boot = cfg.bootstrap
    assessed = dict(result)
    assessed["chance"] = {
        "test": chance_levels(y_true, y_pred),
        "baselines": BASELINES,
    }
    assessed["skill"] = {
        "test": skill_scores(result["test"], assessed["chance"]["test"], y_true, y_pred)
    }
    assessed["balanced_view"] = {
        "method": "class-reweighted: the same test rows, each class given half the total weight "
        "(scikit-learn compute_sample_weight('balanced'))",
        "test": balanced_view(y_true, y_score, y_pred),
    }
    assessed["ci"] = {
        "level": float(boot.level),
        "n_resamples": int(boot.resamples),
        "seed": int(boot.seed),
        "method": "percentile bootstrap, test rows resampled within each true class",
        "test": bootstrap_ci(
            Predictions(y_true, y_score, y_pred),
            int(boot.resamples),
            float(boot.level),
            int(boot.seed),
        ),
    }
    objective = getattr(cfg.tune_objective, "value", cfg.tune_objective)
    val_true, val_score, _ = _arrays(frames["validation"])
    tuned, val_value = tune_cutoff(val_true, val_score, objective)
    assessed["tuned_cutoff"] = {
        "objective": objective,
        "cutoff": tuned,
        "validation_value": val_value,
        "chosen_on": "validation",
        "test": scalar_metrics(y_true, y_score, predict_labels(y_score, tuned)),
    }
    assessed["overfitting"] = overfitting(assessed, float(cfg.max_gap))  # with the test CIs
    assessed["overfitting_max_gap"] = float(cfg.max_gap)
    assessed["warnings"] = run_warnings(assessed, int(cfg.min_class_rows), float(cfg.max_gap))
    for warning in assessed["warnings"]:
        log.warning("%s", warning)
    return assessed


def assess_multiclass(
    result: dict[str, Any], frames: dict[str, pd.DataFrame], cfg: Any
) -> dict[str, Any]:
    """Chance levels, CIs, overfitting gaps and warnings for ordered multi-class labels."""
    from threshold_sweep.evaluate.multiclass import (
        multiclass_bootstrap_ci,
        multiclass_chance,
        score_matrix,
    )

    test = frames["test"]
    y_true, y_pred, proba = test["y_true"].to_numpy(), test["y_pred"].to_numpy(), score_matrix(test)
    names = result["label_names"]
    boot = cfg.bootstrap
    assessed = dict(result)
    assessed["chance"] = {
        "test": multiclass_chance(y_true, len(names)),
        "baselines": {
            "majority": "always predicts the most frequent class",
            "random": "predicts each class at random with its test share (expected value)",
        },
    }
    assessed["ci"] = {
        "level": float(boot.level),
        "n_resamples": int(boot.resamples),
        "seed": int(boot.seed),
        "method": "percentile bootstrap, test rows resampled within each true class",
        "test": multiclass_bootstrap_ci(
            y_true, proba, y_pred, int(boot.resamples), float(boot.level), int(boot.seed)
        ),
    }
    max_gap = float(cfg.max_gap)
    gaps = {}
    for metric in ("roc_auc_ovr", "balanced_accuracy"):
        values = {split: result[split][metric] for split in ("train", "validation", "test")}
        gap = values["train"] - values["test"]
        gaps[metric] = {**values, "gap": gap, "large": bool(gap > max_gap)}
    assessed["overfitting"] = gaps
    assessed["overfitting_max_gap"] = max_gap
    warnings = []
    predicted = set(np.unique(y_pred))
    missing = [name for i, name in enumerate(names) if i not in predicted]
    if missing:
        warnings.append(
            f"The model never predicts {', '.join(map(repr, missing))} on the test split: those "
            "classes' precision and F1 are meaningless. Try undersampling or more epochs."
        )
    for index, (name, row) in enumerate(result["test"]["per_class"].items()):
        if row["support"] < int(cfg.min_class_rows):
            hits = int(result["test"]["confusion_matrix"][index][index])
            low, high = exact_interval(hits, row["support"], float(boot.level))
            warnings.append(
                f"The test split has only {row['support']} '{name}' rows (< "
                f"evaluate.min_class_rows={cfg.min_class_rows}): its recall {row['recall']:.3f} "
                f"has an exact {float(boot.level):.0%} CI of {low:.3f}-{high:.3f} (width "
                f"{high - low:.3f}); its per-class numbers are rough."
            )
    for metric, row in gaps.items():
        if row["large"]:
            warnings.append(
                f"Overfitting: train {metric} {row['train']:.3f} vs test {row['test']:.3f}, a gap "
                f"of {row['gap']:.3f} > evaluate.max_gap={max_gap:g}."
            )
    assessed["warnings"] = warnings
    for warning in warnings:
        log.warning("%s", warning)
    return assessed
