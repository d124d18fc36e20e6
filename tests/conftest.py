"""Shared helpers: compose configs, run the commands in this process (run_app) or in a new one
(run_cli), the trained fixtures made once per session, the fast tier's guard (docs/testing.md)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from threshold_sweep.cli.main import config_dir, job_dirname
from threshold_sweep.conf.store import register_configs

TESTS = Path(__file__).resolve().parent  # holds custom_models.py, the test builders
ROOT = TESTS.parent
# The environment of a subprocess that can import the test helper modules (custom_models).
HELPER_PATH = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))

# The tiny runs' settings, with the default reference models (MiniRocket among them)
TINY_ALL_REFERENCES = (
    "data.n_samples=600",
    "data.length=16",
    "train.epochs=2",
    "train.threads=1",
    "model.filters=[4]",
    "model.dense_units=4",
)
# Most test runs fit the two scikit-learn references only: MiniRocket (aeon's import, numba's
# cache and its fit) added about 0.5 CPU s to each of some 120 runs; the shared sweep fixture
# keeps it, and tests/evaluate/test_minirocket.py tests it on its own.
TINY = (*TINY_ALL_REFERENCES, "evaluate.reference=[logistic,hgb]")


# Fixtures that train a model, once per session (made_once), and their pytest-xdist group. A test
# using one (directly or through another fixture) must be marked slow, so that `make test-fast`
# (pytest -m "not slow") trains nothing. Under pytest-xdist the tests of a group run on one
# worker (the group of the first fixture listed here that a test uses): no worker waits for
# another's training, and tests that resume into a shared folder never run at the same time.
TRAINING_FIXTURES = {
    "sweep": "sweep",
    "three_class_run": "sweep",  # the HTML tests read both
    "sampling_sweep": "sampling_sweep",
    "basic": "launchers",
    "tracked_joblib_sweep": "launchers",
    "cumulative": "cumulative",
    "cumulative_run": "cumulative_run",
    "kfold_sweep": "kfold_sweep",
    "two_processes": "two_processes",
    "mode_runs": "mode_runs",
    "threshold_runs": "threshold_runs",
}


# Modules whose tests start whole processes that train (kill and resume, Ctrl-C at twenty
# moments, launchers' worker processes): the longest tests, started first so that pytest-xdist's
# workers end together instead of one of them finishing them alone.
LONGEST_FIRST = ("run/test_reliability.py", "cli/test_launchers.py", "tracking/test_tracking.py")


def run_order(item: pytest.Item) -> int:
    """0 for the longest modules' slow tests, 1 for the other slow tests, 2 for the rest."""
    if item.get_closest_marker("slow") is None:
        return 2
    return 0 if item.nodeid.split("::")[0].endswith(LONGEST_FIRST) else 1


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Refuse to run a test that needs a training fixture but is not marked slow; order the
    tests longest first (a stable sort: file order within each group)."""
    items.sort(key=run_order)
    unmarked = []
    for item in items:
        used = [name for name in TRAINING_FIXTURES if name in getattr(item, "fixturenames", ())]
        if used and item.get_closest_marker("slow") is None:
            unmarked.append(item.nodeid)
        if used and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(TRAINING_FIXTURES[used[0]]))
    if unmarked:
        raise pytest.UsageError(
            "tests using a fixture that trains must be marked @pytest.mark.slow: "
            + ", ".join(unmarked)
        )


# The fast tier's budget: in a run of the fast tier (-m "not slow", `make test-fast`), a test may
# use this many CPU seconds (its own thread and the processes it started, setup included). CPU
# time, not wall time: the same on a loaded or shared machine and with pytest-xdist's workers
# side by side. Not enforced when slow tests run too: once a worker has trained, TensorFlow's
# threads slow the tests beside them (seen: 1.4 s alone, 3.2 s after training). 3 s, not 2: the
# same test's CPU time still varies by about a quarter between runs on this VM, and the slowest
# fast tests take 1.5-2.1 s; a tighter budget would fail them at random.
FAST_TEST_CPU_BUDGET = 3.0
CPU_AT_SETUP = pytest.StashKey[float]()
TENSORFLOW_BEFORE = pytest.StashKey[bool]()


def cpu_seconds() -> float:
    """CPU seconds used so far by this thread (the tests') and by the child processes this
    process has waited for; not by other threads, such as TensorFlow's pools once a slow test
    of the same worker has trained."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time() + children.ru_utime + children.ru_stime


def fast_tier_only(config: pytest.Config) -> bool:
    """Whether this run leaves the slow tests out (-m "not slow")."""
    return config.option.markexpr.replace(" ", "") == "notslow"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Start the test's CPU clock (its fixtures' setup counts)."""
    item.stash[CPU_AT_SETUP] = cpu_seconds()
    item.stash[TENSORFLOW_BEFORE] = "tensorflow" in sys.modules


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In a fast-tier run, fail a passing test that imported TensorFlow or went over the budget."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.passed or not fast_tier_only(item.config):
        return
    if "tensorflow" in sys.modules and not item.stash.get(TENSORFLOW_BEFORE, True):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} imported TensorFlow (about 7 CPU seconds), which the fast tier "
            "never does: mark it @pytest.mark.slow"
        )
        return
    used = cpu_seconds() - item.stash.get(CPU_AT_SETUP, cpu_seconds())
    if used > FAST_TEST_CPU_BUDGET:
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} used {used:.1f} CPU seconds, over the fast tier's budget of "
            f"{FAST_TEST_CPU_BUDGET:g} s (tests/conftest.py FAST_TEST_CPU_BUDGET): mark it "
            "@pytest.mark.slow or make it cheaper (smaller data, a shared fixture, in-process)"
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


# The commands' entry functions, by the module `python -m` would run: each returns or raises
# SystemExit with the exit code (the console scripts wrap them in cli.interrupt's Ctrl-C handling).
ENTRY_POINTS = {
    "threshold_sweep": "threshold_sweep.cli.main:main",
    "threshold_sweep.cli.predict": "threshold_sweep.cli.predict:main",
    "threshold_sweep.cli.report": "threshold_sweep.cli.report:main",
}


def run_app(
    args: list[str],
    cwd: Path,
    module: str = "threshold_sweep",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run a command in this process, as `python -m <module> args` would in `cwd`, and capture
    its exit code and output; for every test where the process boundary is not what is tested
    (run_cli starts a real process: TensorFlow's import and Hydra's start-up each time)."""
    module_name, function_name = ENTRY_POINTS[module].split(":")
    entry = getattr(importlib.import_module(module_name), function_name)
    stdout, stderr = io.StringIO(), io.StringIO()
    with _app_context([module, *args], cwd, env), redirect_stdout(stdout), redirect_stderr(stderr):
        code = _exit_code(entry)
    return subprocess.CompletedProcess([module, *args], code, stdout.getvalue(), stderr.getvalue())


