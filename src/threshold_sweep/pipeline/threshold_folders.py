"""A finished run's per-threshold folders written afterwards (`threshold-sweep-report RUN
--threshold T`), as evaluate.threshold_folders=true would have written them with the run.

A model with one output per threshold writes P(x > t) of every threshold beside x in its
predictions files. From those, the config Hydra saved (the rows are prepared again, which
trains nothing), the reference models' class scores and metrics.json's training record, the
run's mode evaluates threshold T as a dedicated binary run and writes its folder under
thresholds/threshold=<t>/. No model is loaded and TensorFlow is not imported.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep import layout
from threshold_sweep.errors import UserError
from threshold_sweep.logs import every_record, held_logs
from threshold_sweep.results.read import Run, load_run, read_scores, run_cwd
from threshold_sweep.shared_model import SHARED_RUN, head_section, member_folder, not_a_shared_run
from threshold_sweep.thresholds import Thresholds

log = logging.getLogger(__name__)

ALL = "all"  # --threshold all: every threshold of the run's grid
WHAT = "--threshold"  # how error messages name the request


def shared_run(run_dir: Path) -> Run:
    """The finished run of a model with one output per threshold in `run_dir`, else a
    UserError naming what the folder holds and which folder to give."""
    written = [(run_dir / name).exists() for name in (layout.METRICS_JSON, layout.ERROR_TXT)]
    if (run_dir / ".hydra").is_dir() and not any(written):
        raise UserError(
            f"{WHAT}: {run_dir} holds an unfinished run (no metrics.json: it was killed, or "
            "is still running); give it once it has finished, or finish it with resume=true"
        )
    run = load_run(run_dir)
    section = head_section(run.result)
    if not section:
        setting = Thresholds.of_record(run.threshold).setting
        raise UserError(not_a_shared_run(WHAT, run_dir, setting, verb="give"))
    if "output" in section:
        parent = (run.path / str(section.get("parent", "../.."))).resolve()
        raise UserError(f"{WHAT}: {member_folder(run_dir)}; give its run folder {parent}")
    return run


def grid_of(run: Run) -> Thresholds:
    """The thresholds of the run's model, one per output."""
    return Thresholds.of_record(head_section(run.result)["thresholds"])


def chosen_positions(run: Run, values: list[str]) -> list[int]:
    """The grid positions `values` name (each once, in the order given); 'all' names every
    threshold; a UserError listing the grid for a value that is not one of its thresholds."""
    grid = grid_of(run)
    if any(value.strip().lower() == ALL for value in values):
        return list(range(len(grid)))
    return list(dict.fromkeys(grid.position(value, WHAT) for value in values))


def run_config(run: Run, configs: Path) -> Any:
    """The config the run used, typed as Hydra composed it: its overrides composed again from
    `configs`, its saved .hydra/config.yaml over them, train.threads=0 as the threads it
    trained on, and a relative data.path taken from the folder the run started in."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf, open_dict

    from threshold_sweep.conf.store import register_configs

    saved_path = run.path / ".hydra" / "config.yaml"
    if not saved_path.is_file():
        raise UserError(f"{WHAT}: {run.path} has no .hydra/config.yaml; the run's config is needed")
    register_configs()
    overrides = [o for o in _saved_overrides(run.path) if not o.startswith(("hydra.", "hydra/"))]
    try:
        with initialize_config_dir(config_dir=str(configs), version_base="1.3"):
            composed = compose("config", overrides=overrides)
        cfg = OmegaConf.merge(composed, OmegaConf.load(saved_path))
    except Exception as error:  # Hydra and OmegaConf raise many kinds: one line for each
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(
            f"{WHAT}: the config of {run.path} does not compose with this threshold-sweep "
            f"({first}); run it again with evaluate.threshold_folders=true"
        ) from None
    with open_dict(cfg):
        if int(cfg.train.threads) == 0:
            cfg.train.threads = int(run.result["training"]["threads"])
        _anchor_data_path(cfg, run_cwd(run.path))
    return cfg


def _saved_overrides(run_dir: Path) -> list[str]:
    """The run's command-line overrides as Hydra saved them (.hydra/overrides.yaml)."""
    import yaml

    path = run_dir / ".hydra" / "overrides.yaml"
    return [str(item) for item in yaml.safe_load(path.read_text()) or []] if path.exists() else []


def _anchor_data_path(cfg: Any, cwd: Path | None) -> None:
    """A relative data.path as the run read it: from the folder it started in."""
    path = cfg.data.get("path")
    if path and cwd is not None and not Path(str(path)).is_absolute():
        cfg.data.path = str(cwd / str(path))


