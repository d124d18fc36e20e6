"""Data and learning diagnostics: each rule fires on its case and stays silent otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from test_assess import result_for, sample

from threshold_sweep.data.columns import looks_like_an_entity
from threshold_sweep.evaluate.diagnostics import (
    OVERFIT_MIN_SKILL,
    TRAILS_MARGIN,
    UNDERFIT_AUC,
    diagnostic_flags,
    kept_first_epoch,
    overfit_blocker,
    overfitting,
    run_warnings,
)
from threshold_sweep.prepare.checks import (
    data_checks,
    looks_like_a_series,
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


@pytest.mark.parametrize(
    "columns",
    [["age", "bmi", "bp", "s1"], [f"f{i}" for i in range(10)], [f"step_{i}" for i in range(4)]],
)
def test_table_columns_read_as_a_sequence_are_warned_about_whatever_their_names(columns):
    X = np.zeros((6, len(columns), 1), dtype=np.float32)
    table = _result(checks=data_checks(X, np.arange(3), np.arange(3, 6), columns))
    (warning,) = [w for w in run_warnings(table, 30, 0.05) if "table columns" in w]
    shown = ", ".join(columns[:6]) + (", ..." if len(columns) > 6 else "")
    assert f"{len(columns)} table columns ({shown}) as {len(columns)} steps" in warning
    assert "only if they are measured along one axis" in warning
    numbered = looks_like_a_series(columns)
    assert ("Numbered names such as these do not show that" in warning) == numbered
    assert ("Their names do not suggest it." in warning) != numbered
    assert diagnostic_flags(table)["table_as_sequence"]


def test_synthetic_and_array_sequences_are_not_warned_about_as_table_columns():
    X = np.zeros((6, 4, 1), dtype=np.float32)
    synthetic = _result(checks=data_checks(X, np.arange(3), np.arange(3, 6), []))
    assert not any("table columns" in w for w in run_warnings(synthetic, 30, 0.05))
    assert not diagnostic_flags(synthetic)["table_as_sequence"]


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


def _overfit(train_ba: float, train_auc: float = 0.95, best_epoch: int = 6) -> dict:
    """_result() with train balanced accuracy `train_ba`, test ROC-AUC 0.7 and balanced accuracy
    0.45."""
    result = _result()
    result["train"] = {**result["train"], "roc_auc": train_auc, "balanced_accuracy": train_ba}
    result["test"] = {**result["test"], "roc_auc": 0.7, "balanced_accuracy": 0.45}
    result["ci"]["test"] |= {"roc_auc": [0.65, 0.75], "balanced_accuracy": [0.40, 0.50]}
    result["training"] = {**result["training"], "best_epoch": best_epoch}
    result["overfitting"] = overfitting(result, 0.05)
    return result


@pytest.mark.parametrize("train_ba", [0.506, 0.581])
def test_a_gap_from_a_train_score_near_chance_is_not_overfitting(train_ba):
    result = _overfit(train_ba)
    assert not result["overfitting"]["balanced_accuracy"]["large"]
    assert overfit_blocker(result, "balanced_accuracy").startswith(f"train {train_ba:.3f} below")
    assert not any("balanced_accuracy" in w for w in run_warnings(result, 30, 0.05))


def test_a_gap_from_a_train_score_well_above_chance_is_overfitting_in_one_line():
    floor = 0.5 + OVERFIT_MIN_SKILL * 0.5
    result = _overfit(floor + 0.05)
    assert result["overfitting"]["balanced_accuracy"]["large"]
    assert overfit_blocker(result, "balanced_accuracy") is None
    (line,) = [w for w in run_warnings(result, 30, 0.05) if w.startswith("Overfitting")]
    assert f"train balanced_accuracy {floor + 0.05:.3f} vs test 0.450 (gap 0.250)" in line
    assert "train roc_auc 0.950 vs test 0.700 (gap 0.250)" in line  # both flagged, one line


def test_weights_kept_from_epoch_one_read_as_learned_nothing_never_as_overfitting():
    result = _overfit(0.95, best_epoch=1)
    result["training"] |= {"epochs_run": 5, "monitor": "val_roc_auc"}
    result["overfitting"] = overfitting(result, 0.05)
    warnings = run_warnings(result, 30, 0.05)
    assert not any(row["large"] for row in result["overfitting"].values())
    assert not any(w.startswith("Overfitting") for w in warnings)
    assert any("learned nothing after epoch 1" in w for w in warnings)
    assert not any("earlier" in w for w in warnings)  # never "stop earlier"
    assert "learned nothing after epoch 1" in overfit_blocker(result, "roc_auc")
    assert not kept_first_epoch(_overfit(0.95))


def test_small_counts_make_one_line_naming_every_small_class_and_the_tuned_cutoff():
    y, score, _ = sample(60, 0.3, 0.4, seed=4)  # about 18 'high' and 42 'low' test rows
    result, _ = result_for(y, score)
    result["class_counts"] = {"validation": {"low": 40, "high": 7}}
    result["tuned_cutoff"] = {"cutoff": 0.4}
    lines = [w for w in run_warnings(result, 50, 0.05) if "rows" in w and "cutoff" in w]
    (line,) = [w for w in run_warnings(result, 50, 0.05) if w.startswith("Small test classes")]
    assert lines == [line]
    low, high = np.bincount(y, minlength=2)
    assert f"2 of 2 have fewer than evaluate.min_class_rows=50 test rows ('low' {low} rows" in line
    assert f"'high' {high} rows, recall" in line
    assert line.endswith("only 7 'high' rows: treat the tuned cutoff as rough.")
    quiet, _ = result_for(*sample(2000, 0.5, 0.4, seed=4)[:2])
    assert not any("Small test classes" in w or "tuned" in w for w in run_warnings(quiet, 30, 0.05))


def test_no_warning_sends_the_user_to_check_the_label_encoding():
    y, score, _ = sample(2000, 0.57, 0.4, seed=6)
    _, flipped = result_for(y, 1 - score)
    (line,) = [w for w in flipped if "at or below the positive prevalence" in w]
    assert "label encoding" not in " ".join(flipped)
    assert line.endswith("predicting 'high' is no better than chance.")


def _trailing(difference: float, ci: tuple[float, float]) -> dict:
    """_result() with a reference model the CNN trails by `difference` (CI `ci`)."""
    result = _result()
    comparison = {"difference": difference, "ci_low": ci[0], "ci_high": ci[1]}
    result["reference"] = {
        "n_train": 1000,
        "best": "hgb",
        "cnn_trails_best": ci[1] < 0,
        "models": {
            "hgb": {
                "label": "gradient-boosted trees",
                "test": {"roc_auc": result["test"]["roc_auc"] - difference},
                "cnn_minus_reference": {"roc_auc": comparison},
            }
        },
    }
    return result


def test_trailing_a_reference_warns_only_beyond_noise_and_beyond_a_meaningful_gap():
    big = _trailing(-0.05, (-0.08, -0.02))
    (line,) = [w for w in run_warnings(big, 30, 0.05) if "trails" in w]
    assert "CNN - reference -0.050" in line and "These data allow better" in line
    assert diagnostic_flags(big)["trails_reference"]
    tiny = _trailing(-0.0004, (-0.0007, -0.0001))  # beyond noise, but negligible
    assert not any("allow better" in w for w in run_warnings(tiny, 30, 0.05))
    assert not diagnostic_flags(tiny)["trails_reference"]
    noisy = _trailing(-0.05, (-0.12, 0.02))  # large, but within noise
    assert not any("allow better" in w for w in run_warnings(noisy, 30, 0.05))
    assert TRAILS_MARGIN == 0.02


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (
            {"low": 100, "high": 100},
            "Undersampling discarded 80% of the training rows (800 of 1000)",
        ),
        (
            {"low": 450, "high": 100},
            "Undersampling discarded 45% of the training rows (450 of 1000)",
        ),
        ({"low": 880, "high": 100}, None),  # 2% discarded: the same rows, near enough
        ({"low": 900, "high": 100}, None),  # nothing discarded
        ({"low": 900, "high": 900}, None),  # oversampled
    ],
)
def test_the_share_of_training_rows_discarded_is_warned_about(after, expected):
    result = _result()
    result["class_counts"] = {**result["class_counts"], "train": {"low": 900, "high": 100}}
    result["class_counts_after_sampling"] = {"train": after}
    lines = [w for w in run_warnings(result, 30, 0.05) if "discarded" in w]
    if expected is None:
        assert lines == [] and not diagnostic_flags(result)["training_rows_discarded"]
        return
    (line,) = lines
    assert line.startswith(expected)
    assert diagnostic_flags(result)["training_rows_discarded"]
    assert ("sampling=class_weight keeps every row" in line) == (sum(after.values()) <= 500)
    result["reference"] = _trailing(-0.001, (-0.01, 0.01))["reference"]
    (line,) = [w for w in run_warnings(result, 30, 0.05) if "discarded" in w]
    assert "while the reference models fitted on all 1000 (class-weighted)" in line


def test_entities_of_several_columns_in_train_and_test_make_one_line():
    X = np.zeros((10, 4, 1), dtype=np.float32)
    subject = np.repeat(np.array(list("abcde"), dtype=object), 2)
    site = np.repeat(np.array(["n", "s"], dtype=object), 5)
    train, test = np.arange(0, 10, 2), np.arange(1, 10, 2)
    columns = {"subject": subject, "site": site}
    result = _result(checks=data_checks(X, train, test, [], other_columns=columns))
    (line,) = [w for w in run_warnings(result, 30, 0.05) if "appear in both" in w]
    assert line == (
        "Values of 2 id-like columns appear in both train and test: 5 of `subject` (5 test "
        "rows), 2 of `site` (5 test rows). If a column's value is one entity, split by it with "
        "`data.group=<that column>`."
    )


@pytest.mark.parametrize(("low", "small"), [(9, True), (10, False)])
def test_a_test_class_under_ten_rows_flags_a_small_test_set(low, small):
    result = _result()
    result["test"] = {**result["test"], "confusion_matrix": [[low - 2, 2], [3, 40]]}
    assert diagnostic_flags(result)["small_test_set"] is small
