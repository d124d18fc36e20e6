"""Sweep progress: job counts, time-left estimates and the final table (a real sweep's
progress log is checked in test_end_to_end.py)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from threshold_sweep.cli.progress import SweepProgress, duration, final_table, plan_sweep


@pytest.mark.parametrize(
    ("params", "overrides", "total", "swept"),
    [
        (
            None,
            ["label.threshold=100,1000", "train.seed=0,1,2"],
            6,
            ["label.threshold", "train.seed"],
        ),
        (None, ["label.threshold=100"], 1, []),
        (
            {"label.threshold": "100,1000"},
            ["train.seed=0,1", "data.n_samples=600"],
            4,
            ["label.threshold", "train.seed"],
        ),
        ({"train.seed": "0,1,2"}, ["train.seed=5,6"], 2, ["train.seed", "train.seed"]),
        (None, ["train.seed=range(0,4)"], 4, ["train.seed"]),
        (None, ["train.learning_rate=interval(0.001,0.1)"], None, []),
    ],
)
def test_plan_sweep_counts_the_basic_sweepers_jobs(params, overrides, total, swept):
    assert plan_sweep(params, overrides) == (total, swept)


def test_time_left_is_the_mean_job_time_times_the_jobs_left(tmp_path):
    progress = SweepProgress(total=5, started=1000.0, swept=("label.threshold",))
    progress.save(tmp_path)
    assert progress.finished_jobs(tmp_path) == 0
    assert progress.status(tmp_path, now=1010.0) == "0 of 5 finished, 0:10 elapsed"
    for number in (0, 1, 1):  # a job marks itself once, however often it reports
        SweepProgress.mark_done(tmp_path, number)
    assert progress.finished_jobs(tmp_path) == 2
    # 2 jobs in 60 s: 3 left take about 90 s
    assert progress.status(tmp_path, now=1060.0) == "2 of 5 finished, 1:00 elapsed, about 1:30 left"
    for number in (2, 3, 4):
        SweepProgress.mark_done(tmp_path, number)
    assert progress.status(tmp_path, now=1100.0) == "5 of 5 finished, 1:40 elapsed"
    progress.save(tmp_path)  # a new sweep in the same folder starts from zero
    assert progress.finished_jobs(tmp_path) == 0
    assert duration(3725) == "1:02:05" and duration(59.6) == "1:00"


def test_progress_state_round_trips(tmp_path):
    progress = SweepProgress(total=3, started=12.5, swept=("train.seed",))
    progress.save(tmp_path)
    assert SweepProgress.load(tmp_path) == progress
    assert SweepProgress.load(tmp_path / "missing") is None
    assert progress.job_label(1, ["train.seed=1", "data.n_samples=600"]) == (
        "job 2 of 3 [train.seed=1]"
    )


def test_final_table_lists_every_job_with_its_ci_and_errors():
    summary = pd.DataFrame(
        {
            "run": ["label.threshold=100", "label.threshold=5"],
            "status": ["complete", "failed"],
            "error": ["", "x is empty"],
            "label.threshold": ["100", "5"],
            "test_prevalence": [0.5551, None],
            "test_roc_auc": [0.91234, None],
            "test_roc_auc_ci_low": [0.88, None],
            "test_roc_auc_ci_high": [0.94, None],
        }
    )
    lines = final_table(summary, ("label.threshold",)).splitlines()
    assert lines[0].split()[:3] == ["label.threshold", "status", "prevalence"]
    assert re.match(r"100\s+complete\s+0\.555\s+0\.912 \[0\.880, 0\.940\]", lines[2])
    assert re.match(r"5\s+failed\s*$", lines[3])
    assert lines[4] == "failed label.threshold=5: x is empty"


def test_final_table_shows_one_vs_rest_auc_and_macro_f1_for_a_multiclass_run():
    summary = pd.DataFrame(
        {
            "run": ["a"],
            "status": ["complete"],
            "test_prevalence": [float("nan")],
            "test_roc_auc_ovr": [0.7512],
            "test_roc_auc_ovr_ci_low": [0.7],
            "test_roc_auc_ovr_ci_high": [0.8],
            "test_macro_f1": [0.41],
            "test_balanced_accuracy": [0.5],
            "test_mcc": [0.2],
        }
    )
    row = final_table(summary).splitlines()[2]
    assert "0.751 (ovr) [0.700, 0.800]" in row and "0.410 (macro)" in row


def test_final_table_ends_with_accuracy_beside_the_prevalence_free_metrics():
    summary = pd.DataFrame(
        {
            "run": ["a"],
            "status": ["complete"],
            "test_prevalence": [0.072],
            "test_roc_auc": [0.94],
            "test_balanced_accuracy": [0.85],
            "test_f1": [0.5],
            "test_mcc": [0.49],
            "test_accuracy": [0.8712],
        }
    )
    header, _, row = final_table(summary).splitlines()
    assert header.split()[-2:] == ["MCC", "accuracy"]
    assert row.split()[-1] == "0.871"
