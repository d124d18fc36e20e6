"""`threshold-sweep`: the Hydra entry point. Imports no TensorFlow until a run trains."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shlex
import shutil
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from threshold_sweep.cli.callbacks import created_for_run
from threshold_sweep.cli.help import register_resolver
from threshold_sweep.cli.interrupt import EXIT_INTERRUPTED, settle, was_interrupted
from threshold_sweep.conf.store import register_configs
from threshold_sweep.errors import UserError
from threshold_sweep.io import write_text
from threshold_sweep.layout import DATA_SUMMARY, ERROR_TXT, TEST_IDS

log = logging.getLogger("threshold_sweep")

EXIT_USER_ERROR = 2
EXIT_FAILURE = 1
WRITE_ERRNOS = (errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT, errno.EPERM)


def config_dir() -> Path:
    """configs/ of the checkout (editable install) or of the installed data files."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "configs" / "config.yaml").exists():
            return parent / "configs"
    installed = Path(sys.prefix) / "share" / "threshold-sweep" / "configs"
    if (installed / "config.yaml").exists():
        return installed
    raise RuntimeError(f"configs/config.yaml not found above {here} or in {installed}")


MAX_DIRNAME = 200


def job_dirname(override_dirname: str) -> str:
    """A job folder name from its overrides: safe characters, 'default' when there are none."""
    name = re.sub(r"[/\\:]+", "_", override_dirname).strip("_")
    if len(name) > MAX_DIRNAME:  # a shortened name keeps a digest of the whole, so none collide
        digest = hashlib.sha256(override_dirname.encode()).hexdigest()[:12]
        name = f"{name[: MAX_DIRNAME - 13]}~{digest}"
    return name or "default"


def parallel_jobs(launcher: object) -> int:
    """How many jobs the Hydra launcher runs at once on this machine (1 for the basic one)."""
    cores = os.cpu_count() or 1
    n_jobs = getattr(launcher, "n_jobs", None)
    if isinstance(n_jobs, int):
        return cores if n_jobs < 0 else max(1, min(n_jobs, cores))
    return 1


