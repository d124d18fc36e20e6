"""What each reference model's budget costs in ROC-AUC, against the CPU seconds it saves.

Each reference model (as `model.reference` defines it) and budgeted variants of it (a
stratified row sample, a faster learning rate, fewer MiniRocket kernels) are fitted through
`fit_reference` on one thread, in this process (no TensorFlow), on the same split of:

- synthetic: the default synthetic data at 20,000 x 128 (seed 0), x > 100 (2 classes);
- synthetic21: the same rows cut into 21 equal-count ordered classes (a `model.head=cumulative`
  run with label.bins=21 fits its references on these K+1 classes);
- cancer, diabetes: scikit-learn's load_breast_cancer (the class) and load_diabetes (target >
  its median), their columns as the sequence, as `data=table` reads them;
- diabetes5: load_diabetes's target cut into 5 equal-count ordered classes (a real table with
  3+ classes, where the budgets for many classes apply).

The "ordered" variants are the models a model.head=cumulative run fits on its K+1 classes
(model.reference.ORDERED_MODELS: the rank regressions); on 2 classes they are the classifiers.

Per fit: CPU seconds (time.process_time of the whole process: one thread does the work), wall
seconds and the test ROC-AUC (2 classes), or for K+1 classes the mean over the K thresholds of
the ROC-AUC of P(x > t_k) (the summed probabilities of the classes above t_k), the score a
cumulative run compares per threshold. The split is the default random split (70/15/15,
stratified on x's bins, seed 0) and the standardization per step from the training rows.
Writes results/reference_budget.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"


def synthetic(rows: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The default synthetic data (schema defaults, seed 0) at this size: X, x."""
    from dataclasses import fields

    from threshold_sweep.conf.schema import SyntheticDataConfig
    from threshold_sweep.data.synthetic import generate

    defaults = {f.name: f.default for f in fields(SyntheticDataConfig)}
    data = generate(SimpleNamespace(**defaults | {"n_samples": rows, "length": length, "seed": 0}))
    return data.X, data.x


def table(name: str) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """A scikit-learn table as (rows, columns, 1) sequences, x and its thresholds."""
    from sklearn import datasets

    loader = {"cancer": datasets.load_breast_cancer, "diabetes": datasets.load_diabetes}[name]
    X, target = loader(return_X_y=True)
    x = np.asarray(target, dtype=np.float64)
    thresholds = [0.5] if name == "cancer" else [float(np.median(x))]
    return np.asarray(X, dtype=np.float32)[:, :, None], x, thresholds


def datasets(rows: int, length: int) -> dict[str, tuple[np.ndarray, np.ndarray, list[float]]]:
    """Every dataset: X, x and the thresholds that cut it into classes."""
    X, x = synthetic(rows, length)
    X_diabetes, x_diabetes, _ = table("diabetes")
    return {
        "synthetic": (X, x, [100.0]),
        "synthetic21": (X, x, equal_counts(x, 21)),
        "cancer": table("cancer"),
        "diabetes": table("diabetes"),
        "diabetes5": (X_diabetes, x_diabetes, equal_counts(x_diabetes, 5)),
    }


def equal_counts(x: np.ndarray, classes: int) -> list[float]:
    """The thresholds that cut x into `classes` equal-count ordered classes."""
    return list(np.quantile(x, np.arange(1, classes) / classes))


def reference_rows(X: np.ndarray, x: np.ndarray, thresholds: list[float]) -> tuple:
    """The reference models' rows on the default split, and the test labels."""
    from threshold_sweep.model.reference import ReferenceRows
    from threshold_sweep.prepare.split import split_rows
    from threshold_sweep.prepare.standardize import Standardizer

    y = np.searchsorted(np.asarray(thresholds), x, side="left")  # x > t_k: above class k
    cfg = SimpleNamespace(
        method="random", validation_fraction=0.15, test_fraction=0.15, n_bins=10, seed=0
    )
    split = split_rows(x, cfg)
    scale = Standardizer.fit(X[split.train])
    rows = ReferenceRows(
        scale.transform(X[split.train]),
        y[split.train],
        scale.transform(X[split.validation]),
        y[split.validation],
        scale.transform(X[split.test]),
    )
    return rows, y[split.test]


def ranking(y_test: np.ndarray, scores: np.ndarray) -> float:
    """Test ROC-AUC (2 classes), or the mean over thresholds of P(x > t_k)'s ROC-AUC."""
    from sklearn.metrics import roc_auc_score

    if scores.ndim == 1:
        return float(roc_auc_score(y_test, scores))
    above = np.cumsum(scores[:, ::-1], axis=1)[:, ::-1][:, 1:]  # P(class > k), k = 0..K-1
    aucs = [
        roc_auc_score(y_test > k, above[:, k])
        for k in range(above.shape[1])
        if 0 < (y_test > k).sum() < len(y_test)
    ]
    return float(np.mean(aucs))


