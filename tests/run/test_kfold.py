"""split=kfold from the command line: every row tested once, pooled metrics, fold spreads,
thresholds paired on all rows, whole groups per fold, fold models averaged by predict."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from conftest import TINY, made_once, markdown_table, prices_csv, run_app, subjects_csv

pytestmark = pytest.mark.slow  # every test trains

N_ROWS = 200
TABLE = ("data=table", "data.target=price", "data.id=sample_id")
FIT = tuple(arg for arg in TINY if not arg.startswith("data."))  # a tiny model, briefly


def _kfold_and_single_runs(cwd: Path) -> subprocess.CompletedProcess:
    """In `cwd`: prices.csv, a two-threshold 5-fold sweep of it and a single-split run; the
    first of the two that failed (or the single run)."""
    data = prices_csv(cwd / "prices.csv", N_ROWS)
    args = [*FIT, *TABLE, f"data.path={data}"]
    swept = run_app(
        ["-m", "label.threshold=1500,2500", "split=kfold", "hydra.sweep.dir=sweep", *args], cwd
    )
    if swept.returncode != 0:
        return swept
    return run_app(["label.threshold=1500", "hydra.run.dir=single", *args], cwd)


@pytest.fixture(scope="session")
def kfold_sweep(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A two-threshold 5-fold sweep and a single-split run of the same 200-row file."""
    cwd, done = made_once(tmp_path_factory, "kfold", _kfold_and_single_runs)
    assert done.returncode == 0, done.stderr
    return cwd / "sweep", cwd / "single", cwd / "prices.csv"


def _job(sweep_dir: Path, threshold: int) -> Path:
    (folder,) = sweep_dir.glob(f"*label.threshold={threshold}*")
    return folder


def test_every_row_is_tested_once_and_the_metrics_are_the_pooled_ones(kfold_sweep):
    sweep_dir, _, data = kfold_sweep
    run = _job(sweep_dir, 1500)
    predictions = pd.read_csv(run / "predictions.csv", dtype={"id": str})
    ids = pd.read_csv(data, dtype={"sample_id": str})["sample_id"]
    assert sorted(predictions["id"]) == sorted(ids) and predictions["id"].is_unique
    assert sorted(predictions["fold"].unique()) == [1, 2, 3, 4, 5]
    result = json.loads((run / "metrics.json").read_text())
    assert result["test"]["n"] == N_ROWS
    pooled = roc_auc_score(predictions["y_true"], predictions["y_score"])
    assert result["test"]["roc_auc"] == pytest.approx(pooled, abs=1e-12)
    per_fold = [
        roc_auc_score(fold["y_true"], fold["y_score"]) for _, fold in predictions.groupby("fold")
    ]
    spread = result["cross_validation"]["per_fold"]["roc_auc"]
    assert spread["values"] == pytest.approx(per_fold, abs=1e-12)
    assert spread["sd"] == pytest.approx(np.std(per_fold, ddof=1), abs=1e-12)
    assert (
        result["cross_validation"]["held_out_rows"] == predictions.groupby("fold").size().tolist()
    )
    per_fold_training = result["cross_validation"]["training_per_fold"]
    assert len(per_fold_training) == 5
    assert per_fold_training[0]["best_epoch"] == result["training"]["best_epoch"]
    report = (run / "report.md").read_text()
    assert "5-fold cross-validation" in report and f"every one of the {N_ROWS} rows" in report
    assert "## Cross-validation" in report
    for fold in range(1, 6):
        assert (run / "folds" / f"repeat1_fold{fold}" / "model.keras").exists()
    # the reference models were fitted per fold and scored on the same pooled rows
    references = pd.read_csv(run / "predictions_reference.csv", dtype={"id": str})
    assert list(references["id"]) == list(predictions["id"])


def test_cross_validation_narrows_the_intervals_of_a_single_split(kfold_sweep):
    sweep_dir, single, _ = kfold_sweep
    kfold = json.loads((_job(sweep_dir, 1500) / "metrics.json").read_text())
    one = json.loads((single / "metrics.json").read_text())
    assert one["test"]["n"] == 30
    width = {name: np.diff(r["ci"]["test"]["roc_auc"])[0] for name, r in (("k", kfold), ("1", one))}
    assert width["k"] < width["1"], width


def test_the_thresholds_of_a_kfold_sweep_are_paired_on_every_row(kfold_sweep):
    sweep_dir, _, _ = kfold_sweep
    first = pd.read_csv(_job(sweep_dir, 1500) / "predictions.csv", dtype={"id": str})
    second = pd.read_csv(_job(sweep_dir, 2500) / "predictions.csv", dtype={"id": str})
    merged = first.merge(second, on="id")
    assert len(merged) == N_ROWS
    assert (merged["fold_x"] == merged["fold_y"]).all()  # the same folds for every threshold
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert set(summary["split_method"]) == {"kfold"} and set(summary["split_folds"]) == {5}
    assert summary["fold_roc_auc_sd"].notna().all()
    assert (
        (sweep_dir / "summary.md").read_text().splitlines()[0].endswith("(5-fold cross-validation)")
    )
    completed = markdown_table((sweep_dir / "summary.md").read_text(), "Runs")
    shown = completed["fold_roc_auc_sd"].astype(float).to_numpy()
    np.testing.assert_allclose(shown, summary["fold_roc_auc_sd"].to_numpy(), atol=5e-4)
    paired = pd.read_csv(sweep_dir / "summary_paired.csv")
    assert set(paired["metric"]) >= {"roc_auc", "balanced_accuracy"}
    assert paired["note"].isna().all()  # no "different test rows: not paired"
    # the verdict compares the thresholds fold by fold, by the corrected resampled t
    roc = pd.read_csv(sweep_dir / "summary_pooled.csv").set_index("metric").loc["roc_auc"]
    a, b = (pd.read_csv(_job(sweep_dir, t) / "predictions.csv") for t in (1500, 2500))
    per_fold = [
        roc_auc_score(b[b.fold == f].y_true, b[b.fold == f].y_score)
        - roc_auc_score(a[a.fold == f].y_true, a[a.fold == f].y_score)
        for f in range(1, 6)
    ]
    assert roc["folds"] == 5 and roc["df"] == 4
    assert roc["difference"] == pytest.approx(np.mean(per_fold))
    text = (sweep_dir / "summary.md").read_text()
    assert (
        "each row tested once by its fold's model, over 5 held-out folds of 1 training seed(s)"
        in text
    )


