"""label.bins / label.quantiles: cuts from the training rows' x only, checked against numpy and
pandas recomputed from the rows the split chose."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from threshold_sweep.conf.validate import validate_config
from threshold_sweep.errors import UserError
from threshold_sweep.prepare import label_by_cuts, prepare, prepare_folds
from threshold_sweep.prepare.labels import (
    largest_counted_bins,
    largest_distinct_bins,
    make_labels,
    quantile_cuts,
)
from threshold_sweep.thresholds import Thresholds

from conftest import compose_config

SMALL = ("data.n_samples=1500", "data.length=16")


def bins_cfg(*overrides: str):
    cfg = compose_config(*SMALL, *overrides)
    validate_config(cfg)
    return cfg


@pytest.mark.parametrize(
    ("override", "levels"),
    [("label.bins=5", [0.2, 0.4, 0.6, 0.8]), ("label.quantiles=[0.1,0.5,0.95]", [0.1, 0.5, 0.95])],
)
def test_cuts_are_numpy_quantiles_of_the_training_rows(override, levels):
    data = prepare(bins_cfg(override))
    x = data.dataset.x
    expected = np.quantile(x[data.split.train], levels)
    np.testing.assert_allclose(data.thresholds, expected, rtol=0, atol=0)
    record = data.label_cuts
    assert record["from"] == override
    assert [c["quantile"] for c in record["cuts"]] == pytest.approx(levels)
    assert [c["value"] for c in record["cuts"]] == list(expected)
    # every split is labelled by the same cuts: x > cut counts the cuts passed
    np.testing.assert_array_equal(data.y, np.searchsorted(expected, x, side="left"))
    assert len(data.names) == len(levels) + 1
    assert data.names[1] == f"({expected[0]:g},{expected[1]:g}]"


def test_bins_are_equal_count_on_train_as_pandas_qcut():
    data = prepare(bins_cfg("label.bins=7"))
    x_train = data.dataset.x[data.split.train]
    # pandas' qcut: the same linear quantiles, right-closed bins, computed independently
    np.testing.assert_array_equal(data.y[data.split.train], pd.qcut(x_train, 7, labels=False))
    counts = np.bincount(data.y[data.split.train])
    assert counts.max() - counts.min() <= 1, counts
    assert data.counts_before["train"] == dict(zip(data.names, counts.tolist(), strict=True))


def test_no_validation_or_test_row_moves_the_cuts():
    data = prepare(bins_cfg("label.bins=5"))
    bins = Thresholds.of_label(compose_config("label.bins=5").label)
    others = np.concatenate([data.split.validation, data.split.test])
    x = data.dataset.x.copy()
    x[others] = np.random.default_rng(0).uniform(1e6, 1e7, len(others))  # far above all
    moved = dataclasses.replace(data.dataset, x=x)
    before = label_by_cuts(data.dataset, bins, None, data.split.train)
    after = label_by_cuts(moved, bins, None, data.split.train)
    assert after.thresholds == before.thresholds == data.thresholds
    # the moved rows land in the top class, by the unchanged cuts
    assert (after.y[others] == 4).all()
    np.testing.assert_array_equal(after.y[data.split.train], before.y[data.split.train])


def test_runs_differing_only_in_train_seed_share_the_cuts():
    first = prepare(bins_cfg("label.bins=51", "data.n_samples=8000", "train.seed=0"))
    second = prepare(bins_cfg("label.bins=51", "data.n_samples=8000", "train.seed=1"))
    assert first.label_cuts == second.label_cuts
    np.testing.assert_array_equal(first.split.train, second.split.train)
    other_split = prepare(bins_cfg("label.bins=51", "data.n_samples=8000", "split.seed=7"))
    assert other_split.thresholds != first.thresholds  # other training rows, other cuts


def test_kfold_labels_each_fold_by_its_own_training_rows():
    levels = [0.25, 0.5, 0.75]
    prepared = prepare_folds(bins_cfg("label.bins=4", "split=kfold"))
    x = prepared[0][1].dataset.x
    record = prepared[0][1].label_cuts
    own = []
    for fold, data in prepared:
        cuts = np.quantile(x[fold.split.train], levels)
        own.append(cuts)
        assert record["per_fold"][fold.name] == list(cuts)
        for rows in (fold.split.train, fold.split.validation, fold.split.test):
            np.testing.assert_array_equal(data.y[rows], make_labels(x[rows], cuts))
        # the fold's held-out rows do not move its cuts
        assert not np.isin(fold.split.test, fold.split.train).any()
    mean = np.mean(own, axis=0)
    assert [c["value"] for c in record["cuts"]] == pytest.approx(list(mean), rel=1e-12)
    for _, data in prepared:  # one set of names and thresholds for the pooled run
        assert data.thresholds == pytest.approx(list(mean), rel=1e-12)
        assert data.names == prepared[0][1].names and data.label_cuts is record
    assert not np.allclose(own[0], own[1])  # folds really differ


def integer_x(n: int = 400, values: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, values, n).astype(float)


def brute_largest_distinct(x: np.ndarray, most: int) -> int:
    """The largest K <= most with strictly increasing cuts all below max(x), by trying each."""
    for k in range(most, 1, -1):
        cuts = np.quantile(x, np.arange(1, k) / k)
        if (np.diff(cuts) > 0).all() and cuts[-1] < x.max():
            return k
    return 1


def test_tied_cuts_name_the_value_the_quantiles_and_the_largest_bins():
    x = integer_x()
    levels = list(np.arange(1, 10) / 10)
    cuts = np.quantile(x, levels)
    first = int(np.flatnonzero(np.diff(cuts) == 0)[0]) + 1
    largest = brute_largest_distinct(x, 9)
    assert largest >= 2
    share = np.mean(x == cuts[first])
    with pytest.raises(UserError) as raised:
        quantile_cuts(x, levels, "label.bins=10")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        f"label.bins=10: the cuts at quantiles {levels[first - 1]:g} and {levels[first]:g} "
        f"both fall on x={cuts[first]:g} (tied values: {share:.1%} of the 400 training rows"
    )
    assert f"use at most label.bins={largest}, the largest" in message
    quantile_cuts(x, list(np.arange(1, largest) / largest), f"label.bins={largest}")  # works


def test_a_cut_on_the_largest_x_empties_the_top_class():
    x = np.array([0.0] * 10 + [1.0] * 90)
    with pytest.raises(
        UserError, match=re.escape("the cut at quantile 0.5 falls on x=1, the largest")
    ):
        quantile_cuts(x, [0.5], "label.quantiles=[0.5]")


@pytest.mark.parametrize("seed", range(4))
def test_largest_distinct_bins_matches_trying_every_k(seed):
    x = integer_x(300, values=3 + 4 * seed, seed=seed)
    assert largest_distinct_bins(x, 40) == brute_largest_distinct(x, 40)


@pytest.mark.parametrize("seed", range(12))
def test_largest_counted_bins_matches_trying_every_k(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(100, 3000))
    x = rng.lognormal(0, 1, n) if seed % 2 else rng.integers(0, 5 + 5 * seed, n).astype(float)
    train, validation, test = np.split(x, [int(0.7 * n), int(0.85 * n)])
    minimum = 1 + seed % 6

    def brute(most: int) -> int:
        for k in range(min(most, len(validation) // minimum), 1, -1):
            cuts = np.quantile(train, np.arange(1, k) / k)
            distinct = (np.diff(cuts) > 0).all() and cuts[-1] < train.max()
            if distinct and all(
                np.bincount(np.searchsorted(cuts, part), minlength=k).min() >= minimum
                for part in (train, validation, test)
            ):
                return k
        return 1

    found = largest_counted_bins(train, [train, validation, test], 400, minimum)
    assert found == brute(400)


def test_too_many_bins_suggests_the_largest_that_leaves_enough_rows():
    cfg = bins_cfg("label.bins=100", "data.n_samples=300")
    with pytest.raises(UserError) as raised:
        prepare(cfg)
    message = str(raised.value)
    found = re.search(r"use at most label\.bins=(\d+) ", message)
    assert message.startswith("label.bins=100 leaves too few rows (") and found, message
    k = int(found.group(1))
    cfg_k = bins_cfg(f"label.bins={k}", "data.n_samples=300")
    data = prepare(cfg_k)  # the suggestion works ...
    assert min(min(c.values()) for c in data.counts_before.values()) >= 5
    with pytest.raises(UserError, match="leaves too few rows"):  # ... and one more does not
        prepare(bins_cfg(f"label.bins={k + 1}", "data.n_samples=300"))
    assert len(message) < 800  # 100 classes: abbreviated, not 300 counts twice


def test_a_threshold_from_a_config_beside_bins_is_rejected():
    with pytest.raises(
        UserError,
        match=re.escape("label.bins=5 and label.threshold=[10,100] both set the classes: "),
    ):
        validate_config(compose_config("label.bins=5", "label.threshold=[10,100]"))


def test_names_must_match_the_bins():
    with pytest.raises(UserError, match=re.escape("must be 3 distinct names for 2 threshold(s)")):
        validate_config(compose_config("label.bins=3", "label.names=[a,b]"))
    data = prepare(bins_cfg("label.bins=3", "label.names=[low,mid,high]"))
    assert data.names == ["low", "mid", "high"]


def test_threshold_runs_record_no_cuts():
    data = prepare(bins_cfg("label.threshold=[100,1000]"))
    assert data.label_cuts is None and data.thresholds == [100.0, 1000.0]


def test_a_finer_stratification_is_suggested_when_it_gives_every_class_enough_rows():
    cfg = compose_config("label.bins=51")  # 4,000 rows: 600 validation rows for 51 classes
    validate_config(cfg)
    with pytest.raises(UserError) as raised:
        prepare(cfg)
    found = re.search(
        r"; or split\.n_bins=51, which stratifies the split on 51 quantile bins of x: every "
        r"class then has at least (\d+) rows in each split",
        str(raised.value),
    )
    assert found, raised.value
    data = prepare(compose_config("label.bins=51", "split.n_bins=51"))
    fewest = min(min(counts.values()) for counts in data.counts_before.values())
    assert fewest == int(found.group(1)) >= 5
    # a threshold run is told nothing of bins
    with pytest.raises(UserError) as raised:
        prepare(compose_config("label.threshold=5000", "data.n_samples=300"))
    assert "split.n_bins" not in str(raised.value)


def test_unset_bins_keep_the_fingerprint_of_runs_made_before_them():
    from omegaconf import OmegaConf

    from threshold_sweep.pipeline.record import config_fingerprint

    cfg = compose_config("label.threshold=[100,1000]")
    older = OmegaConf.to_container(cfg, resolve=True)
    del older["label"]["bins"], older["label"]["quantiles"]
    assert config_fingerprint(OmegaConf.create(older)) == config_fingerprint(cfg)
    binned = config_fingerprint(compose_config("label.bins=5"))
    assert binned != config_fingerprint(compose_config("label.bins=6"))
    assert binned != config_fingerprint(compose_config("label.quantiles=[0.2,0.4,0.6,0.8]"))


def test_rolling_folds_cut_at_their_own_earlier_training_rows(tmp_path):
    from conftest import timeline_csv

    path = timeline_csv(tmp_path / "days.csv", drift=True)
    cfg = compose_config(
        "label.bins=3", "split=rolling", "data=table", f"data.path={path}", "data.order=date"
    )
    validate_config(cfg)
    prepared = prepare_folds(cfg)
    x = prepared[0][1].dataset.x
    order = prepared[0][1].dataset.order
    per_fold = prepared[0][1].label_cuts["per_fold"]
    for fold, data in prepared:
        assert order[fold.split.train].max() < order[fold.split.test].min()  # earlier rows
        cuts = np.quantile(x[fold.split.train], [1 / 3, 2 / 3])
        assert per_fold[fold.name] == list(cuts)
        np.testing.assert_array_equal(
            data.y[fold.split.test], make_labels(x[fold.split.test], cuts)
        )
    # with drift, later folds' training rows reach higher x: their cuts climb
    assert per_fold[prepared[-1][0].name][1] > per_fold[prepared[0][0].name][1]


def test_close_cuts_get_distinct_class_names():
    from threshold_sweep.conf.label import class_names

    names = class_names([1000.0001, 1000.0002, 2000.0], None)
    assert len(set(names)) == 4
    assert names[1] == "(1000.0001,1000.0002]" and names[-1] == ">2000"
    assert class_names([6.47, 10.0], None) == ["<=6.47", "(6.47,10]", ">10"]


def test_tied_quantiles_suggest_as_many_equal_count_bins_when_they_work():
    x = np.array([0.0] * 30 + [1.0] * 30 + [2.0] * 40)  # 40% of the rows share the top value
    with pytest.raises(UserError) as raised:
        quantile_cuts(x, [0.3, 0.9], "label.quantiles=[0.3,0.9]")
    message = str(raised.value)
    assert "the cut at quantile 0.9 falls on x=2, the largest x" in message
    assert f"use at most label.bins={brute_largest_distinct(x, 3)}," in message
    assert brute_largest_distinct(x, 3) == 2  # 3 equal-count cuts would put one on x=2
