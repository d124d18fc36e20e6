"""The default CNN's training recipe on small published splits: old default vs candidates.

Trains the tool's own model (threshold_sweep.model.train.train_model, the default cnn1d, one
thread) on each dataset's split with sampling=none, as a run with split=predefined does: the
published train part minus a stratified, seeded 15 % for validation (early stopping), the
published test part for the scores; datasets without a published split (the synthetic
default, scikit-learn's tables) take the default random 70/15/15 split. Every (dataset,
variant, seed) appends one JSON line to results/cnn_default.jsonl; `table` prints
docs/benchmarks.md's table from it (the latest line of each).

    python benchmarks/bench_cnn_default.py grid --data GunPoint ArrowHead --variants old new
    python benchmarks/bench_cnn_default.py table

Variants: `old` (train.epochs=30, early stopping from epoch 1), `new` (train.min_steps=500 when
the validation split holds < 30 rows of a class, train.epochs=200), `channel` (`new` with
data.standardize=channel: one mean and scale per channel over every step, today's default for
series), `channel_both` (and model.global_pool=flatten_avg_max), `both` (per step, with
flatten_avg_max), and the ones explored on the way (docs/benchmarks.md). `table --new channel
--new-tables new` compares each kind of data with its own default (tables keep per-step
statistics).

    python benchmarks/bench_cnn_default.py table --old new --new channel --new-tables new
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results" / "cnn_default.jsonl"
DATASETS = (
    "synthetic",
    "GunPoint",
    "ArrowHead",
    "ItalyPowerDemand",
    "OSULeaf",
    "BasicMotions",
    "covid",
    "diabetes",
    "cancer",
    "wine",
)
CNN = {
    "_target_": "threshold_sweep.model.cnn1d.build_cnn1d",
    "name": "cnn1d",
    "filters": [16, 32],
    "kernel_size": 5,
    "pool_size": 2,
    "global_pool": "flatten",
    "dropout": 0.2,
    "dense_units": 32,
}
FCN = {
    "_target_": "threshold_sweep.model.fcn.build_fcn",
    "name": "fcn",
    "filters": [128, 256, 128],
    "kernel_sizes": [8, 5, 3],
    "global_pool": "avg",
}
OLD_TRAIN = {
    "epochs": 30,
    "batch_size": 64,
    "learning_rate": 0.003,
    "early_stopping": True,
    "patience": 4,
    "monitor": "val_roc_auc",
    "reduce_lr_on_plateau": False,
    "threads": 1,
    "verbose": 0,
    "predict_batch_size": 1024,
    "steps_per_execution": 32,
    "mixed_precision": False,
    "tensorboard": False,
    "min_steps": 0,
    "warmup_validation_rows": 30,
}
LONG = {"epochs": 200, "early_stopping": False}
# name: (model config, train changes); "new" is today's default
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "old": (CNN, {}),
    "new": (CNN, {"min_steps": 500, "epochs": 200}),
    "new_fcn": (FCN, {"min_steps": 500, "epochs": 200}),
    "new_fcn_small": ({**FCN, "filters": [32, 64, 32]}, {"min_steps": 500, "epochs": 200}),
    "new_avg_max": ({**CNN, "global_pool": "avg_max"}, {"min_steps": 500, "epochs": 200}),
    "steps250_always": (CNN, {"min_steps": 250, "epochs": 1000, "warmup_validation_rows": 10**9}),
    "steps500_always": (CNN, {"min_steps": 500, "epochs": 1000, "warmup_validation_rows": 10**9}),
    "steps1k_always": (CNN, {"min_steps": 1000, "epochs": 1000, "warmup_validation_rows": 10**9}),
    "val_loss_balanced": (CNN, {"epochs": 200, "patience": 30, "monitor": "val_loss_balanced"}),
    "no_stopping": (CNN, LONG),
    "avg_no_stopping": ({**CNN, "global_pool": "avg"}, LONG),
    "fcn_no_stopping": (FCN, {**LONG, "learning_rate": 0.001}),
    "fcn_small_no_stopping": ({**FCN, "filters": [32, 64, 32]}, {**LONG, "learning_rate": 0.001}),
    "channel": (CNN, {"min_steps": 500, "epochs": 200}),
    "channel_avg_max": ({**CNN, "global_pool": "avg_max"}, {"min_steps": 500, "epochs": 200}),
    "channel_both": ({**CNN, "global_pool": "flatten_avg_max"}, {"min_steps": 500, "epochs": 200}),
    "both": ({**CNN, "global_pool": "flatten_avg_max"}, {"min_steps": 500, "epochs": 200}),
    "channel_fcn_small": (
        {**FCN, "filters": [32, 64, 32]},
        {"min_steps": 500, "epochs": 200, "learning_rate": 0.001},
    ),
}
# variants that standardize per channel (one mean and scale over every step), not per step
PER_CHANNEL = {name for name in VARIANTS if name.startswith("channel")}


def _codes(labels: np.ndarray, order: list) -> np.ndarray:
    """Each label's position in `order`, as floats (x for label.threshold at midpoints)."""
    index = {value: i for i, value in enumerate(order)}
    return np.array([index[value] for value in labels], dtype=np.float64)


