"""Fast: choosing a cumulative run's thresholds (predict --threshold, the API) and the threshold
curve MLflow gets, on run folders written here (no training)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from threshold_sweep.errors import UserError
from threshold_sweep.results.read import load_run
from threshold_sweep.thresholds import Thresholds

GRID = [37.23891335779368, 83.01525426415184, 182.83089286527152]
KEYS = ("task", "test", "training", "ci", "chance")


def curve_rows(grid: list[float]) -> list[dict]:
    """Curve rows as metrics.json holds them (roc_auc 0.7, 0.8, ...; one CI missing)."""
    rows = []
    for k, t in enumerate(grid):
        auc = 0.7 + 0.1 * k
        rows.append(
            {"threshold": t, "prevalence": 0.75 - 0.25 * k, "roc_auc": auc,
             "roc_auc_ci_low": auc - 0.05 if k else None, "roc_auc_ci_high": auc + 0.05,
             "mcc": 0.3, "tuned_cutoff": 0.4, "n_warnings": 0,
             "run": f"thresholds/threshold={t:g}"}
        )  # fmt: skip
    return rows


def run_folder(path: Path, result: dict, overrides: list[str] | None = None) -> Path:
    """A finished run's folder as the readers see it: metrics.json and the overrides."""
    (path / ".hydra").mkdir(parents=True)
    (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides or []))
    (path / "metrics.json").write_text(json.dumps({key: {} for key in KEYS} | result))
    (path / "data_summary.json").write_text(json.dumps({"sequence_shape": [16, 1]}))
    return path


@pytest.fixture
def cumulative_folder(tmp_path: Path) -> Path:
    """A cumulative run's folder with one per-threshold folder per grid threshold."""
    section = {"head": "cumulative", "thresholds": GRID, "curve": curve_rows(GRID)}
    folder = run_folder(tmp_path / "run", {"threshold": GRID, "cumulative": section})
    for k, t in enumerate(GRID):
        sub = {"head": "cumulative", "thresholds": GRID, "output": k, "parent": "../.."}
        run_folder(folder / "thresholds" / f"threshold={t:g}", {"threshold": t, "cumulative": sub})
    return folder


def test_a_threshold_matches_by_its_folder_text_or_within_1e9_relative():
    assert Thresholds.of_record(GRID).position("83.0153") == 1  # as the folder names write it
    assert Thresholds.of_record(GRID).position(repr(GRID[2])) == 2
    assert Thresholds.of_record(GRID).position(str(GRID[0] * (1 + 5e-10))) == 0
    with pytest.raises(UserError) as error:
        Thresholds.of_record(GRID).position(str(GRID[0] * (1 + 1e-8)), "--threshold")
    assert str(error.value) == (
        f"--threshold {GRID[0] * (1 + 1e-8)}: not one of the run's 3 thresholds "
        "(37.2389, 83.0153, 182.831); give one of them"
    )
    assert Thresholds.of_record([10.0, 1000.0]).position("1e3") == 1


def test_a_long_grid_is_abbreviated_around_the_nearest_thresholds():
    grid = [float(t) for t in range(10, 510, 10)]  # 50 thresholds
    with pytest.raises(UserError) as error:
        Thresholds.of_record(grid).position("255", "--threshold")
    message = str(error.value)
    assert message == (
        "--threshold 255: not one of the run's 50 thresholds (nearest: 210, 220, 230, 240, 250, "
        "260, 270, 280, 290, 300 ... and 40 more, from 10 to 500); give one of them"
    )
    assert "\n" not in message
    with pytest.raises(UserError, match=r"'x' is not a number; .* \.\.\. and 40 more, from 10"):
        Thresholds.of_record(grid).position("x", "--threshold")


def test_the_api_reads_the_threshold_curve_and_each_thresholds_folder(cumulative_folder):
    run = load_run(cumulative_folder)
    # without thresholds.csv: metrics.json's curve rows
    curve = run.threshold_curve
    assert list(curve["threshold"]) == GRID and list(curve["roc_auc"]) == pytest.approx(
        [0.7, 0.8, 0.9]
    )
    written = pd.DataFrame(curve_rows(GRID)).assign(roc_auc=[0.1, 0.2, 0.3])
    written.to_csv(cumulative_folder / "thresholds.csv", index=False)
    again = load_run(cumulative_folder).threshold_curve  # the file wins when it is there
    assert list(again["roc_auc"]) == pytest.approx([0.1, 0.2, 0.3])
    assert run.threshold_run("182.831").path == cumulative_folder / "thresholds/threshold=182.831"
    assert run.threshold_run(GRID[0]).result["cumulative"]["output"] == 0
    with pytest.raises(UserError, match=r"threshold_run: 100: not one of the run's 3 thresh"):
        run.threshold_run(100)
    sub = run.threshold_run(GRID[1])
    with pytest.raises(UserError) as error:
        _ = sub.threshold_curve
    assert str(error.value) == (
        f"threshold_curve: {sub.path} is one threshold's folder of a cumulative run; load the "
        f"run folder {cumulative_folder.resolve()}"
    )


