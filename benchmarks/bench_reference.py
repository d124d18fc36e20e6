"""What the reference models cost: their share of a default run's time on 20,000 x 128 rows.

One `threshold-sweep` run with the default settings (early stopping on) on synthetic data of
20,000 sequences of 128 steps; timing.json splits its wall time into prepare, train (the CNN),
reference (logistic regression + gradient-boosted trees, fitted and scored) and
evaluate/report, and metrics.json records the CPU seconds of each reference model. The
shares of wall and CPU time are what carry over to other machines (CPU time is the steadier
on a shared machine); the target is under 10%. Writes results/reference.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def timed_run(rows: int, length: int, folder: Path) -> dict[str, float]:
    """One default run on `rows` x `length` synthetic rows; its timing.json and metrics."""
    command = [
        sys.executable,
        "-m",
        "threshold_sweep",
        f"data.n_samples={rows}",
        f"data.length={length}",
        f"hydra.run.dir={folder}",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True, env=os.environ)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    timing = json.loads((folder / "timing.json").read_text())
    result = json.loads((folder / "metrics.json").read_text())
    models = result["reference"]["models"]
    reference_cpu = float("nan")  # metrics.json holds no timings (it is byte-reproducible)
    return {
        **timing,
        "reference_share_of_wall_time": timing["reference_seconds"] / timing["total_seconds"],
        "run_cpu_seconds": run_cpu,
        "reference_cpu_seconds": reference_cpu,
        "reference_share_of_cpu_time": reference_cpu / run_cpu,
        "test_roc_auc": {"cnn": result["test"]["roc_auc"]}
        | {name: model["test"]["roc_auc"] for name, model in models.items()},
    }


def main() -> None:
    """Run the benchmark and write results/reference.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=128)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measured = timed_run(args.rows, args.length, Path(tmp) / "run")
    out = {"rows": args.rows, "length": args.length, "cpu_count": os.cpu_count(), **measured}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reference.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
