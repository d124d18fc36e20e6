"""split=kfold's folds: every row held out once per repeat, disjoint splits, whole groups;
split=rolling's: never a row trained on later than one tested."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf
from sklearn.model_selection import RepeatedStratifiedKFold

from threshold_sweep.errors import UserError
from threshold_sweep.prepare.folds import kfold_splits
from threshold_sweep.prepare.split import quantile_bins


def split_cfg(**values):
    """A split config of split=kfold's defaults, with `values` replaced."""
    base = {"folds": 5, "repeats": 1, "validation_fraction": 0.15, "n_bins": 10, "seed": 0}
    return OmegaConf.create(base | values)


def check_partition(folds, n: int, repeats: int, k: int) -> None:
    """Each repeat holds every row out exactly once; each fold's three splits are disjoint."""
    assert len(folds) == repeats * k
    for repeat in range(repeats):
        held_out = np.concatenate([f.split.test for f in folds if f.repeat == repeat])
        assert np.array_equal(np.sort(held_out), np.arange(n))
    for fold in folds:
        parts = [fold.split.train, fold.split.validation, fold.split.test]
        assert sum(len(p) for p in parts) == n
        assert len(np.unique(np.concatenate(parts))) == n


def test_held_out_folds_are_scikit_learns_repeated_stratified_folds_on_x_bins():
    x = np.random.default_rng(1).lognormal(3, 1, 200)
    folds = kfold_splits(x, split_cfg(repeats=2))
    check_partition(folds, 200, 2, 5)
    expected = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)
    for fold, (_, test) in zip(folds, expected.split(x, quantile_bins(x, 10)), strict=True):
        assert np.array_equal(fold.split.test, np.sort(test))
    assert [f.name for f in folds[:2]] == ["repeat1_fold1", "repeat1_fold2"]
    assert folds[5].name == "repeat2_fold1"
    # validation: 15 % of all rows, from the training folds; x's range in every fold
    assert all(len(f.split.validation) == 30 for f in folds)
    for fold in folds:
        assert x[fold.split.test].min() < np.quantile(x, 0.1) < np.quantile(x, 0.9)
        assert x[fold.split.test].max() > np.quantile(x, 0.9)


def test_the_folds_are_seeded():
    x = np.random.default_rng(2).normal(size=100)
    first, again = kfold_splits(x, split_cfg()), kfold_splits(x, split_cfg())
    other = kfold_splits(x, split_cfg(seed=1))

    def same(a, b):
        return all(np.array_equal(f.split.test, g.split.test) for f, g in zip(a, b, strict=True))

    assert same(first, again) and not same(first, other)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_groups=st.integers(6, 40),
    rows_per_group=st.integers(1, 6),
    k=st.integers(2, 5),
    seed=st.integers(0, 1000),
)
def test_grouped_folds_never_put_a_group_in_two_splits(n_groups, rows_per_group, k, seed):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), rows_per_group)
    rng.shuffle(groups)
    x = rng.normal(size=len(groups)) + groups  # x varies with the group, as a subject's would
    if k > len(groups) // 4:
        return
    folds = kfold_splits(x, split_cfg(folds=k, seed=seed), groups=groups)
    check_partition(folds, len(groups), 1, k)
    for fold in folds:
        sides = [set(groups[rows]) for rows in (fold.split.train, fold.split.validation)]
        sides.append(set(groups[fold.split.test]))
        assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])


@pytest.mark.parametrize(
    ("values", "groups", "message"),
    [
        ({"folds": 1}, None, "split.folds=1 must be at least 2"),
        ({"repeats": 0}, None, "split.repeats=0 must be at least 1"),
        ({"folds": 30}, None, "split.folds=30 is too many for 40 rows"),
        ({"validation_fraction": 0.9}, None, "split.validation_fraction=0.9 must be between"),
        ({"folds": 5}, np.repeat([0, 1, 2], [14, 13, 13]), "needs at least 5 groups"),
    ],
)
def test_bad_fold_settings_say_what_to_change(values, groups, message):
    with pytest.raises(UserError, match=message):
        kfold_splits(np.arange(40.0), split_cfg(**values), groups=groups)


