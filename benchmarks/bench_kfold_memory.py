"""Peak memory of a 5-fold run against a single-split run on 1,000,000 x 128 synthetic rows.

A k-fold run loads and labels the data once and indexes it per fold; this measures the peak
resident memory (ru_maxrss of the run's process) and the wall time of `split=kfold` against
the default split on the same data, with one training epoch and no reference models (what
is measured is the data handling, not the training). Writes results/kfold_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def measured_run(rows: int, length: int, folder: Path, split: str) -> dict[str, float]:
    """Peak memory (MiB) and wall seconds of one run in its own process."""
    command = [
        sys.executable,
        "-c",
        "import resource, runpy, sys; sys.argv = ['threshold-sweep', *sys.argv[1:]];"
        "code = 0\n"
        "try:\n    runpy.run_module('threshold_sweep', run_name='__main__')\n"
        "except SystemExit as e:\n    code = e.code or 0\n"
        "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)\n"
        "sys.exit(code)",
        f"data.n_samples={rows}",
        f"data.length={length}",
        f"split={split}",
        "train.epochs=1",
        "evaluate.reference=[]",
        f"hydra.run.dir={folder}",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ)
    seconds = time.perf_counter() - started
    kib = int(
        next(line for line in done.stdout.splitlines() if line.startswith("MAXRSS")).split()[1]
    )
    return {"peak_mib": kib / 1024, "wall_seconds": seconds}


def main() -> None:
    """Run both and write results/kfold_memory.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--length", type=int, default=128)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        single = measured_run(args.rows, args.length, Path(tmp) / "single", "default")
        kfold = measured_run(args.rows, args.length, Path(tmp) / "kfold", "kfold")
    out = {
        "rows": args.rows,
        "length": args.length,
        "single_split": single,
        "kfold_5": kfold,
        "peak_memory_ratio": kfold["peak_mib"] / single["peak_mib"],
        "wall_time_ratio": kfold["wall_seconds"] / single["wall_seconds"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "kfold_memory.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
