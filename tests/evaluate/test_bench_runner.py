"""The helpers of benchmarks/bench_runner.py that train nothing: the bare script reads the
arrays a default run generates, and the overhead is reported as ratios of medians over runs
whose order rotates."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from hydra.utils import instantiate

from conftest import compose_config, load_benchmark


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench_runner.py, imported from its file."""
    yield from load_benchmark("bench_runner")


def test_the_arrays_are_the_default_runs_data(bench, tmp_path):
    path = bench.make_arrays(tmp_path, 300, 24)
    dataset = instantiate(compose_config("data.n_samples=300", "data.length=24").data)
    arrays = np.load(path)
    np.testing.assert_array_equal(arrays["X"], dataset.X[:, :, 0])
    np.testing.assert_array_equal(arrays["x"], dataset.x)


def test_overhead_gives_ratios_of_medians_over_rotated_runs(bench, tmp_path, monkeypatch):
    order = []
    cpu = {"bare_keras": [20.0, 22.0, 30.0], "default": [30.0, 26.0, 40.0]}
    cpu["no_references"] = [21.0, 23.0, 25.0]
    cpu["bare_keras_tuned"] = [16.0, 18.0, 17.0]

    def fake(name, folder, arrays, size, tag):
        order.append(name)
        seconds = cpu[name][int(tag)]
        timing = {key: 1.0 for key in bench.TIMING}
        steps = {"train_seconds": seconds / 2, "before_run_seconds": 3.0}
        return {"wall_seconds": 2 * seconds, "cpu_seconds": seconds, "timing": timing} | {
            "cpu_timing": steps
        }

    monkeypatch.setattr(bench, "one_variant", fake)
    monkeypatch.setattr(bench, "make_arrays", lambda *args: tmp_path / "data.npz")
    result = bench.overhead(tmp_path, 100, 16, 1, 3)
    variants = ["bare_keras", "default", "no_references", "bare_keras_tuned"]
    assert order[:4] == variants
    assert order[4:8] == variants[1:] + variants[:1]
    assert order[8:] == variants[2:] + variants[:2]
    bare = statistics.median(cpu["bare_keras"])
    assert result["cpu_ratio"]["default"] == pytest.approx(statistics.median(cpu["default"]) / bare)
    assert result["cpu_ratio"]["no_references"] == pytest.approx(23.0 / bare)
    assert result["wall_ratio"]["default"] == pytest.approx(30.0 / 22.0)
    assert result["medians"]["bare_keras"]["cpu_seconds"] == 22.0
    assert result["cpu_ratio_vs_tuned_bare"]["default"] == pytest.approx(30.0 / 17.0)
    assert result["cpu_ratio_per_repeat"]["default"] == pytest.approx([1.5, 26 / 22, 4 / 3])
    assert result["median_cpu_timing"]["default"] == {
        "train_seconds": 15.0,
        "before_run_seconds": 3,
    }
