"""The notebook API (load_run / load_sweep) and threshold-sweep-predict, on the shared sweep."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from threshold_sweep.api import load_run, load_sweep
from threshold_sweep.errors import UserError

from conftest import run_app, run_dir

pytestmark = pytest.mark.slow  # every test reads a trained run (the shared sweep or its own)


def test_load_sweep_gives_the_report_commands_tables(sweep):
    sweep_dir, _ = sweep
    loaded = load_sweep(sweep_dir)
    written = pd.read_csv(sweep_dir / "summary.csv")
    assert list(loaded.runs["run"]) == list(written["run"])
    assert list(loaded.runs["status"]) == list(written["status"])
    np.testing.assert_allclose(loaded.runs["test_roc_auc"], written["test_roc_auc"])
    groups = pd.read_csv(sweep_dir / "summary_groups.csv")
    np.testing.assert_allclose(loaded.groups["test_roc_auc_mean"], groups["test_roc_auc_mean"])
    assert len(loaded.finished) == 4 and loaded.insights


def test_run_metrics_match_sklearn_and_metrics_json(sweep):
    sweep_dir, _ = sweep
    loaded = load_sweep(sweep_dir)
    run = loaded.run("label.threshold=1000,train.seed=1")
    assert run.path == run_dir(sweep_dir, 1000, seed=1)
    cnn = run.metrics.query("model == 'cnn'")
    test = cnn.set_index(["split", "metric"]).loc["test"]
    predictions = run.predictions
    assert test.loc["roc_auc", "value"] == pytest.approx(
        skm.roc_auc_score(predictions["y_true"], predictions["y_score"])
    )
    assert test.loc["f1", "value"] == pytest.approx(
        skm.f1_score(predictions["y_true"], predictions["y_pred"])
    )
    result = json.loads((run.path / "metrics.json").read_text())
    assert [test.loc["mcc", "ci_low"], test.loc["mcc", "ci_high"]] == result["ci"]["test"]["mcc"]
    assert test.loc["accuracy", "no_skill"] == pytest.approx(1 - result["prevalence"]["test"])
    assert bool(test.loc["accuracy", "prevalence_dependent"])
    assert not bool(test.loc["roc_auc", "prevalence_dependent"])
    assert len(run.history) == result["training"]["epochs_run"]
    assert run.config["label"]["threshold"] == 1000 and run.label_names == ["low", "high"]
    assert len(run.predictions_of("validation")) == result["validation"]["n"]
    long = loaded.metrics
    assert set(long["run"]) == set(loaded.finished)
    assert {"label.threshold", "train.seed"} <= set(long.columns)


def test_loading_what_is_not_a_finished_run_says_why(sweep, tmp_path):
    sweep_dir, _ = sweep
    failed = next(p.parent for p in sweep_dir.glob("*/error.txt"))
    with pytest.raises(UserError, match=r"holds a failed run: .*outside the range of x"):
        load_run(failed)
    with pytest.raises(UserError, match=r"no finished run \(no metrics.json\)"):
        load_run(tmp_path)
    with pytest.raises(UserError, match="no runs under"):
        load_sweep(tmp_path)
    loaded = load_sweep(sweep_dir)
    with pytest.raises(UserError, match=r"'label.threshold=1000' matches 2 runs: .*add an over"):
        loaded.run("label.threshold=1000")
    with pytest.raises(UserError, match="names a key twice"):
        loaded.run("label.threshold=1000,train.seed=0,train.seed=1")
    with pytest.raises(UserError, match=r"did not finish: label.threshold=1e\+09 is outside"):
        loaded.run("label.threshold=1000000000.0,train.seed=0")
    with pytest.raises(UserError, match="does not exist"):
        load_run(tmp_path / "nowhere")
    assert loaded.runs["train.seed"].dtype.kind == "i"  # numbers sort as numbers
    assert loaded.metrics["label.threshold"].dtype.kind in "if"


def test_the_api_imports_neither_tensorflow_nor_sklearn(sweep):
    code = (
        "import sys, threshold_sweep as ts\n"
        f"s = ts.load_sweep({str(sweep[0])!r})\n"
        "s.metrics, s.run('label.threshold=100,train.seed=0').history\n"
        "print(sorted(m for m in ('tensorflow', 'sklearn', 'matplotlib') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _test_rows_file(folder: Path, path: Path, with_target: bool = True) -> pd.DataFrame:
    """The run's own test rows, regenerated from its data config, saved as an .npz."""
    from threshold_sweep.data.synthetic import generate

    data_cfg = load_run(folder).config["data"]
    dataset = generate(SimpleNamespace(**{k: v for k, v in data_cfg.items() if k != "source"}))
    expected = pd.read_csv(folder / "predictions.csv")
    rows = expected["id"].to_numpy()
    arrays = {"signals": dataset.X[rows, :, 0], "ids": dataset.ids[rows]}
    if with_target:
        arrays["x"] = dataset.x[rows]
    np.savez(path, **arrays)
    return expected


