"""tracking=mlflow and train.tensorboard=true: sweeps read back with MLflow's client and TF."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from conftest import TINY, compose_config, run_app, run_cli

pytest.importorskip("mlflow", reason='pip install ".[tracking]"')

SWEEP = ["-m", "label.threshold=100,1000", *TINY, "tracking=mlflow", "hydra.sweep.dir=sweep"]


def mlflow_runs(uri: str) -> tuple[list, list]:
    """The parent runs and the child runs of the threshold-sweep experiment."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("threshold-sweep")
    runs = client.search_runs([experiment.experiment_id])
    parents = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    children = [run for run in runs if "mlflow.parentRunId" in run.data.tags]
    return parents, children


def artifacts(uri: str, run_id: str, path: str | None = None) -> set[str]:
    """Every artifact path of a run, folders walked."""
    from mlflow.tracking import MlflowClient

    found: set[str] = set()
    for item in MlflowClient(tracking_uri=uri).list_artifacts(run_id, path):
        found |= artifacts(uri, run_id, item.path) if item.is_dir else {item.path}
    return found


@pytest.fixture(scope="module", autouse=True)
def allow_file_store():
    """MLflow 3 opens its file store only when asked to (the CLI asks for a file store URI)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        yield


@pytest.fixture(scope="session")
def joblib_sweep(tracked_joblib_sweep) -> tuple[Path, str]:
    """Two jobs in joblib worker processes into a file store, TensorBoard on: the start folder
    and the store's URI."""
    cwd, _ = tracked_joblib_sweep
    return cwd, (cwd / "mlruns").as_uri()


@pytest.mark.slow
def test_one_parent_run_per_sweep_and_a_child_run_per_job(joblib_sweep):
    cwd, uri = joblib_sweep
    (parent,), children = mlflow_runs(uri)
    assert parent.info.status == "FINISHED" and parent.info.run_name == "sweep"
    assert parent.data.metrics["runs_complete"] == 2
    recorded = json.loads((cwd / "sweep" / ".mlflow_parent_run").read_text())
    assert recorded["parent_run_id"] == parent.info.run_id
    summary = {"summary.csv", "summary.md", "summary_metrics.png"}
    assert summary <= artifacts(uri, parent.info.run_id)
    assert len(children) == 2
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.info.status == "FINISHED" and child.data.tags["status"] == "complete"
        assert "tracking" not in child.info.run_name  # tracking does not name job folders


@pytest.mark.slow
def test_child_run_holds_config_metrics_report_plots_and_model(joblib_sweep, tmp_path):
    from mlflow.tracking import MlflowClient

    _, uri = joblib_sweep
    client = MlflowClient(tracking_uri=uri)
    thresholds = set()
    for child in mlflow_runs(uri)[1]:
        folder = Path(child.data.tags["run_folder"])
        result = json.loads((folder / "metrics.json").read_text())
        params, metrics = child.data.params, child.data.metrics
        thresholds.add(float(params["label.threshold"]))
        assert float(params["label.threshold"]) == result["threshold"]
        assert (params["train.epochs"], params["train.threads"]) == ("2", "1")
        assert params["sampling.strategy"] == "undersample" and params["model.filters"] == "[4]"
        history = pd.read_csv(folder / "history.csv")
        assert len(history) == result["training"]["epochs_run"] == 2
        for key in ("loss", "val_loss", "val_roc_auc"):
            logged = client.get_metric_history(child.info.run_id, key)
            assert [m.step for m in logged] == list(range(len(history)))
            assert [m.value for m in logged] == pytest.approx(history[key].tolist(), abs=1e-6)
        low, high = result["ci"]["test"]["roc_auc"]
        assert metrics["test_roc_auc"] == pytest.approx(result["test"]["roc_auc"], abs=1e-12)
        assert (metrics["test_roc_auc_ci_low"], metrics["test_roc_auc_ci_high"]) == pytest.approx(
            (low, high), abs=1e-12
        )
        assert metrics["chance_roc_auc"] == 0.5
        assert metrics["test_prevalence"] == pytest.approx(result["prevalence"]["test"])
        logged = artifacts(uri, child.info.run_id)
        assert {"report.md", "metrics.json", "history.csv", "plots/roc.png"} <= logged
        assert "model/model.keras" in logged
        model = client.download_artifacts(child.info.run_id, "model/model.keras", str(tmp_path))
        assert Path(model).read_bytes() == (folder / "model.keras").read_bytes()
    assert thresholds == {100, 1000}