def _exit_code(entry) -> int:
    """Call a command's entry function: its exit code, as the interpreter would give it."""
    try:
        returned = entry()
    except SystemExit as stop:
        returned = stop.code
    if isinstance(returned, str):
        sys.stderr.write(returned + "\n")
        return 1
    return int(returned or 0)


@contextlib.contextmanager
def _app_context(argv: list[str], cwd: Path, env: dict[str, str] | None):
    """The process state a command reads or changes: argv, the working folder, the environment
    and the root logger; all restored afterwards, and Hydra's global state cleared."""
    from hydra._internal.hydra import Hydra
    from hydra.core.global_hydra import GlobalHydra

    saved_argv, saved_cwd, saved_env = sys.argv, os.getcwd(), dict(os.environ)
    group_listing = Hydra.format_config_groups  # --help replaces it (cli.main, for the process)
    lent = _lend_test_streams()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    root.handlers = []  # the command configures logging to this call's stderr
    for name in UNINHERITED_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(env or {})
    sys.argv = argv
    os.chdir(cwd)
    try:
        yield
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers, root.level = saved_handlers, saved_level
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        GlobalHydra.instance().clear()
        Hydra.format_config_groups = group_listing
        for handler, stream in lent:
            handler.stream = stream


def _lend_test_streams() -> list[tuple[logging.StreamHandler, object]]:
    """Give every live logging handler that writes to this test's stdout or stderr a stand-in
    stream for the call; return the handlers and their streams, to give back afterwards.

    Hydra's logging setup closes every handler of the process, and some close their stream
    unless it is the current sys.stderr (absl's, made when TensorFlow was imported in another
    test); during the call sys.stderr is the call's own, so pytest's capture file would go."""
    outer = (sys.stdout, sys.stderr)
    handlers = [ref() for ref in list(logging._handlerList)]  # the process's live handlers
    owned = [h for h in handlers if not isinstance(getattr(type(h), "stream", None), property)]
    lent = [(h, h.stream) for h in owned if any(getattr(h, "stream", None) is o for o in outer)]
    for handler, _ in lent:
        handler.stream = io.StringIO()
    return lent


