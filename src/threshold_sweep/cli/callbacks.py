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
from threshold_sweep.layout import ERROR_TXT, METRICS_JSON, SUMMARY_MD

log = logging.getLogger(__name__)

EXIT_FAILURE = 1
# A single run's folder -> the topmost folder made for it (a config error removes them). Module
# state is safe here: Hydra runs a single run in the process that called on_run_start.
_CREATED: dict[Path, Path] = {}


def _stop(message: str) -> None:
    """One line on stderr, exit code 2."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(2) from None


def failed_jobs(sweep_dir: Path, since: float) -> list[Path]:
    """Run folders of `sweep_dir` that failed in the sweep started at `since` (a time).

    A failed job leaves error.txt, whichever process ran it (a job that starts again removes
    the old one). A job whose error.txt could not be written (a full disk) is found by its
    Hydra config, written when it started, beside no metrics.json. Older folders are left out.
    """
    errors = {e.parent for e in sweep_dir.rglob(ERROR_TXT) if _since(e, since)}
    started = {
        c.parent.parent
        for c in sweep_dir.rglob(".hydra/config.yaml")
        if _since(c, since) and not (c.parent.parent / METRICS_JSON).exists()
    }
    return sorted(folder.resolve() for folder in errors | started)


def _since(path: Path, since: float) -> bool:
    """Whether `path` was modified at or after `since`."""
    return path.stat().st_mtime >= since


def exit_if_jobs_failed(sweep_dir: Path, since: float) -> None:
    """End the command with exit code 1 when a job of this sweep failed."""
    failed = failed_jobs(sweep_dir, since)
    if failed:
        sys.stderr.write(f"{len(failed)} run(s) failed; see error.txt in each\n")
        raise SystemExit(EXIT_FAILURE)


def _sweep_start(callback: Callback) -> float:
    """When the callback saw the sweep start, less a second of file-time resolution."""
    return getattr(callback, "_started", float("inf")) - 1


def created_for_run(run_dir: Path) -> Path | None:
    """The topmost folder this command made for the single run `run_dir` (`run_dir` itself or
    an ancestor that did not exist either); None when `run_dir` existed before."""
    return _CREATED.get(Path(run_dir).resolve())


def _first_missing(folder: Path) -> Path | None:
    """The topmost of `folder` and its ancestors that does not exist (None if `folder` does)."""
    missing = None
    while not folder.exists():
        missing, folder = folder, folder.parent
    return missing


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
        run_dir = Path(config.hydra.run.dir).resolve()
        top = _first_missing(run_dir)
        _check_writable(config.hydra.run.dir, "hydra.run.dir")
        if top is not None:
            _CREATED[run_dir] = top

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """A sweep's folder must be writable before any job starts."""
        _check_writable(config.hydra.sweep.dir, "hydra.sweep.dir")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Build the summary from the run folders, including failed ones."""
        from threshold_sweep.sweep.build import build_summary

        sweep_dir = Path(config.hydra.sweep.dir)
        summary = build_summary(sweep_dir)
        log.info(
            "sweep summary: %d complete, %d failed -> %s",
            summary.completed,
            summary.failed,
            sweep_dir / SUMMARY_MD,
        )


class TrackingCallback(Callback):
    """tracking=mlflow: open the store before any work; one parent run per sweep.

    The outermost callback: listed first, so its on_multirun_end runs last (Hydra calls end
    hooks in reverse order), after the summary is written. That is why it also sets the exit
    code of a sweep with failed jobs: an exit raised by an earlier end hook would skip the rest.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """A single run: a bad store stops with one line before anything runs."""
        _track(config, "check_store")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Create the sweep's parent run and record it for the jobs, wherever they run."""
        _check_writable(config.hydra.sweep.dir, "hydra.sweep.dir")
        self._started = time.time()
        _track(config, "start_sweep")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """End the parent run (FAILED when a job failed); exit 1 when a job failed."""
        sweep_dir = Path(config.hydra.sweep.dir)
        since = _sweep_start(self)
        _track(config, "end_sweep", failed=bool(failed_jobs(sweep_dir, since)))
        exit_if_jobs_failed(sweep_dir, since)


def _track(config: DictConfig, step: str, **kwargs: Any) -> None:
    """tracking_store.<step>(config) when tracking=mlflow; a config problem stops in one line."""
    from threshold_sweep.tracking import store as tracking_store

    if tracking_store.enabled(config):
        try:
            getattr(tracking_store, step)(config, **kwargs)
        except UserError as error:
            _stop(str(error))
