"""Benchmarks of the runner against bare Keras and of the commands that need no model.

1. overhead: the CPU (and wall) seconds of one default `threshold-sweep` run on the default
   synthetic data at 20,000 rows x 128 steps, 10 epochs without early stopping, reference
   models on (the default), and of the same run with `evaluate.reference=[]`, against
   `bare_keras.py` (plain Keras + imbalanced-learn + scikit-learn.metrics: the same cnn1d,
   the same arrays, made by threshold-sweep's own generator with the same seed, the same
   epochs). Every run is a fresh subprocess, so each side pays its own imports once, as a
   user's command does (TensorFlow's import is about a fifth of the bare script's CPU; the
   tool's Hydra, pandas and matplotlib are part of its price). The three variants run in
   turn, the order rotated each repeat; the ratios are of the medians over `--repeats`.
   CPU seconds (user + system of the child, every thread) are the measure: the machine is
   shared, and wall time varies by +-50 % between runs there.
2. scaling: K = 1, 2, 4 thresholds in one process; the cost beyond training per extra job.
3. threads: 2 jobs x 1 thread (joblib) vs 1 job x 2 threads (basic launcher) on 2 cores.
4. startup: `--help`, `--cfg job` and `threshold-sweep-report` wall time, and whether
   TensorFlow was imported (python -X importtime).

Every comparison runs its baseline in the same invocation; the ratios are what carry over.
Writes results/runner.json (`--parts overhead` runs only the first part).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
BARE_KERAS = Path(__file__).parent / "bare_keras.py"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
TUNED_STEPS = 32  # the bare script's tuned variant: train.steps_per_execution's default
TARGET_CPU_RATIO = 1.10  # issue 26: a default run, reference models on, vs the bare script
TIMING = ("train_seconds", "score_seconds", "reference_seconds", "evaluate_report_seconds")


def run_measured(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one command (it must succeed).

    CPU time is steadier than wall time on a VM that loses CPU to its host.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {done.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timed(command: list[str], cwd: Path) -> float:
    """Wall seconds of one command (it must succeed)."""
    return run_measured(command, cwd)[0]


def make_arrays(folder: Path, rows: int, length: int, seed: int = 0) -> Path:
    """An .npz (X: rows x steps, x) of the default synthetic data at this size, made by
    threshold-sweep's generator with the schema's defaults: the arrays a default run uses."""
    from dataclasses import fields
    from types import SimpleNamespace

    from threshold_sweep.conf.schema import SyntheticDataConfig
    from threshold_sweep.data.synthetic import generate

    defaults = {f.name: f.default for f in fields(SyntheticDataConfig)}
    settings = defaults | {"n_samples": rows, "length": length, "seed": seed}
    data = generate(SimpleNamespace(**settings))
    path = folder / "data.npz"
    np.savez(path, X=data.X[:, :, 0], x=data.x)
    return path


def tool_command(rows: int, length: int, epochs: int, run_dir: Path, extra: list[str]) -> list:
    """A default run on the default synthetic data at this size, `epochs` without stopping."""
    return [
        sys.executable,
        "-m",
        "threshold_sweep",
        f"data.n_samples={rows}",
        f"data.length={length}",
        f"train.epochs={epochs}",
        "train.early_stopping=false",
        f"hydra.run.dir={run_dir}",
        *extra,
    ]


def one_variant(name: str, folder: Path, arrays: Path, size: tuple, tag: str) -> dict:
    """One measured run of a variant: wall, CPU and, for the tool, timing.json and ROC-AUCs."""
    rows, length, epochs = size
    if name.startswith("bare_keras"):
        tuned = ["100", "0", str(TUNED_STEPS)] if name == "bare_keras_tuned" else []
        wall, cpu = run_measured(
            [sys.executable, str(BARE_KERAS), str(arrays), str(epochs), *tuned], folder
        )
        return {"wall_seconds": wall, "cpu_seconds": cpu}
    run_dir = folder / f"{name}_{tag}"
    extra = ["evaluate.reference=[]"] if name == "no_references" else []
    wall, cpu = run_measured(tool_command(rows, length, epochs, run_dir, extra), folder)
    timing = json.loads((run_dir / "timing.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    models = metrics.get("reference", {}).get("models", {})
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "timing": {key: timing[key] for key in TIMING},
        "cpu_timing": timing["cpu_seconds"]
        | {"before_run_seconds": timing["cpu_before_run_seconds"]},
        "reference_models": timing["reference_models"],
        "test_roc_auc": {"cnn": metrics["test"]["roc_auc"]}
        | {model: values["test"]["roc_auc"] for model, values in models.items()},
    }


def median_of(runs: list[dict], key: str) -> float:
    """The median of one measured key over the repeats."""
    return statistics.median(run[key] for run in runs)


def overhead(folder: Path, rows: int, length: int, epochs: int, repeats: int) -> dict:
    """The tool's default run (with and without reference models) vs the bare Keras script:
    fresh subprocesses, the order rotated each repeat, medians and their ratios."""
    arrays = make_arrays(folder, rows, length)
    variants = ["bare_keras", "default", "no_references", "bare_keras_tuned"]
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for repeat in range(repeats):
        turn = repeat % len(variants)
        order = variants[turn:] + variants[:turn]
        for name in order:
            runs[name].append(
                one_variant(name, folder, arrays, (rows, length, epochs), str(repeat))
            )
    medians = {
        name: {key: median_of(done, key) for key in ("cpu_seconds", "wall_seconds")}
        for name, done in runs.items()
    }
    bare = medians["bare_keras"]
    return {
        "rows": rows,
        "length": length,
        "epochs": epochs,
        "repeats": repeats,
        "cpu_count": os.cpu_count(),
        "target_cpu_ratio": TARGET_CPU_RATIO,
        "medians": medians,
        "cpu_ratio": {
            name: medians[name]["cpu_seconds"] / bare["cpu_seconds"] for name in variants[1:]
        },
        # the same against the bare script at train.steps_per_execution's 32 batches a call
        "cpu_ratio_vs_tuned_bare": {
            name: medians[name]["cpu_seconds"] / medians["bare_keras_tuned"]["cpu_seconds"]
            for name in variants[1:3]
        },
        "cpu_ratio_per_repeat": {  # each repeat's own ratio against its bare script run
            name: [
                run["cpu_seconds"] / bare_run["cpu_seconds"]
                for run, bare_run in zip(runs[name], runs["bare_keras"], strict=True)
            ]
            for name in variants[1:3]
        },
        "wall_ratio": {
            name: medians[name]["wall_seconds"] / bare["wall_seconds"] for name in variants[1:]
        },
        "median_timing": {
            name: {key: statistics.median(r["timing"][key] for r in runs[name]) for key in TIMING}
            for name in variants[1:3]
        },
        "median_cpu_timing": {  # where the tool's CPU goes, step by step (timing.json)
            name: {
                key: statistics.median(r["cpu_timing"][key] for r in runs[name])
                for key in runs[name][0]["cpu_timing"]
            }
            for name in variants[1:3]
        },
        "runs": runs,
    }


def scaling(folder: Path, epochs: int) -> dict:
    """Sweeps of K thresholds in one process: seconds per job beyond the first."""
    thresholds = ["100", "100,300", "100,300,1000,2000"]
    seconds = {}
    for values in thresholds:
        k = len(values.split(","))
        seconds[k] = timed(
            [
                sys.executable,
                "-m",
                "threshold_sweep",
                "-m",
                f"label.threshold={values}",
                f"train.epochs={epochs}",
                "train.early_stopping=false",
                f"hydra.sweep.dir=k{k}",
            ],
            folder,
        )
    per_extra_job = (seconds[4] - seconds[1]) / 3
    return {
        "sweep_seconds": {str(k): round(v, 2) for k, v in seconds.items()},
        "seconds_per_extra_job": round(per_extra_job, 2),
        "first_job_seconds": round(seconds[1], 2),
    }


def threads(folder: Path, epochs: int) -> dict:
    """Two jobs at once with one thread each (joblib) vs one job at a time with two threads."""
    common = [
        "-m",
        "label.threshold=100,1000",
        f"train.epochs={epochs}",
        "train.early_stopping=false",
        "data.n_samples=8000",
    ]
    parallel = timed(
        [
            sys.executable,
            "-m",
            "threshold_sweep",
            *common,
            "hydra/launcher=local_parallel",
            "hydra.launcher.n_jobs=2",
            "train.threads=1",
            "hydra.sweep.dir=t_parallel",
        ],
        folder,
    )
    serial = timed(
        [
            sys.executable,
            "-m",
            "threshold_sweep",
            *common,
            "train.threads=2",
            "hydra.sweep.dir=t_serial",
        ],
        folder,
    )
    return {
        "two_jobs_x_one_thread_s": round(parallel, 2),
        "one_job_x_two_threads_s": round(serial, 2),
        "ratio_parallel_over_serial": round(parallel / serial, 2),
    }


def startup(folder: Path) -> dict:
    """Commands that need no model: wall time and whether TensorFlow was imported."""
    sweep = folder / "k2"
    commands = {
        "--help": [sys.executable, "-X", "importtime", "-m", "threshold_sweep", "--help"],
        "--cfg job": [sys.executable, "-X", "importtime", "-m", "threshold_sweep", "--cfg", "job"],
        "report": [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "threshold_sweep.cli.report",
            str(sweep),
        ],
    }
    out = {}
    for name, command in commands.items():
        start = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=ENV, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        imported = any(
            line.split("|")[-1].strip() in ("tensorflow", "keras")
            for line in done.stderr.splitlines()
            if line.startswith("import time")
        )
        out[name] = {
            "seconds": round(seconds, 2),
            "imports_tensorflow": imported,
            "target_seconds": 1.5,
        }
    return out


def main() -> None:
    """Run the chosen benchmarks, print a table and save results/runner.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", nargs="+", default=["overhead", "scaling", "threads", "startup"])
    args = parser.parse_args()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "overhead" in args.parts:
            result["overhead"] = overhead(folder, args.rows, args.length, args.epochs, args.repeats)
        if "scaling" in args.parts or "startup" in args.parts:
            result["scaling"] = scaling(folder, 2)  # startup's report reads its sweep
        if "threads" in args.parts:
            result["threads"] = threads(folder, 6)
        if "startup" in args.parts:
            result["startup"] = startup(folder)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "runner.json"
    kept = json.loads(path.read_text()) if path.exists() else {}  # the parts not run now
    path.write_text(json.dumps(kept | result, indent=2) + "\n")
    shown = {key: value for key, value in result.get("overhead", {}).items() if key != "runs"}
    print(json.dumps({**result, "overhead": shown}, indent=2))


if __name__ == "__main__":
    main()
