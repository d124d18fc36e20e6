"""Grouped splits (data.group): no group in two splits, whatever the groups and the seed; the
same split for every threshold; fractions met as nearly as the groups allow."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threshold_sweep.errors import UserError
from threshold_sweep.pipeline.record import config_fingerprint
from threshold_sweep.prepare import prepare
from threshold_sweep.prepare.split import (
    FOLD_TOLERANCE,
    Split,
    check_groups_kept_together,
    fold_plan,
    groups_in_several_splits,
    split_rows,
)

from conftest import compose_config, subjects_csv


def split_cfg(seed: int = 0, validation: float = 0.15, test: float = 0.15) -> SimpleNamespace:
    return SimpleNamespace(validation_fraction=validation, test_fraction=test, n_bins=10, seed=seed)


def grouped_rows(sizes: list[int], seed: int, spread: float = 0.6) -> tuple[np.ndarray, ...]:
    """x and groups of groups with these sizes; a group's rows have similar x."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    level = rng.normal(2.0, spread, len(sizes))
    x = 10 ** (level[groups] + rng.normal(0, 0.1, len(groups)))
    order = rng.permutation(len(groups))  # a group's rows need not be neighbours
    return x[order], groups[order]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(1, 12), min_size=3, max_size=150),
    seed=st.integers(0, 2**16),
    fractions=st.sampled_from([(0.15, 0.15), (0.1, 0.2), (0.2, 0.1), (0.3, 0.3), (0.05, 0.1)]),
    text=st.booleans(),
)
def test_no_group_is_ever_in_two_splits(sizes, seed, fractions, text):
    x, groups = grouped_rows(sizes, seed)
    labels = np.array([f"g{g}" for g in groups]) if text else groups
    cfg = split_cfg(seed, *fractions)
    try:
        split = split_rows(x, cfg, labels)
    except UserError as error:  # too few rows or groups for three splits: our one line
        assert "too few" in str(error) or "too unequal" in str(error)
        return
    parts = [split.train, split.validation, split.test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(x)))  # disjoint, covering
    assert groups_in_several_splits(labels, split) == 0
    for rows in parts:
        assert len(rows) >= 2
    again = split_rows(x, cfg, labels)  # nothing but x, the groups and the seed decides
    for a, b in zip(split.items(), again.items(), strict=True):
        np.testing.assert_array_equal(a[1], b[1])


@settings(max_examples=30, deadline=None)
@given(
    n_groups=st.integers(60, 400),
    max_size=st.integers(1, 8),
    seed=st.integers(0, 2**16),
    fractions=st.sampled_from([(0.15, 0.15), (0.1, 0.2), (0.2, 0.2), (0.1, 0.1)]),
)
def test_fractions_are_roughly_respected_with_many_groups(n_groups, max_size, seed, fractions):
    rng = np.random.default_rng(seed)
    x, groups = grouped_rows(list(rng.integers(1, max_size + 1, n_groups)), seed)
    validation, test = fractions
    reached = split_rows(x, split_cfg(seed, validation, test), groups).fractions()
    assert reached["test"] == pytest.approx(test, abs=0.05)
    assert reached["validation"] == pytest.approx(validation, abs=0.05)


@pytest.mark.parametrize(
    ("n_groups", "validation", "test", "plan"),
    [
        (100, 0.15, 0.15, (7, 1, 1)),
        (100, 0.1, 0.2, (10, 2, 1)),
        (100, 0.1, 0.1, (10, 1, 1)),
        (5, 0.15, 0.15, (5, 1, 1)),
        (3, 0.15, 0.15, (3, 1, 1)),
    ],
)
def test_fold_plan_takes_the_fewest_folds_that_come_close(n_groups, validation, test, plan):
    assert fold_plan(n_groups, validation, test) == plan
    k, m_test, m_validation = plan
    if n_groups >= 20:
        assert abs(m_test / k - test) + abs(m_validation / k - validation) <= FOLD_TOLERANCE


