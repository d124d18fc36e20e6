"""What the reference models cost: how much longer a default run on 20,000 x 128 rows takes
with them than without them (`evaluate.reference=[]`), measured in the same benchmark run.

Runs of the default settings (early stopping on) on synthetic data of 20,000 sequences of 128
steps, alternating with and without the reference models, `--repeats` times each. The
reference models (logistic regression, gradient-boosted trees, MiniRocket) fit in a background
thread while the CNN trains, so their cost is the run time they add (wall and CPU, medians of
the repeats), not their own fit time; timing.json also records each model's own wall and CPU
seconds, and `minirocket_share` compares MiniRocket's own fit with the CNN's training in the
same runs. The target is under 10 % of the run's time. Writes results/reference.json.
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

RESULTS = Path(__file__).parent / "results"


def timed_run(rows: int, length: int, folder: Path, references: bool) -> dict:
    """One default run on `rows` x `length` synthetic rows: wall, CPU, timing.json, ROC-AUCs."""
    command = [
        sys.executable,
        "-m",
        "threshold_sweep",
        f"data.n_samples={rows}",
        f"data.length={length}",
        f"hydra.run.dir={folder}",
        *([] if references else ["evaluate.reference=[]"]),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=os.environ)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = json.loads((folder / "metrics.json").read_text())
    models = result.get("reference", {}).get("models", {})
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "timing": json.loads((folder / "timing.json").read_text()),
        "test_roc_auc": {"cnn": result["test"]["roc_auc"]}
        | {name: model["test"]["roc_auc"] for name, model in models.items()},
    }


def added_share(with_refs: list[dict], without: list[dict], key: str) -> float:
    """How much longer (median) the runs with reference models took, as a share of them."""
    slower = statistics.median(run[key] for run in with_refs)
    return 1 - statistics.median(run[key] for run in without) / slower


def model_share(runs: list[dict], name: str) -> dict | None:
    """A reference model's own wall and CPU seconds (medians) beside the CNN's training."""
    mine = [run["timing"]["reference_models"].get(name) for run in runs]
    if not all(mine):
        return None
    train = statistics.median(run["timing"]["train_seconds"] for run in runs)
    wall = statistics.median(model["seconds"] for model in mine)
    return {
        "wall_seconds": wall,
        "cpu_seconds": statistics.median(model["cpu_seconds"] for model in mine),
        "cnn_train_seconds": train,
        "wall_share_of_cnn_training": wall / train,
    }


def main() -> None:
    """Run the benchmark and write results/reference.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"with": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for kind in runs:
                folder = Path(tmp) / f"{kind}{repeat}"
                runs[kind].append(timed_run(args.rows, args.length, folder, kind == "with"))
    per_model = runs["with"][-1]["timing"]["reference_models"]
    out = {
        "rows": args.rows,
        "length": args.length,
        "cpu_count": os.cpu_count(),
        "repeats": args.repeats,
        "added_share_of_wall_time": added_share(runs["with"], runs["without"], "wall_seconds"),
        "added_share_of_cpu_time": added_share(runs["with"], runs["without"], "cpu_seconds"),
        "median_wall_seconds": {
            kind: statistics.median(run["wall_seconds"] for run in done)
            for kind, done in runs.items()
        },
        "median_cpu_seconds": {
            kind: statistics.median(run["cpu_seconds"] for run in done)
            for kind, done in runs.items()
        },
        "reference_models_own_seconds": per_model,
        "minirocket_share": model_share(runs["with"], "minirocket"),
        "test_roc_auc": runs["with"][-1]["test_roc_auc"],
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reference.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({key: value for key, value in out.items() if key != "runs"}, indent=2))


if __name__ == "__main__":
    main()
