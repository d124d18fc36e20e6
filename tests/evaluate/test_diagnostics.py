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
from threshold_sweep.prepare.checks import (
    data_checks,
    looks_like_a_series,
    looks_like_an_entity,
    rows_seen_in_training,
    shared_values,
)


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
    assert "split by entity with `data.group=<column>`" in warning
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


@pytest.mark.parametrize(
    ("name", "values", "entity"),
    [
        ("subject", ["a", "a", "b", "b", "c"], True),
        ("patient_id", [1, 1, 2, 3, 4, 5], True),
        ("siteId", ["n", "s", "n"], True),
        ("Station", [7.0, 7.0, 8.0], True),
        ("subject", ["a", "b", "c"], False),  # no value repeats: one row per subject
        ("station", ["n", "n", "n"], False),  # a single value
        ("note", ["big", "small"] * 20, False),  # two values, no id-like name
        ("visit", [f"v{i % 15}" for i in range(60)], True),  # 15 repeated values
        ("temperature", list(np.arange(60) % 15 + 0.5), False),  # measured, not a name
        ("comment", [f"c{i}" for i in range(40)] + ["ok"] * 5, False),  # mostly unique
    ],
)
def test_which_non_feature_columns_look_like_entities(name, values, entity):
    assert looks_like_an_entity(name, np.array(values, dtype=object)) is entity


def test_values_in_both_train_and_test_are_counted_exactly():
    values = np.array(["a", "a", "b", "b", "c", "c", "d", None, None], dtype=object)
    train, test = np.array([0, 2, 4, 7]), np.array([1, 3, 5, 6, 8])
    assert shared_values("subject", values, train, test) == {
        "column": "subject",
        "values": 3,  # a, b, c; d only in test, missing values name no entity
        "test_rows": 3,
    }


def test_entities_in_train_and_test_are_warned_about_once_and_flagged():
    X = np.zeros((10, 4, 1), dtype=np.float32)
    subject = np.repeat(np.array(list("abcde"), dtype=object), 2)
    note = np.array(["u", "v"] * 5, dtype=object)
    train, test = np.arange(0, 10, 2), np.arange(1, 10, 2)  # every subject on both sides
    checks = data_checks(X, train, test, [], other_columns={"subject": subject, "note": note})
    assert [s["column"] for s in checks["shared_values"]] == ["subject"]  # note is no entity
    result = _result(checks=checks)
    (warning,) = [w for w in run_warnings(result, 30, 0.05) if "appear in both" in w]
    assert warning == (
        "5 values of `subject` appear in both train and test (5 test rows): if a value is one "
        "entity, split by it with `data.group=subject`."
    )
    assert diagnostic_flags(result)["entities_in_train_and_test"]
    kfold = {**result, "split": {"method": "kfold", "folds": 5, "repeats": 1}}
    (warning,) = [w for w in run_warnings(kfold, 30, 0.05) if "values of `subject`" in w]
    assert warning.startswith(
        "5 values of `subject` appear in a fold's training rows and its held-out rows "
        "(5 held-out rows)"
    )
    apart = data_checks(X, np.arange(6), np.arange(6, 10), [], other_columns={"subject": subject})
    assert apart["shared_values"][0]["values"] == 0
    quiet = _result(checks=apart)
    assert not any("appear in both" in w for w in run_warnings(quiet, 30, 0.05))
    assert not diagnostic_flags(quiet)["entities_in_train_and_test"]


def test_seen_rows_in_a_grouped_split_name_the_grouping():
    checks = {
        "test_rows": 200,
        "test_rows_in_train": 50,
        "sequence_columns": None,
        "columns_look_like_a_series": None,
        "group": {"column": "subject", "n_groups": 40, "groups": {}},
        "shared_values": [],
    }
    (warning,) = [w for w in run_warnings(_result(checks=checks), 30, 0.05) if "identical" in w]
    assert "The split is grouped by `subject`, so these are rows of different groups" in warning


def test_under_a_time_split_shared_entities_are_later_rows_not_a_grouping_to_add():
    X = np.zeros((10, 4, 1), dtype=np.float32)
    subject = np.repeat(np.array(list("abcde"), dtype=object), 2)
    train, test = np.arange(0, 10, 2), np.arange(1, 10, 2)
    checks = data_checks(X, train, test, [], other_columns={"subject": subject})
    result = {**_result(checks=checks), "split": {"method": "time", "order": "day"}}
    (warning,) = [w for w in run_warnings(result, 30, 0.05) if "appear in both" in w]
    assert warning.endswith(
        "if a value is one entity, the test measures those entities later in time, not new ones "
        "(data.group cannot be combined with split=time yet)."
    )
    assert "data.group=subject" not in warning
    (seen,) = [w for w in run_warnings(result, 30, 0.05) if "identical to a training row" in w]
    assert "Under a time split they may be known entities measured again later" in seen
    assert "data.group" not in seen
