"""Standardizer: to_dict -> JSON -> from_dict gives back exactly the same transform."""

from __future__ import annotations

import json

import numpy as np
import pytest

from threshold_sweep.errors import UserError
from threshold_sweep.prepare.standardize import Standardizer, check_transform


def test_round_trip_through_json_gives_bitwise_identical_transforms():
    rng = np.random.default_rng(3)
    train = (rng.lognormal(2, 1.5, size=(200, 16, 3)) * [1e-6, 1.0, 1e6]).astype(np.float32)
    train[:, 4, 1] = 7.0  # a constant step: scale 1
    fitted = Standardizer.fit(train)
    loaded = Standardizer.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert loaded.mean.dtype == loaded.scale.dtype == np.float32
    assert loaded.mean.shape == loaded.scale.shape == (16, 3)
    assert loaded.mean.tobytes() == fitted.mean.tobytes()
    assert loaded.scale.tobytes() == fitted.scale.tobytes()
    new = rng.normal(size=(50, 16, 3)).astype(np.float32) * 1e3
    assert loaded.transform(new).tobytes() == fitted.transform(new).tobytes()
    assert loaded.scale[4, 1] == 1.0


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        ({"mean": [0.0]}, "not standardization statistics: 'scale'"),
        ({"mean": [0.0, 1.0], "scale": [1.0]}, r"mean \(2,\) and scale \(1,\) differ in shape"),
        ({"mean": ["a"], "scale": [1.0]}, "not standardization statistics"),
    ],
)
def test_from_dict_rejects_what_to_dict_cannot_have_written(stats, message):
    with pytest.raises(ValueError, match=message):
        Standardizer.from_dict(stats)


@pytest.mark.parametrize("name", ["log1p", "asinh"])
def test_a_transform_applies_before_the_training_statistics(name):
    rng = np.random.default_rng(0)
    X = rng.lognormal(3, 2, (50, 6, 2)).astype(np.float32)  # heavy-tailed counts
    scaler = Standardizer.fit(X[:40], name)
    function = {"log1p": np.log1p, "asinh": np.arcsinh}[name]
    expected = (function(X) - function(X[:40]).mean(axis=0)) / function(X[:40]).std(axis=0)
    np.testing.assert_allclose(scaler.transform(X), expected, rtol=1e-4, atol=1e-4)
    again = Standardizer.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_array_equal(again.transform(X), scaler.transform(X))
    assert again.transform_name == name


def test_statistics_saved_before_transforms_existed_mean_none():
    X = np.arange(24, dtype=np.float32).reshape(4, 3, 2)
    old = {k: v for k, v in Standardizer.fit(X).to_dict().items() if k != "transform"}
    assert Standardizer.from_dict(old).transform_name == "none"
    with pytest.raises(ValueError, match="unknown transform 'sqrt'"):
        Standardizer.from_dict({**old, "transform": "sqrt"})


def test_log1p_refuses_values_at_or_below_minus_one_in_one_line():
    X = np.array([[[0.5], [-1.0], [-3.0]]], dtype=np.float32)
    with pytest.raises(UserError, match=r"but 2 values in new.csv are <= -1 \(smallest -3\)"):
        check_transform("log1p", X, "new.csv")
    check_transform("asinh", X, "new.csv")  # any sign


def test_per_channel_statistics_match_scikit_learn_on_every_step_of_a_channel_pooled():
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(5)
    train = (rng.normal(size=(120, 30, 2)) * [1.0, 50.0] + [0.0, 7.0]).astype(np.float32)
    train[:, :10, 0] += 3.0  # a shape along the steps: per channel keeps it, per step removes it
    fitted = Standardizer.fit(train, per="channel")
    pooled = StandardScaler().fit(train.reshape(-1, 2).astype(np.float64))
    assert fitted.mean.shape == fitted.scale.shape == (30, 2)
    np.testing.assert_allclose(fitted.mean, np.broadcast_to(pooled.mean_, (30, 2)), rtol=1e-5)
    np.testing.assert_allclose(fitted.scale, np.broadcast_to(pooled.scale_, (30, 2)), rtol=1e-5)
    shown = fitted.transform(train)
    raw_gap = train[:, :10, 0].mean() - train[:, 10:, 0].mean()
    shown_gap = shown[:, :10, 0].mean() - shown[:, 10:, 0].mean()
    assert raw_gap > 2.5
    assert shown_gap == pytest.approx(raw_gap / pooled.scale_[0], rel=1e-4)
    assert abs(Standardizer.fit(train).transform(train)[:, :10, 0].mean()) < 1e-5
    loaded = Standardizer.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert loaded.per == "channel"
    assert loaded.transform(train).tobytes() == shown.tobytes()


def test_an_unknown_standardization_is_refused_in_one_line():
    with pytest.raises(UserError, match=r"data\.standardize=.row. is unknown; use step"):
        Standardizer.fit(np.ones((4, 3, 1), dtype=np.float32), per="row")