@pytest.mark.slow
def test_tensorboard_logs_every_epoch_in_the_run_folder(joblib_sweep):
    import tensorflow as tf

    folders = [path.parent for path in (joblib_sweep[0] / "sweep").glob("*/tensorboard")]
    assert len(folders) == 2
    for folder in folders:
        history = pd.read_csv(folder / "history.csv")
        for split, column in (("train", "loss"), ("validation", "val_loss")):
            scalars = {}
            for events in (folder / "tensorboard" / split).glob("events.out.tfevents.*"):
                for event in tf.compat.v1.train.summary_iterator(str(events)):
                    for value in event.summary.value:
                        if value.tag == "epoch_loss":
                            scalars[event.step] = float(tf.make_ndarray(value.tensor))
            assert sorted(scalars) == list(range(len(history)))
            assert [scalars[step] for step in sorted(scalars)] == pytest.approx(
                history[column].tolist(), abs=1e-6
            )


@pytest.mark.slow
def test_resume_reopens_the_parent_and_adds_no_child_run(joblib_sweep):
    cwd, uri = joblib_sweep
    (parent,), _ = mlflow_runs(uri)
    # the basic launcher this time: the parent run lives in the main process either way
    args = [*SWEEP, "train.tensorboard=true", "tracking.tracking_uri=mlruns", "resume=true"]
    done = run_app(args, cwd)
    assert done.returncode == 0, done.stderr
    (again,), children = mlflow_runs(uri)
    assert again.info.run_id == parent.info.run_id and again.info.status == "FINISHED"
    assert len(children) == 2


@pytest.mark.slow
def test_submitit_jobs_find_the_parent_run_in_the_default_store(tmp_path):
    from mlflow.tracking import MlflowClient

    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason='pip install ".[slurm]"')
    # one job is enough to show that a job in a submitit process finds the parent run
    one_job = [*SWEEP[:1], "label.threshold=100", *SWEEP[2:]]
    done = run_cli([*one_job, "hydra/launcher=submitit_local"], tmp_path)
    assert done.returncode == 0, done.stderr
    uri = f"sqlite:///{tmp_path / 'outputs' / 'mlflow.db'}"
    experiment = MlflowClient(tracking_uri=uri).get_experiment_by_name("threshold-sweep")
    assert experiment.artifact_location == str(tmp_path / "outputs" / "mlflow-artifacts")
    (parent,), (child,) = mlflow_runs(uri)
    assert parent.info.status == "FINISHED" and child.info.status == "FINISHED"
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert len(child.data.params) > 50 and "test_roc_auc_ci_high" in child.data.metrics
    assert len(MlflowClient(tracking_uri=uri).get_metric_history(child.info.run_id, "loss")) == 2


@pytest.mark.slow  # no training, but a new MLflow store: ~14 s
def test_failed_jobs_fail_their_runs_and_the_parent(tmp_path):
    args = ["-m", "label.threshold=1e9,2e9", "tracking=mlflow", "hydra.sweep.dir=sweep", *TINY]
    done = run_app(args, tmp_path)  # both jobs fail before training: no TensorFlow
    assert done.returncode == 1
    (parent,), children = mlflow_runs(f"sqlite:///{tmp_path / 'outputs' / 'mlflow.db'}")
    assert parent.info.status == "FAILED" and parent.data.metrics["runs_failed"] == 2
    assert [child.info.status for child in children] == ["FAILED", "FAILED"]
    for child in children:
        assert "outside the range of x" in child.data.tags["error"]
        assert child.data.tags["status"] == "failed"


