"""Benchmark: which `model=` should be the default? cnn1d, FCN and ResNet with global average
pooling and with flatten (and cnn1d with avg_max), through the real command line on five kinds
of data.

Per kind of data three sweeps (the same split, undersampling, early stopping, evaluation and
bootstrap CIs as any sweep; train.threads=1; seed 0, so the same test rows for every run):
- `-m model=cnn1d model.global_pool=avg,avg_max,flatten train.seed=0,1,2`;
- `-m model=fcn,resnet model.global_pool=avg,flatten`, both with the train defaults (15 epochs
  at most, early stopping with patience 4, Adam 0.003);
- `-m model=fcn,resnet model.global_pool=avg train.learning_rate=0.001 train.epochs=40
  train.patience=10` ("long"): the paper's learning rate and a longer budget (the paper
  trained for 1500-2000 epochs).
From each run: test ROC-AUC and balanced accuracy with their 95% CIs (metrics.json), train wall
seconds (timing.json) and train CPU seconds (process time around the fit, steadier than wall
time on a shared machine; TensorFlow and the evaluation modules are imported before the sweep,
so that no job pays for them), and the paired bootstrap difference in test ROC-AUC against
cnn1d with average pooling on the same test rows (of the same training seed). A logistic
regression on the same (undersampled) training rows is the non-CNN reference.

The data (n rows x length steps):
- position: a Gaussian bump of constant height whose position moves with log10(x), in white
  noise; where the pattern is, not what it is, carries x (1000 x 100);
- synthetic: the default data=synthetic, whose shape carries log10(x) (1000 x 64);
- diabetes: scikit-learn's bundled diabetes table through data=table, its 10 columns as the
  sequence, disease progression above its median (442 x 10);
- digits: scikit-learn's bundled 8x8 digits, 64 pixels as the sequence, digit > 4 (1797 x 64);
- italy_power: UCR ItalyPowerDemand (24 hourly loads; class 2 = October to March), its train
  and test files pooled and split by the tool (1096 x 24), read from the data files of the
  aeon package when they are found (`--aeon-data`, or aeon installed), else skipped.

Writes results/architectures.json (after each kind of data). About 30 minutes on 2 busy
cores; --quick for a smoke run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
SEEDS = (0, 1, 2)  # training seeds of the cnn1d runs (same split and test rows)
LONG = ("train.learning_rate=0.001", "train.epochs=40", "train.patience=10")


@dataclass(frozen=True)
class Sweep:
    """One sweep of a kind of data: its folder name, models, poolings, seeds, extra overrides."""

    name: str
    models: tuple[str, ...]
    pools: tuple[str, ...]
    seeds: tuple[int, ...] = (0,)
    extra: tuple[str, ...] = ()

    def variants(self) -> list[tuple[str, str, int]]:
        """(model, pool, train seed) of each of its runs."""
        return [(m, p, s) for m in self.models for p in self.pools for s in self.seeds]

    def label(self, model: str, pool: str) -> str:
        """The name of a variant in the results, e.g. fcn/avg or fcn/avg/long."""
        return f"{model}/{pool}" + ("/long" if self.extra else "")


SWEEPS = (
    Sweep("cnn1d", ("cnn1d",), ("avg", "avg_max", "flatten"), SEEDS),
    Sweep("fcn-resnet", ("fcn", "resnet"), ("avg", "flatten")),
    Sweep("fcn-resnet-long", ("fcn", "resnet"), ("avg",), extra=LONG),
)
BASELINE = "cnn1d/avg"
SETTINGS = ("train.threads=1", "seed=0")
# The sweep, started after TensorFlow and the evaluation modules are imported (the first job
# would pay for them), with the CPU seconds of each fit appended to $CPU_LOG.
SWEEP = """
import json, os, sys, time
from threshold_sweep.model.runtime import import_tensorflow
import_tensorflow()
import threshold_sweep.evaluate.assess, threshold_sweep.report.run_page
import threshold_sweep.pipeline.stages as stages
fit = stages.train_run_model
def timed_fit(model_cfg, train_cfg, data, out_dir, callbacks):
    start = time.process_time()
    trained = fit(model_cfg, train_cfg, data, out_dir, callbacks)
    with open(os.environ["CPU_LOG"], "a") as log:
        log.write(json.dumps({"run": str(out_dir), "cpu": time.process_time() - start}) + "\\n")
    return trained
