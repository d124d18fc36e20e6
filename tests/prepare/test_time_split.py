"""Time-ordered splits (split=time, data.order): every split strictly later than the one before,
whatever the order values and their ties; order values read from tables and arrays; the class
balance drift of the later splits, checked against computations of its own."""

from __future__ import annotations

import logging
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, norm

from threshold_sweep.conf.validate import validate_config
from threshold_sweep.data.arrays import load_arrays
from threshold_sweep.data.order import order_values
from threshold_sweep.data.table import load_table
from threshold_sweep.errors import UserError
from threshold_sweep.pipeline.record import config_fingerprint
from threshold_sweep.prepare import prepare
from threshold_sweep.prepare.balance import balance_drift
from threshold_sweep.prepare.split import check_time_order, split_rows

from conftest import compose_config, timeline_csv


def time_cfg(validation: float = 0.15, test: float = 0.15) -> SimpleNamespace:
    return SimpleNamespace(
        method="time", validation_fraction=validation, test_fraction=test, n_bins=10, seed=0
    )


@st.composite
def order_arrays(draw: st.DrawFn) -> np.ndarray:
    """Order values of one kind (integers, floats or datetimes), with as many ties as drawn."""
    n = draw(st.integers(6, 300))
    distinct = draw(st.integers(1, n))
    kind = draw(st.sampled_from(["int", "float", "datetime"]))
    if kind == "int":
        values = st.integers(-(10**9), 10**9)
    elif kind == "float":
        values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    else:
        values = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1))
    pool = draw(st.lists(values, min_size=distinct, max_size=distinct, unique=True))
    rows = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    return np.array(rows, dtype="datetime64[us]" if kind == "datetime" else None)


@pytest.mark.slow  # no training, but 200 hypothesis examples: ~2 CPU s
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=order_arrays(),
    fractions=st.sampled_from([(0.15, 0.15), (0.1, 0.2), (0.2, 0.1), (0.3, 0.3), (0.05, 0.1)]),
)
def test_every_split_is_strictly_later_than_the_one_before(order, fractions):
    validation_fraction, test_fraction = fractions
    cfg = time_cfg(validation_fraction, test_fraction)
    n = len(order)
    try:
        split = split_rows(np.ones(n), cfg, order=order, order_setting="data.order=t")
    except UserError as error:  # too few rows, or ties that swallow a split: our one line
        assert "too few" in str(error) or "ties leave a split too small" in str(error)
        return
    parts = [split.train, split.validation, split.test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))  # each row in one split
    assert all(len(rows) >= 2 for rows in parts)
    train, validation, test = (order[rows] for rows in parts)
    assert train.max() < validation.min() and validation.max() < test.min()
    # the sizes follow the fractions, each boundary moved by less than a tie's length
    n_test, n_validation = round(n * test_fraction), round(n * validation_fraction)
    tie = int(pd.Series(order).value_counts().max())
    assert 0 <= len(split.train) - (n - n_test - n_validation) < tie
    assert abs(len(split.test) - n_test) < 2 * tie
    if tie == 1:  # no ties: exactly the fractions' sizes
        assert (len(split.test), len(split.validation)) == (n_test, n_validation)
    # nothing but the order values decides: shuffled rows give the same values per split
    shuffled = np.random.default_rng(n).permutation(n)
    again = split_rows(np.ones(n), cfg, order=order[shuffled])
    for (_, a), (_, b) in zip(split.items(), again.items(), strict=True):
        np.testing.assert_array_equal(np.sort(order[a]), np.sort(order[shuffled][b]))


def test_a_boundary_moves_to_the_end_of_a_tie():
    # 20 rows, 0.15/0.15: 14 train, 3 validation, 3 test before ties are kept together; the
    # 14th row is a 2, so train takes every 2; validation's 3rd row is a 3 and takes both
    order = np.array([1] * 13 + [2] * 3 + [3] * 2 + [4] * 2)[::-1]
    split = split_rows(np.ones(20), time_cfg(), order=order)
    assert sorted(order[split.train]) == [1] * 13 + [2] * 3
    assert order[split.validation].tolist() == [3, 3]
    assert order[split.test].tolist() == [4, 4]


def test_ties_that_leave_a_split_too_small_are_one_line_with_the_fix():
    with pytest.raises(UserError, match=r"data.order=day: rows with the same order value stay"):
        split_rows(
            np.ones(40),
            time_cfg(),
            order=np.array([0] * 35 + [1] * 5),
            order_setting=("data.order=day"),
        )
    with pytest.raises(UserError, match=r"give a finer order \(a timestamp rather than a day\)"):
        split_rows(np.ones(40), time_cfg(), order=np.zeros(40, dtype=int))


def test_a_time_split_needs_an_order_and_no_grouping():
    with pytest.raises(UserError, match=r"split=time needs data.order"):
        split_rows(np.ones(40), time_cfg())
    with pytest.raises(UserError, match=r"cannot be combined with data.group=g yet"):
        split_rows(np.ones(40), time_cfg(), np.arange(40) % 5, "data.group=g", np.arange(40))


