"""One job's MLflow run (tracking=mlflow): a child of the sweep's parent run when there is one.

Params are the resolved config, metrics the per-epoch history and every scalar of the result,
artifacts the report, tables, plots and model. Once a run has started, a tracking failure is a
warning: the run folder is written all the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import numbers
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from threshold_sweep.layout import CURVE_CSV, ERRORS_CSV, MODEL, TRACKED_FILES
from threshold_sweep.shared_model import HEAD, head_section
from threshold_sweep.thresholds import Thresholds, with_default_threshold
from threshold_sweep.tracking.store import (
    PARENT_FILE,
    enabled,
    first_line,
    import_mlflow,
    open_store,
    read_parent,
    resolve_store,
)

log = logging.getLogger(__name__)

MAX_PARAM_LENGTH = 6000  # MLflow's limit on one param value
RUN_ARTIFACTS = (*TRACKED_FILES, CURVE_CSV, ERRORS_CSV)  # the last two: one output/threshold
CURVE_PREFIX = "threshold_"  # a shared model's per-threshold metrics, logged with step = k
CURVE_COLUMNS = ("threshold", "prevalence", "roc_auc", "balanced_accuracy", "mcc", "f1")
CURVE_COLUMNS += ("average_precision", "tuned_cutoff")


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

    shown = with_default_threshold(cfg)  # label.threshold: 100 while null, as before null
    walk(OmegaConf.to_container(shown, resolve=True, enum_to_str=True), "")
    return params


def metric_name(name: str) -> str:
    """A name MLflow accepts (letters, digits, _ - . / space and colon)."""
    return re.sub(r"[^\w\-./ :]", "_", name)


def _finite(value: Any) -> bool:
    """A real, finite number (not a bool, not None)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def result_metrics(result: dict[str, Any]) -> dict[str, float]:
    """Every finite scalar of a run: per-split metrics, test CIs, no-skill levels, skill."""
    from threshold_sweep.results.rows import tracked_metrics

    values = tracked_metrics(result)
    return {metric_name(name): float(value) for name, value in values.items() if _finite(value)}


def curve_metrics(result: dict[str, Any]) -> list[dict[str, float]]:
    """The threshold curve of a model with one output per threshold as one dict of metrics per
    threshold (step k): threshold_value = t_k, threshold_<metric> and its CI bounds; [] for
    any other run."""
    section = head_section(result)
    if "curve" not in section:
        return []
    steps = []
    for row in section["curve"]:
        values: dict[str, float] = {}
        for column in CURVE_COLUMNS:
            for key in (column, f"{column}_ci_low", f"{column}_ci_high"):
                name = f"{CURVE_PREFIX}value" if key == "threshold" else f"{CURVE_PREFIX}{key}"
                if _finite(row.get(key)):
                    values[name] = float(row[key])
        steps.append(values)
    return steps


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
                first_line(error),
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
        """Test metrics with CIs, tags (status, threshold, split), the report, plots, tables and
        the model."""
        from threshold_sweep.evaluate.splits import split_description, split_of

        self._safely("log metrics", lambda: self._mlflow.log_metrics(result_metrics(result)))
        self._safely("log the threshold curve", lambda: self._log_curve(result))
        tags = {
            "status": result["status"],
            "threshold": Thresholds.of_record(result["threshold"]).text,
            "split": split_description(split_of(result)).replace("`", ""),
        }
        if curve_metrics(result):
            tags["head"] = HEAD
        self._safely("set tags", lambda: self._mlflow.set_tags(tags))
        self._safely("log artifacts", lambda: self._log_artifacts(Path(out_dir)))

    def _log_curve(self, result: dict[str, Any]) -> None:
        """A shared model's per-threshold metrics, step k = the k-th threshold (plotted
        against the step in MLflow's UI; threshold_value holds t_k)."""
        for step, values in enumerate(curve_metrics(result)):
            self._mlflow.log_metrics(values, step=step)

    def _log_artifacts(self, out_dir: Path) -> None:
        """Files of the run folder; the model under model/ when tracking.log_model."""
        for name in RUN_ARTIFACTS:
            if (out_dir / name).is_file():
                self._mlflow.log_artifact(str(out_dir / name))
        for folder, target in (("plots", "plots"), (".hydra", "hydra")):
            if (out_dir / folder).is_dir():
                self._mlflow.log_artifacts(str(out_dir / folder), artifact_path=target)
        if self._log_model and (out_dir / MODEL).is_file():
            self._mlflow.log_artifact(str(out_dir / MODEL), artifact_path="model")

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
        mlflow = import_mlflow()
        open_store(store)
        mlflow.set_tracking_uri(store.tracking_uri)
        run = mlflow.start_run(
            experiment_id=store.experiment_id,
            run_name=cfg.tracking.run_name or Path(out_dir).name,
            parent_run_id=store.parent_run_id,
            tags={"run_folder": str(Path(out_dir).resolve()), "status": "running"},
        )
    except Exception as error:
        log.warning("MLflow: tracking is off for this run: %s", first_line(error))
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
        tracker.end("FAILED", f"{type(error).__name__}: {first_line(error)}")
        raise
    tracker.end("FINISHED")
