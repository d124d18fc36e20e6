"""metrics.json's `cumulative` section of a model.head=cumulative run: the threshold curve (each
threshold's headline metrics with CIs and no-skill levels, from its own binary evaluation), the
range of thresholds within noise of the best, where along x the errors fall, rank violations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from threshold_sweep.evaluate.names import METRIC_LABELS, no_skill_level
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.threshold_curve import (
    CURVE_METRICS,
    best_range,
    curve_sentence,
    curve_table,
    error_concentration,
    errors_by_distance,
    is_log_scale,
    near_shares,
    near_width,
    paired_against_best,
    rank_violations,
)
from threshold_sweep.prepare.labels import cumulative_targets

CURVE_RANKING = "roc_auc"  # the metric the best threshold and its noise range are judged by


def curve_row(result: RunResult, near_share: float, folder: str) -> dict[str, Any]:
    """One threshold's row of the curve: its test metrics, CIs and no-skill levels."""
    test, ci, chance = result["test"], result["ci"]["test"], result["chance"]["test"]
    row: dict[str, Any] = {
        "threshold": float(result["threshold"]),
        "prevalence": float(result["prevalence"]["test"]),
        "near_share": float(near_share),
    }
    for metric in CURVE_METRICS:
        low, high = ci.get(metric) or (np.nan, np.nan)
        row |= {
            metric: test[metric],
            f"{metric}_ci_low": low,
            f"{metric}_ci_high": high,
            f"chance_{metric}": no_skill_level(metric, chance),
        }
    tuned = result.get("tuned_cutoff", {})
    row |= {
        "n_warnings": len(result.get("warnings", [])),
        "tuned_cutoff": tuned.get("cutoff"),
        "run": folder,
    }
    return row


def curve_record(
    x_test: np.ndarray,
    y_test: np.ndarray,
    test_scores: np.ndarray,
    thresholds: Sequence[float],
    results: Sequence[RunResult],
    folders: Sequence[str],
    cutoff: float,
    bootstrap: Any,
) -> dict[str, Any]:
    """The curve, the best threshold's noise range (a paired bootstrap of ROC-AUC on the same
    test rows), errors by distance from the threshold, the rows near each threshold and the
    rank violations of the test rows' cumulative outputs."""
    log = is_log_scale(x_test)
    width = near_width(x_test, log)
    shares = near_shares(x_test, thresholds, log, width)
    curve = curve_table(
        [
            curve_row(result, share, folder)
            for result, share, folder in zip(results, shares, folders, strict=True)
        ]
    )
    y_binary = cumulative_targets(y_test, len(thresholds))
    best_index = int(np.nanargmax(curve[CURVE_RANKING].to_numpy()))
    paired = paired_against_best(
        y_binary,
        test_scores,
        thresholds,
        roc_auc_score,
        best_index,
        int(bootstrap.resamples),
        int(bootstrap.seed),
    )
    best = best_range(curve, CURVE_RANKING, paired)
    errors = errors_by_distance(x_test, thresholds, y_binary, test_scores, cutoff, log)
    concentration = error_concentration(errors)
    sentences = curve_sentence(
        curve,
        best,
        concentration,
        width,
        METRIC_LABELS[CURVE_RANKING],
        metric=CURVE_RANKING,
        log=log,
    )
    return {
        "log_x": log,
        "near_width": width,
        "curve": _records(curve),
        "paired_against_best": _records(paired.assign(metric=CURVE_RANKING)),
        "best": best,
        "errors_by_distance": _records(errors),
        "error_concentration": concentration,
        "rank_violations": {"test": rank_violations(test_scores)},
        "sentences": sentences,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready rows (NaN as None)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