def _sort_key(value: Any) -> tuple:
    """Numeric labels in numeric order, other labels after them in text order."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, str(value))


def published(name: str) -> dict[str, Any]:
    """An aeon dataset's published train and test parts; x = the class's code."""
    from aeon.datasets import load_classification

    X_train, y_train = load_classification(name, split="train")
    X_test, y_test = load_classification(name, split="test")
    order = sorted(set(y_train) | set(y_test), key=_sort_key)
    X = np.concatenate([X_train, X_test]).transpose(0, 2, 1).astype(np.float32)
    n = len(X_train)
    return {
        "X": X,
        "x": np.concatenate([_codes(y_train, order), _codes(y_test, order)]),
        "thresholds": [i + 0.5 for i in range(len(order) - 1)],
        "train": np.arange(n),
        "test": np.arange(n, len(X)),
    }


def covid() -> dict[str, Any]:
    """aeon's Covid3Month: x = the death rate, cut at 0 and 0.05 (Covid3Month_disc's classes)."""
    from aeon.datasets import load_covid_3month

    X_train, y_train = load_covid_3month(split="train")
    X_test, y_test = load_covid_3month(split="test")
    X = np.concatenate([X_train, X_test]).transpose(0, 2, 1).astype(np.float32)
    return {
        "X": X,
        "x": np.concatenate([y_train, y_test]).astype(np.float64),
        "thresholds": [0.0, 0.05],
        "train": np.arange(len(X_train)),
        "test": np.arange(len(X_train), len(X)),
    }


def table_data(name: str) -> dict[str, Any]:
    """A scikit-learn table, its columns as the sequence: diabetes (target > its median),
    breast cancer (the class), wine (3 classes)."""
    from sklearn import datasets

    loader, thresholds = {
        "diabetes": (datasets.load_diabetes, None),
        "cancer": (datasets.load_breast_cancer, [0.5]),
        "wine": (datasets.load_wine, [0.5, 1.5]),
    }[name]
    X, target = loader(return_X_y=True)
    x = np.asarray(target, dtype=np.float64)
    return {
        "X": np.asarray(X, dtype=np.float32)[:, :, None],
        "x": x,
        "thresholds": thresholds or [float(np.median(x))],
    }


def synthetic() -> dict[str, Any]:
    """The default data=synthetic (4,000 x 64, seed 0) at the default threshold 100."""
    from omegaconf import OmegaConf

    from threshold_sweep.data.synthetic import generate

    settings = {"n_samples": 4000, "length": 64, "channels": 1, "signal_noise": 0.5}
    cfg = OmegaConf.create({**settings, "noise": 0.5, "seed": 0, "log10_mean": 2.11})
    cfg.log10_sd = 0.63
    data = generate(cfg)
    return {"X": data.X, "x": data.x, "thresholds": [100.0]}


def load(name: str) -> dict[str, Any]:
    """The dataset `name` as X (n, length, channels), x, thresholds (and train / test)."""
    if name == "synthetic":
        return synthetic()
    if name == "covid":
        return covid()
    if name in ("diabetes", "cancer", "wine"):
        return table_data(name)
    return published(name)


def splits(data: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, validation, test) rows: the published parts with validation carved out of
    train as split=predefined does, else the default random split."""
    from omegaconf import OmegaConf

    from threshold_sweep.prepare.split import split_rows

    if "train" not in data:
        cfg = {"method": "random", "validation_fraction": 0.15, "test_fraction": 0.15}
        split = split_rows(data["x"], OmegaConf.create({**cfg, "n_bins": 10, "seed": 0}))
        return split.train, split.validation, split.test
    n = len(data["x"])
    part = np.where(np.isin(np.arange(n), data["test"]), "test", "train")
    cfg = {"method": "predefined", "validation_fraction": 0.15, "n_bins": 10, "seed": 1}
    split = split_rows(data["x"], OmegaConf.create(cfg), parts=part)
    return split.train, split.validation, split.test


def per_channel(X_train: np.ndarray) -> Any:
    """A Standardizer with one mean and scale per channel (over rows and steps)."""
    from threshold_sweep.prepare.standardize import Standardizer

    mean = np.broadcast_to(X_train.mean(axis=(0, 1), keepdims=True)[0], X_train.shape[1:])
    scale = np.broadcast_to(X_train.std(axis=(0, 1), keepdims=True)[0], X_train.shape[1:])
    return Standardizer(mean.astype(np.float32), np.where(scale == 0, 1, scale).astype(np.float32))


