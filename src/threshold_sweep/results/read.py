"""Read finished run folders back: metrics with CIs, predictions and history as DataFrames.

The sweep summary, `threshold-sweep-report` and the notebook API (`threshold_sweep.api`) all
read run folders through this module. It imports neither TensorFlow nor scikit-learn.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from threshold_sweep.errors import UserError
from threshold_sweep.evaluate.splits import split_of
from threshold_sweep.layout import (
    CURVE_CSV,
    ERROR_TXT,
    HISTORY,
    METRICS_JSON,
    PREDICTIONS,
    REFERENCE_PREDICTIONS,
    SPLITS,
    THRESHOLDS,
)
from threshold_sweep.results.rows import metrics_frame
from threshold_sweep.shared_model import (
    HEAD,
    above_column,
    head_section,
    member_folder,
    not_a_shared_run,
    section_of,
)
from threshold_sweep.thresholds import DEFAULT_THRESHOLD, Thresholds

IGNORED_OVERRIDE_PREFIXES = ("hydra.", "hydra/", "experiment", "tracking.")
# bookkeeping: how a sweep was run or recorded, not what it computed
IGNORED_OVERRIDE_KEYS = ("hydra", "resume", "tracking")
PREDICTION_FILES = PREDICTIONS
REQUIRED_KEYS = ("task", "test", "training", "ci", "chance")
# what a shared model's per-threshold folder does not inherit: its own label.threshold
GRID_KEYS = ("label.threshold", "label.bins", "label.quantiles", "label.names")


def find_run_dirs(root: Path) -> list[Path]:
    """Folders under `root` (or `root` itself) holding a run: finished, failed or unfinished
    (Hydra's .hydra/ folder without metrics.json or error.txt: killed, or still running)."""
    markers = [*root.rglob(METRICS_JSON), *root.rglob(ERROR_TXT)]
    started = [hydra.parent for hydra in root.rglob(".hydra") if hydra.is_dir()]
    return sorted({marker.parent for marker in markers} | set(started))


def threshold_run_of(run_dir: Path) -> dict[str, Any] | None:
    """The metrics.json section (output, parent) that marks `run_dir` as one threshold's run
    folder of a model with one output per threshold (thresholds/threshold=<t>/); None for any
    other folder."""
    folder = Path(run_dir)
    if folder.parent.name != THRESHOLDS or not Thresholds.is_folder(folder.name):
        return None
    try:
        section = section_of(json.loads((folder / METRICS_JSON).read_text()))
    except (OSError, ValueError, AttributeError):
        return None
    return section if isinstance(section, dict) and "output" in section else None


def shared_model_parent(run_dir: Path) -> Path | None:
    """The Hydra run of a shared model (one output per threshold) whose per-threshold folder
    `run_dir` is (its metrics.json names the parent); None for any other run folder."""
    if threshold_run_of(run_dir) is None:
        return None
    parent = Path(run_dir).parent.parent  # the section's parent: "../.."
    return parent if (parent / ".hydra").is_dir() else None


def read_overrides(run_dir: Path) -> dict[str, str]:
    """The run's command-line overrides (from Hydra's .hydra/overrides.yaml) as key -> value;
    a shared model's per-threshold folder has its threshold and head, and its parent's
    overrides but for the threshold grid."""
    own = _own_overrides(run_dir)
    parent = shared_model_parent(run_dir)
    if parent is None:
        return own
    inherited = {k: v for k, v in _own_overrides(parent).items() if k not in GRID_KEYS}
    return {**inherited, **own}


def _config_text(value: Any) -> str:
    """A config value as an override writes it: 1000 (not 1000.0), true, [100,300]."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ",".join(_config_text(item) for item in value) + "]"
    return str(value)


def config_values(run_dir: Path, keys: list[str]) -> dict[str, str]:
    """The values of dotted `keys` in the run's resolved config (.hydra/config.yaml; a
    per-threshold folder reads its shared model's run's, but for the threshold grid): what a run
    used for keys it did not override. Keys the file lacks (or no file) are left out."""
    parent = shared_model_parent(run_dir)
    path = (parent or Path(run_dir)) / ".hydra" / "config.yaml"
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    label = config.get("label") if isinstance(config, dict) else None
    cut = isinstance(label, dict) and (label.get("bins") or label.get("quantiles"))
    values = {}
    for key in keys:
        if parent is not None and key in GRID_KEYS:
            continue
        if cut and key == "label.threshold":  # unused: label.bins / label.quantiles cut x
            continue
        node: Any = config
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if key == "label.threshold" and node is None and "threshold" in (label or {}):
            node = DEFAULT_THRESHOLD  # null: not set, so the default labelled the run
        if node is not None and not isinstance(node, dict):
            values[key] = _config_text(node)
    return values


def _own_overrides(run_dir: Path) -> dict[str, str]:
    """The overrides in the run folder's own .hydra/overrides.yaml, bookkeeping left out (a
    per-threshold folder's: its threshold and head, from its metrics.json)."""
    section = threshold_run_of(run_dir)
    if section is not None:
        threshold = Thresholds.of_record(section["thresholds"][section["output"]])
        return {"label.threshold": threshold.text, "model.head": HEAD}
    path = run_dir / ".hydra" / "overrides.yaml"
    if not path.exists():
        return {}
    overrides: dict[str, str] = {}
    for item in yaml.safe_load(path.read_text()) or []:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if not is_bookkeeping(key):
            overrides[key] = value
    return overrides