def test_pooled_checks_count_every_held_out_row_once():
    from threshold_sweep.prepare.checks import data_checks, pooled_checks

    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 3, 1))
    X[50:60] = X[0:10]  # ten rows repeat ten others exactly
    subject = np.repeat([f"p{i}" for i in range(25)], 4)
    folds = kfold_splits(X[:, 0, 0], split_cfg())
    per_fold = [
        data_checks(X, f.split.train, f.split.test, [], other_columns={"subject": subject})
        for f in folds
    ]
    pooled = pooled_checks(per_fold, [f.split for f in folds], {"subject": subject})
    assert pooled["test_rows"] == 100
    # a held-out row counts when its twin (row i and i + 50, i < 10) is among the fold's
    # training rows (not its validation rows)
    twin = {**{i: i + 50 for i in range(10)}, **{i + 50: i for i in range(10)}}
    expected = sum(
        sum(1 for i in f.split.test if i in twin and twin[i] in set(f.split.train)) for f in folds
    )
    assert expected > 0 and pooled["test_rows_in_train"] == expected
    (shared,) = pooled["shared_values"]
    assert shared["column"] == "subject"
    assert shared["test_rows"] == sum(c["shared_values"][0]["test_rows"] for c in per_fold)
    # a subject straddling several folds counts once, not once per fold
    straddling = {
        s for f in folds for s in set(subject[f.split.test]) & set(subject[f.split.train])
    }
    assert shared["values"] == len(straddling) <= 25
    assert sum(c["shared_values"][0]["values"] for c in per_fold) > len(straddling)


def _rolling(order, **values):
    from threshold_sweep.prepare.folds import rolling_splits

    return rolling_splits(np.asarray(order), split_cfg(**values), None, "data.order=date")


@settings(max_examples=60, deadline=None)
@given(
    order=st.lists(st.integers(0, 60), min_size=40, max_size=200),
    folds=st.integers(2, 6),
    validation_fraction=st.floats(0.05, 0.45),
)
def test_rolling_folds_never_train_on_a_row_later_than_one_they_test(
    order, folds, validation_fraction
):
    order = np.asarray(order)
    try:
        result = _rolling(order, folds=folds, validation_fraction=validation_fraction)
    except UserError as error:
        assert "too few rows" in str(error)  # ties swallowed a part: our error, not a bug
        return
    assert [f.index for f in result] == list(range(folds)) and {f.repeat for f in result} == {0}
    tested = np.concatenate([f.split.test for f in result])
    assert len(tested) == len(set(tested))  # each row is tested at most once
    for fold in result:
        train, validation, test = (order[rows] for _, rows in fold.split.items())
        assert min(len(train), len(validation), len(test)) >= 2
        assert train.max() < validation.min() and validation.max() < test.min()
        # the fold trains on every row earlier than its tested block: an expanding window
        earlier = np.flatnonzero(order < test.min())
        assert np.array_equal(np.union1d(fold.split.train, fold.split.validation), earlier)
    blocks = [order[f.split.test] for f in result]
    assert all(a.max() < b.min() for a, b in itertools.pairwise(blocks))  # consecutive
    untested = np.setdiff1d(np.arange(len(order)), tested)
    assert order[untested].max() < order[tested].min()  # only the earliest block is untested
    assert order[result[-1].split.test].max() == order.max()  # the latest rows are tested


def test_rolling_blocks_have_about_equal_rows():
    result = _rolling(np.arange(600), folds=5)
    assert [len(f.split.test) for f in result] == [100] * 5
    first = result[0].split
    assert len(first.train) + len(first.validation) == 100 and len(first.validation) == 15


@pytest.mark.parametrize(
    ("values", "groups", "message"),
    [
        ({"repeats": 2}, None, "split.repeats=2: split=rolling has one order, so one repeat"),
        ({"validation_fraction": 0.6}, None, "must be between 0 and 0.5 with split=rolling"),
        ({"folds": 1}, None, "split.folds=1 must be at least 2"),
        ({}, np.arange(100) % 10, "split=rolling cannot be combined with data.group yet"),
    ],
)
def test_rolling_settings_errors(values, groups, message):
    from threshold_sweep.prepare.folds import rolling_splits

    with pytest.raises(UserError, match=re.escape(message)):
        rolling_splits(np.arange(100), split_cfg(**values), groups, "data.order=date")


def test_rolling_needs_an_order_and_enough_distinct_times():
    from threshold_sweep.prepare.folds import rolling_splits

    with pytest.raises(UserError, match=r"split=rolling needs data\.order"):
        rolling_splits(None, split_cfg(), None, "data.order=date")
    with pytest.raises(UserError, match=r"fold \d gets too few rows"):
        _rolling(np.repeat([1, 2, 3], 40))  # three dates cannot make six blocks