def test_predict_reproduces_the_runs_test_scores(sweep, tmp_path):
    folder = run_dir(sweep[0], 100)
    expected = _test_rows_file(folder, tmp_path / "new.npz")
    args = [str(folder), "--data", "new.npz", "data.sequences_key=signals", "data.id_key=ids"]
    done = run_app([*args, "--output", "-"], tmp_path, module="threshold_sweep.cli.predict")
    assert done.returncode == 0, done.stderr
    assert f"{len(expected)} rows scored -> stdout" in done.stderr
    got = pd.read_csv(io.StringIO(done.stdout))
    assert list(got.columns) == [
        "id", "x", "y_true", "label_true", "y_score", "y_pred", "label_pred",
    ]  # fmt: skip
    np.testing.assert_array_equal(got["id"], expected["id"])
    np.testing.assert_allclose(got["y_score"], expected["y_score"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got["y_true"], expected["y_true"])
    assert (got["y_pred"] == expected["y_pred"]).mean() > 0.99  # ties at the cutoff may flip
    assert set(got["label_pred"]) <= {"low", "high"}
    assert (got["label_true"] == np.where(got["x"] > 100, "high", "low")).all()


def test_predict_without_target_and_at_the_tuned_cutoff(sweep, tmp_path):
    folder = run_dir(sweep[0], 1000)
    expected = _test_rows_file(folder, tmp_path / "unlabelled.npz", with_target=False)
    tuned = json.loads((folder / "metrics.json").read_text())["tuned_cutoff"]["cutoff"]
    args = [str(folder), "--data", "unlabelled.npz", "--out", "out/scored.csv", "--cutoff",
            "tuned", "data.sequences_key=signals"]  # fmt: skip
    done = run_app(args, tmp_path, module="threshold_sweep.cli.predict")
    assert done.returncode == 0, done.stderr
    assert f"{len(expected)} rows scored -> out/scored.csv" in done.stderr
    assert not (folder / "predictions").exists()  # --out: nothing beside the run
    got = pd.read_csv(tmp_path / "out" / "scored.csv")
    assert list(got.columns) == ["id", "y_score", "y_pred", "label_pred"]
    np.testing.assert_allclose(got["y_score"], expected["y_score"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got["y_pred"], (got["y_score"] >= tuned).astype(int))


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        ("short", [], r"has sequences of shape \(8, 1\) but the run's model takes \(16, 1\)"),
        ("good", ["data.sequences_key=S"], r"no array 'S' in new.npz \(arrays: X, x\)"),
        ("good", ["data.colour=red"], r"unknown setting\(s\) data.colour for new.npz"),
        ("good", ["--cutoff", "high"], r"--cutoff 'high': give a number in \[0, 1\] or 'tuned'"),
        ("none", [], r"--data: file not found: new.npz"),
        ("good", ["--out", "new.npz"], r"--out new.npz is the --data file"),
        ("good", ["--output", "new.npz"], r"--out new.npz is the --data file"),
        ("good", ["data.target_key=y"], r"no array 'y' in new.npz"),
        ("text", [], r"--data: notes.txt is neither .npz nor .csv/.parquet"),
    ],
)
def test_predict_rejects_bad_input_in_one_line(sweep, tmp_path, make, extra, message):
    folder = run_dir(sweep[0], 100)
    rng = np.random.default_rng(0)
    data = "notes.txt" if make == "text" else "new.npz"
    if make in ("short", "good"):
        length = 8 if make == "short" else 16
        np.savez(tmp_path / data, X=rng.normal(size=(5, length)), x=rng.uniform(1, 9, 5))
    if make == "text":
        (tmp_path / data).write_text("hello")
    done = run_app([str(folder), "--data", data, *extra], tmp_path, "threshold_sweep.cli.predict")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert pytest.importorskip("re").search(message, lines[0]), lines[0]
    assert not (folder / "predictions" / f"{Path(data).stem}.csv").exists()
    assert not list(tmp_path.glob("*.csv"))  # nothing written where the command ran


