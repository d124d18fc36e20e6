"""Apply a finished run's model to new data: same reader, standardization and label names."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from threshold_sweep.conf.label import class_names
from threshold_sweep.conf.schema import ArraysDataConfig, TableDataConfig
from threshold_sweep.data import Dataset
from threshold_sweep.data.validate import TargetUse
from threshold_sweep.errors import UserError
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import DATA_SUMMARY, FOLDS, MODEL, STANDARDIZATION
from threshold_sweep.prepare.labels import make_labels
from threshold_sweep.prepare.standardize import Standardizer, check_transform
from threshold_sweep.results.read import Run, load_run
from threshold_sweep.shared_model import SHARED_RUN, head_section, member_folder
from threshold_sweep.thresholds import Thresholds

log = logging.getLogger(__name__)

READERS = {".npz": "arrays", ".csv": "table", ".parquet": "table", ".pq": "table"}
SCHEMAS = {"arrays": ArraysDataConfig, "table": TableDataConfig}
# the settings a run's reader passes on to new data of the same kind (not its path, and not
# on_missing: every row is scored unless data.on_missing=drop is given)
INHERITED = {
    "arrays": ("sequences_key", "target_key", "id_key"),
    "table": ("target", "features", "id"),
}
TARGET_KEYS = {"arrays": "target_key", "table": "target"}


def reader_kind(path: Path) -> str:
    """'arrays' or 'table', from the file's suffix."""
    source = READERS.get(path.suffix.lower())
    if source is None:
        raise UserError(
            f"--data: {path.name} is neither .npz nor .csv/.parquet; give a file of one of "
            "those kinds"
        )
    return source


def inherited_settings(run: Run, source: str) -> dict[str, Any]:
    """The run's reader settings where it read the same kind of file, else none."""
    trained_on = run.config.get("data", {})
    if trained_on.get("source") != source:
        return {}
    settings = {key: trained_on[key] for key in INHERITED[source] if key in trained_on}
    if source == "table":  # the run's columns by name, whatever their order here
        summary = json.loads((run.path / DATA_SUMMARY).read_text())
        settings["features"] = summary.get("features") or settings.get("features")
    return settings


def target_use(source: str, overrides: dict[str, Any]) -> TargetUse:
    """A target the user names must be there; the run's own may be missing from new data,
    and data.target=null (or empty) says there is none (predictions need no target)."""
    key = TARGET_KEYS[source]
    if key not in overrides:
        return TargetUse.if_present
    return TargetUse.ignored if overrides[key] in (None, "") else TargetUse.required


def data_config(run: Run, path: Path, overrides: dict[str, Any]) -> DictConfig:
    """The typed reader config for `path`: schema <- the run's settings <- `overrides`."""
    source = reader_kind(path)
    layers = [inherited_settings(run, source), {"path": str(path)}, given(source, path, overrides)]
    try:
        return OmegaConf.merge(OmegaConf.structured(SCHEMAS[source]), *layers)
    except OmegaConfBaseException as error:  # a wrong type or option, as a run reports it
        detail = str(error.msg).strip().splitlines()[0]
        raise UserError(
            f"{detail} (data.{error.full_key}); see `threshold-sweep --help` for the keys and "
            "their types"
        ) from None


