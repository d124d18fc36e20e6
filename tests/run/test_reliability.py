"""Crash, interrupt, resume and reproducibility: whole processes, killed and re-run."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import TINY, UNINHERITED_VARIABLES, run_app, run_cli

pytestmark = pytest.mark.slow  # every test trains, in processes killed and re-run

METRIC_COLUMNS = ["test_roc_auc", "test_f1", "test_accuracy", "test_mcc", "test_brier"]


def _default_sigint() -> None:
    """Undo an inherited SIG_IGN: CI may start us as a background job, which ignores Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _popen(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in UNINHERITED_VARIABLES}
    return subprocess.Popen(
        [sys.executable, "-m", "threshold_sweep", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def _wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.2)


def test_sigkill_then_resume_matches_an_uninterrupted_sweep(tmp_path):
    sweep = ["-m", "label.threshold=100,1000", *TINY, "train.epochs=4"]
    clean = run_app([*sweep, "hydra.sweep.dir=clean"], tmp_path)
    assert clean.returncode == 0, clean.stderr
    killed_dir = tmp_path / "killed"
    process = _popen([*sweep, f"hydra.sweep.dir={killed_dir}"], tmp_path)
    try:
        _wait_for(
            lambda: (
                len(list(killed_dir.glob("*/metrics.json"))) == 1
                and len(list(killed_dir.glob("*/history.csv"))) == 2
            )
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate()
    (first,) = killed_dir.glob("*/metrics.json")
    stamp = first.stat().st_mtime_ns
    resumed = run_app([*sweep, f"hydra.sweep.dir={killed_dir}", "resume=true"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.count("already holds a complete run of this config; skipped") == 1
    assert first.stat().st_mtime_ns == stamp
    expected = pd.read_csv(tmp_path / "clean" / "summary.csv").set_index("threshold")
    got = pd.read_csv(killed_dir / "summary.csv").set_index("threshold")
    assert (got["status"] == "complete").all() and len(got) == 2
    pd.testing.assert_frame_equal(got[METRIC_COLUMNS], expected[METRIC_COLUMNS])


def test_resume_reruns_a_job_whose_config_changed(two_processes, tmp_path):
    args = [*TINY, "hydra.run.dir=run", "resume=true"]
    shutil.copytree(two_processes[0] / "a", tmp_path / "run")  # a finished run of this config
    again = run_app(args, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "skipped" in again.stderr
    changed = run_app([*args, "evaluate.bootstrap.resamples=200"], tmp_path)
    assert changed.returncode == 0 and "skipped" not in changed.stderr


def test_ctrl_c_marks_the_run_unfinished(tmp_path):
    process = _popen(
        [
            *TINY,
            "train.epochs=400",
            "train.early_stopping=false",
            "data.n_samples=3000",
            "hydra.run.dir=run",
        ],
        tmp_path,
    )
    history = tmp_path / "run" / "history.csv"
    try:
        _wait_for(lambda: history.exists() and len(history.read_text().splitlines()) >= 3)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # seen once in CI with the other worker training beside it: the first press not
            # acted on within 60 s (lost or late, not understood yet; it passes alone). A
            # second press, as a user would give, must still end the run cleanly.
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in (tmp_path / "run" / "error.txt").read_text()
    assert not (tmp_path / "run" / "metrics.json").exists()
    assert len(pd.read_csv(history)) >= 2
    assert "Traceback" not in stderr


def test_same_config_gives_bitwise_identical_results_in_two_processes(two_processes):
    for file in ("metrics.json", "predictions.csv", "predictions_validation.csv", "history.csv"):
        a, b = (two_processes[0] / name / file for name in ("a", "b"))
        assert a.read_bytes() == b.read_bytes(), file


def _interrupt_at(args: list[str], cwd: Path, seconds: float) -> tuple[bool, int, str]:
    """Start a run, press Ctrl-C after `seconds`: (alive when pressed, exit code, stderr)."""
    process = _popen(args, cwd)
    time.sleep(seconds)
    alive = process.poll() is None
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    return alive, process.returncode, stderr


def _resume_command(folder: Path) -> list[str]:
    """The arguments of the command error.txt gives to finish an interrupted run."""
    text = (folder / "error.txt").read_text()
    command = shlex.split(text.split("to run it again here: ", 1)[1])
    assert command[0] == "threshold-sweep" and command[-1] == "resume=true", text
    return command[1:]


def test_ctrl_c_at_twelve_moments_always_ends_cleanly_and_the_hint_resumes(tmp_path):
    # the uninterrupted run times the presses, so it runs right before them, on the same load
    # (timed in a shared fixture on another load, 6 of 20 runs ended before their press)
    args = [*TINY, "train.epochs=3"]
    started = time.monotonic()
    done = run_cli([*args, "hydra.run.dir=clean"], tmp_path)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    clean = tmp_path / "clean"
    pressed, marked = 0, []
    # 12 presses from 3% to 93% of the run (20 took 147 s of one worker, a quarter of the suite)
    for i, fraction in enumerate(np.linspace(0.03, 0.93, 12)):
        folder = tmp_path / f"run{i}"
        alive, code, stderr = _interrupt_at(
            [*args, f"hydra.run.dir={folder}"], tmp_path, fraction * duration
        )
        assert "Traceback" not in stderr and "Error" not in stderr.replace("[ERROR]", ""), stderr
        if not alive:
            continue
        pressed += 1
        complete = (folder / "metrics.json").exists()
        if complete and code == 0:  # pressed during shutdown, after the work: ignored
            assert not (folder / "error.txt").exists()
            continue
        assert code == 130, (fraction, stderr)
        assert "interrupted" in stderr, stderr
        if complete:  # interrupted after the last file was written
            assert not (folder / "error.txt").exists()
        elif (folder / "error.txt").exists():
            assert "interrupted" in (folder / "error.txt").read_text()
            marked.append(folder)
    # the presses are timed on one uninterrupted run; under a changing load the later runs can
    # be a third faster (CI: 14 of 20 came in time), so half of them must come in time
    assert pressed >= 6, f"only {pressed} of 12 Ctrl-C presses came before the run ended"
    assert marked, "no press landed while the run was under way"
    resumed = run_cli(_resume_command(marked[-1]), tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert not (marked[-1] / "error.txt").exists()
    for file in ("metrics.json", "predictions.csv"):
        assert (marked[-1] / file).read_bytes() == (clean / file).read_bytes(), file
