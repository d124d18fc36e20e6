"""Benchmark: the data module at scale against a bare read of the same file.

1,000,000 x 128 float32 sequences as .npz and as Parquet: wall time and peak RSS of
`load_dataset` (validation included) vs a bare `np.load` / `pd.read_parquet` in a fresh process
each. Then 10,000,000 rows of one feature through labels, split and undersampling.
Writes results/data.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"

# VmHWM (peak resident set of this process image); ru_maxrss would include the parent's
# high-water mark, which Linux carries across fork + exec.
CHILD = """
import sys, time
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM:"))
print(seconds, peak_kb * 1024)
"""
BARE_NPZ = "import numpy as np\nd = np.load(sys.argv[1]); X = d['X']; x = d['x']"
BARE_PARQUET = "import pandas as pd\nframe = pd.read_parquet(sys.argv[1])"
OURS = """
from omegaconf import OmegaConf
from threshold_sweep.data import load_dataset
source = 'arrays' if sys.argv[1].endswith('.npz') else 'table'
cfg = dict(source=source, path=sys.argv[1], on_missing='error')
cfg.update(dict(sequences_key='X', target_key='x', id_key=None) if source == 'arrays'
           else dict(target='x', features=None, id=None))
data = load_dataset(OmegaConf.create(cfg))
"""
BASELINE = "import numpy, pandas, omegaconf, threshold_sweep.data"  # imports, not counted


def child(body: str, path: Path) -> tuple[float, int]:
    """(seconds, peak RSS bytes) of `body` in a fresh interpreter, imports included in RSS."""
    code = CHILD.format(body=body)
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    seconds, rss = done.stdout.split()[-2:]
    return float(seconds), int(rss)


def imports_rss(path: Path) -> int:
    """Peak RSS of the interpreter with the libraries imported and nothing loaded."""
    return child(BASELINE, path)[1]


def large_file(folder: Path, rows: int, length: int, kind: str) -> Path:
    """rows x length float32 sequences plus a target, as .npz or Parquet."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, length), dtype=np.float32)
    x = 10 ** rng.normal(2.11, 0.63, rows)
    if kind == "npz":
        path = folder / "big.npz"
        np.savez(path, X=X, x=x)
    else:
        path = folder / "big.parquet"
        frame = pd.DataFrame(X, columns=[f"s{i}" for i in range(length)])
        frame["x"] = x
        frame.to_parquet(path)
    return path


def label_split_sampling(rows: int) -> dict:
    """Seconds for labels, the stratified split and undersampling of `rows` single values."""
    from types import SimpleNamespace

    from threshold_sweep.prepare.labels import make_labels
    from threshold_sweep.prepare.sampling import sample_training_rows
    from threshold_sweep.prepare.split import split_rows

    x = 10 ** np.random.default_rng(1).normal(2.11, 0.63, rows)
    start = time.perf_counter()
    y = make_labels(x, 1000.0)
    split = split_rows(
        x, SimpleNamespace(validation_fraction=0.15, test_fraction=0.15, n_bins=10, seed=0)
    )
    sample_training_rows(split.train, y, "undersample", 0)
    return {"rows": rows, "seconds": round(time.perf_counter() - start, 2)}


def main() -> None:
    """Measure both formats and the 10M-row path; print and save results/data.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--split-rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs per side, alternating")
    args = parser.parse_args()
    array_mb = args.rows * args.length * 4 / 1e6
    result: dict = {"rows": args.rows, "length": args.length, "array_mb": round(array_mb)}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, bare in (("npz", BARE_NPZ), ("parquet", BARE_PARQUET)):
            path = large_file(Path(tmp), args.rows, args.length, kind)
            base = imports_rss(path)
            bare_runs, our_runs = [], []
            for _ in range(args.repeats):  # alternating; the fastest of each, the largest peak
                bare_runs.append(child(bare, path))
                our_runs.append(child(OURS, path))
            bare_s, bare_rss = min(t for t, _ in bare_runs), max(r for _, r in bare_runs)
            ours_s, ours_rss = min(t for t, _ in our_runs), max(r for _, r in our_runs)
            result[kind] = {
                "bare_seconds": round(bare_s, 2),
                "load_dataset_seconds": round(ours_s, 2),
                "time_ratio": round(ours_s / bare_s, 2),
                "all_bare_seconds": [round(t, 2) for t, _ in bare_runs],
                "all_load_dataset_seconds": [round(t, 2) for t, _ in our_runs],
                "bare_peak_mb_above_imports": round((bare_rss - base) / 1e6),
                "load_dataset_peak_mb_above_imports": round((ours_rss - base) / 1e6),
                "peak_over_array": round((ours_rss - base) / 1e6 / array_mb, 2),
                "targets": "time_ratio <= 2, peak_over_array <= 1.5",
            }
            path.unlink()
    result["label_split_sampling"] = label_split_sampling(args.split_rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "data.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