def test_an_order_that_goes_back_in_time_stops_the_run():
    from threshold_sweep.prepare.split import Split

    split = Split(train=np.array([0, 3]), validation=np.array([1, 2]), test=np.array([4, 5]))
    with pytest.raises(RuntimeError, match="not strictly later"):
        check_time_order(np.array([1, 2, 3, 4, 5, 6]), split)


# --- the order values -------------------------------------------------------------------


def table_cfg(path, **settings) -> SimpleNamespace:
    defaults = {"target": "x", "features": None, "id": None, "group": None, "order": "date"}
    return SimpleNamespace(path=str(path), **{**defaults, "on_missing": "error", **settings})


def test_a_table_date_column_orders_the_rows_and_is_no_feature(tmp_path):
    path = timeline_csv(tmp_path / "t.csv", drift=False)
    frame = pd.read_csv(path)
    dataset = load_table(table_cfg(path))
    assert dataset.order.dtype.kind == "M" and dataset.order_name == "date"
    expected = pd.to_datetime(frame["date"]).to_numpy()
    np.testing.assert_array_equal(dataset.order, expected)
    assert dataset.features == [f"t{i}" for i in range(8)]
    assert "date" not in dataset.ignored_columns


def test_numbers_stay_numbers_and_are_no_features(tmp_path):
    a = [v % 5 for v in range(12)]  # not a row counter: that is no feature (tests/data)
    frame = pd.DataFrame({"year": [2003, 2001, 2002] * 4, "a": a, "x": range(12)})
    frame.to_csv(tmp_path / "y.csv", index=False)
    dataset = load_table(table_cfg(tmp_path / "y.csv", order="year"))
    assert dataset.order.dtype == np.int64 and dataset.order.tolist() == frame["year"].tolist()
    assert dataset.features == ["a"]
    text = order_values(np.array(["3", "1.5", "2"]), "data.order=t")  # text of numbers
    assert text.dtype == np.float64 and text.tolist() == [3.0, 1.5, 2.0]


def test_parquet_timestamps_and_time_zones_are_compared_in_utc(tmp_path):
    stamps = pd.to_datetime(["2020-01-01T10:00+02:00", "2020-01-01T09:00+00:00"] * 6, utc=True)
    stamps = stamps.tz_convert("Europe/Berlin")  # one zone in the file: 09:00 and 10:00 there
    frame = pd.DataFrame({"when": stamps, "a": [v % 5 for v in range(12)], "x": range(12)})
    frame.to_parquet(tmp_path / "t.parquet")
    dataset = load_table(table_cfg(tmp_path / "t.parquet", order="when"))
    assert dataset.order.dtype.kind == "M"
    assert dataset.order[0] < dataset.order[1]  # 08:00 UTC before 09:00 UTC
    mixed = order_values(np.array(["2020-01-01T10:00+02:00", "2020-01-01T09:00+00:00"]), "k")
    assert mixed[0] < mixed[1]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            ["2020-01-01", "2020-01-02", "yesterday"],
            "data.order=t: 'yesterday' (row 2, counting data rows from 0) is not a date, a time",
        ),
        ([True, False, True], "data.order=t: true/false values cannot order rows in time"),
    ],
)
def test_values_that_cannot_be_ordered_are_one_line(values, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        order_values(
            np.array(values, dtype=object if isinstance(values[0], str) else None), "data.order=t"
        )


def test_missing_order_values_follow_on_missing(tmp_path, caplog):
    path = timeline_csv(tmp_path / "t.csv", drift=False)
    frame = pd.read_csv(path)
    frame.loc[[3, 7], "date"] = None
    frame.to_csv(path, index=False)
    with pytest.raises(UserError) as error:
        load_table(table_cfg(path))
    assert "order column 'date' (data.order) has 2 missing or infinite value(s) (rows 3, 7" in str(
        error.value
    )
    assert "data.on_missing=drop" in str(error.value)
    with caplog.at_level(logging.WARNING):
        dataset = load_table(table_cfg(path, on_missing="drop"))
    assert len(dataset) == len(frame) - 2 and not np.isnat(dataset.order).any()
    assert "dropped 2 row(s)" in caplog.text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"order": "when"}, "data.order: no column 'when' in t.csv"),
        ({"order": "x"}, "data.order=x is the target column"),
        ({"features": ["t0", "date"]}, "data.features contains the order column 'date'"),
    ],
)
def test_an_order_column_must_exist_and_be_neither_target_nor_feature(tmp_path, settings, message):
    path = timeline_csv(tmp_path / "t.csv", drift=False)
    with pytest.raises(UserError, match=message):
        load_table(table_cfg(path, **settings))


def arrays_cfg(path, order: str) -> SimpleNamespace:
    return SimpleNamespace(
        path=str(path),
        sequences_key="X",
        target_key="x",
        id_key=None,
        group_key=None,
        order=order,
        on_missing="error",
    )


