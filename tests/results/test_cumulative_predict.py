"""threshold-sweep-predict, the API and MLflow on one trained model.head=cumulative run."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from threshold_sweep.api import load_run
from threshold_sweep.errors import UserError

from conftest import TINY, made_once, run_app

pytestmark = pytest.mark.slow  # one training for the module

HAS_MLFLOW = importlib.util.find_spec("mlflow") is not None
PREDICT = "threshold_sweep.cli.predict"


def _tracked_cumulative_run(cwd: Path) -> subprocess.CompletedProcess:
    """Train the cumulative run in `cwd`; save every row of its data as all.npz."""
    from threshold_sweep.data.synthetic import generate

    tracking = ["tracking=mlflow", "tracking.tracking_uri=mlruns"] if HAS_MLFLOW else []
    head = ["model.head=cumulative", "label.bins=4", "evaluate.threshold_folders=true"]
    args = [*TINY, *head, "hydra.run.dir=run", *tracking]
    done = run_app(args, cwd, env={"MLFLOW_ALLOW_FILE_STORE": "true"})
    if done.returncode == 0:
        data_cfg = load_run(cwd / "run").config["data"]
        source = {k: v for k, v in data_cfg.items() if k != "source"}
        dataset = generate(SimpleNamespace(**source))
        np.savez(cwd / "all.npz", signals=dataset.X[:, :, 0], ids=dataset.ids, x=dataset.x)
    return done


@pytest.fixture(scope="session")
def cumulative(tmp_path_factory) -> tuple[Path, Path]:
    """One cumulative run (3 thresholds from label.bins=4), tracked into a file store when
    MLflow is installed; every row of its data saved as all.npz (with ids and x)."""
    cwd, done = made_once(tmp_path_factory, "cumulative_tracked", _tracked_cumulative_run)
    assert done.returncode == 0, done.stderr
    return cwd, cwd / "run"


def predict(cwd: Path, folder: Path, *extra: str) -> pd.DataFrame:
    """threshold-sweep-predict on all.npz, its CSV read from stdout (ids as text)."""
    args = [str(folder), "--data", "all.npz", "data.sequences_key=signals", "data.id_key=ids"]
    done = run_app([*args, "--output", "-", *extra], cwd, module=PREDICT)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(io.StringIO(done.stdout), dtype={"id": str}).set_index("id")


def grid_of(folder: Path) -> list[float]:
    """The run's thresholds, from metrics.json."""
    return json.loads((folder / "metrics.json").read_text())["cumulative"]["thresholds"]


def sub_folder(folder: Path, t: float) -> Path:
    """Threshold t's binary run folder."""
    return folder / "thresholds" / f"threshold={t:g}"


@pytest.fixture(scope="module")
def full(cumulative) -> pd.DataFrame:
    """predict without --threshold: class scores, p_above_<t>, y_pred."""
    cwd, folder = cumulative
    return predict(cwd, folder)


def test_class_scores_and_p_above_columns(cumulative, full):
    _, folder = cumulative
    grid = grid_of(folder)
    above = [f"p_above_{t:g}" for t in grid]
    classes = [f"score_{k}" for k in range(len(grid) + 1)]
    assert list(full.columns) == [
        "x", "y_true", "label_true", *classes, *above, "y_pred", "label_pred",
    ]  # fmt: skip
    np.testing.assert_allclose(full[classes].sum(axis=1), 1.0, atol=1e-6)
    c = full[above].to_numpy()
    # class probabilities: differences of neighbouring P(x > t) at the training balance (each
    # output trained at 50:50 by weights: logit - log(w+ / w-)), recomputed here
    weights = json.loads((folder / "metrics.json").read_text())["cumulative"]["weights"]
    shift = np.log(np.array(weights["positive"]) / np.array(weights["negative"]))
    natural = 1 / (1 + np.exp(-(np.log(c / (1 - c)) - shift)))
    padded = np.hstack([np.ones((len(c), 1)), natural, np.zeros((len(c), 1))])
    diffs = np.clip(padded[:, :-1] - padded[:, 1:], 0, None) / np.array(weights["class_shares"])
    np.testing.assert_allclose(full[classes], diffs / diffs.sum(axis=1, keepdims=True), atol=1e-6)
    np.testing.assert_array_equal(full["y_pred"], full[classes].to_numpy().argmax(axis=1))
    np.testing.assert_array_equal(full["y_true"], np.searchsorted(grid, full["x"], side="left"))
    # the run's own test rows: the same class scores and, per threshold, the same P(x > t)
    expected = pd.read_csv(folder / "predictions.csv", dtype={"id": str}).set_index("id")
    rows = full.loc[expected.index]
    np.testing.assert_allclose(rows[classes], expected[classes], atol=1e-6)
    assert (rows["y_pred"] == expected["y_pred"]).mean() > 0.99  # ties at the cutoff may flip
    for t, column in zip(grid, above, strict=True):
        binary = pd.read_csv(sub_folder(folder, t) / "predictions.csv", dtype={"id": str})
        np.testing.assert_allclose(rows[column], binary.set_index("id")["y_score"], atol=1e-6)