def given(source: str, path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """The user's reader settings to merge; a target set to none is left out (see target_use)."""
    known = [*INHERITED[source], "on_missing"]
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise UserError(
            f"unknown setting(s) {', '.join('data.' + k for k in unknown)} for {path.name}; "
            f"use {', '.join('data.' + k for k in known)}"
        )
    no_target = target_use(source, overrides) == TargetUse.ignored
    return {k: v for k, v in overrides.items() if not (no_target and k == TARGET_KEYS[source])}


def load_new_data(cfg: DictConfig, target: TargetUse) -> Dataset:
    """Read the file with the reader of its kind (not cached: it is scored once)."""
    if cfg.source == "table":
        from threshold_sweep.data.table import load_table

        return load_table(cfg, target, hints=False)  # no split here: no split settings
    from threshold_sweep.data.arrays import load_arrays

    return load_arrays(cfg, target)


def _listed(names: list[str], most: int = 6) -> str:
    """'a, b, c, ... (12 in all)' for long lists."""
    shown = ", ".join(names[:most])
    return f"{shown}, ... {names[-1]}" if len(names) > most else shown


def check_shape(dataset: Dataset, run: Run) -> None:
    """The new sequences must have the shape (and table columns) the model was trained on."""
    summary = json.loads((run.path / DATA_SUMMARY).read_text())
    trained_features = summary.get("features")
    if trained_features and dataset.features and dataset.features != trained_features:
        raise UserError(
            f"{Path(dataset.source).name}: the model was trained on {len(trained_features)} "
            f"feature columns ({_listed(trained_features)}) but data.features gives "
            f"{len(dataset.features)} ({_listed(dataset.features)}); leave data.features unset "
            "to use the run's columns"
        )
    expected = tuple(summary["sequence_shape"])
    if tuple(dataset.X.shape[1:]) != expected:
        raise UserError(
            f"{Path(dataset.source).name} has sequences of shape {tuple(dataset.X.shape[1:])} "
            f"but the run's model takes {expected}; give data of the same shape"
        )


def resolve_cutoff(run: Run, cutoff: str | float | None, several: bool = False) -> float | None:
    """The decision cutoff: the run's own, 'tuned' (chosen on validation) or a number; the
    classes of a model with one output per threshold count the outputs at or above it (a
    number, or its own)."""
    if several:
        if cutoff is not None:
            raise UserError(
                "--cutoff applies to one --threshold (or none): several thresholds give only "
                "their P(x > t) columns; leave --cutoff out or give one --threshold"
            )
        return None
    if has_threshold_outputs(run):
        if cutoff is None:
            return float(run.config.get("evaluate", {}).get("cutoff", 0.5))
        if cutoff == "tuned":
            raise UserError(
                "--cutoff tuned: each threshold has its own tuned cutoff; give --threshold T "
                "with it, or a number in [0, 1] for the classes of every threshold"
            )
        return cutoff_number(cutoff)
    if not Task.of(run.result).binary:
        if cutoff is not None:
            raise UserError(
                "--cutoff applies to binary runs only: a multi-class run predicts the class "
                "with the highest score; leave --cutoff out"
            )
        return None
    if cutoff is None:
        return float(run.result["cutoff"])
    if cutoff == "tuned":
        return float(run.result["tuned_cutoff"]["cutoff"])
    return cutoff_number(cutoff)


def cutoff_number(cutoff: str | float) -> float:
    """--cutoff as a number in [0, 1]."""
    try:
        value = float(cutoff)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:
        raise UserError(f"--cutoff {cutoff!r}: give a number in [0, 1] or 'tuned'")
    return value


def prediction_frame(
    run: Run, dataset: Dataset, scores: np.ndarray, cutoff: float | None
) -> pd.DataFrame:
    """id, [x, true label], score(s), predicted class index and name."""
    names = run.label_names
    frame = pd.DataFrame({"id": dataset.ids})
    has_target = not np.isnan(dataset.x).all()
    if has_target:
        frame["x"] = dataset.x
        frame["y_true"] = make_labels(dataset.x, run.threshold)
        frame["label_true"] = np.asarray(names, dtype=object)[frame["y_true"]]
    if scores.ndim == 1:
        from threshold_sweep.evaluate.metrics import (
            predict_labels,  # the rule the run was scored with
        )

        frame["y_score"] = scores
        predicted = predict_labels(scores, cutoff)
    else:
        for index in range(len(names)):  # as in the run's predictions.csv
            frame[f"score_{index}"] = scores[:, index]
        predicted = np.argmax(scores, axis=1)
    frame["y_pred"] = predicted
    frame["label_pred"] = np.asarray(names, dtype=object)[predicted]
    return frame


def predict_file(
    run_dir: Path,
    data_path: Path,
    overrides: dict[str, Any] | None = None,
    cutoff: str | float | None = None,
    batch_size: int = 1024,
    thresholds: list[str] | None = None,
) -> pd.DataFrame:
    """Predictions of the run's model for every row of `data_path` (of a model with one output
    per threshold: at `thresholds` only, when given)."""
    run = load_run(run_dir)
    model_run, output = scoring_run(run)
    if thresholds and output is not None:
        raise UserError(
            f"--threshold: {member_folder(run.path)}; give the run folder {model_run.path} to "
            "choose thresholds, or leave --threshold out"
        )
    indices = chosen_outputs(model_run, thresholds) if thresholds else None
    scored = threshold_run(model_run, indices[0]) if indices and len(indices) == 1 else run
    folders = model_folders(model_run.path)
    for folder, name in [(model_run.path, DATA_SUMMARY)] + [
        (folder, name) for folder in folders for name in (MODEL, STANDARDIZATION)
    ]:
        if not (folder / name).exists():
            raise UserError(f"{folder} has no {name}; re-run that job to get a usable model")
    threshold = resolve_cutoff(scored, cutoff, several=bool(indices and len(indices) > 1))
    overrides = overrides or {}
    cfg = data_config(model_run, Path(data_path), overrides)
    dataset = load_new_data(cfg, target_use(cfg.source, overrides))
    check_shape(dataset, model_run)
    standardizers = [run_standardizer(folder) for folder in folders]
    check_transform(standardizers[0].transform_name, dataset.X, Path(data_path).name)
    from threshold_sweep.model.load import load_run_model  # imports TensorFlow
    from threshold_sweep.model.train import predict_scores

    scores = np.mean(
        [
            predict_scores(load_run_model(folder), standardizer.transform(dataset.X), batch_size)
            for folder, standardizer in zip(folders, standardizers, strict=True)
        ],
        axis=0,
    )
    if output is not None:  # one threshold's folder: its output of the parent's model
        return prediction_frame(run, dataset, scores[:, output], threshold)
    if indices is None and not has_threshold_outputs(run):
        return prediction_frame(run, dataset, scores, threshold)
    grid = head_section(run.result)["thresholds"]
    if indices is None:
        return outputs_frame(run, dataset, scores, threshold, grid)
    if len(indices) == 1:
        return prediction_frame(scored, dataset, scores[:, indices[0]], threshold)
    frame = pd.DataFrame({"id": dataset.ids})
    if not np.isnan(dataset.x).all():
        frame["x"] = dataset.x
    from threshold_sweep.evaluate.threshold_curve import above_columns

    return frame.assign(**above_columns(scores[:, indices], [grid[k] for k in indices]))


def has_threshold_outputs(run: Run) -> bool:
    """Whether the folder's own model has one output per threshold (the run's folder, not one
    of its per-threshold folders)."""
    section = head_section(run.result)
    return bool(section) and "output" not in section


def scoring_run(run: Run) -> tuple[Run, int | None]:
    """The run whose model scores: the run itself, or for one threshold's folder of a shared
    model, the parent run (the section's parent) and the output (the section's output)."""
    section = head_section(run.result)
    if "output" not in section:
        return run, None
    parent = (run.path / str(section.get("parent", "../.."))).resolve()
    try:
        return load_run(parent), int(section["output"])
    except UserError as error:
        raise UserError(
            f"{member_folder(run.path)}, scored by the model of {parent}, which cannot be "
            f"read: {error}"
        ) from None


def chosen_outputs(run: Run, values: list[str]) -> list[int]:
    """The outputs of a run's model (one per threshold) at the --threshold values, in order."""
    if not has_threshold_outputs(run):
        setting = " ".join(f"{k}={v}" for k, v in run.overrides.items() if k.startswith("label."))
        setting = setting or Thresholds.of_record(run.threshold).setting
        raise UserError(
            f"--threshold: {run.path} has one threshold setting ({setting}), scored as it was "
            f"trained; --threshold needs a {SHARED_RUN}, or leave it out"
        )
    grid = Thresholds.of_record(head_section(run.result)["thresholds"])
    indices = [grid.position(value, "--threshold") for value in values]
    if len(set(indices)) < len(indices):
        raise UserError(f"--threshold {','.join(values)} names a threshold twice; give each once")
    return indices


def threshold_run(run: Run, k: int) -> Run:
    """Threshold k's binary run of a shared model's run: its folder (thresholds/threshold=<t>/,
    evaluate.threshold_folders=true), else its row of thresholds.csv (curve_run)."""
    from threshold_sweep.layout import THRESHOLDS

    grid = Thresholds.of_record(head_section(run.result)["thresholds"])
    folder = run.path / THRESHOLDS / grid.folder(k)
    return load_run(folder) if folder.is_dir() else curve_run(run, k)


def curve_run(run: Run, k: int) -> Run:
    """Threshold k of a shared model's run as the binary run predict needs, from the run's
    config and its thresholds.csv row: two classes low / high at t_k, the run's cutoff and the
    cutoff tuned on validation for that threshold."""
    threshold = float(head_section(run.result)["thresholds"][k])
    tuned = run.threshold_curve["tuned_cutoff"].iloc[k]
    result = {
        "task": "binary",
        "threshold": threshold,
        "label_names": class_names([threshold], None),
        "cutoff": float(run.config.get("evaluate", {}).get("cutoff", 0.5)),
        "tuned_cutoff": {"cutoff": None if pd.isna(tuned) else float(tuned)},
    }
    return Run(run.path, result, run.overrides)


def outputs_frame(
    run: Run, dataset: Dataset, outputs: np.ndarray, cutoff: float, grid: list[float]
) -> pd.DataFrame:
    """The K+1 class scores of a model with one output per threshold and its most probable
    class, as the run scored them (evaluate.threshold_curve.class_scores), and P(x > t) for
    every threshold (each as its threshold's run scores it; `cutoff` applies to those runs,
    not to the classes)."""
    from threshold_sweep.evaluate.threshold_curve import class_scores, with_above

    scores = class_scores(outputs, head_section(run.result)["weights"])
    frame = prediction_frame(run, dataset, scores, None)
    predicted = scores.argmax(axis=1)  # the most probable class, as the run predicted it
    frame = frame.assign(
        y_pred=predicted, label_pred=np.asarray(run.label_names, dtype=object)[predicted]
    )
    return with_above(frame, outputs, grid)


def model_folders(run_path: Path) -> list[Path]:
    """The folders holding the run's models: the run's own, or each fold's (split=kfold).

    A k-fold run's prediction is the mean of its fold models' probabilities (each with its
    fold's standardization).
    """
    folds = Path(run_path) / FOLDS
    if not folds.is_dir():
        return [Path(run_path)]
    return sorted(folder for folder in folds.iterdir() if folder.is_dir())


def run_standardizer(folder: Path) -> Standardizer:
    """The training statistics of a run's (or a fold's) model, from its standardization.json."""
    path = Path(folder) / STANDARDIZATION
    try:
        return Standardizer.from_dict(json.loads(path.read_text()))
    except ValueError as error:  # json.JSONDecodeError is one
        raise UserError(f"{path}: {error}; re-run that job to get a usable model") from None