def test_predict_averages_the_fold_models(kfold_sweep, tmp_path):
    import keras

    from threshold_sweep.prepare.standardize import Standardizer

    sweep_dir, _, data = kfold_sweep
    run = _job(sweep_dir, 1500)
    out = tmp_path / "new.csv"
    done = run_app(
        [str(run), "--data", str(data), "--output", str(out)],
        tmp_path,
        module="threshold_sweep.cli.predict",
    )
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(out)
    X = pd.read_csv(data)[[f"sensor_{i}" for i in range(8)]].to_numpy()[:, :, None]
    scores = []
    for folder in sorted((run / "folds").iterdir()):
        standardizer = Standardizer.from_dict(
            json.loads((folder / "standardization.json").read_text())
        )
        model = keras.saving.load_model(folder / "model.keras", compile=False)
        scores.append(model.predict(standardizer.transform(X), verbose=0)[:, -1])
    np.testing.assert_allclose(predicted["y_score"], np.mean(scores, axis=0), atol=1e-5)


def test_grouped_folds_keep_each_subject_in_one_fold(tmp_path):
    path = subjects_csv(tmp_path / "subjects.csv", n_subjects=40, years=5)
    done = run_app(
        [
            *FIT,
            "data=table",
            f"data.path={path}",
            "data.group=subject",
            "split=kfold",
            "label.threshold=120",
            "hydra.run.dir=run",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    subjects = pd.read_csv(path)["subject"]
    held_out = pd.read_csv(tmp_path / "run" / "predictions.csv")
    trained = pd.read_csv(tmp_path / "run" / "predictions_train.csv")
    assert len(held_out) == len(subjects)
    for fold in range(1, 6):
        tested = set(subjects[held_out.loc[held_out["fold"] == fold, "id"]])
        fitted = set(subjects[trained.loc[trained["fold"] == fold, "id"]])
        assert tested and fitted and not tested & fitted, fold
    assert held_out.groupby(subjects[held_out["id"]].to_numpy())["fold"].nunique().max() == 1


def test_a_rolling_origin_run_tests_each_block_with_models_of_earlier_rows(tmp_path):
    data = prices_csv(tmp_path / "prices.csv", N_ROWS)
    frame = pd.read_csv(data)
    days = pd.date_range("2021-01-01", periods=N_ROWS // 2, freq="D").repeat(2)  # ties
    frame["day"] = np.random.default_rng(3).permutation(days.strftime("%Y-%m-%d"))
    frame.to_csv(data, index=False)
    args = [*FIT, *TABLE, f"data.path={data}", "data.order=day", "split=rolling"]
    done = run_app([*args, "label.threshold=2000", "hydra.run.dir=run"], tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    result = json.loads((run / "metrics.json").read_text())
    assert result["split"]["method"] == "rolling" and result["split"]["order"] == "day"
    predictions = pd.read_csv(run / "predictions.csv", dtype={"id": str})
    day_of = frame.set_index(frame["sample_id"].astype(str))["day"]
    tested_days = day_of[predictions["id"]].to_numpy()
    # every row after the earliest block is tested once; the earliest block only trains
    assert predictions["id"].is_unique and result["test"]["n"] == len(predictions)
    untested = sorted(set(frame["sample_id"].astype(str)) - set(predictions["id"]))
    assert len(untested) > 0 and day_of[untested].max() < tested_days.min()
    assert sorted(pd.read_csv(run / "test_ids.csv", dtype={"id": str})["id"]) == sorted(
        predictions["id"]
    )
    folds = result["cross_validation"]["time"]
    assert list(folds) == [f"repeat1_fold{k}" for k in range(1, 6)]
    for k, (name, fold) in enumerate(folds.items(), 1):
        parts = fold["splits"]
        block = predictions.loc[predictions["fold"] == k, "id"]
        assert parts["test"]["rows"] == len(block)
        assert parts["test"]["first"] == day_of[block].min()
        assert parts["test"]["last"] == day_of[block].max()
        assert parts["train"]["last"] < parts["validation"]["first"]
        assert parts["validation"]["last"] < parts["test"]["first"]
        # an expanding window: the fold trained (and validated) on every earlier day
        earlier = (frame["day"] < parts["test"]["first"]).sum()
        assert parts["train"]["rows"] + parts["validation"]["rows"] == earlier, name
    pooled = roc_auc_score(predictions["y_true"], predictions["y_score"])
    assert result["test"]["roc_auc"] == pytest.approx(pooled, abs=1e-12)
    report = (run / "report.md").read_text()
    assert "Split: rolling-origin cross-validation on `day` (split=rolling)" in report
    section = report.split("## Cross-validation\n", 1)[1].split("\n## ", 1)[0]
    assert section.count("| repeat1_fold") == 5  # the fold-by-fold dates
