"""The tool's default run on aeon's bundled datasets with their published train/test splits,
beside the accuracies published for the same splits (FCN, ResNet, InceptionTime, MiniRocket,
HIVE-COTE 2).

Each dataset's class labels become a number x and thresholds whose `x > t` classes are exactly
the published classes (GunPoint '1'/'2': x = 1 or 2, label.threshold=1.5); Covid3Month (aeon's
regression data) keeps its target, and `label.threshold=[0,0.05]` makes the bake-off's
Covid3Month_disc classes. `export` writes DIR/<name>.npz (X as n x length x channels, x, part =
train/test in aeon's order, train rows first, id = "train-0" ... "test-17"); `run` runs
threshold-sweep with split=predefined on each (the published test rows are the run's test rows,
checked row by row from predictions.csv), reads metrics.json and timing.json, writes
results/published_splits.json and prints a markdown table; `table` prints it from the JSON.

    python benchmarks/published_splits.py export --out DIR [--names GunPoint ...]
    python benchmarks/published_splits.py run --out DIR [--names ...] [--seeds 0 1 2] [-- k=v ...]
    python benchmarks/published_splits.py table

The published numbers come from the results files of each paper's repository (SOURCES); all are
single runs or means on the default split, never means over resamples (those are in the notes).
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results" / "published_splits.json"
ROOT = Path(__file__).resolve().parent.parent
# Every run of `run`: the tool's defaults, except the parts the data names and no resampling
# (the published results train on the train part as it is). label.min_per_split=1: the published
# train parts are small (ArrowHead: 12 rows per class), so the validation rows carved from them
# hold fewer than the default 5 rows of some classes.
BASE = ("data=arrays", "data.id_key=id", "data.part_key=part", "split=predefined", "sampling=none")
SMALL_PARTS = ("label.min_per_split=1",)
METRICS = ("accuracy", "balanced_accuracy")  # and ROC-AUC: roc_auc or roc_auc_ovr
COLUMNS = ("FCN", "ResNet", "InceptionTime", "MiniRocket", "HC2")
SOURCES = {
    "F5": "hfawaz/dl-4-tsc results/results-ucr-128.csv (commit 4c2cdff): mean of 5 runs",
    "IT": "hfawaz/InceptionTime results-InceptionTime-128.csv (commit 365ce4d): one ensemble run",
    "MR r0": "angus924/minirocket results/accuracy_ucr109_resamples.csv (5491c22), column 0",
    "B fold0": "tsml-eval results/classification/Univariate/*_accuracy.csv (6270c37), fold 0",
    "M21 fold0": "tsml-eval results/classification/Multivariate/*_accuracy.csv (6270c37), fold 0",
    "CT": "Navidfoumani/ConvTran Paper Results/Table 1 Results.xlsx (e41fb4b), one value",
}


@dataclass(frozen=True)
class Published:
    """One published test accuracy on the default split: column, value, source key, variant."""

    column: str
    accuracy: float
    source: str
    variant: str = ""  # another model standing in for the column's, e.g. ROCKET

    def cell(self) -> str:
        """The table cell, e.g. `0.993 [MR r0]` or `1.000 ROCKET [M21 fold0]`."""
        variant = f" {self.variant}" if self.variant else ""
        return f"{self.accuracy:.3f}{variant} [{self.source}]"


@dataclass(frozen=True)
class Spec:
    """A dataset: aeon name, how its labels become x (code, sorted or target) and thresholds
    (None: midpoints between consecutive codes), the published accuracies and a note."""

    name: str
    coding: str
    thresholds: tuple[float, ...] | None
    published: tuple[Published, ...] = ()
    note: str = ""
    loader: str = field(default="classification")


def _five(fcn: float, resnet: float, it: float, mr: float, hc2: float) -> tuple[Published, ...]:
    """The five published UCR numbers: [F5] FCN and ResNet, [IT], [MR] r0 and [B] fold 0 HC2."""
    return (
        Published("FCN", fcn, "F5"),
        Published("ResNet", resnet, "F5"),
        Published("InceptionTime", it, "IT"),
        Published("MiniRocket", mr, "MR r0"),
        Published("HC2", hc2, "B fold0"),
    )


SPECS = (
    Spec("GunPoint", "code", (1.5,), _five(1.000, 0.991, 1.000, 0.993, 1.000)),
    Spec("ItalyPowerDemand", "code", (1.5,), _five(0.963, 0.962, 0.965, 0.969, 0.970)),
    Spec("ArrowHead", "code", (0.5, 1.5), _five(0.843, 0.838, 0.846, 0.863, 0.869)),
    Spec("OSULeaf", "code", None, _five(0.979, 0.980, 0.942, 0.959, 0.967)),
    Spec(
        "BasicMotions",
        "sorted",
        None,
        (
            Published("FCN", 1.000, "CT"),
            Published("ResNet", 1.000, "M21 fold0"),
            Published("InceptionTime", 1.000, "M21 fold0"),
            Published("MiniRocket", 1.000, "M21 fold0", "ROCKET"),
            Published("HC2", 1.000, "M21 fold0"),
        ),
        "6 channels; MiniRocket n/a, ROCKET given (30-resample mean 0.990); ResNet, "
        "InceptionTime 1.000 also in [CT]",
    ),
    Spec(
        "Covid3Month",
        "target",
        (0.0, 0.05),
        (
            Published("InceptionTime", 0.525, "B fold0", "H-InceptionTime"),
            Published("MiniRocket", 0.705, "B fold0", "MR-Hydra"),
            Published("HC2", 0.738, "B fold0"),
        ),
        "Covid3Month_disc (y<=0, 0<y<=0.05, y>0.05); 30-resample means (bake-off Table C4): "
        "HC2 0.655, H-InceptionTime 0.469, MR-Hydra 0.609; FCN, ResNet n/a",
        "covid_3month",
    ),
)


def spec_named(name: str) -> Spec:
    """The spec of dataset `name`."""
    for spec in SPECS:
        if spec.name == name:
            return spec
    raise SystemExit(f"unknown dataset {name!r}; known: {', '.join(s.name for s in SPECS)}")


def load_part(spec: Spec, split: str) -> tuple[np.ndarray, np.ndarray]:
    """aeon's X (n, channels, length) and labels (or target) of the `split` part."""
    if spec.loader == "covid_3month":
        from aeon.datasets import load_covid_3month

        return load_covid_3month(split=split)
    from aeon.datasets import load_classification

    return load_classification(spec.name, split=split)


