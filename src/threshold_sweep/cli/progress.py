"""Sweep progress: job i of n with its overrides, elapsed time and an estimate of what is left.

Jobs may run in other processes (joblib, submitit, Ray), so the sweep's size and start time
are kept in a small folder inside the sweep folder, where every job that ends (finished,
failed or skipped by resume=true) leaves a marker; the folder goes when the sweep ends.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from threshold_sweep.layout import ERROR_TXT, INDEX_HTML, SUMMARY_MD

log = logging.getLogger(__name__)

STATE_DIR = ".sweep_progress"


def plan_sweep(
    sweeper_params: dict[str, Any] | None, task_overrides: list[str]
) -> tuple[int | None, list[str]]:
    """How many jobs Hydra's basic sweeper makes of these overrides, and the swept keys."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    arguments = [f"{key}={value}" for key, value in (sweeper_params or {}).items()]
    arguments += list(task_overrides)
    try:
        parsed = OverridesParser.create().parse_overrides(arguments)
        batches = BasicSweeper.split_arguments(parsed, None)
    except Exception:  # another sweeper's syntax (ranges, intervals): size unknown
        return None, []
    swept = [o.get_key_element() for o in parsed if o.is_sweep_override()]
    return sum(len(batch) for batch in batches), swept


def duration(seconds: float) -> str:
    """Seconds as h:mm:ss (or m:ss under an hour)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class SweepProgress:
    """What a job needs to say where the sweep is: its size and when it started."""

    total: int | None
    started: float
    swept: tuple[str, ...] = ()

    def save(self, sweep_dir: Path) -> None:
        """Record the sweep's size and start for jobs in other processes."""
        from threshold_sweep.io import write_json

        state = {"total": self.total, "started": self.started, "swept": list(self.swept)}
        import shutil

        shutil.rmtree(sweep_dir / STATE_DIR, ignore_errors=True)  # markers of an earlier sweep
        write_json(sweep_dir / STATE_DIR / "sweep.json", state)

    @classmethod
    def load(cls, sweep_dir: Path) -> SweepProgress | None:
        """The recorded progress of the sweep in `sweep_dir` (None if there is none)."""
        try:
            state = json.loads((sweep_dir / STATE_DIR / "sweep.json").read_text())
            swept = tuple(state.get("swept", ()))
            return cls(total=state["total"], started=float(state["started"]), swept=swept)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def finished_jobs(self, sweep_dir: Path) -> int:
        """Jobs of this sweep that ended (finished, failed or skipped)."""
        return len(list((sweep_dir / STATE_DIR).glob("job-*.done")))

    @staticmethod
    def mark_done(sweep_dir: Path, number: int) -> None:
        """Record that job `number` ended."""
        with contextlib.suppress(OSError):  # progress must never fail a job
            (sweep_dir / STATE_DIR / f"job-{number}.done").touch()

    def status(self, sweep_dir: Path, now: float | None = None) -> str:
        """'3 of 8 finished, 0:42 elapsed, about 1:10 left' (estimate once a job finished)."""
        elapsed = (now or time.time()) - self.started
        done = self.finished_jobs(sweep_dir)
        text = f"{done} of {self.total or '?'} finished, {duration(elapsed)} elapsed"
        if done and self.total and self.total > done:
            text += f", about {duration(elapsed / done * (self.total - done))} left"
        return text

    def job_label(self, number: int, overrides: list[str]) -> str:
        """'job 2 of 6 [label.threshold=1000]': the swept overrides only (numbers from 1)."""
        shown = [o for o in overrides if o.lstrip("+~").split("=")[0] in self.swept]
        return f"job {number + 1} of {self.total or '?'} [{','.join(shown) or 'no overrides'}]"


FINAL_COLUMNS = {
    "test_prevalence": "prevalence",
    "test_roc_auc": "ROC-AUC",
    "test_balanced_accuracy": "bal. acc.",
    "test_f1": "F1",
    "test_mcc": "MCC",
    "test_accuracy": "accuracy",
}
# what a multi-class run (a threshold list) shows in those columns instead
MULTICLASS_COLUMNS = {
    "test_roc_auc": ("test_roc_auc_ovr", " (ovr)"),
    "test_f1": ("test_macro_f1", " (macro)"),
}