@pytest.mark.slow  # no training, but MLflow and SQLAlchemy: ~6 s
def test_a_store_that_cannot_be_opened_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("not a folder")  # the database would have to go inside it
    uri = f"sqlite:///{tmp_path}/afile/mlflow.db"
    done = run_app(["tracking=mlflow", f"tracking.tracking_uri={uri}"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: tracking.tracking_uri={uri}: cannot open the MLflow")
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow  # a new process (a fake mlflow on its path): ~3 CPU seconds
def test_missing_mlflow_names_the_extra(tmp_path):
    fake = tmp_path / "fake" / "mlflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'mlflow'\")\n")
    done = run_cli(["tracking=mlflow"], tmp_path, env={"PYTHONPATH": str(fake.parent)})
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert 'pip install "threshold-sweep[tracking]"' in done.stderr


def test_tracking_failure_is_a_warning_and_stops_tracking(caplog, monkeypatch, tmp_path):
    from threshold_sweep.tracking import job as tracking

    calls = []

    class Unreachable:
        """A tracking server that went away after the run started."""

        def log_metrics(self, metrics):
            raise ConnectionError("server gone")

        def __getattr__(self, name):
            return lambda *args, **kwargs: calls.append(name)

    monkeypatch.setattr(tracking, "result_metrics", lambda result: {"test_roc_auc": 0.9})
    tracker = tracking.JobTracker(Unreachable(), "run-id")
    with caplog.at_level(logging.WARNING, logger="threshold_sweep.tracking.job"):
        tracker.log_result({"status": "complete", "threshold": 100.0}, tmp_path)
        tracker.end("FINISHED")
    assert "could not log metrics (ConnectionError: server gone)" in caplog.text
    assert "its folder is written as usual" in caplog.text
    assert not tracker.active and calls == []  # no further calls after the failure


def test_store_paths_are_made_absolute_from_the_start_folder(tmp_path):
    from types import SimpleNamespace

    from threshold_sweep.tracking.store import resolve_store

    def store(uri, artifacts=None):
        tracking = SimpleNamespace(
            tracking_uri=uri, artifact_location=artifacts, experiment_name="e"
        )
        return resolve_store(tracking, str(tmp_path))

    default = store(None)
    assert default.tracking_uri == f"sqlite:///{tmp_path}/outputs/mlflow.db"
    assert default.artifact_location == f"{tmp_path}/outputs/mlflow-artifacts"
    assert store("sqlite:///db/x.db").tracking_uri == f"sqlite:///{tmp_path}/db/x.db"
    assert store("sqlite:////abs/x.db", "art").artifact_location == f"{tmp_path}/art"
    assert store("mlruns").tracking_uri == (tmp_path / "mlruns").as_uri()
    assert store("http://host:5000").artifact_location is None
    assert store("postgresql+psycopg2://u@h/db").tracking_uri == "postgresql+psycopg2://u@h/db"
    plain_db = store("stores/runs.db")  # a database file, not a folder
    assert plain_db.tracking_uri == f"sqlite:///{tmp_path}/stores/runs.db"
    assert plain_db.artifact_location == f"{tmp_path}/stores/mlflow-artifacts"


def test_an_unknown_store_scheme_is_refused_before_mlflow_is_asked(tmp_path):
    done = run_app(
        [*TINY, "tracking=mlflow", "tracking.tracking_uri=foo://bar", "hydra.run.dir=run"],
        tmp_path,
    )
    assert done.returncode == 2
    (line,) = [line for line in done.stderr.splitlines() if "error" in line]
    assert "tracking.tracking_uri=foo://bar: unknown scheme 'foo'; give sqlite:///" in line
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_params_are_flat_and_within_mlflow_limits():
    from threshold_sweep.tracking.job import MAX_PARAM_LENGTH, flat_params, metric_name

    cfg = compose_config("data=table", "data.path=x.csv", f"data.features=[{','.join('f' * 1300)}]")
    params = flat_params(cfg)
    assert params["data.path"] == "x.csv" and params["tracking.backend"] == "none"
    assert len(params["data.features"]) == MAX_PARAM_LENGTH
    assert metric_name("test_share_a+b (x>1)") == "test_share_a_b _x_1_"


def test_tracking_and_tensorboard_off_keep_the_config_fingerprint():
    from threshold_sweep.pipeline.record import config_fingerprint

    plain = config_fingerprint(compose_config())
    assert config_fingerprint(compose_config("tracking=mlflow")) == plain
    assert config_fingerprint(compose_config("train.tensorboard=true")) != plain
