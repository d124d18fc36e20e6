"""Hydra callbacks: the sweep summary when a multirun ends; MLflow's parent run per sweep."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from threshold_sweep.errors import UserError

log = logging.getLogger(__name__)

# Jobs of this invocation that failed in this process; read by the CLI for its exit code.
FAILED_RUNS: list[str] = []


def _stop(message: str) -> None:
    """One line on stderr, exit code 2."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(2) from None


def _check_writable(directory: str, key: str) -> None:
    """Stop with one line (exit 2) when the output folder cannot be created or written."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        _stop(
            f"cannot write the output folder {path} ({key}): {error.strerror or error}; "
            f"choose a writable folder with {key}=..."
        )


class SweepSummaryCallback(Callback):
    """Check the output folder first; write the sweep summary when a multirun ends."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """A single run's folder must be writable before anything runs."""
        _check_writable(config.hydra.run.dir, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """A sweep's folder must be writable before any job starts."""
        _check_writable(config.hydra.sweep.dir, "hydra.sweep.dir")
        self._started = time.time()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Build the summary from the run folders, including failed ones."""
        from threshold_sweep.sweep.summary import build_summary

        sweep_dir = Path(config.hydra.sweep.dir)
        summary = build_summary(sweep_dir)
        # jobs in other processes (joblib, submitit) report failures only through error.txt
        started = getattr(self, "_started", float("inf")) - 1
        for error in sweep_dir.rglob("error.txt"):
            folder = str(error.parent.resolve())
            if error.stat().st_mtime >= started and folder not in FAILED_RUNS:
                FAILED_RUNS.append(folder)
        log.info(
            "sweep summary: %d complete, %d failed -> %s",
            summary.completed,
            summary.failed,
            sweep_dir / "summary.md",
        )


class TrackingCallback(Callback):
    """tracking=mlflow: open the store before any work; one parent run per sweep.

    Listed before SweepSummaryCallback, so that its on_multirun_end (Hydra calls end hooks in
    reverse order) sees the final summary and every failed job.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """A single run: a bad store stops with one line before anything runs."""
        _track(config, "check_store")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Create the sweep's parent run and record it for the jobs, wherever they run."""
        _check_writable(config.hydra.sweep.dir, "hydra.sweep.dir")
        _track(config, "start_sweep")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Log the summary to the parent run and end it (FAILED when a job failed)."""
        _track(config, "end_sweep", failed=bool(FAILED_RUNS))


def _track(config: DictConfig, step: str, **kwargs: Any) -> None:
    """tracking_store.<step>(config) when tracking=mlflow; a config problem stops in one line."""
    from threshold_sweep.tracking import store as tracking_store

    if tracking_store.enabled(config):
        try:
            getattr(tracking_store, step)(config, **kwargs)
        except UserError as error:
            _stop(str(error))