def codes(spec: Spec, labels: np.ndarray) -> np.ndarray:
    """x of each label: the label as a number (code), its index among all the labels (train and
    test) in sorted order, or the target itself."""
    if spec.coding == "code":
        return labels.astype(np.float64)
    if spec.coding == "sorted":
        return np.searchsorted(np.unique(labels), labels).astype(np.float64)
    if spec.coding == "target":
        return labels.astype(np.float64)
    raise ValueError(f"{spec.name}: unknown coding {spec.coding!r}")


def thresholds(spec: Spec, x: np.ndarray) -> tuple[float, ...]:
    """The spec's thresholds, or the midpoints between consecutive codes of x."""
    if spec.thresholds is not None:
        return spec.thresholds
    values = np.unique(x)
    return tuple(float(v) for v in (values[:-1] + values[1:]) / 2)


@dataclass(frozen=True)
class Exported:
    """A dataset as the .npz holds it, with the labels it came from."""

    X: np.ndarray
    x: np.ndarray
    part: np.ndarray
    id: np.ndarray
    labels: np.ndarray


def build(spec: Spec) -> Exported:
    """aeon's train rows then its test rows, X as (n, length, channels), x, part, id."""
    Xs, ys, parts, ids = [], [], [], []
    for split in ("train", "test"):
        X, y = load_part(spec, split)
        Xs.append(np.asarray(X).transpose(0, 2, 1))
        ys.append(np.asarray(y))
        parts.append(np.full(len(y), split))
        ids.append(np.array([f"{split}-{i}" for i in range(len(y))]))
    X, labels = np.concatenate(Xs).astype(np.float32), np.concatenate(ys)
    return Exported(X, codes(spec, labels), np.concatenate(parts), np.concatenate(ids), labels)


def export(spec: Spec, out: Path) -> Path:
    """Write out/<name>.npz; return its path."""
    data = build(spec)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{spec.name}.npz"
    np.savez(path, X=data.X, x=data.x, part=data.part, id=data.id)
    return path