def final_table(summary: pd.DataFrame, swept: tuple[str, ...] = ()) -> str:
    """One line per job: its swept values, status and main test metrics (ROC-AUC with CI)."""
    from tabulate import tabulate

    keys = [key for key in swept if key in summary] or ["run"]
    rows = []
    for _, run in summary.iterrows():
        row = {key: run[key] for key in keys}
        row["status"] = run["status"]
        for column, title in FINAL_COLUMNS.items():
            value, note = run.get(column), ""
            if (value is None or value != value) and column in MULTICLASS_COLUMNS:
                column, note = MULTICLASS_COLUMNS[column]
                value = run.get(column)
            row[title] = "" if value is None or value != value else f"{value:.3f}{note}"
            low, high = run.get(f"{column}_ci_low"), run.get(f"{column}_ci_high")
            if title == "ROC-AUC" and row[title] and low is not None and low == low:
                row[title] += f" [{low:.3f}, {high:.3f}]"
        rows.append(row)
    table = tabulate(rows, headers="keys", disable_numparse=True)
    failed = summary[summary["status"] != "complete"]
    errors = [
        f"failed {','.join(f'{key}={run[key]}' for key in keys)}: {run.get('error', '')}"
        for _, run in failed.iterrows()
    ]
    return "\n".join([table, *errors])


class ProgressCallback(Callback):
    """Log job i of n, elapsed time and time left; print a table of the jobs at the end."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Record the sweep's size and start where every job can read them."""
        params = config.hydra.sweeper.get("params")
        total, swept = plan_sweep(
            OmegaConf.to_container(params) if params is not None else None,
            list(config.hydra.overrides.task),
        )
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            SweepProgress(total=total, started=time.time(), swept=tuple(swept)).save(sweep_dir)
        except OSError:
            return  # the summary callback reports an unwritable folder next, in one line
        log.info("sweep of %s job(s) -> %s", total or "?", sweep_dir)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        """'job 2 of 6 [label.threshold=1000] started; 1 of 6 finished, 0:12 elapsed, ...'."""
        self._job_started = time.time()
        progress = self._progress(config)
        if progress is None:
            return
        log.info(
            "%s started; %s",
            progress.job_label(config.hydra.job.num, list(config.hydra.overrides.task)),
            progress.status(Path(config.hydra.sweep.dir)),
        )

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """'job 2 of 6 [...] complete in 0:14; 2 of 6 finished, ...'."""
        progress = self._progress(config)
        if progress is None:
            return
        started = getattr(self, "_job_started", time.time())
        error = Path(config.hydra.runtime.output_dir) / ERROR_TXT
        failed = error.exists() and error.stat().st_mtime >= started - 1
        SweepProgress.mark_done(Path(config.hydra.sweep.dir), config.hydra.job.num)
        log.info(
            "%s %s in %s; %s",
            progress.job_label(config.hydra.job.num, list(config.hydra.overrides.task)),
            "failed" if failed else "finished",
            duration(time.time() - started),
            progress.status(Path(config.hydra.sweep.dir)),
        )

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Print the jobs' swept values and main test metrics as one table on stdout."""
        sweep_dir = Path(config.hydra.sweep.dir)
        progress = SweepProgress.load(sweep_dir)
        import shutil

        shutil.rmtree(sweep_dir / STATE_DIR, ignore_errors=True)
        summary_path = sweep_dir / "summary.csv"
        if not summary_path.exists():
            return
        swept = progress.swept if progress else ()
        summary = pd.read_csv(summary_path, dtype={key: str for key in swept})
        page, details = sweep_dir / INDEX_HTML, sweep_dir / SUMMARY_MD
        sys.stdout.write(
            f"\n{final_table(summary, swept)}\n(test split) open {page} (or read {details})\n"
        )
        sys.stdout.flush()

    @staticmethod
    def _progress(config: DictConfig) -> SweepProgress | None:
        """The running sweep's progress (None for a single run)."""
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        if HydraConfig.get().mode != RunMode.MULTIRUN:
            return None
        return SweepProgress.load(Path(config.hydra.sweep.dir))
