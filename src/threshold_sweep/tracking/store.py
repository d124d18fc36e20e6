"""MLflow stores and the sweep's parent run (tracking=mlflow); MLflow imported only then.

The process that starts a sweep resolves the store, creates the parent run and records both in
`<sweep dir>/.mlflow_parent_run`; every job reads that file, whichever process or machine runs
it (joblib, submitit, SLURM, Ray).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from threshold_sweep.errors import UserError
from threshold_sweep.layout import INDEX_HTML, SUMMARY_MD

log = logging.getLogger(__name__)

PARENT_FILE = ".mlflow_parent_run"
INSTALL_HINT = 'pip install "threshold-sweep[tracking]"'
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
# the tracking-store schemes MLflow 3 accepts (a database scheme may carry a +driver)
KNOWN_SCHEMES = frozenset(
    {"file", "sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks", "uc"}
    | {"databricks-uc"}
)
SWEEP_ARTIFACTS = (
    "summary.csv",
    SUMMARY_MD,
    "summary_groups.csv",
    "summary_paired.csv",
    "summary_pooled.csv",
    "summary_metrics.png",
    INDEX_HTML,
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
    """Absolute URI and artifact location: null means a SQLite store under <cwd>/outputs/.

    A plain path is a SQLite database when it ends in .db/.sqlite, otherwise a folder (MLflow's
    file store); a URI with a scheme MLflow does not know is refused in one line.
    """
    base = Path(cwd)
    uri = tracking.tracking_uri
    default_artifacts: Path | None = None
    if not uri:
        database = base / "outputs" / "mlflow.db"
        uri, default_artifacts = f"sqlite:///{database}", database.parent / "mlflow-artifacts"
    elif uri.startswith("sqlite:///"):
        database = _absolute(uri[len("sqlite:///") :], base)
        uri, default_artifacts = f"sqlite:///{database}", database.parent / "mlflow-artifacts"
    elif "://" not in uri and Path(uri).suffix.lower() in SQLITE_SUFFIXES:
        database = _absolute(uri, base)  # a plain path to a database file: SQLite, not a folder
        uri, default_artifacts = f"sqlite:///{database}", database.parent / "mlflow-artifacts"
    elif "://" not in uri:  # a plain folder is MLflow's file store
        uri = _absolute(uri, base).as_uri()
    else:
        scheme = uri.split("://", 1)[0].split("+", 1)[0].lower()
        if scheme not in KNOWN_SCHEMES:
            others = ", ".join(sorted(KNOWN_SCHEMES - {"sqlite", "http", "https", "file"}))
            raise UserError(
                f"tracking.tracking_uri={uri}: unknown scheme {scheme!r}; give "
                "sqlite:///path/to/mlflow.db, a folder (file store), or http(s)://host:port "
                f"(MLflow also takes {others})"
            )
    artifacts = tracking.artifact_location
    if artifacts and "://" not in artifacts:
        artifacts = str(_absolute(artifacts, base))
    elif not artifacts and default_artifacts is not None:
        artifacts = str(default_artifacts)
    return Store(uri, artifacts, str(tracking.experiment_name))


def import_mlflow() -> Any:
    """The mlflow module, or a one-line error naming the extra to install."""
    try:
        import mlflow
    except ImportError as error:
        raise UserError(f"tracking=mlflow needs MLflow ({error}); {INSTALL_HINT}") from None
    return mlflow


def first_line(error: BaseException, limit: int = 300) -> str:
    """The first non-empty line of an exception's message, at most `limit` characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = lines[0] if lines else type(error).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def open_store(store: Store) -> Any:
    """An MlflowClient on the store, with the experiment created if needed (its id in `store`)."""
    import_mlflow()
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
            f"{type(error).__name__}: {first_line(error)}{hint}; give a writable "
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