def run(name: str, variant: str, seed: int) -> dict[str, Any]:
    """Train the variant on the dataset's training rows; its test accuracy and ROC-AUC."""
    from omegaconf import OmegaConf
    from sklearn.metrics import accuracy_score, roc_auc_score

    from threshold_sweep.model.train import predict_scores, train_model
    from threshold_sweep.prepare.labels import make_labels
    from threshold_sweep.prepare.standardize import Standardizer

    data = load(name)
    y = make_labels(data["x"], data["thresholds"])
    k = len(data["thresholds"]) + 1
    train, validation, test = splits(data)
    model, changes = VARIANTS[variant]
    scale = Standardizer.fit(data["X"][train])
    if variant in PER_CHANNEL:
        scale = per_channel(data["X"][train])
    train_cfg = OmegaConf.create({**OLD_TRAIN, **changes, "seed": seed})
    history = RESULTS.parent / "cnn_default_history.csv"
    started = time.process_time()
    fitted = train_model(
        scale.transform(data["X"][train]), y[train],
        scale.transform(data["X"][validation]), y[validation],
        k, None, OmegaConf.create(model), train_cfg, history,
    )  # fmt: skip
    cpu = time.process_time() - started
    history.unlink(missing_ok=True)
    scores = predict_scores(fitted.model, scale.transform(data["X"][test]), 1024)
    predicted = (scores > 0.5).astype(int) if k == 2 else scores.argmax(axis=1)
    auc = (
        roc_auc_score(y[test], scores, multi_class="ovr")
        if k > 2
        else roc_auc_score(y[test], scores)
    )
    return {
        "data": name, "variant": variant, "seed": seed,
        "acc": float(accuracy_score(y[test], predicted)), "auc": float(auc),
        "epochs": fitted.epochs_run, "best": fitted.best_epoch, "cpu": round(cpu, 1),
        "n_train": len(train), "n_val": len(validation), "n_test": len(test),
        "fewest_validation_rows": int(np.bincount(y[validation], minlength=k).min()),
    }  # fmt: skip


def grid(names: list[str], variants: list[str], seeds: list[int]) -> None:
    """Each (dataset, variant, seed) in its own process (a fresh TensorFlow), appended."""
    for name in names:
        for variant in variants:
            for seed in seeds:
                command = [sys.executable, __file__, "one", name, variant, str(seed)]
                subprocess.run(command, check=True, stderr=subprocess.DEVNULL)


def latest() -> dict[tuple[str, str], dict[int, dict[str, Any]]]:
    """The latest result of each (dataset, variant) and seed."""
    found: dict[tuple[str, str], dict[int, dict[str, Any]]] = defaultdict(dict)
    for line in RESULTS.read_text().splitlines():
        row = json.loads(line)
        found[(row["data"], row["variant"])][row["seed"]] = row
    return found


def mean(rows: list[dict[str, Any]], key: str) -> float:
    """The mean of `key` over the rows."""
    return sum(row[key] for row in rows) / len(rows)


TABLES = ("diabetes", "cancer", "wine")  # data=table: per-step statistics stay their default


def table(
    old: str = "old",
    new: str = "new",
    seeds: tuple[int, ...] = (0, 1, 2),
    new_tables: str | None = None,
) -> str:
    """docs/benchmarks.md's table: accuracy (seed range), ROC-AUC and epochs, old vs new (vs
    `new_tables` on scikit-learn's tables, if given)."""
    found = latest()
    lines = [
        "| data | train / validation / test rows | rarest class's validation rows | "
        f"{old}: accuracy (seeds) | ROC-AUC | epochs | {new}: accuracy (seeds) | ROC-AUC | "
        "epochs | accuracy change | test rows' 95 % half-width |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in DATASETS:
        before = [found[(name, old)][s] for s in seeds if s in found[(name, old)]]
        chosen = new_tables if new_tables and name in TABLES else new
        after = [found[(name, chosen)][s] for s in seeds if s in found[(name, chosen)]]
        if not before or not after:
            continue
        accuracy = mean(after, "acc")
        half = 1.96 * math.sqrt(accuracy * (1 - accuracy) / after[0]["n_test"])
        sizes = f"{after[0]['n_train']} / {after[0]['n_val']} / {after[0]['n_test']}"
        cells = [name, sizes, str(after[0].get("fewest_validation_rows", "?"))]
        for rows in (before, after):
            accuracies = [row["acc"] for row in rows]
            cells += [
                f"{mean(rows, 'acc'):.3f} ({min(accuracies):.3f}-{max(accuracies):.3f})",
                f"{mean(rows, 'auc'):.3f}",
                f"{mean(rows, 'epochs'):.0f}",
            ]
        cells += [f"{accuracy - mean(before, 'acc'):+.3f}", f"±{half:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """one / grid / table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("one")
    one.add_argument("data")
    one.add_argument("variant", choices=VARIANTS)
    one.add_argument("seed", type=int)
    many = commands.add_parser("grid")
    many.add_argument("--data", nargs="+", default=list(DATASETS))
    many.add_argument("--variants", nargs="+", default=["old", "new"])
    many.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    shown = commands.add_parser("table")
    shown.add_argument("--old", default="old")
    shown.add_argument("--new", default="new")
    shown.add_argument("--new-tables", default=None)
    args = parser.parse_args()
    if args.command == "one":
        row = run(args.data, args.variant, args.seed)
        with RESULTS.open("a") as out:
            out.write(json.dumps(row) + "\n")
        print(json.dumps(row))
    elif args.command == "grid":
        grid(args.data, args.variants, args.seeds)
    else:
        print(table(args.old, args.new, new_tables=args.new_tables))


if __name__ == "__main__":
    main()
