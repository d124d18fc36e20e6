"""MLflow tracking (tracking=mlflow): one parent run per sweep, one child run per job.

MLflow is imported only when tracking=mlflow. The process that starts a sweep resolves the
store, creates the parent run and records both in `<sweep dir>/.mlflow_parent_run`; every job
reads that file, whichever process or machine runs it (joblib, submitit, SLURM, Ray). Once a
run has started, a tracking failure is a warning: the run folder is written all the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import numbers
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from threshold_sweep.errors import UserError

log = logging.getLogger(__name__)

PARENT_FILE = ".mlflow_parent_run"
INSTALL_HINT = 'pip install "threshold-sweep[tracking]"'
MAX_PARAM_LENGTH = 6000  # MLflow's limit on one param value
RUN_ARTIFACTS = (
    "report.md",
    "report.html",
    "metrics.json",
    "metrics.csv",
    "history.csv",
    "data_summary.json",
)
SWEEP_ARTIFACTS = (
    "summary.csv",
    "summary.md",
    "summary_groups.csv",
    "summary_paired.csv",
    "summary_metrics.png",
    "index.html",
)


def enabled(cfg: Any) -> bool:
    """True when the config asks for MLflow tracking."""
    tracking = cfg.get("tracking")
    return tracking is not None and tracking.backend == "mlflow"


@dataclass
class Store:
    """Where runs go, resolved once by the process that starts the run or the sweep."""

    tracking_uri: str
    artifact_location: str | None
    experiment_name: str
    experiment_id: str = ""
    parent_run_id: str | None = None


def _absolute(path: str, base: Path) -> Path:
    """`path` relative to `base` unless absolute (with ~ expanded)."""
    return (base / Path(path).expanduser()).resolve()


def resolve_store(tracking: Any, cwd: str) -> Store:
    """Absolute URI and artifact location: null means a SQLite store under <cwd>/outputs/."""
    base = Path(cwd)
    uri = tracking.tracking_uri
    default_artifacts: Path | None = None
    if not uri:
        database = base / "outputs" / "mlflow.db"
        uri, default_artifacts = f"sqlite:///{database}", database.parent / "mlflow-artifacts"
    elif uri.startswith("sqlite:///"):
        database = _absolute(uri[len("sqlite:///") :], base)
        uri, default_artifacts = f"sqlite:///{database}", database.parent / "mlflow-artifacts"
    elif "://" not in uri:  # a plain folder is MLflow's file store
        uri = _absolute(uri, base).as_uri()
    artifacts = tracking.artifact_location
    if artifacts and "://" not in artifacts:
        artifacts = str(_absolute(artifacts, base))
    elif not artifacts and default_artifacts is not None:
        artifacts = str(default_artifacts)
    return Store(uri, artifacts, str(tracking.experiment_name))


def _import_mlflow() -> Any:
    """The mlflow module, or a one-line error naming the extra to install."""
    try:
        import mlflow
    except ImportError as error:
        raise UserError(f"tracking=mlflow needs MLflow ({error}); {INSTALL_HINT}") from None
    return mlflow


def _first_line(error: BaseException, limit: int = 300) -> str:
    """The first non-empty line of an exception's message, at most `limit` characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = lines[0] if lines else type(error).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def open_store(store: Store) -> Any:
    """An MlflowClient on the store, with the experiment created if needed (its id in `store`)."""
    _import_mlflow()
    if store.tracking_uri.startswith("file:"):
        # MLflow 3 refuses its file store unless asked; a file:// URI given here is that request
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    if store.tracking_uri.startswith("sqlite:///"):
        with contextlib.suppress(OSError):  # a folder that cannot be made fails below, in one line
            Path(store.tracking_uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    from mlflow.tracking import MlflowClient

    try:
        client = MlflowClient(tracking_uri=store.tracking_uri)
        store.experiment_id = _experiment_id(client, store)
    except UserError:
        raise
    except Exception as error:
        hint = f" ({INSTALL_HINT})" if isinstance(error, ImportError) else ""
        raise UserError(
            f"tracking.tracking_uri={store.tracking_uri}: cannot open the MLflow store: "
            f"{type(error).__name__}: {_first_line(error)}{hint}; give a writable "
            "sqlite:///path/to/mlflow.db, a folder, or a reachable http(s):// tracking server"
        ) from None
    return client


def _experiment_id(client: Any, store: Store) -> str:
    """The id of the named experiment, created with the artifact location when new."""
    experiment = client.get_experiment_by_name(store.experiment_name)
    if experiment is None:
        try:
            return client.create_experiment(
                store.experiment_name, artifact_location=store.artifact_location
            )
        except Exception:  # another process may have created it meanwhile
            experiment = client.get_experiment_by_name(store.experiment_name)
            if experiment is None:
                raise
    if experiment.lifecycle_stage == "deleted":
        raise UserError(
            f"tracking.experiment_name={store.experiment_name}: this MLflow experiment is "
            "deleted; restore it (mlflow experiments restore) or choose another name"
        )
    return str(experiment.experiment_id)


@contextlib.contextmanager
def _fail_fast() -> Iterator[None]:
    """Few HTTP retries while checking the store before any work (unless set by the user)."""
    quick = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "15"}
    added = [key for key in quick if key not in os.environ]
    os.environ.update({key: quick[key] for key in added})
    retries = logging.getLogger("urllib3.connectionpool")
    level = retries.level
    retries.setLevel(logging.ERROR)  # the error line says it all
    try:
        yield
    finally:
        retries.setLevel(level)
        for key in added:
            os.environ.pop(key, None)


