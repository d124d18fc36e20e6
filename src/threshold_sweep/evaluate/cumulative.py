"""metrics.json's `cumulative` section of a model.head=cumulative run: the threshold curve (each
threshold's headline metrics with CIs and no-skill levels, every threshold in one pass), the
range of thresholds within noise of the best, where along x the errors fall, rank violations."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from threshold_sweep.errors import UserError
from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.evaluate.threshold_curve import (
    best_range,
    chosen_index,
    curve_sentence,
    curve_table,
    error_concentration,
    errors_by_distance,
    is_log_scale,
    near_shares,
    near_width,
    paired_table,
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


def validation_columns(
    y_classes: np.ndarray, outputs: np.ndarray, objective: str
) -> list[dict[str, Any]]:
    """Per threshold on the validation rows: its ROC-AUC (which chooses the best threshold) and
    the cutoff tuned there for `objective` (NaN / None where a class is missing)."""
    from threshold_sweep.evaluate.cutoff import tune_cutoff

    columns = []
    for k in range(outputs.shape[1]):
        target, score = (np.asarray(y_classes) > k).astype(int), outputs[:, k]
        both = 0 < target.sum() < len(target)
        columns.append(
            {
                f"validation_{CURVE_RANKING}": roc_auc_score(target, score) if both else np.nan,
                "tuned_cutoff": tune_cutoff(target, score, objective)[0] if both else None,
            }
        )
    return columns


def reference_columns(
    y_classes: np.ndarray, references: dict[str, np.ndarray], k: int
) -> dict[str, float]:
    """Threshold k's test ROC-AUC of each reference model fitted on the K+1 classes, its score
    P(x > t_k) the sum of its probabilities of the classes above k (reference_<name>_roc_auc)."""
    target = (np.asarray(y_classes) > k).astype(int)
    if not 0 < target.sum() < len(target):
        return {f"reference_{name}_{CURVE_RANKING}": np.nan for name in references}
    return {
        f"reference_{name}_{CURVE_RANKING}": float(roc_auc_score(target, above(proba)[:, k]))
        for name, proba in references.items()
    }


def above(proba: np.ndarray) -> np.ndarray:
    """(n, K) P(class > k) from (n, K+1) class probabilities."""
    tail = np.cumsum(np.asarray(proba, dtype=np.float64)[:, ::-1], axis=1)[:, ::-1]
    return tail[:, 1:]


@dataclass(frozen=True)
class CurveRows:
    """The rows a curve is evaluated on: test (x, classes, outputs), validation (classes,
    outputs), and the reference models' test class probabilities by name."""

    x: np.ndarray
    y: np.ndarray
    outputs: np.ndarray
    validation: tuple[np.ndarray, np.ndarray]
    references: dict[str, np.ndarray]


def curve_frame(
    rows: CurveRows, thresholds: Sequence[float], evaluated: Any, evaluate: Any
) -> tuple[pd.DataFrame, bool, float]:
    """The curve (`evaluated`, the one pass over every threshold: its metrics, CIs and no-skill
    levels; near shares; validation ROC-AUC and tuned cutoff; the references' ROC-AUC), whether
    x is compared in decades, and the near width."""
    log = is_log_scale(rows.x)
    width = near_width(rows.x, log)
    shares = near_shares(rows.x, thresholds, log, width)
    objective = str(getattr(evaluate.tune_objective, "value", evaluate.tune_objective))
    validation = validation_columns(*rows.validation, objective)
    curve = [
        row | {"near_share": float(share)} | valid | reference_columns(rows.y, rows.references, k)
        for k, (row, share, valid) in enumerate(
            zip(evaluated.rows, shares, validation, strict=True)
        )
    ]
    return curve_table(curve), log, width


def curve_record(
    rows: CurveRows,
    thresholds: Sequence[float],
    cutoff: float,
    evaluate: Any,
    compare: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The curve, the best threshold's noise range (a paired bootstrap of ROC-AUC on the same
    test rows), paired comparisons of the `compare` thresholds (grid positions; None: first,
    best, last), errors by distance from the threshold, the rows near each threshold and the
    rank violations of the test rows' cumulative outputs."""
    from threshold_sweep.evaluate.threshold_table import evaluate_thresholds

    bootstrap = evaluate.bootstrap
    evaluated = evaluate_thresholds(rows.y, rows.outputs, thresholds, cutoff, bootstrap)
    curve, log, width = curve_frame(rows, thresholds, evaluated, evaluate)
    y_binary = threshold_targets(rows.y, len(thresholds))
    best_index = chosen_index(curve, CURVE_RANKING)  # on validation; reported on test
    point = curve[CURVE_RANKING].to_numpy(dtype=float)  # the curve's rows: in grid order
    paired = paired_table(evaluated.resampled(CURVE_RANKING), point, thresholds, best_index)
    best = best_range(curve, CURVE_RANKING, paired)
    positions = list(compare) if compare is not None else default_compared(curve)
    compared = compared_thresholds(y_binary, rows.outputs, thresholds, positions, cutoff, bootstrap)
    errors = errors_by_distance(rows.x, thresholds, y_binary, rows.outputs, cutoff, log)
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
        "rank_violations": {"test": rank_violations(rows.outputs)},
        "sentences": sentences,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready rows (NaN as None)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
