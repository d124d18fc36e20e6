"""The same two-job sweep on Hydra's basic, joblib, submitit_local and Ray launchers: identical
summary metrics (same seeds and the same train.threads), failures counted across processes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from conftest import JOBLIB_SWEEP, TINY, made_once, run_app, run_cli

SWEEP = ["-m", "label.threshold=100,1000", *TINY]


def summary(folder: Path) -> pd.DataFrame:
    table = pd.read_csv(folder / "summary.csv").set_index("threshold").sort_index()
    return table[[c for c in table.columns if c.startswith("test_")]]


@pytest.fixture(scope="session")
def basic(tmp_path_factory) -> Path:
    """The sweep run by Hydra's basic launcher, which runs the jobs in its own process."""
    args = [*SWEEP, "hydra.sweep.dir=sweep"]
    cwd, done = made_once(tmp_path_factory, "basic_launcher", lambda cwd: run_app(args, cwd))
    assert done.returncode == 0, done.stderr
    return cwd / "sweep"


def check_launcher_sweep(
    done: subprocess.CompletedProcess,
    args: list[str],
    cwd: Path,
    basic: Path,
    logs_jobs: bool,
    env: dict[str, str] | None = None,
) -> None:
    """A sweep run by a launcher (`args`, from `cwd`) has the basic launcher's results and
    progress lines, and its resume skips both jobs; `logs_jobs`: its workers' lines reach us."""
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(summary(cwd / "sweep"), summary(basic))
    output = done.stdout + done.stderr  # workers log where their launcher sends it
    assert "sweep of 2 job(s)" in output
    if logs_jobs:
        assert "job 1 of 2 [label.threshold=100] started" in output
        assert "job 2 of 2 [label.threshold=1000] started" in output
    assert "100" in done.stdout.split("status")[-1] and "1000" in done.stdout.split("status")[-1]
    finished = {p: p.stat().st_mtime_ns for p in (cwd / "sweep").glob("*/metrics.json")}
    assert len(finished) == 2
    again = run_cli([*args, "resume=true"], cwd, env=env)
    assert again.returncode == 0, again.stderr
    # both jobs were skipped (their logs may stay with the workers): results untouched
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    pd.testing.assert_frame_equal(summary(cwd / "sweep"), summary(basic))


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["submitit_local", "ray_local"])
def test_launcher_matches_the_basic_launcher(basic, launcher, tmp_path):
    if launcher.startswith("ray"):
        pytest.importorskip("hydra_plugins.hydra_ray_launcher", reason="pip install '.[ray]'")
    args = [*SWEEP, f"hydra/launcher={launcher}", "hydra.sweep.dir=sweep"]
    check_launcher_sweep(run_cli(args, tmp_path), args, tmp_path, basic, logs_jobs=False)


@pytest.mark.slow
def test_joblib_workers_match_the_basic_launcher(basic, tracked_joblib_sweep):
    # the tracked joblib sweep (hydra/launcher=local_parallel): MLflow and TensorBoard leave the
    # results alone, so it is the local_parallel case of the test above
    cwd, done = tracked_joblib_sweep
    env = {"MLFLOW_ALLOW_FILE_STORE": "true"}
    check_launcher_sweep(done, list(JOBLIB_SWEEP), cwd, basic, logs_jobs=True, env=env)


@pytest.mark.slow  # no training, but joblib workers: ~9 s
def test_failed_job_in_a_worker_process_fails_the_sweep(tmp_path):
    done = run_cli(
        [
            "-m",
            "label.threshold=1e9,2e9",
            "hydra/launcher=local_parallel",
            "hydra.sweep.dir=sweep",
            *TINY,
        ],
        tmp_path,
    )
    assert done.returncode == 1
    assert "2 run(s) failed" in done.stderr
    assert (pd.read_csv(tmp_path / "sweep" / "summary.csv")["status"] == "failed").all()


def test_threads_default_to_cores_per_parallel_job():
    from types import SimpleNamespace

    from threshold_sweep.cli.main import default_threads, parallel_jobs

    assert parallel_jobs(SimpleNamespace()) == 1
    assert parallel_jobs(SimpleNamespace(n_jobs=-1)) == (__import__("os").cpu_count() or 1)
    assert default_threads(SimpleNamespace(n_jobs=64)) == 1
    assert default_threads(SimpleNamespace(cpus_per_task=3)) == 3
    ray = SimpleNamespace(ray=SimpleNamespace(remote={"num_cpus": 1}))
    assert default_threads(ray) == 1
