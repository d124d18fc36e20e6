"""Data and learning diagnostics: each rule fires on its case and stays silent otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from test_assess import result_for, sample

from threshold_sweep.evaluate.diagnostics import (
    UNDERFIT_AUC,
    diagnostic_flags,
    overfitting,
    run_warnings,
)
from threshold_sweep.prepare.checks import data_checks, looks_like_a_series, rows_seen_in_training


def _result(train_auc: float | None = None, checks: dict | None = None) -> dict:
    y, score, _ = sample(1000, 0.5, 0.4, seed=3)
    result, _ = result_for(y, score)
    if train_auc is not None:
        result["train"] = {**result["train"], "roc_auc": train_auc}
    if checks is not None:
        result["data_checks"] = checks
    result["overfitting"] = overfitting(result, 0.05)
    return result


def test_a_model_near_chance_on_its_training_rows_is_underfitting_not_overfitting():
    result = _result(train_auc=0.487)
    result["test"] = {**result["test"], "roc_auc": 0.099}  # the case seen on real data
    result["overfitting"] = overfitting(result, 0.05)
    warnings = run_warnings(result, 30, 0.05)
    assert any(w.startswith("Underfitting: train ROC-AUC 0.487 is near chance") for w in warnings)
    assert not any(w.startswith("Overfitting") for w in warnings)
    assert not any(row["large"] for row in result["overfitting"].values())
    assert diagnostic_flags(result)["underfit"]


def test_a_model_that_learned_its_training_rows_is_not_underfitting():
    result = _result(train_auc=UNDERFIT_AUC + 0.2)
    assert not any("Underfitting" in w for w in run_warnings(result, 30, 0.05))
    assert not diagnostic_flags(result)["underfit"]


def test_test_rows_seen_in_training_are_counted_exactly():
    X = np.arange(40, dtype=np.float32).reshape(10, 4, 1)
    X[7] = X[1]  # test row 7 repeats training row 1
    X[9] = X[2]
    train, test = np.arange(0, 5), np.arange(5, 10)
    assert rows_seen_in_training(X, train, test) == 2
    assert rows_seen_in_training(X, train, np.array([5, 6, 8])) == 0


def test_the_seen_rows_warning_fires_above_one_percent_and_stays_silent_below():
    checks = {"test_rows": 200, "sequence_columns": None, "columns_look_like_a_series": None}
    seen = _result(checks={**checks, "test_rows_in_train": 194})
    (warning,) = [w for w in run_warnings(seen, 30, 0.05) if "identical to a training" in w]
    assert warning.startswith("194 of 200 test rows (97%)")
    assert diagnostic_flags(seen)["test_rows_in_train"]
    unseen = _result(checks={**checks, "test_rows_in_train": 1})
    assert not any("identical to a training" in w for w in run_warnings(unseen, 30, 0.05))


@pytest.mark.parametrize(
    ("columns", "series"),
    [
        (["sensor_0", "sensor_1", "sensor_2", "sensor_3"], True),
        (["400", "410", "420"], True),
        (["t1", "t2", "t3", "t4", "t5"], True),
        (["age", "bmi", "bp", "s1"], False),
        (["t1", "t3", "t4"], False),
        (["a1", "b2", "c3"], False),
        (["x1", "x2"], False),
    ],
)
def test_column_names_that_read_as_steps_of_one_series(columns, series):
    assert looks_like_a_series(columns) is series


def test_table_columns_as_a_sequence_are_named_once_and_series_columns_are_not():
    X = np.zeros((6, 4, 1), dtype=np.float32)
    rows = np.arange(3), np.arange(3, 6)
    table = _result(checks=data_checks(X, *rows, ["age", "bmi", "bp", "s1"]))
    (warning,) = [w for w in run_warnings(table, 30, 0.05) if "table columns" in w]
    assert "4 table columns (age, bmi, bp, s1) as 4 steps" in warning
    series = _result(checks=data_checks(X, *rows, [f"step_{i}" for i in range(4)]))
    assert not any("table columns" in w for w in run_warnings(series, 30, 0.05))
    synthetic = _result(checks=data_checks(X, *rows, []))
    assert not any("table columns" in w for w in run_warnings(synthetic, 30, 0.05))
    assert diagnostic_flags(table)["table_as_sequence"]
    assert not diagnostic_flags(series)["table_as_sequence"]