def check_config(cfg: Any, run: Run) -> None:
    """Log a warning when the config composed again is not the one the run recorded."""
    from threshold_sweep.pipeline.record import config_fingerprint

    if config_fingerprint(cfg) != run.result.get("config_sha256"):
        log.warning(
            "the config of %s, composed again, is not the one it ran with (config_sha256 "
            "differs: a key added or changed since?); its threshold folders use it",
            run.path,
        )


def saved_training(record: dict[str, Any]) -> Any:
    """What the run's training recorded (metrics.json's training), as the trained model that
    a run's record reads; no Keras model."""
    from threshold_sweep.model.train import TrainedModel

    return TrainedModel(
        model=None,
        epochs_run=record["epochs_run"],
        best_epoch=record["best_epoch"],
        threads=record["threads"],
        monitor=record["monitor"],
        early_stopping=record["early_stopping"],
        monitor_best_epoch=record["monitor_best_epoch"],
        monitor_best=record["monitor_best"],
        batch_size=record["batch_size"],
        reduce_lr_factor=record["reduce_lr_on_plateau"],
        warmup_epochs=record.get("warmup_epochs", 0),
    )


def saved_scores(run: Run, data: Any) -> dict[str, np.ndarray]:
    """Each split's (rows, thresholds) P(x > t) from the run's predictions files, checked to
    hold the rows the config prepares again, in the same order."""
    scores = {}
    for split, rows in data.split.items():
        frame = run.threshold_scores(split)
        ids = pd.Series(data.dataset.ids[rows]).astype(str).to_numpy()
        same_x = np.array_equal(frame["x"].to_numpy(), data.dataset.x[rows], equal_nan=True)
        if len(frame) != len(rows) or not (np.array_equal(frame["id"], ids) and same_x):
            raise UserError(
                f"{WHAT}: the {split} rows of {run.path} are not those its config gives now "
                f"({len(frame)} rows written, {len(rows)} prepared): the data changed since the "
                "run; run it again with evaluate.threshold_folders=true"
            )
        scores[split] = frame.drop(columns=["id", "x", "y_true"]).to_numpy()
    return scores


def saved_references(run: Run) -> list[Any]:
    """The reference models as the run fitted them: their class scores of the test rows
    (predictions_reference.csv) and what metrics.json records of each (seconds not kept)."""
    from threshold_sweep.evaluate.task import Task
    from threshold_sweep.model.reference import REFERENCE_MODELS, ReferenceScores

    section = run.result.get("reference") or {}
    models = section.get("models") or {}
    if not models:
        return []
    frame = read_scores(run.path / layout.REFERENCE_PREDICTIONS)
    columns = Task.of(run.result).score_columns()
    return [
        ReferenceScores(
            model=REFERENCE_MODELS[name],
            scores=frame[[f"{name}_{column}" for column in columns]].to_numpy(),
            seconds=float("nan"),
            cpu_seconds=float("nan"),
            n_train=model["n_train"],
            n_rows=section["n_train"],
            sees=model["sees"],
            trained_on=section["trained_on"],
        )
        for name, model in models.items()
    ]


def write_swapped(folder: Path, write: Callable[[Path], None]) -> None:
    """`write` a folder beside `folder`, then put it in its place (replacing an older one):
    a failure leaves nothing half-written."""
    staging = folder.with_name(f".{folder.name}.writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        write(staging)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_threshold_folders(run_dir: Path, values: list[str], configs: Path) -> list[Path]:
    """Write the folders of the thresholds `values` name (or 'all') of a finished run of a
    model with one output per threshold, and their summary in thresholds/; the folders."""
    from threshold_sweep.pipeline.modes import select_mode
    from threshold_sweep.pipeline.modes.base import ThresholdOutputs

    run = shared_run(Path(run_dir))
    positions = chosen_positions(run, values)
    cfg = run_config(run, configs)
    check_config(cfg, run)
    mode = select_mode(cfg)
    if not isinstance(mode, ThresholdOutputs):
        raise UserError(f"{WHAT}: the config of {run.path} is not a {SHARED_RUN}'s")
    prepared = mode.units(cfg, run.path)
    scores = saved_scores(run, prepared.units[0].data)
    trained, references = saved_training(run.result["training"]), saved_references(run)
    root, grid = run.path / layout.THRESHOLDS, grid_of(run)
    created, folders = not root.exists(), [root / grid.folder(k) for k in positions]
    try:
        with held_logs(every_record, "at {n} thresholds"):  # a warning once, with a count
            for k, folder in zip(positions, folders, strict=True):
                evaluated = mode.threshold_result(cfg, prepared, trained, scores, references, k)
                write = partial(
                    mode.write_threshold,
                    run.path,
                    cfg=cfg,
                    k=k,
                    evaluated=evaluated,
                    references=references,
                )
                write_swapped(folder, write)
    finally:
        if created and root.exists() and not any(root.iterdir()):
            root.rmdir()
    from threshold_sweep.sweep.build import build_summary

    build_summary(root)
    return folders