def test_predict_a_table_run_checks_the_feature_columns(table_csv, tmp_path):
    done = run_app(
        ["data=table", f"data.path={table_csv}", "data.target=price", "data.id=sample_id",
         "label.threshold=2500", "train.epochs=1", "train.threads=1", "data.transform=asinh"],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "outputs" / "runs").iterdir()
    # predict applies the run's transform: the scores below match only if it does
    assert json.loads((folder / "standardization.json").read_text())["transform"] == "asinh"
    frame = pd.read_csv(table_csv)
    shuffled = frame.drop(columns=["price"])[["sensor_3", *frame.columns[:9].drop("sensor_3")]]
    shuffled.to_csv(tmp_path / "new.csv", index=False)
    done = run_app([str(folder), "--data", "new.csv"], tmp_path, "threshold_sweep.cli.predict")
    assert done.returncode == 0, done.stderr
    written = folder / "predictions" / "new.csv"  # beside the run, not in the current folder
    assert f"rows scored -> {written} (" in done.stderr
    assert not list(tmp_path.glob("*.predictions.csv"))
    got = pd.read_csv(written, dtype={"id": str})
    expected = pd.read_csv(folder / "predictions.csv", dtype={"id": str}).set_index("id")
    common = got.set_index("id").loc[expected.index]  # the run's test rows, columns reordered
    np.testing.assert_allclose(common["y_score"], expected["y_score"], rtol=1e-5, atol=1e-6)
    frame.drop(columns=["sensor_5"]).to_csv(tmp_path / "missing.csv", index=False)
    done = run_app([str(folder), "--data", "missing.csv"], tmp_path, "threshold_sweep.cli.predict")
    assert done.returncode == 2
    assert "error: data.features: no column(s) 'sensor_5' in missing.csv" in done.stderr
    # the target column is not needed: text there is ignored, and data.target=null says "none"
    texts = frame.assign(price="unknown")
    texts.to_csv(tmp_path / "texts.csv", index=False)
    for extra in ([], ["data.target=null"], ["data.target="]):
        args = [str(folder), "--data", "texts.csv", "--output", "-", *extra]
        done = run_app(args, tmp_path, "threshold_sweep.cli.predict")
        assert done.returncode == 0, done.stderr
        scored = pd.read_csv(io.StringIO(done.stdout), dtype={"id": str}).set_index("id")
        assert "y_true" not in scored and len(scored) == len(frame)
        np.testing.assert_allclose(
            scored.loc[expected.index, "y_score"], expected["y_score"], rtol=1e-5, atol=1e-6
        )
    done = run_app(
        [str(folder), "--data", "texts.csv", "data.target=price"],
        tmp_path,
        "threshold_sweep.cli.predict",
    )
    assert done.returncode == 2  # a target the user names must be numbers
    assert "target column(s) 'price' are not numeric" in done.stderr


def test_predict_refuses_a_cutoff_for_a_multiclass_run(three_class_run, tmp_path):
    folder, _ = three_class_run
    np.savez(tmp_path / "new.npz", X=np.zeros((3, 16)))
    args = [str(folder), "--data", "new.npz", "--cutoff", "0.3"]
    done = run_app(args, tmp_path, "threshold_sweep.cli.predict")
    assert done.returncode == 2
    assert "error: --cutoff applies to binary runs only" in done.stderr


def test_predict_a_multiclass_run_reproduces_its_class_scores(three_class_run, tmp_path):
    folder, _ = three_class_run
    expected = _test_rows_file(folder, tmp_path / "new.npz")
    args = [str(folder), "--data", "new.npz", "data.sequences_key=signals", "data.id_key=ids"]
    done = run_app(args, tmp_path, "threshold_sweep.cli.predict")
    assert done.returncode == 0, done.stderr
    got = pd.read_csv(folder / "predictions" / "new.csv")
    for k in range(3):
        np.testing.assert_allclose(got[f"score_{k}"], expected[f"score_{k}"], rtol=1e-5, atol=1e-6)
    assert (got["y_pred"] == expected["y_pred"]).mean() > 0.99
    names = load_run(folder).label_names
    assert list(got["label_pred"]) == [names[k] for k in got["y_pred"]]
    assert list(got["label_true"]) == [names[k] for k in got["y_true"]]