def classes(x: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """The class of each x under the tool's rule: the number of thresholds t with x > t."""
    return (x[:, None] > np.asarray(cuts)[None, :]).sum(axis=1)


def majority(spec: Spec, data: Exported) -> dict[str, Any]:
    """Test accuracy of the train part's most frequent class (a range when tied) and of the
    largest test class."""
    y = classes(data.x, thresholds(spec, data.x))
    train, test = y[data.part == "train"], y[data.part == "test"]
    values, counts = np.unique(train, return_counts=True)
    top = values[counts == counts.max()]
    rates = [float(np.mean(test == c)) for c in top]
    largest = float(np.bincount(test).max() / len(test))
    chosen = data.labels[np.isin(y, top)] if spec.coding != "target" else np.array([])
    names = sorted({str(label) for label in chosen})  # aeon's labels of those classes
    return {"train_majority": [int(c) for c in top], "labels": names} | {
        "min": min(rates),
        "max": max(rates),
        "largest_test_class": largest,
    }


def label_override(cuts: tuple[float, ...]) -> str:
    """label.threshold=1.5 for one threshold, label.threshold=[a,b] for several."""
    text = [f"{c:g}" for c in cuts]
    return f"label.threshold={text[0] if len(text) == 1 else '[' + ','.join(text) + ']'}"


def command(spec: Spec, cuts: tuple[float, ...], seed: int, extra: list[str]) -> list[str]:
    """The threshold-sweep arguments of one run, with paths relative to the export folder."""
    where = [f"data.path={spec.name}.npz", f"hydra.run.dir=runs/{spec.name}-seed{seed}"]
    settings = [*BASE, *SMALL_PARTS, label_override(cuts), f"seed={seed}"]
    return [*settings[:1], where[0], *settings[1:], where[1], *extra]


def shown(args: list[str]) -> str:
    """The command line to paste (from the export folder)."""
    return shlex.join(["python", "-m", "threshold_sweep", *args])


def test_ids(run_dir: Path) -> list[str]:
    """The ids of the run's test predictions, in file order."""
    frame = pd.read_csv(run_dir / "predictions.csv", dtype={"id": str})
    if "split" in frame.columns:
        frame = frame[frame["split"] == "test"]
    return frame["id"].tolist()


def check_ids(run_dir: Path, expected: np.ndarray) -> None:
    """Stop loudly unless the run's test predictions are the exported test rows, in order."""
    got, want = test_ids(run_dir), expected.tolist()
    if got != want:
        missing, extra = sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]
        raise SystemExit(
            f"{run_dir}: the test predictions are not the published test rows in aeon's order "
            f"({len(got)} rows, expected {len(want)}; missing {missing}, unexpected {extra})"
        )


def auc_key(values: dict[str, Any]) -> str:
    """roc_auc for two classes, roc_auc_ovr (one-vs-rest macro) for ordered classes."""
    return "roc_auc" if "roc_auc" in values else "roc_auc_ovr"


def scores(values: dict[str, Any]) -> dict[str, Any]:
    """Accuracy, balanced accuracy and ROC-AUC (named roc_auc either way) of a metrics block."""
    found = {k: values.get(k) for k in METRICS[:2]}
    return found | {"roc_auc": values.get(auc_key(values))}


def read_run(run_dir: Path) -> dict[str, Any]:
    """The CNN's and reference models' test metrics, epochs and wall time of one run."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    timing = json.loads((run_dir / "timing.json").read_text())
    test, intervals = metrics["test"], metrics.get("ci", {}).get("test", {})
    cnn = {"n": test["n"], "roc_auc_metric": auc_key(test)} | scores(test)
    cnn["ci"] = {k: v for k, v in scores(intervals).items() if v is not None}
    models = metrics.get("reference", {}).get("models", {})
    reference = {name: scores(model.get("test", {})) for name, model in models.items()}
    training = metrics.get("training", {})
    epochs = {"epochs": training.get("epochs_run"), "best_epoch": training.get("best_epoch")}
    wall = {"wall_seconds": timing.get("total_seconds")}
    return {"cnn": cnn, "reference": reference} | epochs | wall


def run_one(spec: Spec, out: Path, seed: int, extra: list[str]) -> dict[str, Any]:
    """Run threshold-sweep on out/<name>.npz with one seed; check its test rows; its results."""
    data = build(spec)
    if not (out / f"{spec.name}.npz").exists():
        export(spec, out)
    args = command(spec, thresholds(spec, data.x), seed, extra)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "threshold_sweep", *args], cwd=out, capture_output=True, text=True
    )
    if done.returncode != 0:  # the tool's one-line refusal, kept in the table
        lines = [line for line in done.stderr.splitlines() if "error:" in line] or ["?"]
        error = lines[-1].split("error:", 1)[-1].strip()
        print(f"{spec.name} seed {seed}: threshold-sweep refused: {error}", file=sys.stderr)
        return {"seed": seed, "command": shown(args), "error": error}
    run_dir = out / "runs" / f"{spec.name}-seed{seed}"
    check_ids(run_dir, data.id[data.part == "test"])
    result = read_run(run_dir) | {"seed": seed, "command": shown(args)}
    return result | {"process_seconds": time.perf_counter() - started}


def describe(spec: Spec) -> dict[str, Any]:
    """What the table shows of a dataset besides the runs: sizes, classes, majority, published."""
    data = build(spec)
    cuts = thresholds(spec, data.x)
    return {
        "classes": len(cuts) + 1,
        "thresholds": list(cuts),
        "train": int((data.part == "train").sum()),
        "test": int((data.part == "test").sum()),
        "shape": list(data.X.shape[1:]),
        "majority": majority(spec, data),
        "published": {p.column: asdict(p) | {"cell": p.cell()} for p in spec.published},
        "note": spec.note,
    }


def run_all(specs: list[Spec], seeds: list[int], out: Path, extra: list[str]) -> dict[str, Any]:
    """Every dataset with every seed: {name: description | {runs: [...]}}."""
    results = {}
    for spec in specs:
        runs = [run_one(spec, out, seed, extra) for seed in seeds]
        results[spec.name] = describe(spec) | {"runs": runs}
    return results


def _spread(values: list[float | None]) -> str:
    """`mean (min-max)` of the seeds' values, the value alone for one seed, or `not run`."""
    present = [v for v in values if v is not None]
    if not present:
        return "not run"
    mean = statistics.fmean(present)
    if len(present) == 1:
        return f"{mean:.3f}"
    return f"{mean:.3f} ({min(present):.3f}-{max(present):.3f})"


