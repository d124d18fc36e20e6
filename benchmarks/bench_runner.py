"""Benchmarks of the runner against bare Keras and of the commands that need no model.

1. overhead: one full `threshold-sweep` run (load, split, sample, train a fixed number of
   epochs without early stopping, evaluate with CIs, plots, report) vs a bare Keras script
   that trains the same model on the same arrays for the same epochs and predicts once.
2. scaling: K = 1, 2, 4 thresholds in one process; the cost beyond training per extra job.
3. threads: 2 jobs x 1 thread (joblib) vs 1 job x 2 threads (basic launcher) on 2 cores.
4. startup: `--help`, `--cfg job` and `threshold-sweep-report` wall time, and whether
   TensorFlow was imported (python -X importtime).

Every comparison runs its baseline in the same invocation; the ratios are what carry over.
Writes results/runner.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

BARE_KERAS = """
import sys, numpy as np, keras
from keras import layers
data = np.load(sys.argv[1])
X, x = data["X"][:, :, None].astype("float32"), data["x"]
y = (x > 100).astype("float32")
rng = np.random.default_rng(0); order = rng.permutation(len(y))
n_test = n_val = int(0.15 * len(y))
test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
mean, scale = X[train].mean(0), X[train].std(0) + 1e-12
X = (X - mean) / scale
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=X.shape[1:])
h = inputs
for f in (16, 32):
    h = layers.Conv1D(f, 5, padding="same", activation="relu")(h)
    h = layers.MaxPooling1D(2)(h)
h = layers.Flatten()(h)
h = layers.Dropout(0.2)(h)
h = layers.Dense(32, activation="relu")(h)
model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(h))
model.compile(optimizer=keras.optimizers.Adam(0.003), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc")])
model.fit(X[train], y[train], validation_data=(X[val], y[val]), epochs=int(sys.argv[2]),
          batch_size=64, verbose=0)
model.predict(X[test], batch_size=1024, verbose=0)
"""


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


def make_arrays(folder: Path, rows: int, length: int) -> Path:
    """An .npz of the embedded synthetic data, so both sides read the same arrays."""
    from types import SimpleNamespace

    from threshold_sweep.data.synthetic import generate

    data = generate(
        SimpleNamespace(
            n_samples=rows,
            length=length,
            channels=1,
            log10_mean=2.11,
            log10_sd=0.63,
            signal_noise=0.5,
            noise=0.5,
            seed=0,
        )
    )
    path = folder / "data.npz"
    np.savez(path, X=data.X[:, :, 0], x=data.x)
    return path


def overhead(folder: Path, rows: int, length: int, epochs_list: list[int], repeats: int) -> dict:
    """Full runner vs bare Keras on the same arrays, same epochs, no early stopping.

    Each side runs `repeats` times, alternating; the fastest of each is compared (the VM's
    noise only ever adds time). The extra seconds are the runner's fixed cost.
    """
    path = make_arrays(folder, rows, length)
    script = folder / "bare_keras.py"
    script.write_text(BARE_KERAS)
    measured = []
    for epochs in epochs_list:
        bare_runs, runner_runs = [], []
        for repeat in range(repeats):
            bare_runs.append(
                run_measured([sys.executable, str(script), str(path), str(epochs)], folder)
            )
            run_dir = f"run_{epochs}_{repeat}"
            runner_runs.append(
                run_measured(
                    [
                        sys.executable,
                        "-m",
                        "threshold_sweep",
                        "data=arrays",
                        f"data.path={path}",
                        f"train.epochs={epochs}",
                        "train.early_stopping=false",
                        "train.threads=0",
                        "sampling=none",
                        f"hydra.run.dir={run_dir}",
                    ],
                    folder,
                )
            )
        stages = json.loads((folder / run_dir / "timing.json").read_text())
        bare_times, runner_times = [w for w, _ in bare_runs], [w for w, _ in runner_runs]
        bare, runner = min(bare_times), min(runner_times)
        bare_cpu, runner_cpu = min(c for _, c in bare_runs), min(c for _, c in runner_runs)
        measured.append(
            {
                "epochs": epochs,
                "bare_keras_s": round(bare, 2),
                "threshold_sweep_s": round(runner, 2),
                "ratio": round(runner / bare, 3),
                "extra_seconds": round(runner - bare, 2),
                "bare_keras_cpu_s": round(bare_cpu, 2),
                "threshold_sweep_cpu_s": round(runner_cpu, 2),
                "cpu_ratio": round(runner_cpu / bare_cpu, 3),
                "extra_cpu_seconds": round(runner_cpu - bare_cpu, 2),
                "runner_evaluate_report_s": round(stages["evaluate_report_seconds"], 2),
                "all_bare_s": [round(t, 2) for t in bare_times],
                "all_runner_s": [round(t, 2) for t in runner_times],
            }
        )
    return {
        "rows": rows,
        "length": length,
        "target_ratio": 1.05,
        "by_epochs": measured,
        "extrapolated": break_even(measured, 1.05),
    }


def break_even(measured: list[dict], target: float) -> dict | None:
    """Epochs from which the runner's fixed cost stays within `target`, from two measured points.

    Bare Keras time is a line in the epochs (start-up plus seconds per epoch); the runner adds
    a fixed cost (the largest extra measured), so the ratio reaches `target` once the bare run
    takes extra / (target - 1) seconds.
    """
    if len(measured) < 2:
        return None
    first, last = measured[0], measured[-1]
    per_epoch = (last["bare_keras_s"] - first["bare_keras_s"]) / (last["epochs"] - first["epochs"])
    if per_epoch <= 0:
        return None
    extra = max(point["extra_seconds"] for point in measured)
    bare_needed = extra / (target - 1)
    epochs = first["epochs"] + (bare_needed - first["bare_keras_s"]) / per_epoch
    return {
        "fixed_cost_seconds": round(extra, 2),
        "bare_seconds_per_epoch": round(per_epoch, 2),
        "bare_seconds_needed": round(bare_needed, 1),
        "epochs_for_target": max(first["epochs"], int(np.ceil(epochs))),
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
    parser.add_argument("--epochs", type=int, nargs="+", default=[3, 15])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result = {
            "overhead": overhead(folder, args.rows, args.length, args.epochs, args.repeats),
            "scaling": scaling(folder, 2),
            "threads": threads(folder, 6),
            "startup": startup(folder),
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "runner.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
