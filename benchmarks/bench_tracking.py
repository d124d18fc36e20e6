"""The cost of tracking=mlflow per job: the same run with and without an MLflow child run.

In one process (TensorFlow and MLflow imported once, as in a worker that runs several jobs),
alternating untracked and tracked runs of the default experiment (4,000 x 64, up to 15 epochs):
wall and CPU seconds per job, and the one-off cost of importing MLflow in a fresh process.
Writes results/tracking.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def one_job(cfg, out_dir: Path, tracked: bool, cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds of one run (with its MLflow run when `tracked`)."""
    from omegaconf import open_dict

    from threshold_sweep.pipeline.runner import run_experiment
    from threshold_sweep.tracking.job import job_run

    with open_dict(cfg):
        cfg.tracking.backend = "mlflow" if tracked else "none"
    wall, cpu = time.perf_counter(), time.process_time()
    with job_run(cfg, out_dir, None, cwd) as tracker:
        result = run_experiment(cfg, out_dir, keras_callbacks=tracker.keras_callbacks)
        tracker.log_result(result, out_dir)
    return time.perf_counter() - wall, time.process_time() - cpu


def import_seconds() -> float:
    """Wall seconds to import mlflow and mlflow.keras in a fresh interpreter (Keras included)."""
    code = "import time, keras; t = time.perf_counter(); import mlflow, mlflow.keras; "
    code += "print(time.perf_counter() - t)"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Alternate untracked and tracked jobs; print and save the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from conftest import compose_config

    cfg = compose_config("train.threads=1", "train.verbose=0")
    times: dict[str, list[tuple[float, float]]] = {"untracked": [], "tracked": []}
    with tempfile.TemporaryDirectory() as tmp:
        one_job(cfg, Path(tmp) / "warmup", True, tmp)  # imports TensorFlow and MLflow
        for repeat in range(args.repeats):
            for mode in ("untracked", "tracked"):
                folder = Path(tmp) / f"{mode}{repeat}"
                times[mode].append(one_job(cfg, folder, mode == "tracked", tmp))
    medians = {
        mode: {
            "wall_seconds": statistics.median(t[0] for t in runs),
            "cpu_seconds": statistics.median(t[1] for t in runs),
        }
        for mode, runs in times.items()
    }
    result = {
        "job": "default experiment, train.threads=1",
        "repeats": args.repeats,
        **medians,
        "extra_wall_seconds_per_job": medians["tracked"]["wall_seconds"]
        - medians["untracked"]["wall_seconds"],
        "extra_cpu_seconds_per_job": medians["tracked"]["cpu_seconds"]
        - medians["untracked"]["cpu_seconds"],
        "mlflow_import_seconds_per_process": import_seconds(),
        "all_runs": times,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tracking.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "all_runs"}, indent=2))


if __name__ == "__main__":
    main()