stages.train_run_model = timed_fit
from threshold_sweep.cli.interrupt import main
sys.argv = ["threshold-sweep", *sys.argv[1:]]
main()
"""


def position_data(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A bump of height 1 (width 3 steps) at a position set by log10(x), plus noise."""
    rng = np.random.default_rng(seed)
    log_x = rng.normal(2.11, 0.63, n)  # as data=synthetic: x > 100 for about 57% of rows
    latent = log_x + rng.normal(0, 0.15, n)  # keeps ROC-AUC below 1
    centre = length * (0.5 + 0.3 * np.tanh((latent - 2.11) / 0.63))  # 20% .. 80% of the length
    steps = np.arange(length)
    bump = np.exp(-0.5 * ((steps[None, :] - centre[:, None]) / 3.0) ** 2)
    return (bump + rng.normal(0, 0.5, (n, length))).astype(np.float32), 10**log_x


def synthetic_rows(n: int) -> Any:
    """The rows data=synthetic data.n_samples=n gives with seed 0 (its other keys default)."""
    from threshold_sweep.conf.schema import SyntheticDataConfig
    from threshold_sweep.data import synthetic_data

    keys = vars(SyntheticDataConfig()) | {"n_samples": n, "seed": 0}
    return synthetic_data(**{k: v for k, v in keys.items() if k not in ("_target_", "source")})