def default_threads(launcher: object) -> int:
    """TensorFlow threads for train.threads=0: the cores a job may use without oversubscribing."""
    cpus_per_task = getattr(launcher, "cpus_per_task", None)
    ray_remote = getattr(getattr(launcher, "ray", None), "remote", None)
    if ray_remote is not None and cpus_per_task is None:
        cpus_per_task = ray_remote.get("num_cpus")
    if isinstance(cpus_per_task, int | float) and cpus_per_task >= 1:
        return int(cpus_per_task)
    return max(1, (os.cpu_count() or 1) // parallel_jobs(launcher))


def _show_tracebacks() -> bool:
    """HYDRA_FULL_ERROR=1 asks for full tracebacks instead of one-line errors."""
    return os.environ.get("HYDRA_FULL_ERROR") == "1"


@dataclass(frozen=True)
class Job:
    """Where one job writes: its run folder, the start folder and, in a sweep, the sweep's."""

    out_dir: Path
    cwd: str
    sweep_dir: Path | None

    @classmethod
    def current(cls) -> Job:
        """The job Hydra is running now."""
        hydra_cfg = HydraConfig.get()
        multirun = hydra_cfg.mode == RunMode.MULTIRUN
        return cls(
            out_dir=Path(hydra_cfg.runtime.output_dir),
            cwd=hydra_cfg.runtime.cwd,
            sweep_dir=Path(hydra_cfg.runtime.cwd, hydra_cfg.sweep.dir) if multirun else None,
        )


def run_job(cfg: DictConfig) -> None:
    """Run one job; a failure is logged in one line and recorded in the job's error.txt."""
    job = Job.current()
    _set_default_threads(cfg)
    try:
        _run_or_skip(cfg, job)
    except KeyboardInterrupt:
        _stop_interrupted(job, cfg)
    except OSError as error:
        if error.errno not in WRITE_ERRNOS:
            raise
        _fail_on_write(job, error)
    except UserError as error:
        log.error("error: %s", error)
        _record_user_error(job, error)
        _after_failure(job, EXIT_USER_ERROR)
    except Exception as error:
        if was_interrupted():  # TensorFlow may turn a Ctrl-C into another error
            _stop_interrupted(job, cfg)
        _record_crash(job, error)
        if _show_tracebacks():
            raise
        _after_failure(job, EXIT_FAILURE)
    finally:
        if job.sweep_dir is not None:
            _rebuild_summary(job.sweep_dir)


def _set_default_threads(cfg: DictConfig) -> None:
    """train.threads=0 becomes the cores this job may use under its launcher."""
    if cfg.train.threads == 0:
        with open_dict(cfg):
            cfg.train.threads = default_threads(HydraConfig.get().launcher)


def _run_or_skip(cfg: DictConfig, job: Job) -> None:
    """Run the experiment into a cleared folder, or skip it if resume finds it complete."""
    from threshold_sweep.pipeline.record import clear_run_folder, is_complete
    from threshold_sweep.pipeline.runner import run_experiment
    from threshold_sweep.tracking.job import job_run

    if cfg.resume and is_complete(job.out_dir, cfg):
        log.info("resume: %s already holds a complete run of this config; skipped", job.out_dir)
        return
    clear_run_folder(job.out_dir)
    with job_run(cfg, job.out_dir, job.sweep_dir, job.cwd) as tracker:
        result = run_experiment(cfg, job.out_dir, job.sweep_dir, tracker.keras_callbacks)
        tracker.log_result(result, job.out_dir)


def _finished(job: Job, cfg: DictConfig) -> bool:
    """Whether the job's folder holds its finished run; False when the Ctrl-C broke an import
    the check needs (a half-imported module fails again on import): the run never started."""
    try:
        from threshold_sweep.pipeline.record import is_complete
    except Exception:
        return False
    return is_complete(job.out_dir, cfg)


def _stop_interrupted(job: Job, cfg: DictConfig) -> NoReturn:
    """Ctrl-C: mark an unfinished run in error.txt, say how to resume, and exit 130."""
    settle()  # no redelivered Ctrl-C while the run is marked and the command ends
    if _finished(job, cfg):
        log.error("interrupted after the run finished: %s is complete", job.out_dir)
        raise SystemExit(EXIT_INTERRUPTED) from None
    command = resume_command(sys.argv[1:], job)
    write_text(
        job.out_dir / ERROR_TXT,
        f"interrupted (Ctrl-C) before the run finished; to run it again here: {command}\n",
    )
    log.error(
        "interrupted: %s is marked unfinished (error.txt); to resume: %s", job.out_dir, command
    )
    raise SystemExit(EXIT_INTERRUPTED) from None


def resume_command(args: list[str], job: Job) -> str:
    """The command that finishes an interrupted run or sweep in its own folder."""
    own = ("hydra.run.dir=", "hydra.sweep.dir=", "resume=")
    kept = [arg for arg in args if not arg.lstrip("+~").startswith(own)]
    folder = (
        f"hydra.sweep.dir={job.sweep_dir}"
        if job.sweep_dir is not None
        else f"hydra.run.dir={job.out_dir}"
    )
    return shlex.join(["threshold-sweep", *kept, folder, "resume=true"])


def _record_user_error(job: Job, error: UserError) -> None:
    """A configuration error: a single run's new folder goes (it holds no run, so no report may
    count it); a sweep's job, or a folder that held anything else, keeps it in error.txt."""
    made = created_for_run(job.out_dir) if job.sweep_dir is None else None
    if made is not None and _holds_no_run(job.out_dir):
        _remove_run_folder(job.out_dir, made)
    else:
        write_text(job.out_dir / ERROR_TXT, f"{error}\n")


# What a run writes before its model trains: Hydra's start-up files, the prepared data's record.
START_UP_FILES = (".hydra", DATA_SUMMARY, TEST_IDS, ERROR_TXT)


def _holds_no_run(out_dir: Path) -> bool:
    """Whether `out_dir` holds only what a run writes before training (no model, no results)."""
    return all(p.name in START_UP_FILES or p.suffix == ".log" for p in out_dir.iterdir())


def _remove_run_folder(out_dir: Path, made: Path) -> None:
    """Delete a run folder, first closing the log files Hydra opened in it, then the folders
    made for it up to `made` (outputs/runs/) that are left empty."""
    for logger in (logging.getLogger(), log):
        for handler in list(logger.handlers):
            filename = getattr(handler, "baseFilename", None)
            if filename and Path(filename).is_relative_to(out_dir.resolve()):
                logger.removeHandler(handler)
                handler.close()
    shutil.rmtree(out_dir, ignore_errors=True)
    folder = out_dir.resolve().parent
    while folder.is_relative_to(made):
        try:
            folder.rmdir()  # only if empty: another run may have started in it
        except OSError:
            return
        folder = folder.parent


def _fail_on_write(job: Job, error: OSError) -> None:
    """A full disk or a permission error: one line, in error.txt too if that can be written."""
    message = (
        f"cannot write {error.filename or job.out_dir}: {error.strerror}; free some space "
        "or choose another output folder (hydra.run.dir / hydra.sweep.dir)"
    )
    with contextlib.suppress(OSError):
        write_text(job.out_dir / ERROR_TXT, message + "\n")
    log.error("error: %s", message)
    _after_failure(job, EXIT_USER_ERROR)


def _record_crash(job: Job, error: Exception) -> None:
    """An unexpected error: its traceback in error.txt, one line in the log."""
    traceback_text = "".join(traceback.format_exception(error))
    write_text(job.out_dir / ERROR_TXT, f"{type(error).__name__}: {error}\n\n{traceback_text}")
    if not _show_tracebacks():
        log.error(
            "run failed: %s: %s (traceback in %s)",
            type(error).__name__,
            error,
            job.out_dir / ERROR_TXT,
        )


def _after_failure(job: Job, code: int) -> None:
    """A single run exits with `code`; in a sweep the other jobs carry on."""
    if job.sweep_dir is None:
        raise SystemExit(code)


def _rebuild_summary(sweep_dir: Path) -> None:
    """Refresh the sweep summary after each job, so it exists even if the sweep dies."""
    try:
        from threshold_sweep.sweep.build import build_summary  # a Ctrl-C may have broken it

        build_summary(sweep_dir)
    except Exception as error:  # the summary must never fail a job
        log.warning("could not update the sweep summary in %s: %s", sweep_dir, error)


def _no_config_groups(self: object, predicate: Callable[[str], bool], compact: bool = True) -> str:
    """Stands in for Hydra.format_config_groups: no listing (our help template shows none)."""
    return ""


def skip_hydra_config_group_listing() -> None:
    """Spare `--help` Hydra's listing of every config group, which our help page does not show.

    Hydra (1.3) has no supported switch for it: Hydra.get_help formats $APP_CONFIG_GROUPS and
    $HYDRA_CONFIG_GROUPS for every help page, whatever the template shows, through the private
    Hydra.format_config_groups, deep-copying the config repository about a hundred times (over
    a second here). So that method is replaced, for `--help` only (`--hydra-help` shows the
    groups). tests/cli/test_cli_state.py fails if Hydra changes under this patch.
    """
    try:
        from hydra._internal.hydra import Hydra
    except ImportError:  # another Hydra layout: keep its behaviour (the test says so)
        return
    if hasattr(Hydra, "format_config_groups"):
        Hydra.format_config_groups = _no_config_groups


def main() -> None:
    """Console entry point: compose the config with Hydra and run (or sweep) the experiment."""
    if sys.argv[1:] == ["--version"]:  # ours, not Hydra's
        from threshold_sweep import __version__

        print(f"threshold-sweep {__version__} (Hydra {hydra.__version__})")
        return
    register_configs()
    if not OmegaConf.has_resolver("ts_job_dirname"):
        OmegaConf.register_new_resolver("ts_job_dirname", job_dirname)
    register_resolver()  # ${ts_config_keys:} in the --help template
    from threshold_sweep.cli.precheck import precheck

    precheck(sys.argv[1:], config_dir())
    if {"--help", "-h"} & set(sys.argv[1:]) and "--hydra-help" not in sys.argv[1:]:
        skip_hydra_config_group_listing()
    entry = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
    entry(run_job)()  # a sweep with failed jobs exits 1 from its last callback


if __name__ == "__main__":
    main()
