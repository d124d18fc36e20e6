"""Shared helpers: compose configs in-process, run the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from threshold_sweep.cli.main import config_dir, job_dirname
from threshold_sweep.config import register_configs

TESTS = Path(__file__).resolve().parent  # holds custom_models.py, the test builders
ROOT = TESTS.parent
# The environment of a subprocess that can import the test helper modules (custom_models).
HELPER_PATH = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))

TINY = (
    "data.n_samples=600",
    "data.length=16",
    "train.epochs=2",
    "train.threads=1",
    "model.filters=[4]",
    "model.dense_units=4",
)


# Fixtures that train a model. A test using one (directly or through another fixture) must be
# marked slow, so that `make test-fast` (pytest -m "not slow") trains nothing.
TRAINING_FIXTURES = frozenset(
    {"sweep", "three_class_run", "sampling_sweep", "basic", "joblib_sweep"}
)


def pytest_collection_modifyitems(config, items):
    """Refuse to run a test that needs a training fixture but is not marked slow."""
    unmarked = [
        item.nodeid
        for item in items
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests using a fixture that trains must be marked @pytest.mark.slow: "
            + ", ".join(unmarked)
        )


def compose_config(*overrides: str) -> DictConfig:
    """The composed experiment config, as the CLI would see it (without hydra.*)."""
    register_configs()
    if not OmegaConf.has_resolver("ts_job_dirname"):
        OmegaConf.register_new_resolver("ts_job_dirname", job_dirname)
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose("config", overrides=list(overrides))


# a developer's own settings that would change what the product prints or how it fails
UNINHERITED_VARIABLES = ("HYDRA_FULL_ERROR", "TF_CPP_MIN_LOG_LEVEL")


def run_cli(
    args: list[str],
    cwd: Path,
    module: str = "threshold_sweep",
    timeout: int = 300,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run `python -m <module> args` in `cwd` (extra environment `env`) and capture its output."""
    inherited = {k: v for k, v in os.environ.items() if k not in UNINHERITED_VARIABLES}
    env = {**inherited, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def error_lines(stderr: str) -> list[str]:
    """The ERROR lines a run logged (TensorFlow's C++ chatter ignored)."""
    return [line for line in stderr.splitlines() if "[ERROR]" in line]


@pytest.fixture(scope="session")
def sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One multirun (shared by the end-to-end and HTML tests): two real thresholds and one that
    must fail (outside the range of x), each with training seeds 0 and 1."""
    cwd = tmp_path_factory.mktemp("sweep")
    done = run_cli(
        [
            "-m",
            "label.threshold=100,1000,1e9",
            "train.seed=0,1",
            "hydra.sweep.dir=outputs/multirun/study",
            *TINY,
        ],
        cwd,
    )
    return cwd / "outputs" / "multirun" / "study", done


@pytest.fixture(scope="session")
def three_class_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One single run with two thresholds (three ordered classes): its folder and the process."""
    cwd = tmp_path_factory.mktemp("three_classes")
    done = run_cli(["label.threshold=[100,1000]", "label.min_per_split=3", *TINY], cwd)
    folders = list((cwd / "outputs" / "runs").iterdir()) if done.returncode == 0 else [cwd]
    return folders[0], done


def run_dir(sweep_dir: Path, threshold: float | str, seed: int = 0) -> Path:
    """The job folder of a sweep, named by its sorted overrides."""
    (folder,) = sweep_dir.glob(f"*,label.threshold={threshold},*,train.seed={seed},*")
    return folder


@pytest.fixture
def table_csv(tmp_path: Path) -> Path:
    """A CSV nobody here wrote by hand: columns sensor_0..7, price, sample_id, a text column."""
    rng = np.random.default_rng(3)
    n = 400
    price = 10 ** rng.normal(3.3, 0.4, n)
    features = rng.normal(0, 1, (n, 8)) + np.log10(price)[:, None] - 3.3
    frame = pd.DataFrame(features, columns=[f"sensor_{i}" for i in range(8)])
    frame.insert(0, "sample_id", [f"s{i:04d}" for i in range(n)])
    frame["price"] = price
    frame["note"] = np.where(price > 2000, "big", "small")
    path = tmp_path / "prices.csv"
    frame.to_csv(path, index=False)
    return path


def subjects_csv(path: Path, n_subjects: int = 120, years: int = 5) -> Path:
    """A table of subjects measured in several years (column `subject`, features t0..t7,
    target x): a subject's feature rows repeat exactly, as in a table seen in the field."""
    rng = np.random.default_rng(0)
    level = rng.normal(2.1, 0.6, n_subjects)
    features = np.repeat(rng.normal(size=(n_subjects, 8)) + level[:, None], years, axis=0)
    frame = pd.DataFrame(features, columns=[f"t{i}" for i in range(8)])
    frame.insert(0, "subject", np.repeat([f"p{i:03d}" for i in range(n_subjects)], years))
    frame["x"] = 10 ** (np.repeat(level, years) + rng.normal(0, 0.05, n_subjects * years))
    frame.to_csv(path, index=False)
    return path


def timeline_csv(path: Path, drift: bool, n_days: int = 300, per_day: int = 2) -> Path:
    """A table of `per_day` rows a day from 2015-01-01 (column `date`, features t0..t7, target
    x), its rows shuffled: with `drift`, log10(x) climbs from 1.75 to 2.45 over the days, so the
    share of x > 100 grows with time; without, it stays at 2.0 on average."""
    rng = np.random.default_rng(5)
    days = np.repeat(np.arange(n_days), per_day)
    level = 1.75 + 0.7 * days / n_days if drift else np.full(len(days), 2.0)
    log_x = level + rng.normal(0, 0.3, len(days))
    frame = pd.DataFrame(rng.normal(0, 1, (len(days), 8)) + log_x[:, None] - 2.0)
    frame.columns = [f"t{i}" for i in range(8)]
    frame["date"] = (pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")).strftime(
        "%Y-%m-%d"
    )
    frame["x"] = 10**log_x
    frame.sample(frac=1, random_state=0).to_csv(path, index=False)
    return path


NO_TF_CHECK = """
import sys
sys.argv = {argv!r}
from threshold_sweep.{module} import main
try:
    main()
except SystemExit:
    pass
heavy = ("tensorflow", "keras", "mlflow")
print("TENSORFLOW_IMPORTED" if any(name in sys.modules for name in heavy) else "NO_TF")
"""


def imports_tensorflow(argv: list[str], module: str = "cli.main", cwd: Path | None = None) -> str:
    """Run a CLI entry point in a fresh interpreter: did it import TensorFlow (or MLflow)?"""
    code = NO_TF_CHECK.format(argv=argv, module=module)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    return done.stdout


def markdown_table(text: str, heading: str) -> pd.DataFrame:
    """The first Markdown table under `## heading` as strings."""
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    after = ("\n" + section).split("\n|", 1)[1]  # from the first table's header on
    lines = ("|" + after).split("\n\n", 1)[0].splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return pd.DataFrame(cells[2:], columns=cells[0])


def prices_csv(path: Path, n: int, seed: int = 11) -> Path:
    """A small table: sensors that carry log10(price), an id column, price the target."""
    rng = np.random.default_rng(seed)
    price = 10 ** rng.normal(3.3, 0.4, n)
    features = rng.normal(0, 1, (n, 8)) + 2 * (np.log10(price)[:, None] - 3.3)
    frame = pd.DataFrame(features, columns=[f"sensor_{i}" for i in range(8)])
    frame.insert(0, "sample_id", [f"s{i:04d}" for i in range(n)])
    frame["price"] = price
    frame.to_csv(path, index=False)
    return path


def write_assessed_run(
    folder: Path,
    overrides: list[str],
    frames: dict[str, pd.DataFrame],
    names: list[str],
    threshold: float | list[float],
    resamples: int = 200,
) -> dict:
    """A finished run folder without a model: .hydra/overrides.yaml, metrics.json from
    assess() on made-up `frames` (train, validation, test) and the test and validation
    predictions; returns the metrics."""
    import yaml

    from threshold_sweep.config import EvaluateConfig
    from threshold_sweep.evaluate.assess import assess
    from threshold_sweep.evaluate.metrics import split_metrics
    from threshold_sweep.evaluate.task import Ordinal, Task
    from threshold_sweep.io import write_json

    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    task = Task(tuple(names), None if len(names) == 2 else Ordinal())  # k >= 3: MAE, QWK
    splits = {
        split: split_metrics(*task.arrays(frame), names, **task.ordinal_inputs(frame))
        for split, frame in frames.items()
    }
    result = {
        "task": task.kind,
        "label_names": names,
        "threshold": threshold,
        "prevalence": {s: task.prevalence(m) for s, m in splits.items()},
        "class_counts": {s: {n: 100 for n in names} for s in frames},
        "cutoff": 0.5,
        "training": {"epochs_run": 3, "best_epoch": 3, "max_epochs": 3, "monitor": "val_roc_auc"},
        **({"ordinal": task.ordinal.record()} if task.ordinal else {}),
        **splits,
    }
    cfg = OmegaConf.structured(EvaluateConfig(max_gap=0.05))
    cfg.bootstrap.resamples, cfg.bootstrap.seed = resamples, 0
    assessed = assess(result, frames, cfg)
    write_json(folder / "metrics.json", assessed)
    files = {"test": "predictions.csv", "validation": "predictions_validation.csv"}
    for split, name in files.items():
        frames[split].to_csv(folder / name, index=False)
    return assessed


def load_benchmark(name: str):
    """benchmarks/<name>.py imported from its file (yielded, then removed from sys.modules)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]
