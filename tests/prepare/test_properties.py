"""Property tests (hypothesis): loaders never fail with anything but our error; split and
sampling invariants hold for any size, seed and threshold."""

from __future__ import annotations

import io
from collections import Counter
from functools import cache
from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from omegaconf import DictConfig, OmegaConf

from threshold_sweep.data import load_dataset
from threshold_sweep.errors import UserError
from threshold_sweep.prepare.labels import make_labels
from threshold_sweep.prepare.sampling import sample_training_rows
from threshold_sweep.prepare.split import split_rows
from threshold_sweep.prepare.standardize import Standardizer

from conftest import compose_config

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
    st.text(max_size=3),
    st.none(),
)


@cache
def _data_config(source: str) -> DictConfig:
    """The composed data config of a source (composed once: Hydra takes ~0.2 s a time)."""
    return compose_config(f"data={source}", "data.path=placeholder").data


def data_config(source: str, **values: str) -> DictConfig:
    """The data config of `source` with `values` set, checked by its schema as an override is."""
    return OmegaConf.merge(_data_config(source), values)


@FAST
@given(
    rows=st.lists(st.lists(cells, min_size=0, max_size=4), max_size=6),
    header=st.lists(st.sampled_from(["x", "a", "b", "id", "c"]), min_size=0, max_size=4),
    drop=st.booleans(),
)
def test_table_loader_gives_a_dataset_or_our_error(tmp_path_factory, rows, header, drop):
    path = tmp_path_factory.mktemp("fuzz") / "data.csv"
    buffer = io.StringIO()
    buffer.write(",".join(header) + "\n" if header else "")
    for row in rows:
        buffer.write(",".join("" if v is None else str(v) for v in row) + "\n")
    path.write_text(buffer.getvalue())
    cfg = data_config("table", path=str(path), on_missing="drop" if drop else "error")
    try:
        data = load_dataset(cfg)
    except UserError:
        return
    assert len(data.x) == len(data.X) == len(data.ids) > 0
    assert np.isfinite(data.x).all() and np.isfinite(data.X).all()


@FAST
@given(
    X=arrays(
        st.sampled_from([np.float32, np.float64]),
        st.tuples(st.integers(0, 5), st.integers(1, 4)),
        elements=st.floats(-1e4, 1e4, width=16) | st.just(float("nan")),
    ),
    target_len=st.integers(0, 6),
    extra_dim=st.booleans(),
)
def test_array_loader_gives_a_dataset_or_our_error(tmp_path_factory, X, target_len, extra_dim):
    path = tmp_path_factory.mktemp("fuzz") / "data.npz"
    sequences = X[:, :, None] if extra_dim else X
    np.savez(path, X=sequences, x=np.linspace(0, 1, target_len))
    try:
        data = load_dataset(data_config("arrays", path=str(path)))
    except UserError:
        return
    assert data.X.ndim == 3 and len(data.X) == len(data.x) == target_len


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(60, 3000),
    seed=st.integers(0, 2**16),
    thresholds=st.lists(st.floats(0.05, 0.95), min_size=1, max_size=3, unique=True),
)
def test_split_and_sampling_invariants(n, seed, thresholds):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    cfg = SimpleNamespace(validation_fraction=0.15, test_fraction=0.15, n_bins=10, seed=seed)
    split = split_rows(x, cfg)
    parts = [split.train, split.validation, split.test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))  # disjoint and covering
    np.testing.assert_array_equal(split_rows(x, cfg).test, split.test)  # same for any threshold
    y = make_labels(x, sorted(thresholds))
    if len(np.unique(y[split.train])) < 2:
        return
    sampled = sample_training_rows(split.train, y, "undersample", seed)
    counts = Counter(y[sampled.indices])
    minority = min(Counter(y[split.train]).values())
    assert set(counts.values()) == {minority}  # every class cut to the minority count
    assert set(sampled.indices) <= set(split.train)  # validation and test untouched


@settings(max_examples=20, deadline=None)
@given(n=st.integers(20, 400), seed=st.integers(0, 1000))
def test_standardization_statistics_come_from_the_training_rows(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5, 2)).astype(np.float32)
    train = np.sort(rng.choice(n, size=n // 2, replace=False))
    X_poisoned = X.copy()
    rest = np.setdiff1d(np.arange(n), train)
    X_poisoned[rest] += 1000  # changing non-training rows must not move the statistics
    a, b = Standardizer.fit(X[train]), Standardizer.fit(X_poisoned[train])
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.scale, b.scale)


def test_on_missing_drop_keeps_the_clean_rows_and_their_row_numbers(tmp_path):
    path = tmp_path / "gaps.csv"
    pd.DataFrame({"x": [1.0, np.nan, 3.0, 4.0], "a": [1.0, 2.0, np.inf, 4.0]}).to_csv(
        path, index=False
    )
    data = load_dataset(
        compose_config("data=table", f"data.path={path}", "data.on_missing=drop").data
    )
    assert data.ids.tolist() == [0, 3] and data.x.tolist() == [1.0, 4.0]