def error_lines(stderr: str) -> list[str]:
    """The ERROR lines a run logged (TensorFlow's C++ chatter ignored)."""
    return [line for line in stderr.splitlines() if "[ERROR]" in line]


def made_once(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    make: Callable[[Path], subprocess.CompletedProcess],
) -> tuple[Path, subprocess.CompletedProcess]:
    """A folder `name` that `make(folder)` fills once per test session, also when pytest-xdist
    runs the tests in several workers: the first to ask makes it under a file lock while the
    others wait, then every worker reads it. Returns the folder and what `make` returned."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers (each has its own basetemp below it)
    folder, record = root / name, root / f"{name}.done.json"
    with FileLock(root / f"{name}.lock"):
        if not record.exists():
            folder.mkdir()
            done = make(folder)
            fields = {"args": list(map(str, done.args)), "returncode": done.returncode}
            fields.update(stdout=done.stdout, stderr=done.stderr)
            record.write_text(json.dumps(fields))
    return folder, subprocess.CompletedProcess(**json.loads(record.read_text()))


@pytest.fixture(scope="session")
def sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One multirun (shared by the end-to-end and HTML tests): two real thresholds and one that
    must fail (outside the range of x), each with training seeds 0 and 1."""
    args = ["-m", "label.threshold=100,1000,1e9", "train.seed=0,1", *TINY_ALL_REFERENCES]
    study = ["hydra.sweep.dir=outputs/multirun/study"]
    cwd, done = made_once(tmp_path_factory, "sweep", lambda cwd: run_app([*args, *study], cwd))
    return cwd / "outputs" / "multirun" / "study", done


@pytest.fixture(scope="session")
def three_class_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One single run with two thresholds (three ordered classes): its folder and the process."""
    args = ["label.threshold=[100,1000]", "label.min_per_split=3", "hydra.run.dir=run", *TINY]
    cwd, done = made_once(tmp_path_factory, "three_classes", lambda cwd: run_app(args, cwd))
    return (cwd / "run" if done.returncode == 0 else cwd), done


def _two_processes(cwd: Path) -> subprocess.CompletedProcess:
    """Run the tiny config twice, each in its own process, into a/ and b/: the first run that
    failed, or the second."""
    for name in ("a", "b"):
        done = run_cli([*TINY, f"hydra.run.dir={name}"], cwd)
        if done.returncode != 0:
            return done
    return done


@pytest.fixture(scope="session")
def two_processes(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The folder holding a/ and b/, one config run by the real command in two processes, and
    the second process (shared by the reproducibility, resume and TensorFlow-log tests)."""
    cwd, done = made_once(tmp_path_factory, "two_processes", _two_processes)
    assert done.returncode == 0, done.stderr
    return cwd, done


# Two jobs in joblib worker processes, tracked into an MLflow file store (mlruns), TensorBoard on
JOBLIB_SWEEP = (
    *("-m", "label.threshold=100,1000", *TINY, "hydra/launcher=local_parallel"),
    *("train.tensorboard=true", "tracking=mlflow", "tracking.tracking_uri=mlruns"),
    "hydra.sweep.dir=sweep",
)


def _run_joblib_sweep(cwd: Path) -> subprocess.CompletedProcess:
    """JOBLIB_SWEEP in `cwd` (MLflow 3 opens a file store only when asked to)."""
    return run_cli(list(JOBLIB_SWEEP), cwd, env={"MLFLOW_ALLOW_FILE_STORE": "true"})


@pytest.fixture(scope="session")
def tracked_joblib_sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """JOBLIB_SWEEP run through the real command line: its start folder and the process. Read
    by the launcher tests (local_parallel) and the tracking tests."""
    cwd, done = made_once(tmp_path_factory, "joblib", _run_joblib_sweep)
    assert done.returncode == 0, done.stderr
    return cwd, done


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


def write_failed_run(
    folder: Path,
    data: dict[str, Any],
    overrides: list[str] = (),
    mode: str = "RUN",
    split: str = "random",
) -> Path:
    """A failed run folder with Hydra's record: its resolved config, overrides and mode."""
    import yaml

    (folder / ".hydra").mkdir(parents=True)
    config = {"seed": 0, "data": data, "split": {"method": split}, "label": {"threshold": 100}}
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(list(overrides)))
    hydra = {"hydra": {"mode": mode, "job": {"num": 0}}}
    (folder / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
    (folder / "error.txt").write_text("boom\n")
    return folder


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

    from threshold_sweep.conf.schema import EvaluateConfig
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