def check_store(config: Any) -> None:
    """Open the store of a single run before it starts (a bad URI stops with one line)."""
    with _fail_fast():
        open_store(resolve_store(config.tracking, config.hydra.runtime.cwd))


def read_parent(sweep_dir: Path) -> Store | None:
    """The store and parent run recorded for a sweep, if any."""
    path = Path(sweep_dir) / PARENT_FILE
    try:
        return Store(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def start_sweep(config: Any) -> Store:
    """Create the sweep's parent run (resume=true reopens the recorded one) and record it."""
    from threshold_sweep.io import write_json

    sweep_dir = Path(config.hydra.sweep.dir).resolve()
    store = resolve_store(config.tracking, config.hydra.runtime.cwd)
    with _fail_fast():
        client = open_store(store)
    previous = read_parent(sweep_dir) if config.get("resume") else None
    if previous and (previous.tracking_uri, previous.experiment_id) == (
        store.tracking_uri,
        store.experiment_id,
    ):
        try:
            client.update_run(previous.parent_run_id, status="RUNNING")
            store.parent_run_id = previous.parent_run_id
        except Exception as error:
            log.warning(
                "MLflow: cannot reopen the sweep's parent run (%s); starting a new one", error
            )
    if store.parent_run_id is None:
        overrides = OmegaConf.select(config, "hydra.overrides.task", default=[]) or []
        run = client.create_run(
            store.experiment_id,
            run_name=sweep_dir.name,
            tags={"sweep_dir": str(sweep_dir), "overrides": " ".join(overrides)[:5000]},
        )
        store.parent_run_id = run.info.run_id
    write_json(sweep_dir / PARENT_FILE, asdict(store))
    log.info(
        "MLflow: sweep run %s in experiment %r at %s",
        store.parent_run_id,
        store.experiment_name,
        store.tracking_uri,
    )
    return store


def end_sweep(config: Any, failed: bool) -> None:
    """Log the sweep summary to the parent run and end it (FAILED when a job failed)."""
    sweep_dir = Path(config.hydra.sweep.dir)
    store = read_parent(sweep_dir)
    if store is None or store.parent_run_id is None:
        return
    try:
        client = open_store(store)
        for status, count in _run_counts(sweep_dir / "summary.csv").items():
            client.log_metric(store.parent_run_id, f"runs_{status}", count)
        for name in SWEEP_ARTIFACTS:
            if (sweep_dir / name).is_file():
                client.log_artifact(store.parent_run_id, str(sweep_dir / name))
        client.set_terminated(store.parent_run_id, "FAILED" if failed else "FINISHED")
    except Exception as error:  # the sweep's results are on disk either way
        log.warning("MLflow: could not finish the sweep run %s: %s", store.parent_run_id, error)


def _run_counts(summary_csv: Path) -> dict[str, int]:
    """How many runs the summary lists as complete and failed."""
    import csv

    if not summary_csv.is_file():
        return {}
    with summary_csv.open(newline="") as handle:
        statuses = [row.get("status") for row in csv.DictReader(handle)]
    return {status: statuses.count(status) for status in ("complete", "failed")}


def flat_params(cfg: Any) -> dict[str, str]:
    """The resolved config as dotted keys; values longer than MLflow allows are truncated."""
    params: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
            return
        key, text = prefix[:-1], json.dumps(node) if isinstance(node, list) else str(node)
        if len(text) > MAX_PARAM_LENGTH:
            log.debug("MLflow param %s truncated from %d characters", key, len(text))
            text = text[: MAX_PARAM_LENGTH - 3] + "..."
        params[key] = text

    walk(OmegaConf.to_container(cfg, resolve=True, enum_to_str=True), "")
    return params


def metric_name(name: str) -> str:
    """A name MLflow accepts (letters, digits, _ - . / space and colon)."""
    return re.sub(r"[^\w\-./ :]", "_", name)


def result_metrics(result: dict[str, Any]) -> dict[str, float]:
    """Every finite scalar of a run: per-split metrics, test CIs, no-skill levels, skill."""
    from threshold_sweep.run import flatten_metrics
    from threshold_sweep.sweep import metric_columns

    values = {**flatten_metrics(result), **metric_columns(result)}
    return {
        metric_name(name): float(value)
        for name, value in values.items()
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    }


class JobTracker:
    """One job's MLflow run; after a tracking failure every further call is skipped."""

    def __init__(self, mlflow: Any = None, run_id: str | None = None, log_model: bool = True):
        self._mlflow = mlflow
        self.run_id = run_id
        self._log_model = log_model

    @property
    def active(self) -> bool:
        """True while the run can be logged to."""
        return self._mlflow is not None

    def _safely(self, what: str, action: Callable[[], Any]) -> None:
        """Run a tracking call; on failure warn once and stop tracking this job."""
        if not self.active:
            return
        try:
            action()
        except Exception as error:
            log.warning(
                "MLflow: could not %s (%s: %s); tracking is off for this run, its folder is "
                "written as usual",
                what,
                type(error).__name__,
                _first_line(error),
            )
            self._mlflow = None

    def keras_callbacks(self) -> list[Any]:
        """Per-epoch metrics of model.fit (Keras imported only now)."""
        if not self.active:
            return []
        from mlflow.keras import MlflowCallback

        class EpochMetrics(MlflowCallback):
            """MLflow's callback without its extra step-less validation_* metrics."""

            def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
                """val_* are logged per epoch already."""

        return [EpochMetrics()]

    def log_params(self, cfg: Any) -> None:
        """The resolved config, flattened."""
        self._safely("log the config", lambda: self._mlflow.log_params(flat_params(cfg)))

    def log_result(self, result: dict[str, Any], out_dir: Path) -> None:
        """Test metrics with CIs, tags, the report, plots, tables and the model."""
        from threshold_sweep.labels import threshold_text

        self._safely("log metrics", lambda: self._mlflow.log_metrics(result_metrics(result)))
        tags = {"status": result["status"], "threshold": threshold_text(result["threshold"])}
        self._safely("set tags", lambda: self._mlflow.set_tags(tags))
        self._safely("log artifacts", lambda: self._log_artifacts(Path(out_dir)))

    def _log_artifacts(self, out_dir: Path) -> None:
        """Files of the run folder; the model under model/ when tracking.log_model."""
        for name in RUN_ARTIFACTS:
            if (out_dir / name).is_file():
                self._mlflow.log_artifact(str(out_dir / name))
        for folder, target in (("plots", "plots"), (".hydra", "hydra")):
            if (out_dir / folder).is_dir():
                self._mlflow.log_artifacts(str(out_dir / folder), artifact_path=target)
        if self._log_model and (out_dir / "model.keras").is_file():
            self._mlflow.log_artifact(str(out_dir / "model.keras"), artifact_path="model")

    def end(self, status: str, error: str = "") -> None:
        """End the run with FINISHED, FAILED or KILLED."""
        if error:
            tags = {"status": "failed", "error": error[:5000]}
            self._safely("tag the failure", lambda: self._mlflow.set_tags(tags))
        self._safely("end the run", lambda: self._mlflow.end_run(status=status))


def _start_job(cfg: Any, out_dir: Path, sweep_dir: Path | None, cwd: str) -> JobTracker:
    """Start the job's run, a child of the sweep's parent run when there is one."""
    store = read_parent(sweep_dir) if sweep_dir is not None else None
    if sweep_dir is not None and store is None:
        log.warning("MLflow: no %s in %s; this job's run has no parent", PARENT_FILE, sweep_dir)
    store = store or resolve_store(cfg.tracking, cwd)
    try:
        mlflow = _import_mlflow()
        open_store(store)
        mlflow.set_tracking_uri(store.tracking_uri)
        run = mlflow.start_run(
            experiment_id=store.experiment_id,
            run_name=cfg.tracking.run_name or Path(out_dir).name,
            parent_run_id=store.parent_run_id,
            tags={"run_folder": str(Path(out_dir).resolve()), "status": "running"},
        )
    except Exception as error:
        log.warning("MLflow: tracking is off for this run: %s", _first_line(error))
        return JobTracker()
    tracker = JobTracker(mlflow, run.info.run_id, bool(cfg.tracking.log_model))
    tracker.log_params(cfg)
    return tracker


@contextlib.contextmanager
def job_run(cfg: Any, out_dir: Path, sweep_dir: Path | None, cwd: str) -> Iterator[JobTracker]:
    """The job's tracker (inactive unless tracking=mlflow); the run ends with the job."""
    if not enabled(cfg):
        yield JobTracker()
        return
    tracker = _start_job(cfg, out_dir, sweep_dir, cwd)
    try:
        yield tracker
    except KeyboardInterrupt:
        tracker.end("KILLED", "interrupted (Ctrl-C)")
        raise
    except BaseException as error:
        tracker.end("FAILED", f"{type(error).__name__}: {_first_line(error)}")
        raise
    tracker.end("FINISHED")