def is_bookkeeping(key: str) -> bool:
    """Whether an override key only runs or records the sweep (resume, tracking, hydra)."""
    return key in IGNORED_OVERRIDE_KEYS or key.startswith(IGNORED_OVERRIDE_PREFIXES)


def _hydra_node(run_dir: Path) -> dict[str, Any]:
    """The `hydra` node of the run's .hydra/hydra.yaml ({} when there is none)."""
    try:
        node = yaml.safe_load((run_dir / ".hydra" / "hydra.yaml").read_text())["hydra"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return {}
    return node if isinstance(node, dict) else {}


def run_cwd(run_dir: Path) -> Path | None:
    """The folder the run started in (Hydra's hydra.runtime.cwd), if known."""
    runtime = _hydra_node(run_dir).get("runtime")
    cwd = runtime.get("cwd") if isinstance(runtime, dict) else None
    return Path(cwd) if isinstance(cwd, str) else None


def read_job_number(run_dir: Path) -> int | None:
    """The job's place in its sweep (Hydra's hydra.job.num in .hydra/hydra.yaml), if known."""
    job = _hydra_node(run_dir).get("job")
    number = job.get("num") if isinstance(job, dict) else None
    return number if isinstance(number, int) else None


# What a run learned from: runs that differ here are not settings of one sweep. Seeds are not
# among them (a seed study repeats the same source), nor any key a sweep varied among its jobs.
DATA_KEYS = (
    "data._target_",
    "data.path",
    "data.sequences_key",
    "data.features",
    "data.n_samples",
    "data.length",
    "data.channels",
    "data.signal_noise",
    "data.noise",
)
LABEL_KEYS = ("data.target", "data.target_key")  # the x the thresholds cut
SPLIT_KEYS = ("split.method",)


def run_origin(run_dir: Path) -> Path:
    """The sweep folder a run came from (Hydra's multirun), or its own folder for a single run;
    a shared model's per-threshold folder comes from its run's."""
    folder = shared_model_parent(run_dir) or Path(run_dir)
    return folder.parent if _hydra_node(folder).get("mode") == "MULTIRUN" else folder


def mixed_data(run_dirs: list[Path]) -> str:
    """'' when the runs share their data, labels and split method, else one sentence naming what
    differs with the runs of each kind; keys varied within one sweep are its settings."""
    keys = [*DATA_KEYS, *LABEL_KEYS, *SPLIT_KEYS]
    values = {d: config_values(d, keys) for d in run_dirs if _has_config(d)}
    origins = {d: run_origin(d) for d in values}
    swept = {
        key
        for origin in set(origins.values())
        for key in keys
        if len({values[d].get(key) for d in values if origins[d] == origin}) > 1
    }
    differing = [k for k in keys if k not in swept and len({v.get(k) for v in values.values()}) > 1]
    if not differing:
        return ""
    shown = _shown_keys(differing, list(values.values()))
    kinds = Counter(tuple(v.get(k) for k in shown) for v in values.values())
    described = [
        f"{_data_name(dict(zip(shown, kind, strict=True)))} ({n} run{'s' * (n > 1)})"
        for kind, n in kinds.most_common()
    ]
    what = [
        name
        for name, group in (("data", DATA_KEYS), ("labels", LABEL_KEYS), ("splits", SPLIT_KEYS))
        if set(group) & set(shown)
    ]
    return f"runs of different {' and '.join(what)}: {' vs '.join(described)}"


def _shown_keys(differing: list[str], values: list[dict[str, str]]) -> list[str]:
    """The differing keys that name a difference: set to two values (a key that only one data
    source has goes with its source), and a table's path where the source differs."""
    shown = [k for k in differing if len({v[k] for v in values if k in v}) > 1]
    if "data._target_" in shown and "data.path" in differing and "data.path" not in shown:
        shown.insert(1, "data.path")
    return shown


def _has_config(run_dir: Path) -> bool:
    """Whether the run (or the run of its shared model) kept Hydra's resolved config."""
    return ((shared_model_parent(run_dir) or Path(run_dir)) / ".hydra" / "config.yaml").is_file()


def _data_name(values: dict[str, str | None]) -> str:
    """'data.path=a.csv, data.target=price', 'synthetic' or 'split=kfold': one kind of runs."""
    parts = []
    for key, value in values.items():
        if value is None or (key == "data._target_" and values.get("data.path")):
            continue
        if key == "data._target_":
            parts.append(value.removeprefix("threshold_sweep.data.").removesuffix("_data"))
        else:
            parts.append(f"split={value}" if key == "split.method" else f"{key}={value}")
    return ", ".join(parts) or "unknown data"


def unreadable(metrics_path: Path) -> str:
    """Why a metrics.json cannot be used ('' when it can)."""
    try:
        result = json.loads(metrics_path.read_text())
    except (OSError, ValueError) as error:
        return f"unreadable metrics.json ({error}); re-run this job"
    if not isinstance(result, dict):
        return "metrics.json holds no run result; re-run this job"
    missing = [key for key in REQUIRED_KEYS if key not in result]
    if missing:
        return (
            f"metrics.json lacks {', '.join(missing)} (written by an older threshold-sweep?); "
            "re-run this job"
        )
    return ""


def read_scores(path: Path) -> pd.DataFrame:
    """A predictions file with ids as text and every number exactly as written (round trip)."""
    return pd.read_csv(path, dtype={"id": str}, float_precision="round_trip")


def run_error(run_dir: Path) -> str:
    """The first line of a failed run's error.txt."""
    if not (run_dir / ERROR_TXT).exists():
        return (
            "unfinished: no metrics.json or error.txt (the job was killed, or is still "
            "running); re-run the sweep with resume=true"
        )
    lines = (run_dir / ERROR_TXT).read_text(errors="replace").strip().splitlines()
    return lines[0] if lines else "unknown error"


@dataclass
class Run:
    """One run folder: its result (metrics.json), config and overrides; tables load lazily."""

    path: Path
    result: dict[str, Any]
    overrides: dict[str, str] = field(default_factory=dict)

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """Every split's metrics (model 'cnn'), test rows with CI, no-skill level, skill and
        balanced view; then each reference model's test metrics with CIs (model = its name)."""
        return metrics_frame(self.result)

    @cached_property
    def predictions(self) -> pd.DataFrame:
        """Test predictions: id, x, y_true, y_score (or score_<k>), y_pred."""
        return self.predictions_of("test")

    def predictions_of(self, split: str) -> pd.DataFrame:
        """Predictions of one split: 'train', 'validation' or 'test'."""
        return pd.read_csv(self._predictions_path(split), dtype={"id": str})

    def _predictions_path(self, split: str) -> Path:
        """The predictions file of one split; a UserError for another name."""
        if split not in PREDICTION_FILES:
            raise UserError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
        return self.path / PREDICTION_FILES[split]

    @cached_property
    def reference_predictions(self) -> pd.DataFrame:
        """The reference models' test scores: id, y_true, <model>_y_score (or _score_<k>)."""
        path = self.path / REFERENCE_PREDICTIONS
        if not path.exists():
            raise UserError(f"{self.path} has no {REFERENCE_PREDICTIONS} (evaluate.reference=[])")
        return pd.read_csv(path, dtype={"id": str})

    @cached_property
    def history(self) -> pd.DataFrame:
        """Per-epoch training history (loss and metrics, training and validation)."""
        return pd.read_csv(self.path / HISTORY)

    @cached_property
    def config(self) -> dict[str, Any]:
        """The resolved config the run used (from .hydra/config.yaml)."""
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        path = self.path / ".hydra" / "config.yaml"
        if not path.exists():
            return {}
        config = OmegaConf.load(path)
        try:
            return OmegaConf.to_container(config, resolve=True)
        except OmegaConfBaseException:  # an interpolation that needs Hydra: keep it as written
            return OmegaConf.to_container(config, resolve=False)

    @property
    def threshold(self) -> float | list[float]:
        """The threshold (or list of thresholds) that made the labels."""
        return self.result["threshold"]

    @property
    def split(self) -> dict[str, Any]:
        """How the rows were split (metrics.json's `split`): method, order or group column, and
        per split its rows, first and last order value and class shares, and the drift tests
        of a time split; older runs give only method and group."""
        return split_of(self.result)

    @property
    def label_names(self) -> list[str]:
        """Class names, lowest class first; the last is the positive class of a binary run."""
        return list(self.result["label_names"])

    @cached_property
    def threshold_curve(self) -> pd.DataFrame:
        """A model with one output per threshold: a row per threshold (thresholds.csv): its
        test metrics with CIs and no-skill levels (chance_<metric>), prevalence, near_share,
        n_warnings, tuned_cutoff and its folder (run, relative to this one)."""
        section = self._head_section("threshold_curve")
        path = self.path / CURVE_CSV
        if path.is_file():
            return pd.read_csv(path)
        return pd.DataFrame(section.get("curve", []))

    def threshold_run(self, threshold: float | str) -> Run:
        """A model with one output per threshold, run with evaluate.threshold_folders=true (or
        given the folder later by threshold-sweep-report RUN --threshold T): one threshold's
        binary run folder (thresholds/threshold=<t>/) by its value (within 1e-9 relative) or as
        its folder name writes it ('182.831')."""
        grid = Thresholds.of_record(self._head_section("threshold_run")["thresholds"])
        k = grid.position(str(threshold), "threshold_run:")
        folder = self.path / THRESHOLDS / grid.folder(k)
        if not folder.is_dir():
            raise UserError(
                f"threshold_run: {self.path} has no folder per threshold (it ran with "
                "evaluate.threshold_folders=false); read its threshold_curve and the "
                f"{above_column(grid.values[k])} column of its predictions, or write the "
                f"folder with threshold-sweep-report {self.path} --threshold {grid.values[k]:g}"
            )
        return load_run(folder)

    def threshold_scores(self, split: str = "test") -> pd.DataFrame:
        """A model with one output per threshold: a split's rows (id, x, y_true = the class) and
        P(x > t) of every threshold of its grid, in grid order (the p_above_<t> columns,
        exactly as written); a UserError when a column is missing."""
        grid = Thresholds.of_record(self._head_section("threshold_scores")["thresholds"])
        path = self._predictions_path(split)
        frame = read_scores(path)
        columns = [above_column(t) for t in grid.values]
        missing = [column for column in columns if column not in frame]
        if missing:
            raise UserError(
                f"{path} lacks the column {missing[0]} (written by an older threshold-sweep?); "
                "re-run the run to write it"
            )
        return frame[["id", "x", "y_true", *columns]]

    def _head_section(self, what: str) -> dict[str, Any]:
        """metrics.json's section of the run's own model with one output per threshold, else a
        UserError saying which folder to load instead."""
        section = head_section(self.result)
        if not section:
            setting = Thresholds.of_record(self.threshold).setting
            raise UserError(not_a_shared_run(what, self.path, setting))
        if "output" in section:
            parent = (self.path / str(section.get("parent", "../.."))).resolve()
            raise UserError(f"{what}: {member_folder(self.path)}; load the run folder {parent}")
        return section


def load_run(path: str | Path) -> Run:
    """A finished run folder as a Run; a clear UserError when it is not one."""
    run_dir = Path(path)
    metrics_path = run_dir / METRICS_JSON
    if not run_dir.is_dir():
        raise UserError(f"{run_dir} does not exist; give a run folder written by threshold-sweep")
    if not metrics_path.exists():
        if (run_dir / ERROR_TXT).exists():
            raise UserError(f"{run_dir} holds a failed run: {run_error(run_dir)}")
        if (run_dir / ".hydra").is_dir():
            raise UserError(f"{run_dir}: {run_error(run_dir)}")
        raise UserError(
            f"{run_dir} holds no finished run (no metrics.json); give a run folder written "
            "by threshold-sweep"
        )
    problem = unreadable(metrics_path)
    if problem:
        raise UserError(f"{run_dir}: {problem}")
    return Run(run_dir, json.loads(metrics_path.read_text()), read_overrides(run_dir))