def test_an_npz_order_array_of_dates_or_text(tmp_path):
    days = np.arange("2020-01-01", "2020-01-13", dtype="datetime64[D]")
    np.savez(
        tmp_path / "d.npz", X=np.zeros((12, 4)), x=np.arange(12.0), day=days, text=days.astype(str)
    )
    for key in ("day", "text"):
        dataset = load_arrays(arrays_cfg(tmp_path / "d.npz", key))
        np.testing.assert_array_equal(dataset.order.astype("datetime64[D]"), days)
    with pytest.raises(UserError, match=r"data.order: no array 'when' in d.npz \(arrays: X, day"):
        load_arrays(arrays_cfg(tmp_path / "d.npz", "when"))
    np.savez(tmp_path / "d.npz", X=np.zeros((12, 4)), x=np.arange(12.0), day=days[:5])
    with pytest.raises(UserError, match=r"data.order=day has shape \(5,\); expected \(12,\)"):
        load_arrays(arrays_cfg(tmp_path / "d.npz", "day"))


# --- the config ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["split=time"], "split=time needs data.order: set data.order=<column>"),
        (["split=time", "data=table", "data.path=t.csv"], "split=time needs data.order"),
        (
            ["split=time", "data=table", "data.path=t.csv", "data.order=d", "data.group=s"],
            "split=time cannot be combined with data.group=s yet",
        ),
    ],
)
def test_a_time_split_config_names_what_it_lacks(overrides, message):
    with pytest.raises(UserError, match=message):
        validate_config(compose_config(*overrides))


def test_split_time_keeps_the_fractions_and_old_fingerprints():
    from omegaconf import OmegaConf

    timed = compose_config("split=time", "data=table", "data.path=t.csv", "data.order=d")
    assert timed.split.method.value == "time" and timed.split.test_fraction == 0.15
    validate_config(timed)
    cfg = compose_config("data=table", "data.path=t.csv")
    older = OmegaConf.to_container(cfg, resolve=True)
    del older["data"]["order"], older["split"]["method"]
    assert config_fingerprint(OmegaConf.create(older)) == config_fingerprint(cfg)
    assert config_fingerprint(timed) != config_fingerprint(cfg)


# --- the record and the drift -------------------------------------------------------------


@pytest.mark.parametrize(
    ("train", "later"),
    [
        ({"low": 300, "high": 100}, {"low": 60, "high": 40}),
        ({"low": 50, "high": 50}, {"low": 9, "high": 11}),
    ],
)
def test_two_class_drift_is_the_two_proportion_z_test(train, later):
    n1, n2 = sum(train.values()), sum(later.values())
    p1, p2 = train["high"] / n1, later["high"] / n2
    pooled = (train["high"] + later["high"]) / (n1 + n2)
    z = (p2 - p1) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    drift = balance_drift(train, later, 0.01)
    assert drift["p_value"] == pytest.approx(2 * norm.sf(abs(z)), rel=1e-9)
    assert drift["statistic"] == pytest.approx(z**2)
    assert drift["drifted"] == (2 * norm.sf(abs(z)) < 0.01)


def test_ordered_class_drift_is_the_chi_square_test_of_homogeneity():
    train, later = {"a": 200, "b": 150, "c": 50}, {"a": 30, "b": 40, "c": 30}
    observed = np.array([list(train.values()), list(later.values())], dtype=float)
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0) / observed.sum()
    statistic = ((observed - expected) ** 2 / expected).sum()
    drift = balance_drift(train, later, 0.01)
    assert drift["statistic"] == pytest.approx(statistic)
    assert drift["p_value"] == pytest.approx(chi2.sf(statistic, 2))
    assert drift["drifted"]
    assert not balance_drift(train, {"a": 0, "b": 0, "c": 0}, 0.01)["drifted"]  # no rows


def prepared(tmp_path, drift: bool, *overrides: str):
    path = timeline_csv(tmp_path / "t.csv", drift=drift)
    cfg = compose_config(
        "data=table", f"data.path={path}", "split=time", "data.order=date", *overrides
    )
    validate_config(cfg)
    return prepare(cfg), pd.read_csv(path)


def test_the_record_states_each_splits_dates_and_prevalence(tmp_path):
    data, frame = prepared(tmp_path, drift=True)
    record = data.split_record
    assert record["method"] == "time" and record["order"] == "date" and not record["stratified"]
    dates = pd.to_datetime(frame["date"])
    for name, rows in data.split.items():
        part = record["splits"][name]
        original = data.dataset.ids[rows]  # the CSV's row numbers
        assert part["rows"] == len(rows)
        assert part["first"] == dates[original].min().date().isoformat()
        assert part["last"] == dates[original].max().date().isoformat()
        assert part["prevalence"] == pytest.approx((frame["x"][original] > 100).mean())
    last_train = pd.Timestamp(record["splits"]["train"]["last"])
    assert last_train < pd.Timestamp(record["splits"]["validation"]["first"])
    assert record["drift"]["test"]["drifted"] and record["drift"]["validation"]["drifted"]


def test_a_steady_class_balance_raises_no_drift(tmp_path):
    data, _ = prepared(tmp_path, drift=False)
    assert not any(found["drifted"] for found in data.split_record["drift"].values())
    random = prepare(compose_config("data=table", f"data.path={tmp_path / 't.csv'}"))
    assert (
        random.split_record["drift"] is None
        and random.split_record["splits"]["test"]["first"] is None
    )