def test_one_threshold_is_a_dedicated_runs_prediction(cumulative, full):
    cwd, folder = cumulative
    t = grid_of(folder)[1]
    sub = sub_folder(folder, t)
    expected = pd.read_csv(sub / "predictions.csv", dtype={"id": str}).set_index("id")
    result = json.loads((sub / "metrics.json").read_text())
    for given in (f"{t:g}", repr(t)):  # the folder's text, or the full value
        got = predict(cwd, folder, "--threshold", given)
        assert list(got.columns) == ["x", "y_true", "label_true", "y_score", "y_pred", "label_pred"]
        np.testing.assert_allclose(got["y_score"], full[f"p_above_{t:g}"], atol=1e-6)
        np.testing.assert_allclose(
            got.loc[expected.index, "y_score"], expected["y_score"], atol=1e-6
        )
        np.testing.assert_array_equal(got["y_true"], (got["x"] > t).astype(int))
        cutoff = result["cutoff"]
        np.testing.assert_array_equal(got["y_pred"], (got["y_score"] >= cutoff).astype(int))
    tuned = predict(cwd, folder, "--threshold", f"{t:g}", "--cutoff", "tuned")
    at = result["tuned_cutoff"]["cutoff"]
    np.testing.assert_array_equal(tuned["y_pred"], (tuned["y_score"] >= at).astype(int))
    # the per-threshold folder itself: the parent's model, output k
    direct = predict(cwd, sub)
    np.testing.assert_allclose(direct["y_score"], got["y_score"], atol=1e-6)
    np.testing.assert_array_equal(direct["y_pred"], got["y_pred"])
    assert not (sub / "model.keras").exists()


def test_several_thresholds_give_their_p_above_columns(cumulative, full):
    cwd, folder = cumulative
    grid = grid_of(folder)
    got = predict(cwd, folder, "--threshold", f"{grid[2]:g},{grid[0]:g}")
    columns = [f"p_above_{grid[2]:g}", f"p_above_{grid[0]:g}"]
    assert list(got.columns) == ["x", *columns]
    np.testing.assert_allclose(got[columns], full[columns], atol=1e-6)
    repeated = predict(cwd, folder, "--threshold", f"{grid[2]:g}", "--threshold", f"{grid[0]:g}")
    np.testing.assert_allclose(repeated[columns], got[columns])


def test_bad_thresholds_are_one_line_errors(cumulative):
    cwd, folder = cumulative
    grid = grid_of(folder)
    listed = ", ".join(f"{t:g}" for t in grid)
    sub = sub_folder(folder, grid[0])
    cases = [
        (folder, ["--threshold", "1e9"], f"--threshold 1e9: not one of the run's 3 thresholds "
         f"({listed}); give one of them"),
        (folder, ["--threshold", "high"], f"--threshold 'high' is not a number; give one of the "
         f"run's thresholds: {listed}"),
        (folder, ["--threshold", f"{grid[0]:g},{grid[0]!r}"], "names a threshold twice"),
        (folder, ["--threshold", f"{grid[0]:g},{grid[1]:g}", "--cutoff", "0.3"],
         "--cutoff applies to one --threshold (or none)"),
        (folder, ["--threshold", ","], "--threshold ,: an empty value"),
        (folder, ["--cutoff", "tuned"], "--cutoff tuned: each threshold has its own tuned cutoff"),
        (sub, ["--threshold", f"{grid[0]:g}"], "is one threshold's folder of a cumulative run; "
         f"give the run folder {folder.resolve()}"),
    ]  # fmt: skip
    for target, extra, message in cases:
        args = [str(target), "--data", "all.npz", "data.sequences_key=signals", *extra]
        done = run_app(args, cwd, module=PREDICT)
        assert done.returncode == 2, (extra, done.stderr)
        assert "Traceback" not in done.stderr
        (line,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert message in line, line


def test_the_api_gives_the_threshold_curve(cumulative):
    _, folder = cumulative
    run = load_run(folder)
    curve = run.threshold_curve
    written = pd.read_csv(folder / "thresholds.csv")
    pd.testing.assert_frame_equal(curve, written)
    np.testing.assert_allclose(curve["threshold"], grid_of(folder))
    for t, auc, share in zip(
        curve["threshold"], curve["roc_auc"], curve["prevalence"], strict=True
    ):
        sub = run.threshold_run(t)
        assert sub.path == sub_folder(folder, t)
        test = sub.predictions
        assert auc == pytest.approx(skm.roc_auc_score(test["y_true"], test["y_score"]))
        assert share == pytest.approx((test["x"] > t).mean())
        with pytest.raises(UserError, match="one threshold's folder of a cumulative run"):
            _ = sub.threshold_curve
    assert run.threshold_run(f"{grid_of(folder)[0]:g}").result["threshold"] == grid_of(folder)[0]


@pytest.mark.skipif(not HAS_MLFLOW, reason='pip install ".[tracking]"')
def test_mlflow_has_the_per_threshold_metrics_and_thresholds_csv(cumulative, monkeypatch):
    from mlflow.tracking import MlflowClient

    cwd, folder = cumulative
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = MlflowClient(tracking_uri=(cwd / "mlruns").as_uri())
    experiment = client.get_experiment_by_name("threshold-sweep")
    (tracked,) = client.search_runs([experiment.experiment_id])
    assert tracked.data.tags["head"] == "cumulative"
    curve = pd.read_csv(folder / "thresholds.csv")
    for key, column in [
        ("threshold_value", "threshold"),
        ("threshold_roc_auc", "roc_auc"),
        ("threshold_roc_auc_ci_low", "roc_auc_ci_low"),
        ("threshold_mcc", "mcc"),
        ("threshold_prevalence", "prevalence"),
    ]:
        history = sorted(client.get_metric_history(tracked.info.run_id, key), key=lambda m: m.step)
        assert [m.step for m in history] == list(range(len(curve)))
        np.testing.assert_allclose([m.value for m in history], curve[column], rtol=1e-12)
    names = {item.path for item in client.list_artifacts(tracked.info.run_id)}
    assert {"thresholds.csv", "errors_by_distance.csv", "metrics.json"} <= names
