"""The helpers of benchmarks/bench_cumulative.py that train nothing: its synthetic cumulative
scores, the evaluation-cost comparison and the selection-metrics timing, checked against
scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from conftest import load_benchmark


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench_cumulative.py, imported from its file."""
    yield from load_benchmark("bench_cumulative")


def test_ordered_scores_are_cumulative_targets_and_monotone(bench):
    targets, scores = bench.ordered_scores(2000, 6)
    assert targets.shape == scores.shape == (2000, 6)
    # column j is x > t_j: every row's targets are ones then zeros, prevalences falling
    assert (np.diff(targets, axis=1) <= 0).all()
    assert np.allclose(targets.mean(axis=0), np.arange(6, 0, -1) / 7, atol=0.01)
    assert (np.diff(scores, axis=1) <= 0).all()  # P(x > t_j) falls with j
    for j in range(6):
        assert 0.85 < roc_auc_score(targets[:, j], scores[:, j]) < 1


def test_evaluation_cost_compares_the_same_differences(bench):
    cost = bench.evaluation_cost(300, 4, 30, 1)
    assert cost["point_differences_agree"]
    assert cost["per_pair_calls"] == 4
    assert cost["paired_against_best_cpu_s"] > 0 and cost["per_pair_paired_difference_cpu_s"] > 0
    assert cost["ratio_vectorised_over_per_pair"] > 0


def test_selection_loop_is_sklearn_per_threshold(bench):
    targets, scores = bench.ordered_scores(500, 3, seed=2)
    y = targets.sum(axis=1)
    expected = [roc_auc_score(y > k, scores[:, k]) for k in range(3)]
    assert bench.selection_loop(y, scores) == pytest.approx(expected)
    assert bench.selection_cost(500, 3, 1)["val_roc_auc_equals_loop_mean"]


def test_recorder_times_every_call(bench):
    recorder = bench.Recorder()
    doubled = recorder.wrap("double", lambda v: 2 * v)
    assert [doubled(1), doubled(2)] == [2, 4]
    summary = recorder.summary()["double"]
    assert summary["calls"] == 2 and summary["cpu_seconds"] >= 0


def test_compare_gives_ratios_of_the_medians_and_an_extrapolated_sweep(bench):
    def run(train: float, total: float, cpu: float) -> dict:
        calls = {
            name: {"median_wall_seconds": 0.1, "median_cpu_seconds": 0.1}
            for name in ("epoch", "selection_metrics")
        }
        assess = {"calls": 1, "wall_seconds": 1, "cpu_seconds": 1, "median_wall_seconds": 1}
        numbers = {"train_seconds": train, "train_cpu_seconds": train, "total_seconds": total}
        numbers |= {"evaluate_report_seconds": 1.0, "cpu_seconds": cpu}
        return numbers | {"calls": calls | {"assess": assess}}

    single = [run(10, 12, 12), run(12, 16, 14)]
    cumulative = [run(13, 60, 63), run(15, 70, 65)]
    result = bench.compare(single, cumulative, 20)
    assert result["ratios_cumulative_over_single"]["train_seconds"] == round(14 / 11, 3)
    assert result["ratios_cumulative_over_single"]["total_seconds"] == round(65 / 14, 3)
    sweep = result["sweep_of_dedicated_runs_extrapolated"]
    assert sweep["total_seconds"] == 280  # 20 x the median single run's total, 14 s
    assert sweep["cumulative_over_sweep_cpu"] == round(64 / 260, 3)


def test_each_repeat_has_its_own_ratio_and_their_median(bench):
    single = [{"cpu_seconds": 10.0}, {"cpu_seconds": 20.0}, {"cpu_seconds": 10.0}]
    cumulative = [{"cpu_seconds": 30.0}, {"cpu_seconds": 50.0}, {"cpu_seconds": 40.0}]
    ratios = bench.paired_ratios(single, cumulative, "cpu_seconds")
    assert ratios == {"each_repeat": [3.0, 2.5, 4.0], "median": 3.0}


def test_the_variants_alternate_in_reverse_every_other_repeat(bench):
    plan = ["a", "b", "c", "d"]
    assert bench.alternated(plan, 0) == plan and bench.alternated(plan, 2) == plan
    assert bench.alternated(plan, 1) == ["d", "c", "b", "a"]