def test_a_dedicated_run_has_no_threshold_curve(tmp_path):
    run = load_run(run_folder(tmp_path / "d", {"threshold": 100.0}))
    with pytest.raises(UserError) as error:
        _ = run.threshold_curve
    assert str(error.value) == (
        f"threshold_curve: {run.path} is not a model.head=cumulative run (it has one threshold "
        "setting, label.threshold=100); load a model.head=cumulative run's folder"
    )


@pytest.mark.parametrize(
    ("result", "overrides", "setting"),
    [
        ({"threshold": 100.0}, ["label.threshold=100"], "label.threshold=100"),
        ({"threshold": [10.0, 20.0]}, ["label.bins=3", "train.seed=1"], "label.bins=3"),
        ({"threshold": [10.0, 20.0]}, [], "label.threshold=10,20"),
    ],
)
def test_predict_threshold_needs_a_cumulative_run(tmp_path, capsys, result, overrides, setting):
    from threshold_sweep.cli.predict import main

    folder = run_folder(tmp_path / "run", result, overrides)
    code = main([str(folder), "--data", str(tmp_path / "new.npz"), "--threshold", "100"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: --threshold: {folder} has one threshold setting ({setting}), scored as it was "
        "trained; --threshold needs a model.head=cumulative run, or leave it out\n"
    )


def test_mlflow_gets_the_curve_as_metrics_with_step_k(monkeypatch):
    from threshold_sweep.tracking import job
    from threshold_sweep.tracking.job import JobTracker, curve_metrics

    steps = curve_metrics({"cumulative": {"head": "cumulative", "curve": curve_rows(GRID)}})
    assert [s["threshold_value"] for s in steps] == GRID
    assert [s["threshold_roc_auc"] for s in steps] == pytest.approx([0.7, 0.8, 0.9])
    assert "threshold_roc_auc_ci_low" not in steps[0]  # a missing CI is not logged
    assert steps[1]["threshold_roc_auc_ci_low"] == pytest.approx(0.75)
    assert curve_metrics({"threshold": 100.0}) == []

    calls = []

    class Recorder:
        """MLflow's fluent API, recording log_metrics calls."""

        def log_metrics(self, metrics, step=None):
            calls.append((step, metrics))

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    monkeypatch.setattr(job, "result_metrics", lambda result: {"test_roc_auc": 0.9})
    result = {"status": "complete", "threshold": GRID, "split": {"method": "stratified"}}
    result["cumulative"] = {"head": "cumulative", "curve": curve_rows(GRID)}
    JobTracker(Recorder(), "run-id").log_result(result, Path("nowhere"))
    stepped = [(step, values) for step, values in calls if step is not None]
    assert [step for step, _ in stepped] == [0, 1, 2]
    assert [values for _, values in stepped] == steps
    assert calls[0] == (None, {"test_roc_auc": 0.9})  # the run's own metrics first, step-less


def test_without_threshold_folders_predict_reads_a_threshold_from_the_curve(tmp_path: Path):
    from threshold_sweep.predict import resolve_cutoff, threshold_run

    section = {"head": "cumulative", "thresholds": GRID, "curve": curve_rows(GRID)}
    folder = run_folder(tmp_path / "run", {"threshold": GRID, "cumulative": section})
    config = {"evaluate": {"cutoff": 0.6}}
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    written = pd.DataFrame(curve_rows(GRID)).assign(tuned_cutoff=[0.31, 0.42, 0.53])
    written.to_csv(folder / "thresholds.csv", index=False)
    run = load_run(folder)
    one = threshold_run(run, 1)  # no thresholds/ folder: the run's row of thresholds.csv
    assert one.path == folder and one.threshold == GRID[1]
    assert one.label_names == ["low", "high"]
    assert resolve_cutoff(one, None) == 0.6  # the run's evaluate.cutoff
    assert resolve_cutoff(one, "tuned") == 0.42  # tuned on validation for that threshold
    assert resolve_cutoff(one, "0.25") == 0.25


def test_the_api_says_how_to_read_a_threshold_without_its_folder(tmp_path: Path):
    section = {"head": "cumulative", "thresholds": GRID, "curve": curve_rows(GRID)}
    folder = run_folder(tmp_path / "run", {"threshold": GRID, "cumulative": section})
    with pytest.raises(UserError) as error:
        load_run(folder).threshold_run(GRID[2])
    assert str(error.value) == (
        f"threshold_run: {folder} has no folder per threshold (it ran with "
        "evaluate.threshold_folders=false); read its threshold_curve and the p_above_182.831 "
        f"column of its predictions, or write the folder with threshold-sweep-report {folder} "
        "--threshold 182.831"
    )
