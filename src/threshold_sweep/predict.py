"""Apply a finished run's model to new data: same reader, standardization and label names."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.data import Dataset
from threshold_sweep.errors import UserError
from threshold_sweep.prepare.labels import make_labels
from threshold_sweep.prepare.standardize import Standardizer
from threshold_sweep.results.read import Run, load_run

log = logging.getLogger(__name__)

READERS = {".npz": "arrays", ".csv": "table", ".parquet": "table", ".pq": "table"}
ARRAY_KEYS = {"sequences_key": "X", "target_key": "x", "id_key": None}
TABLE_KEYS = {"target": "x", "features": None, "id": None}


def data_config(run: Run, path: Path, overrides: dict[str, Any]) -> SimpleNamespace:
    """The reader settings for `path`: the run's own where it used the same kind of file."""
    source = READERS.get(path.suffix.lower())
    if source is None:
        raise UserError(
            f"--data: {path.name} is neither .npz nor .csv/.parquet; give a file of one of "
            "those kinds"
        )
    trained_on = run.config.get("data", {})
    defaults = ARRAY_KEYS if source == "arrays" else TABLE_KEYS
    same_kind = trained_on.get("source") == source
    settings = {
        key: trained_on.get(key, value) if same_kind else value for key, value in defaults.items()
    }
    if same_kind and source == "table":  # the run's columns by name, whatever their order here
        summary = json.loads((run.path / "data_summary.json").read_text())
        settings["features"] = summary.get("features") or settings["features"]
    unknown = sorted(set(overrides) - set(settings) - {"on_missing"})
    if unknown:
        raise UserError(
            f"unknown setting(s) {', '.join('data.' + k for k in unknown)} for {path.name}; "
            f"use {', '.join('data.' + k for k in [*settings, 'on_missing'])}"
        )
    settings.update(overrides)
    # a target the user names must be there; the run's own may be missing from new data, and
    # data.target=null says there is none (predictions need no target)
    named = {key for key in ("target", "target_key") if key in overrides}
    target_optional = not named or all(overrides[key] in (None, "") for key in named)
    for key in named:
        if overrides[key] in (None, ""):
            settings[key] = None
    settings.setdefault("on_missing", "error")
    return SimpleNamespace(
        source=source, path=str(path), target_optional=target_optional, **settings
    )


def _listed(names: list[str], most: int = 6) -> str:
    """'a, b, c, ... (12 in all)' for long lists."""
    shown = ", ".join(names[:most])
    return f"{shown}, ... {names[-1]}" if len(names) > most else shown


def check_shape(dataset: Dataset, run: Run) -> None:
    """The new sequences must have the shape (and table columns) the model was trained on."""
    summary = json.loads((run.path / "data_summary.json").read_text())
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


def resolve_cutoff(run: Run, cutoff: str | float | None) -> float | None:
    """The decision cutoff: the run's own, 'tuned' (chosen on validation) or a number."""
    if run.result.get("task") == "multiclass":
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
) -> pd.DataFrame:
    """Predictions of the run's model for every row of `data_path`."""
    from threshold_sweep.data import load_dataset

    run = load_run(run_dir)
    for name in ("model.keras", "standardization.json", "data_summary.json"):
        if not (run.path / name).exists():
            raise UserError(f"{run.path} has no {name}; re-run that job to get a usable model")
    threshold = resolve_cutoff(run, cutoff)
    dataset = load_dataset(data_config(run, Path(data_path), overrides or {}))
    check_shape(dataset, run)
    stats = json.loads((run.path / "standardization.json").read_text())
    standardizer = Standardizer(
        mean=np.asarray(stats["mean"], dtype=np.float32),
        scale=np.asarray(stats["scale"], dtype=np.float32),
    )
    from threshold_sweep.model.load import load_run_model  # imports TensorFlow
    from threshold_sweep.model.train import predict_scores

    model = load_run_model(run.path)
    scores = predict_scores(model, standardizer.transform(dataset.X), batch_size)
    return prediction_frame(run, dataset, scores, threshold)