def _majority_cell(majority_: dict[str, Any]) -> str:
    """The train-majority rate (a range when tied) and the largest test class's."""
    low, high = majority_["min"], majority_["max"]
    rate = f"{low:.3f}" if low == high else f"{low:.3f}-{high:.3f}"
    return f"{rate} (largest {majority_['largest_test_class']:.3f})"


def table_row(name: str, entry: dict[str, Any]) -> str:
    """One markdown row of a dataset."""
    runs = [run for run in entry["runs"] if "error" not in run]
    refs = [_spread([r["reference"].get(m, {}).get("accuracy") for r in runs]) for m in MODELS]
    published = [entry["published"].get(c, {}).get("cell", "n/a") for c in COLUMNS]
    cells = [name, str(entry["classes"]), f"{entry['train']}/{entry['test']}"]
    cells += [_majority_cell(entry["majority"]), _spread([r["cnn"]["accuracy"] for r in runs])]
    first = f"`{runs[0]['command']}`" if runs else ""
    return "| " + " | ".join([*cells, *refs, *published, first]) + " |"


MODELS = ("logistic", "hgb", "minirocket")
HEADER = (
    "dataset",
    "classes",
    "train/test",
    "majority",
    "CNN accuracy",
    "logistic",
    "hgb",
    "MiniRocket (ours)",
    "published FCN",
    "ResNet",
    "InceptionTime",
    "MiniRocket",
    "HC2",
    "command",
)


def table(results: dict[str, Any]) -> str:
    """The markdown table of the results, then the notes and the source keys."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += [table_row(name, entry) for name, entry in results["datasets"].items()]
    notes = [f"- {n}: {e['note']}" for n, e in results["datasets"].items() if e["note"]]
    notes += [
        f"- {name}, seed {run['seed']}: not run, the tool refused: {run['error']}"
        for name, entry in results["datasets"].items()
        for run in entry["runs"]
        if "error" in run
    ]
    sources = [f"- [{key}] {text}" for key, text in SOURCES.items()]
    return "\n".join([*lines, "", *notes, *sources])


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The subcommand's options and the overrides after `--`."""
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("export", "run", "table"))
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "published_splits")
    parser.add_argument("--names", nargs="+", default=[s.name for s in SPECS])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    return parser.parse_args(own), extra


def main(argv: list[str]) -> None:
    """export, run or table."""
    args, extra = parse(argv)
    if args.action == "table":
        print(table(json.loads(args.results.read_text())))
        return
    specs = [spec_named(name) for name in args.names]
    out = args.out.resolve()
    if args.action == "export":
        for spec in specs:
            path = export(spec, out)
            cuts = thresholds(spec, build(spec).x)
            print(f"{path}\n  cd {out} && {shown(command(spec, cuts, 0, extra))}")
        return
    datasets = run_all(specs, args.seeds, out, extra)
    results = {"seeds": args.seeds, "extra": extra, "sources": SOURCES, "datasets": datasets}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main(sys.argv[1:])
