"""Standardizer: to_dict -> JSON -> from_dict gives back exactly the same transform."""

from __future__ import annotations

import json

import numpy as np
import pytest

from threshold_sweep.prepare.standardize import Standardizer


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