def test_grouped_split_is_fixed_by_seed_and_stratified_on_x_at_the_group_level():
    x, groups = grouped_rows([5] * 2000, seed=1)
    a, b = split_rows(x, split_cfg(0), groups), split_rows(x, split_cfg(0), groups)
    c = split_rows(x, split_cfg(1), groups)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.test, c.test)
    deciles = np.quantile(x, np.linspace(0.1, 0.9, 9))
    shares = np.bincount(np.searchsorted(deciles, x[a.test]), minlength=10) / len(a.test)
    np.testing.assert_allclose(shares, 0.1, atol=0.01)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (["a"] * 60, "data.group=g: all 60 rows have the same value 'a', one group that cannot"),
        (["a"] * 30 + ["b"] * 30, "data.group=g: 2 groups are too few for train, validation"),
    ],
)
def test_too_few_groups_are_one_line_with_the_fix(groups, message):
    with pytest.raises(UserError, match=message) as error:
        split_rows(np.linspace(1, 100, len(groups)), split_cfg(), np.array(groups), "data.group=g")
    assert "leave it unset" in str(error.value)


def test_groups_too_unequal_for_three_splits():
    groups = np.array(["big"] * 200 + ["a", "b", "c"])  # 3 folds: two of them hold one row
    with pytest.raises(UserError, match=r"too unequal in size for three splits \(rows per"):
        split_rows(np.linspace(1, 100, len(groups)), split_cfg(), groups)


def test_a_group_in_two_splits_stops_the_run():
    groups = np.array([0, 0, 1, 1, 2, 2])
    split = Split(train=np.array([0, 2]), validation=np.array([3, 4]), test=np.array([1, 5]))
    assert groups_in_several_splits(groups, split) == 3
    with pytest.raises(RuntimeError, match="3 group"):
        check_groups_kept_together(groups, split)


def test_prepare_keeps_subjects_together_for_every_threshold(tmp_path):
    path = subjects_csv(tmp_path / "subjects.csv")
    grouped = {
        t: prepare(
            compose_config(
                "data=table", f"data.path={path}", "data.group=subject", f"label.threshold={t}"
            )
        )
        for t in (30, 100, 300)
    }
    for data in grouped.values():
        for (_, a), (_, b) in zip(data.split.items(), grouped[100].split.items(), strict=True):
            np.testing.assert_array_equal(a, b)
    data = grouped[100]
    assert "subject" not in data.dataset.features and "subject" not in data.dataset.ignored_columns
    checks = data.checks
    assert checks["group"]["column"] == "subject" and checks["group"]["n_groups"] == 120
    assert sum(checks["group"]["groups"].values()) == 120  # each subject in one split
    assert checks["test_rows_in_train"] == 0 and checks["shared_values"] == []
    assert checks["ignored_columns"] == [] and checks["id_column"] is None
    ungrouped = prepare(compose_config("data=table", f"data.path={path}")).checks
    # metrics.json names the ignored column and the setting it could serve
    hint = {"column": "subject", "reason": "not numeric", "hint": "data.group=subject"}
    assert ungrouped["ignored_columns"] == [hint] and ungrouped["id_column"] is None
    (shared,) = ungrouped["shared_values"]
    assert shared["column"] == "subject" and shared["values"] > 0
    assert shared["test_rows"] == ungrouped["test_rows_in_train"] == ungrouped["test_rows"]


def test_an_unset_group_keeps_the_fingerprint_of_runs_made_before_it_existed(tmp_path):
    from omegaconf import OmegaConf

    cfg = compose_config("data=table", "data.path=t.csv")
    older = OmegaConf.to_container(cfg, resolve=True)
    del older["data"]["group"]
    assert config_fingerprint(OmegaConf.create(older)) == config_fingerprint(cfg)
    grouped = compose_config("data=table", "data.path=t.csv", "data.group=subject")
    assert config_fingerprint(grouped) != config_fingerprint(cfg)
