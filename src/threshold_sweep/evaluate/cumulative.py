"""metrics.json's `cumulative` section of a model.head=cumulative run: the threshold curve (each
threshold's headline metrics with CIs and no-skill levels, from its own binary evaluation), the
range of thresholds within noise of the best, where along x the errors fall, rank violations."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from threshold_sweep.errors import UserError
from threshold_sweep.evaluate.names import METRIC_LABELS, no_skill_level
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.threshold_curve import (
    CURVE_METRICS,
    best_range,
    chosen_index,
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
from threshold_sweep.prepare.labels import threshold_targets

CURVE_RANKING = "roc_auc"  # the best threshold: its validation argmax; its noise range: test
COMPARED_METRICS = ("roc_auc", "balanced_accuracy", "mcc")
RELATIVE_MATCH = 1e-9  # a requested threshold matches a grid threshold this close (relative)


def grid_indices(requested: Sequence[float], grid: Sequence[float], setting: str) -> list[int]:
    """The grid positions of requested thresholds (UserError naming those not in the grid)."""
    positions, missing = [], []
    for value in requested:
        close = [i for i, t in enumerate(grid) if abs(t - value) <= RELATIVE_MATCH * abs(t)]
        if close:
            positions.append(close[0])
        else:
            missing.append(value)
    if missing:
        shown = ", ".join(f"{t:g}" for t in grid[:12]) + (
            f" and {len(grid) - 12} more" if len(grid) > 12 else ""
        )
        raise UserError(
            f"{setting}: {', '.join(f'{t:g}' for t in missing)} is not a threshold of the grid "
            f"({shown}); pick thresholds of the grid"
        )
    return positions


def default_compared(curve: pd.DataFrame) -> list[int]:
    """The first, the best (by validation ROC-AUC, see chosen_index) and the last threshold,
    each once, in grid order."""
    return sorted({0, chosen_index(curve, CURVE_RANKING), len(curve) - 1})


def compared_thresholds(
    y_binary: np.ndarray,
    scores: np.ndarray,
    thresholds: Sequence[float],
    positions: Sequence[int],
    cutoff: float,
    bootstrap: Any,
) -> list[dict[str, Any]]:
    """Every pair of the chosen thresholds, second - first, paired on the same test rows
    (ROC-AUC, balanced accuracy and MCC at the cutoff)."""
    from threshold_sweep.evaluate.bootstrap import paired_difference
    from threshold_sweep.evaluate.resample.predictions import weighted_predictions

    def side(k: int) -> Any:
        score = scores[:, k]
        return weighted_predictions(y_binary[:, k], score, (score >= cutoff).astype(np.int64))

    rows = []
    for a, b in itertools.combinations(positions, 2):
        differences = paired_difference(
            side(a),
            side(b),
            COMPARED_METRICS,
            int(bootstrap.resamples),
            float(bootstrap.level),
            int(bootstrap.seed),
            bootstrap.method,
        )
        for metric, values in differences.items():
            rows.append(
                {
                    "first": float(thresholds[a]),
                    "second": float(thresholds[b]),
                    "metric": metric,
                    **values,
                }
            )
    return rows


def curve_row(result: RunResult, near_share: float, folder: str) -> dict[str, Any]:
    """One threshold's row of the curve: its test metrics, CIs and no-skill levels, and its
    validation ROC-AUC (which chooses the best threshold)."""
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
    validation = result.get("validation", {}).get(CURVE_RANKING)
    row[f"validation_{CURVE_RANKING}"] = np.nan if validation is None else float(validation)
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
    compare: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The curve, the best threshold's noise range (a paired bootstrap of ROC-AUC on the same
    test rows), paired comparisons of the `compare` thresholds (grid positions; None: first,
    best, last), errors by distance from the threshold, the rows near each threshold and the
    rank violations of the test rows' cumulative outputs."""
    log = is_log_scale(x_test)
    width = near_width(x_test, log)
    shares = near_shares(x_test, thresholds, log, width)
    rows = zip(results, shares, folders, strict=True)
    curve = curve_table([curve_row(result, share, folder) for result, share, folder in rows])
    y_binary = threshold_targets(y_test, len(thresholds))
    best_index = chosen_index(curve, CURVE_RANKING)  # on validation; reported on test
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
    positions = list(compare) if compare is not None else default_compared(curve)
    compared = compared_thresholds(y_binary, test_scores, thresholds, positions, cutoff, bootstrap)
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
        "compared": compared,
        "errors_by_distance": _records(errors),
        "error_concentration": concentration,
        "rank_violations": {"test": rank_violations(test_scores)},
        "sentences": sentences,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready rows (NaN as None)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