def variants() -> dict[str, Any]:
    """The reference models as defined, and budgeted variants of them (the trees' variants
    without the 3+ class row cap, MiniRocket's with a fixed kernel count)."""
    from threshold_sweep.model import minirocket
    from threshold_sweep.model.reference import ORDERED_MODELS, REFERENCE_MODELS, gradient_boosting

    def trees(seed: int, threads: int = 1, **budget: Any) -> Any:
        return gradient_boosting(seed, threads).set_params(**budget)

    hgb, rocket = REFERENCE_MODELS["hgb"], REFERENCE_MODELS["minirocket"]
    trees_on = partial(replace, hgb, max_train_rows_classes=None)  # no cap unless given

    class TightRocket(minirocket.ValidatedMiniRocket):
        """MiniRocket's regression at scikit-learn's default tolerance (1e-4)."""

        def _regression(self, C: float, warm_start: bool = False) -> Any:
            return super()._regression(C, warm_start).set_params(tol=1e-4)

    class EarlierRocket(minirocket.ValidatedMiniRocket):
        """MiniRocket's regression at lbfgs tol=1e-3 (its setting until 2026-12-08)."""

        def _regression(self, C: float, warm_start: bool = False) -> Any:
            return super()._regression(C, warm_start).set_params(tol=1e-3)

    def tight_logistic(seed: int, threads: int = 1) -> Any:
        logistic = REFERENCE_MODELS["logistic"].factory(seed, threads)
        return logistic.set_params(logisticregression__tol=1e-4)

    def earlier_logistic(seed: int, threads: int = 1) -> Any:
        logistic = REFERENCE_MODELS["logistic"].factory(seed, threads)
        return logistic.set_params(logisticregression__tol=1e-3)  # until 2026-12-08

    return {
        "logistic": REFERENCE_MODELS["logistic"],
        "logistic tol=1e-3": replace(REFERENCE_MODELS["logistic"], factory=earlier_logistic),
        "logistic tol=1e-4": replace(REFERENCE_MODELS["logistic"], factory=tight_logistic),
        **{
            f"logistic rows<={limit} (3+ classes)": replace(
                REFERENCE_MODELS["logistic"], max_train_rows_classes=limit
            )
            for limit in (4000, 2000)
        },
        "minirocket tol=1e-4": replace(rocket, factory=TightRocket),
        "minirocket tol=1e-3": replace(rocket, factory=EarlierRocket),
        "hgb": hgb,
        "hgb ordered (rank regression)": ORDERED_MODELS["hgb"],
        "minirocket ordered (rank ridge)": ORDERED_MODELS["minirocket"],
        "hgb all rows": trees_on(),
        "hgb weighted bins": trees_on(factory=gradient_boosting),  # scikit-learn's own edges
        "hgb rows<=8000": trees_on(max_train_rows=8000),
        "hgb rows<=4000": trees_on(max_train_rows=4000),
        "hgb learning_rate=0.2": trees_on(factory=partial(trees, learning_rate=0.2)),
        "hgb n_iter_no_change=5": trees_on(factory=partial(trees, n_iter_no_change=5)),
        "minirocket": rocket,
        **{
            f"minirocket {kernels} kernels": replace(
                rocket, factory=partial(minirocket.ValidatedMiniRocket, n_kernels=kernels)
            )
            for kernels in (10_000, 5_000, 2_000)
        },
        "minirocket rows<=2000": replace(rocket, max_train_rows=2000),
        "minirocket 1000 kernels": replace(
            rocket, factory=partial(minirocket.ValidatedMiniRocket, n_kernels=1000)
        ),
        "hgb rows<=2000": trees_on(max_train_rows=2000),
        "hgb rows<=4000 learning_rate=0.2": trees_on(
            max_train_rows=4000, factory=partial(trees, learning_rate=0.2)
        ),
    }


def measure(model: Any, rows: Any, y_test: np.ndarray) -> dict[str, float]:
    """One fit on one thread: CPU and wall seconds, the test ranking score."""
    from threshold_sweep.model.reference import fit_reference

    wall, cpu = time.perf_counter(), time.process_time()
    fitted = fit_reference(model, rows, seed=0, threads=1)
    return {
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "roc_auc": round(ranking(y_test, fitted.scores), 4),
        "n_train": fitted.n_train,
    }


def main() -> None:
    """Fit every variant on every dataset; print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--only", nargs="*", help="variant names (default: all)")
    parser.add_argument("--data", nargs="*", help="dataset names (default: all)")
    args = parser.parse_args()
    from threshold_sweep.model.minirocket import skip_reason

    if skip_reason(args.length):
        raise SystemExit(skip_reason(args.length))
    out: dict[str, Any] = {"rows": args.rows, "length": args.length, "cpu_count": os.cpu_count()}
    chosen = {k: v for k, v in variants().items() if not args.only or k in args.only}
    for name, (X, x, thresholds) in datasets(args.rows, args.length).items():
        if args.data and name not in args.data:
            continue
        rows, y_test = reference_rows(X, x, thresholds)
        out[name] = {}
        for label, model in chosen.items():
            if model.skip_reason(X.shape[1]):
                continue
            out[name][label] = measure(model, rows, y_test)
            print(name, label, out[name][label], flush=True)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "reference_budget.json"
    done = json.loads(path.read_text()) if path.exists() and (args.only or args.data) else {}
    for name, fits in out.items():  # a partial run updates the datasets and variants it ran
        done[name] = done.get(name, {}) | fits if isinstance(fits, dict) else fits
    path.write_text(json.dumps(done, indent=2) + "\n")


if __name__ == "__main__":
    main()
