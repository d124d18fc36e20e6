"""Labels, split, sampling and standardization, each checked against an independent count."""

from __future__ import annotations

import re
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from threshold_sweep.errors import UserError
from threshold_sweep.prepare import prepare
from threshold_sweep.prepare.labels import check_class_counts, check_threshold, make_labels
from threshold_sweep.prepare.sampling import sample_training_rows
from threshold_sweep.prepare.split import split_rows
from threshold_sweep.prepare.standardize import Standardizer

from conftest import compose_config


def split_cfg(seed: int = 0, validation: float = 0.15, test: float = 0.15) -> SimpleNamespace:
    return SimpleNamespace(validation_fraction=validation, test_fraction=test, n_bins=10, seed=seed)


def test_labels_are_strictly_greater_than_the_threshold():
    x = np.array([99.0, 100.0, 100.5, 1000.0, 1e4])
    np.testing.assert_array_equal(make_labels(x, 100), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(make_labels(x, 1000), [0, 0, 0, 0, 1])


def test_threshold_outside_range_is_rejected():
    with pytest.raises(UserError, match=r"outside the range of x \[1, 3\]"):
        check_threshold(np.array([1.0, 2.0, 3.0]), 3.0)
    check_threshold(np.array([1.0, 2.0, 3.0]), 1.0)
    with pytest.raises(UserError, match=r"outside the range of price \[1, 3\]"):
        check_threshold(np.array([1.0, 2.0, 3.0]), 0.5, "price")  # a table's target column


def test_too_few_rows_per_class_message_has_the_counts():
    counts = {
        "train": {"low": 50, "high": 3},
        "validation": {"low": 9, "high": 1},
        "test": {"low": 9, "high": 2},
    }
    with pytest.raises(
        UserError,
        match=re.escape("train high=3, validation high=1, test high=2 < label.min_per_split=5"),
    ):
        check_class_counts(counts, 5000, 5)
    with pytest.raises(UserError, match=r"the median of x, add data"):
        check_class_counts(counts, 5000, 5)
    with pytest.raises(UserError, match=r"toward the median of price, add data"):
        check_class_counts(counts, 5000, 5, target="price")  # a table's target column


@pytest.mark.parametrize("n", [50, 997, 5000])
def test_split_is_disjoint_covering_and_sized(n):
    x = 10 ** np.random.default_rng(n).normal(2, 1, n)
    split = split_rows(x, split_cfg())
    parts = [split.train, split.validation, split.test]
    assert sum(map(len, parts)) == n
    assert len(np.unique(np.concatenate(parts))) == n
    assert len(split.test) == round(0.15 * n)


def test_split_is_stratified_on_x_and_fixed_by_seed():
    x = 10 ** np.random.default_rng(1).normal(2.11, 0.63, 4000)
    a, b, c = split_rows(x, split_cfg(0)), split_rows(x, split_cfg(0)), split_rows(x, split_cfg(1))
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.test, c.test)
    # quantile-bin stratification: the test split's deciles of x match the whole data's
    deciles = np.quantile(x, np.linspace(0.1, 0.9, 9))
    shares = np.bincount(np.searchsorted(deciles, x[a.test]), minlength=10) / len(a.test)
    np.testing.assert_allclose(shares, 0.1, atol=0.011)


@pytest.mark.parametrize(("validation", "test"), [(0, 0.2), (0.2, 1.0), (0.5, 0.5), (-0.1, 0.2)])
def test_bad_split_fractions(validation, test):
    with pytest.raises(UserError, match="split"):
        split_rows(np.arange(100.0), split_cfg(validation=validation, test=test))


def test_same_test_rows_for_every_threshold():
    tests = {
        t: prepare(compose_config("data.n_samples=2000", f"label.threshold={t}")).split.test
        for t in (30, 100, 1000)
    }
    np.testing.assert_array_equal(tests[30], tests[100])
    np.testing.assert_array_equal(tests[100], tests[1000])


def test_undersampling_balances_train_only():
    data = prepare(compose_config("data.n_samples=3000", "label.threshold=1000"))
    rows = data.training.indices
    counts = Counter(data.y[rows])
    minority = min(Counter(data.y[data.split.train]).values())
    assert counts[0] == counts[1] == minority
    assert set(rows) <= set(data.split.train)
    assert len(set(rows)) == len(rows)
    assert not set(rows) & (set(data.split.validation) | set(data.split.test))
    assert data.counts_after["test"] == data.counts_before["test"]
    assert data.counts_after["train"] == {"low": minority, "high": minority}


def test_oversampling_and_class_weight():
    y = np.array([0] * 90 + [1] * 10)
    rows = np.arange(100)
    over = sample_training_rows(rows, y, "oversample", 0)
    assert Counter(y[over.indices]) == {0: 90, 1: 90}
    assert set(over.indices) == set(rows)
    weighted = sample_training_rows(rows, y, "class_weight", 0)
    expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    assert weighted.class_weight == pytest.approx({0: expected[0], 1: expected[1]})
    np.testing.assert_array_equal(sample_training_rows(rows, y, "none", 0).indices, rows)


def test_undersampling_is_seeded():
    y = np.array([0] * 90 + [1] * 10)
    a, b, c = (sample_training_rows(np.arange(100), y, "undersample", s).indices for s in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.sort(a), np.sort(c))


@pytest.mark.parametrize(("per", "axes"), [("step", (0,)), ("channel", (0, 1))])
def test_standardization_uses_training_rows_only(per, axes):
    data = prepare(compose_config("data.n_samples=1000", f"data.standardize={per}"))
    train = data.dataset.X[data.split.train].astype(np.float64)
    expected = np.broadcast_to(train.mean(axis=axes, keepdims=True)[0], train.shape[1:])
    np.testing.assert_allclose(data.standardizer.mean, expected, atol=1e-5)
    assert data.standardizer.per == per
    scaled = data.features(data.split.train)
    np.testing.assert_allclose(scaled.mean(axis=axes), 0, atol=1e-4)
    np.testing.assert_allclose(scaled.std(axis=axes), 1, atol=1e-3)
    everything = Standardizer.fit(data.dataset.X, per=per)
    assert not np.allclose(everything.mean, data.standardizer.mean)
