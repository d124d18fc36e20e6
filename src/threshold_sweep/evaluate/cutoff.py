"""Metrics against the probability cutoff, and a cutoff tuned on the validation split."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix_at_thresholds

OBJECTIVES = ("f1", "balanced_accuracy", "youden")


def cutoff_curves(y_true: np.ndarray, y_score: np.ndarray) -> pd.DataFrame:
    """Precision, recall, F1, balanced accuracy, Youden's J and positive rate at every cutoff.

    Row i describes `y_pred = y_score >= cutoff[i]`, from scikit-learn's confusion counts.
    """
    tns, fps, fns, tps, thresholds = confusion_matrix_at_thresholds(y_true, y_score)
    positives, negatives = tps + fns, tns + fps
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tps + fps > 0, tps / (tps + fps), 0.0)
        recall = np.where(positives > 0, tps / positives, 0.0)
        specificity = np.where(negatives > 0, tns / negatives, 0.0)
        f1 = np.where(2 * tps + fps + fns > 0, 2 * tps / (2 * tps + fps + fns), 0.0)
    return pd.DataFrame(
        {
            "cutoff": thresholds,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "balanced_accuracy": (recall + specificity) / 2,
            "youden": recall + specificity - 1,
            "positive_rate": (tps + fps) / (positives + negatives),
        }
    )


def tune_cutoff(y_true: np.ndarray, y_score: np.ndarray, objective: str) -> tuple[float, float]:
    """The cutoff that maximises `objective` on these (validation) rows, and that maximum.

    Ties go to the cutoff closest to 0.5; an infinite top cutoff (predict nothing) is skipped.
    """
    curves = cutoff_curves(y_true, y_score)
    curves = curves[np.isfinite(curves["cutoff"]) & (curves["cutoff"] <= 1)]
    best = curves[objective].max()
    candidates = curves[np.isclose(curves[objective], best)]
    chosen = candidates.iloc[np.argmin(np.abs(candidates["cutoff"].to_numpy() - 0.5))]
    return float(chosen["cutoff"]), float(best)
