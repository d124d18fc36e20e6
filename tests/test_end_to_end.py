"""Whole runs in a subprocess on tiny data: files parsed and recomputed with scikit-learn."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from conftest import TINY, error_lines, run_cli
from test_cli import imports_tensorflow

THRESHOLDS = (100, 1000)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> tuple[Path, object]:
    """One multirun: two real thresholds and one that must fail (outside the range of x)."""
    cwd = tmp_path_factory.mktemp("sweep")
    done = run_cli(
        ["-m", "label.threshold=100,1000,1e9", "hydra.sweep.dir=outputs/multirun/study", *TINY],
        cwd,
    )
    return cwd / "outputs" / "multirun" / "study", done


def run_dir(sweep_dir: Path, threshold: float | str) -> Path:
    """The job folder, named by its sorted overrides."""
    (folder,) = sweep_dir.glob(f"*,label.threshold={threshold},*")
    return folder


def test_sweep_runs_each_job_and_reports_the_failure(sweep):
    sweep_dir, done = sweep
    assert done.returncode == 1, done.stderr
    assert "1 run(s) failed" in done.stderr
    failed = run_dir(sweep_dir, "1000000000.0")
    assert "outside the range of x" in (failed / "error.txt").read_text()
    assert not (failed / "metrics.json").exists()
    for threshold in THRESHOLDS:
        assert (run_dir(sweep_dir, threshold) / "metrics.json").exists()
    assert len(error_lines(done.stderr)) == 1


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_metrics_json_matches_sklearn_on_predictions_csv(sweep, threshold):
    folder = run_dir(sweep[0], threshold)
    result = json.loads((folder / "metrics.json").read_text())
    preds = pd.read_csv(folder / "predictions.csv")
    assert list(preds.columns) == ["id", "x", "y_true", "y_score", "y_pred"]
    y, score, pred = preds["y_true"], preds["y_score"], preds["y_pred"]
    np.testing.assert_array_equal(y, (preds["x"] > threshold).astype(int))
    np.testing.assert_array_equal(pred, (score >= result["cutoff"]).astype(int))
    test = result["test"]
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "macro_f1": skm.f1_score(y, pred, average="macro"),
        "mcc": skm.matthews_corrcoef(y, pred),
        "roc_auc": skm.roc_auc_score(y, score),
        "average_precision": skm.average_precision_score(y, score),
        "brier": skm.brier_score_loss(y, score),
        "log_loss": skm.log_loss(y, score),
        "prevalence": y.mean(),
    }
    for name, value in expected.items():
        assert test[name] == pytest.approx(value, abs=1e-9), name
    assert test["confusion_matrix"] == skm.confusion_matrix(y, pred).tolist()
    assert result["threshold"] == threshold
    assert result["prevalence"]["test"] == pytest.approx(y.mean(), abs=1e-12)
    flat = pd.read_csv(folder / "metrics.csv")
    assert len(flat) == 1 and flat["test_roc_auc"][0] == pytest.approx(test["roc_auc"], abs=1e-12)


def test_same_test_rows_for_every_threshold(sweep):
    ids = [pd.read_csv(run_dir(sweep[0], t) / "predictions.csv")["id"] for t in THRESHOLDS]
    np.testing.assert_array_equal(ids[0], ids[1])
    written = pd.read_csv(run_dir(sweep[0], 100) / "test_ids.csv")["id"]
    np.testing.assert_array_equal(np.sort(written), np.sort(ids[0]))


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_undersampled_training_counts_are_equal(sweep, threshold):
    folder = run_dir(sweep[0], threshold)
    summary = json.loads((folder / "data_summary.json").read_text())
    after = summary["class_counts_after_sampling"]["train"]
    before = summary["class_counts_before_sampling"]["train"]
    assert after["low"] == after["high"] == min(before.values())
    assert (
        summary["class_counts_after_sampling"]["test"]
        == summary["class_counts_before_sampling"]["test"]
    )
    train_ids = set(pd.read_csv(folder / "predictions_train.csv")["id"])
    test_ids = set(pd.read_csv(folder / "predictions.csv")["id"])
    val_ids = set(pd.read_csv(folder / "predictions_validation.csv")["id"])
    assert len(train_ids) == 2 * after["low"]
    assert not train_ids & test_ids and not train_ids & val_ids


def test_run_folder_has_every_artifact(sweep):
    folder = run_dir(sweep[0], 1000)
    for name in ("model.keras", "history.csv", "report.md", "timing.json", "standardization.json"):
        assert (folder / name).stat().st_size > 0, name
    for plot in ("roc", "precision_recall", "confusion_matrix", "training_curves"):
        assert (folder / "plots" / f"{plot}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history = pd.read_csv(folder / "history.csv")
    result = json.loads((folder / "metrics.json").read_text())
    assert len(history) == result["training"]["epochs_run"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history.columns)
    report = (folder / "report.md").read_text()
    assert "threshold 1000" in report and "plots/roc.png" in report
    assert f"{result['test']['roc_auc']:.4f}" in report
    assert not list(folder.rglob("*.tmp"))


def test_sweep_summary_has_one_row_per_run(sweep):
    sweep_dir = sweep[0]
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert len(summary) == 3
    assert sorted(summary["status"]) == ["complete", "complete", "failed"]
    complete = summary[summary["status"] == "complete"].set_index("threshold")
    for threshold in THRESHOLDS:
        result = json.loads((run_dir(sweep_dir, threshold) / "metrics.json").read_text())
        assert complete.loc[threshold, "test_f1"] == pytest.approx(result["test"]["f1"])
        assert complete.loc[threshold, "label.threshold"] == threshold
    text = (sweep_dir / "summary.md").read_text()
    assert "2 run(s) complete, 1 failed" in text and "outside the range of x" in text
    assert (sweep_dir / "summary_metrics.png").exists()


def test_report_command_rebuilds_the_summary_without_tensorflow(sweep, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sweep[0], copy)
    original = pd.read_csv(copy / "summary.csv")
    for name in ("summary.csv", "summary.md", "summary_metrics.png"):
        (copy / name).unlink()
    out = imports_tensorflow(["threshold-sweep-report", str(copy)], module="report_cli")
    assert out.strip().endswith("NO_TF")
    pd.testing.assert_frame_equal(pd.read_csv(copy / "summary.csv"), original)


def test_table_source_with_other_column_names(table_csv, tmp_path):
    done = run_cli(
        [
            "data=table",
            f"data.path={table_csv}",
            "data.target=price",
            "data.id=sample_id",
            "label.threshold=2500",
            "sampling=class_weight",
            *TINY[2:],
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "outputs" / "runs").iterdir()
    preds = pd.read_csv(folder / "predictions.csv")
    source = pd.read_csv(table_csv).set_index("sample_id")
    assert preds["id"].str.startswith("s").all()
    np.testing.assert_allclose(preds["x"], source.loc[preds["id"], "price"])
    summary = json.loads((folder / "data_summary.json").read_text())
    assert summary["sequence_shape"] == [8, 1]
    assert summary["class_weight"] is not None


def test_arrays_source(tmp_path):
    rng = np.random.default_rng(0)
    x = 10 ** rng.normal(0, 1, 300)
    seqs = rng.normal(size=(300, 10, 2)) + np.log10(x)[:, None, None]
    np.savez(tmp_path / "seqs.npz", signals=seqs.astype(np.float32), value=x)
    done = run_cli(
        [
            "data=arrays",
            "data.path=seqs.npz",
            "data.sequences_key=signals",
            "data.target_key=value",
            "label.threshold=1",
            "sampling=none",
            "train.threads=1",
            "train.epochs=15",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "outputs" / "runs").iterdir()
    result = json.loads((folder / "metrics.json").read_text())
    assert result["test"]["n"] == 45 and result["test"]["roc_auc"] > 0.8