def read_ts(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A univariate, equal-length .ts file (UCR/aeon format): sequences and numeric labels."""
    rows, labels, in_data = [], [], False
    for line in path.read_text().splitlines():
        if in_data and line.strip():
            values, label = line.rsplit(":", 1)
            rows.append([float(v) for v in values.split(",")])
            labels.append(float(label))
        in_data = in_data or line.strip().lower() == "@data"
    return np.array(rows, dtype=np.float32), np.array(labels)


def aeon_data_dir(given: str | None) -> Path | None:
    """aeon's bundled data folder: --aeon-data, or that of an installed aeon (not imported)."""
    if given:
        return Path(given)
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def kinds(folder: Path, quick: bool, aeon: Path | None) -> dict[str, dict[str, Any]]:
    """Each kind of data: its arrays (for the reference model) and the CLI data overrides."""
    from sklearn.datasets import load_diabetes, load_digits

    scale = 4 if quick else 1
    out: dict[str, dict[str, Any]] = {}

    def add(name: str, X: np.ndarray, threshold: float, data: list[str], note: str) -> None:
        out[name] = {"X": X, "threshold": threshold, "data": data, "note": note}

    def arrays(name: str, X: np.ndarray, x: np.ndarray, threshold: float, note: str) -> None:
        path = folder / f"{name}.npz"
        np.savez(path, X=X, x=x, id=np.arange(len(x)))  # ids: row numbers
        add(name, X, threshold, ["data=arrays", f"data.path={path}", "data.id_key=id"], note)

    arrays("position", *position_data(1000 // scale, 100, 0), 100.0, "bump position ~ log10(x)")
    synthetic = synthetic_rows(1000 // scale)
    assert (synthetic.ids == np.arange(len(synthetic))).all()
    data = ["data=synthetic", f"data.n_samples={len(synthetic)}"]
    add("synthetic", synthetic.X[:, :, 0], 100.0, data, "default data=synthetic")
    diabetes = load_diabetes(as_frame=True).frame
    features = [c for c in diabetes.columns if c != "target"]
    csv = folder / "diabetes.csv"
    diabetes.rename_axis("id").reset_index().to_csv(csv, index=False)  # ids: row numbers
    data = ["data=table", f"data.path={csv}", "data.target=target", "data.id=id"]
    median = float(diabetes["target"].median())
    add("diabetes", diabetes[features].to_numpy(np.float32), median, data, "target > median")
    digits = load_digits()
    arrays("digits", digits.data.astype(np.float32), digits.target.astype(float), 4.5, "digit > 4")
    if aeon and (aeon / "ItalyPowerDemand").is_dir():
        folder_ts = aeon / "ItalyPowerDemand"
        parts = [read_ts(folder_ts / f"ItalyPowerDemand_{s}.ts") for s in ("TRAIN", "TEST")]
        X, labels = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        arrays("italy_power", X, labels, 1.5, "UCR ItalyPowerDemand, class 2 vs 1")
    return out


def run_sweep(
    sweep_dir: Path, sweep: Sweep, data: list[str], threshold: float, quick: bool
) -> float:
    """One sweep over some models, poolings and seeds; returns its wall seconds."""
    extra = [*sweep.extra, "train.epochs=2"] if quick else list(sweep.extra)
    args = [
        "-m",
        f"model={','.join(sweep.models)}",
        f"model.global_pool={','.join(sweep.pools)}",
        f"train.seed={','.join(map(str, sweep.seeds))}",
        *data,
        *extra,
        f"label.threshold={threshold}",
        *SETTINGS,
        f"hydra.sweep.dir={sweep_dir}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CPU_LOG": str(sweep_dir / "cpu.jsonl")}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", SWEEP, *args], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"sweep failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def cpu_seconds(sweep_dirs: list[Path]) -> dict[str, float]:
    """Run folder -> CPU seconds of its fit, from the sweeps' cpu.jsonl."""
    lines = [line for d in sweep_dirs for line in (d / "cpu.jsonl").read_text().splitlines()]
    return {Path(row["run"]).resolve().as_posix(): row["cpu"] for row in map(json.loads, lines)}


def job_folder(sweep_dir: Path, model: str, pool: str, seed: int) -> Path:
    """The job folder of one model, pooling and seed (by its .hydra/overrides.yaml)."""
    wanted = {f"model={model}", f"model.global_pool={pool}", f"train.seed={seed}"}
    (folder,) = [
        path.parents[1]
        for path in sweep_dir.glob("*/.hydra/overrides.yaml")
        if wanted <= {line.removeprefix("- ").strip() for line in path.read_text().splitlines()}
    ]
    return folder


def paired_auc(base: Path, other: Path) -> dict[str, float]:
    """other - base in test ROC-AUC on the same rows, paired bootstrap CI (the sweep's own)."""
    from threshold_sweep.sweep.stats import paired_comparisons

    table = pd.DataFrame({"run": [str(base), str(other)], "variant": ["base", "other"]})
    rows = paired_comparisons(Path("/"), table, ["variant"])
    row = rows[rows["metric"] == "roc_auc"].iloc[0]
    return {k: round(float(row[k]), 3) for k in ("difference", "ci_low", "ci_high")}


def run_numbers(folder: Path) -> dict[str, Any]:
    """Test ROC-AUC and balanced accuracy with CIs, train seconds and epochs of one run."""
    metrics = json.loads((folder / "metrics.json").read_text())
    timing = json.loads((folder / "timing.json").read_text())
    ci = metrics["ci"]["test"]
    numbers: dict[str, Any] = {}
    for metric in ("roc_auc", "balanced_accuracy"):
        numbers[metric] = round(metrics["test"][metric], 3)
        numbers[f"{metric}_ci"] = [round(v, 3) for v in ci[metric]]
    numbers["train_wall_seconds"] = round(timing["train_seconds"], 1)
    numbers["epochs_run"] = metrics["training"]["epochs_run"]
    numbers["test_rows"] = metrics["test"]["n"]
    return numbers


def logistic_reference(kind: dict[str, Any], folder: Path) -> float:
    """Test ROC-AUC of a standardized logistic regression on the run's own training rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = pd.read_csv(folder / "predictions_train.csv")
    test = pd.read_csv(folder / "predictions.csv")
    X = kind["X"].reshape(len(kind["X"]), -1)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(X[train["id"]], train["y_true"])
    return round(float(roc_auc_score(test["y_true"], model.predict_proba(X[test["id"]])[:, 1])), 3)


def repeats(folders: dict[tuple[str, int], Path]) -> dict[str, Any]:
    """Per cnn1d pooling, over the training seeds: test ROC-AUC, balanced accuracy and the
    paired difference in ROC-AUC against average pooling of the same seed."""
    out: dict[str, Any] = {}
    for label in dict.fromkeys(label for label, _ in folders):
        seeds = [seed for lab, seed in folders if lab == label]
        runs = [run_numbers(folders[label, seed]) for seed in seeds]
        entry: dict[str, Any] = {"train_seeds": seeds}
        for metric in ("roc_auc", "balanced_accuracy"):
            entry[metric] = [run[metric] for run in runs]
        if label != BASELINE:
            entry["roc_auc_minus_cnn1d_avg"] = [
                paired_auc(folders[BASELINE, seed], folders[label, seed]) for seed in seeds
            ]
        out[label] = entry
    return out


def measure(name: str, kind: dict[str, Any], work: Path, quick: bool) -> dict[str, Any]:
    """Every model and pooling on one kind of data (seed 0), and the cnn1d repeats."""
    dirs = {sweep: work / name / sweep.name for sweep in SWEEPS}
    wall = sum(
        run_sweep(d, sweep, kind["data"], kind["threshold"], quick) for sweep, d in dirs.items()
    )
    cpu = cpu_seconds(list(dirs.values()))
    folders = {
        (sweep.label(model, pool), seed): job_folder(d, model, pool, seed)
        for sweep, d in dirs.items()
        for model, pool, seed in sweep.variants()
    }
    base = folders[BASELINE, 0]
    base_cpu = cpu[base.resolve().as_posix()]
    runs = {}
    for (label, seed), folder in folders.items():
        if seed != 0:
            continue
        numbers = run_numbers(folder)
        numbers["train_cpu_seconds"] = round(cpu[folder.resolve().as_posix()], 1)
        numbers["cpu_ratio_vs_cnn1d_avg"] = round(numbers["train_cpu_seconds"] / base_cpu, 1)
        if label != BASELINE:
            numbers["roc_auc_minus_cnn1d_avg"] = paired_auc(base, folder)
        runs[label] = numbers
        print(name, label, numbers, flush=True)
    cnn1d = {key: folder for key, folder in folders.items() if key[0].startswith("cnn1d/")}
    n, length = kind["X"].shape[:2]
    return {
        "rows": int(n),
        "length": int(length),
        "threshold": kind["threshold"],
        "about": kind["note"],
        "test_rows": runs[BASELINE]["test_rows"],
        "sweeps_wall_seconds": round(wall, 1),
        "logistic_regression_roc_auc": logistic_reference(kind, base),
        "runs": runs,
        "cnn1d_repeats": repeats(cnn1d),
    }


def cell(run: dict[str, Any], metric: str) -> str:
    """'0.974 (0.951-0.992)': a test metric with its CI."""
    low, high = run[f"{metric}_ci"]
    return f"{run[metric]:.3f} ({low:.3f}-{high:.3f})"


def difference(run: dict[str, Any]) -> str:
    """'+0.474 (+0.38 to +0.56)': the paired difference against cnn1d/avg, or ''."""
    paired = run.get("roc_auc_minus_cnn1d_avg")
    if not paired:
        return ""
    return "{difference:+.3f} ({ci_low:+.3f} to {ci_high:+.3f})".format(**paired)


def cost(run: dict[str, Any]) -> str:
    """'15.1 (3.7x), 6': train CPU seconds, ratio to cnn1d/avg and epochs run."""
    return f"{run['train_cpu_seconds']:.1f} ({run['cpu_ratio_vs_cnn1d_avg']}x), {run['epochs_run']}"


def repeat_cell(entry: dict[str, Any]) -> str:
    """ROC-AUC per seed, then the paired differences against avg (* where the CI excludes 0)."""
    text = " / ".join(f"{value:.3f}" for value in entry["roc_auc"])
    marked = [
        f"{d['difference']:+.3f}" + ("*" if d["ci_low"] > 0 or d["ci_high"] < 0 else "")
        for d in entry.get("roc_auc_minus_cnn1d_avg", [])
    ]
    return text + ("; " + " / ".join(marked) if marked else "")


def table(title: str, columns: list[str], rows: dict[str, list[str]]) -> list[str]:
    """A markdown table under a title line."""
    lines = ["", title, "", "| data | " + " | ".join(columns) + " |"]
    lines.append("|---" * (len(columns) + 1) + "|")
    return lines + [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows.items()]


def markdown(report: dict[str, Any]) -> str:
    """The tables of docs/benchmarks.md from a results file."""
    kinds = report["data"]
    labels = list(next(iter(kinds.values()))["runs"])
    pools = list(next(iter(kinds.values()))["cnn1d_repeats"])

    def rows(show: Any) -> dict[str, list[str]]:
        return {
            name: [show(kind["runs"][label]) for label in labels] for name, kind in kinds.items()
        }

    sizes = {
        f"{name} ({kind['rows']} x {kind['length']}, test {kind['test_rows']})": [
            *(cell(kind["runs"][label], "roc_auc") for label in labels),
            f"{kind['logistic_regression_roc_auc']:.3f}",
        ]
        for name, kind in kinds.items()
    }
    lines = table("Test ROC-AUC (95% CI), seed 0:", [*labels, "logistic regression"], sizes)
    lines += table(
        "Test balanced accuracy (95% CI):", labels, rows(lambda r: cell(r, "balanced_accuracy"))
    )
    lines += table("Paired difference in test ROC-AUC against cnn1d/avg:", labels, rows(difference))
    lines += table("Train CPU seconds (ratio to cnn1d/avg), epochs run:", labels, rows(cost))
    repeated = {
        name: [repeat_cell(kind["cnn1d_repeats"][pool]) for pool in pools]
        for name, kind in kinds.items()
    }
    title = "cnn1d, training seeds 0 / 1 / 2: test ROC-AUC; paired difference against avg:"
    lines += table(title, pools, repeated)
    return "\n".join([*lines, "", "(* the paired 95% CI excludes 0)"])


def main() -> None:
    """Run the sweeps and write results/architectures.json after each kind of data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 epochs, no file")
    parser.add_argument("--only", nargs="*", help="kinds of data to run, in order (default: all)")
    parser.add_argument("--aeon-data", help="aeon/datasets/data of an unpacked aeon wheel")
    parser.add_argument("--work", help="keep the sweeps in this folder (default: a temp one)")
    parser.add_argument("--table", action="store_true", help="print the results as markdown")
    args = parser.parse_args()
    if args.table:
        print(markdown(json.loads((RESULTS / "architectures.json").read_text())))
        return
    with tempfile.TemporaryDirectory() as temp:
        work = Path(args.work or temp)
        work.mkdir(parents=True, exist_ok=True)
        data = kinds(work, args.quick, aeon_data_dir(args.aeon_data))
        report = {
            "settings": [*SETTINGS, "train.epochs=15, patience 4 (the defaults)", "undersample"],
            "long": " ".join(LONG),
            "cnn1d_train_seeds": list(SEEDS),
            "skipped": [] if "italy_power" in data else ["italy_power (no aeon data files)"],
            "data": {},
        }
        for name in args.only or list(data):
            report["data"][name] = measure(name, data[name], work, args.quick)
            text = json.dumps(report, indent=2)
            if not args.quick:
                RESULTS.mkdir(exist_ok=True)
                (RESULTS / "architectures.json").write_text(text + "\n")
    print(text if args.quick else f"wrote {RESULTS / 'architectures.json'}")


if __name__ == "__main__":
    main()
