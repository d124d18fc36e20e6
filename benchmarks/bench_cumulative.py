"""Benchmark: what one model.head=cumulative run costs against the dedicated runs it replaces.

1. runs: in ONE process (TensorFlow, the evaluation modules and a tiny run of each head done
   first, so that no measured run pays for imports or first-call set-up), on the default
   synthetic data at 20,000 rows x 128 steps, the default architecture (cnn1d), a fixed number
   of epochs (train.early_stopping=false): a dedicated single-threshold run at the median of x
   (`label.threshold=<median>`) and a cumulative run with 20 thresholds (`model.head=cumulative
   label.bins=21`), alternating, `--repeats` times each (medians reported), each through
   `threshold_sweep.pipeline.runner.run_experiment` with a config composed as the CLI composes
   it. Per run:
   timing.json (train, evaluate/report and total seconds), the wall and CPU seconds
   (time.process_time, all threads) of run_experiment and of the fit, the wall and CPU seconds
   of each epoch, of the selection metrics each epoch computes, of every assess() call and of
   every per-threshold run folder written (none by default: evaluate.threshold_folders=false;
   every threshold is evaluated in one pass inside `curve`). Then one more pair with
   `evaluate.reference=[]`: for the cumulative run the reference models fit once, on the K+1
   classes, so that pair gives the cost without them. The four variants (each head with and
   without them) alternate, in reverse order every other repeat; the ratios are of the medians,
   and `cpu_ratio_per_repeat` is each repeat's own ratio and their median. A sweep of 20
   dedicated runs is EXTRAPOLATED as 20 x the measured single run (it is not run).
2. evaluation: the cumulative run's paired bootstrap of ROC-AUC against the best threshold
   (`paired_against_best`: 20 thresholds x 1000 resamples, vectorised) against 20 calls of the
   per-pair code a sweep summary uses (`paired_difference` of `weighted_predictions`), on the
   same 4,000 rows (20 ordered thresholds of a latent value, monotone sigmoid scores), CPU
   seconds, best of `--eval-repeats`.
3. selection metrics: `cumulative_selection_metrics` (K ROC-AUCs per epoch) on validation-sized
   data (3,000 rows x 20 thresholds) against its scikit-learn loop, per call.

Writes results/cumulative.json. About 6-8 minutes on 2 cores; --quick for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
TIMING_KEYS = ("train_seconds", "score_seconds", "reference_seconds", "evaluate_report_seconds")


def clocks() -> tuple[float, float]:
    """(wall, CPU of the whole process) now."""
    return time.perf_counter(), time.process_time()


@dataclass
class Recorder:
    """Wall and CPU seconds of instrumented calls, by name, for the run being measured."""

    calls: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def add(self, name: str, started: tuple[float, float]) -> None:
        """Record one call of `name` that started at `started` (from clocks())."""
        wall, cpu = clocks()
        self.calls.setdefault(name, []).append((wall - started[0], cpu - started[1]))

    def wrap(self, name: str, function: Callable) -> Callable:
        """`function`, recording each call's seconds under `name`."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = clocks()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(name, started)

        return timed

    def summary(self) -> dict[str, dict[str, float]]:
        """Per name: calls, total and median wall and CPU seconds."""
        return {
            name: {
                "calls": len(values),
                "wall_seconds": round(sum(w for w, _ in values), 3),
                "cpu_seconds": round(sum(c for _, c in values), 3),
                "median_wall_seconds": round(statistics.median(w for w, _ in values), 4),
                "median_cpu_seconds": round(statistics.median(c for _, c in values), 4),
            }
            for name, values in self.calls.items()
        }


@contextmanager
def instrumented(recorder: Recorder):
    """Time the fits, selection metrics, assess() calls and per-threshold folders of a run."""
    import importlib

    from threshold_sweep.model import monitor
    from threshold_sweep.pipeline import stages
    from threshold_sweep.pipeline.modes import cumulative

    assess = importlib.import_module("threshold_sweep.evaluate.assess")
    patches = [
        (stages, "train_run_model", "fit"),
        (assess, "assess", "assess"),
        (cumulative, "write_threshold_run", "write_threshold_run"),
        (cumulative, "_curve", "curve"),
    ]
    originals = [(module, name, getattr(module, name)) for module, name, _ in patches]
    originals.append((monitor, "selection_callback", monitor.selection_callback))
    callback = monitor.selection_callback

    def timed_callback(
        *args: Any, metrics: Callable = monitor.selection_metrics, targets: Any = None
    ) -> Any:
        """The selection callback with its metrics function timed."""
        if len(args) > 5:
            args, targets = args[:5], args[5]
        if len(args) > 4:
            args, metrics = args[:4], args[4]
        timed_metrics = recorder.wrap("selection_metrics", metrics)
        return callback(*args, metrics=timed_metrics, targets=targets)

    try:
        for module, name, label in patches:
            setattr(module, name, recorder.wrap(label, getattr(module, name)))
        monitor.selection_callback = timed_callback
        yield recorder
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def epoch_timer(recorder: Recorder) -> Callable[[], list[Any]]:
    """keras_callbacks for run_experiment: a callback recording each epoch's seconds."""

    def make() -> list[Any]:
        import keras

        class EpochTimer(keras.callbacks.Callback):
            """Wall and CPU seconds from each epoch's start to its end (callbacks included)."""

            def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
                self.started = clocks()

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                recorder.add("epoch", self.started)

        return [EpochTimer()]

    return make


def compose(*overrides: str) -> Any:
    """The experiment config the CLI would compose from `overrides`."""
    from conftest import compose_config

    return compose_config("train.verbose=0", *overrides)


def median_threshold(rows: int, length: int) -> float:
    """The median of x of the synthetic data at this size, to 3 significant digits."""
    from hydra.utils import instantiate

    dataset = instantiate(compose(f"data.n_samples={rows}", f"data.length={length}").data)
    return float(f"{np.median(dataset.x):.3g}")


def test_roc_auc(metrics: dict[str, Any], near: float) -> list[float]:
    """[threshold, test ROC-AUC]: of a binary run, or of the cumulative threshold nearest `near`."""
    if "cumulative" not in metrics:
        return [metrics["threshold"], round(metrics["test"]["roc_auc"], 4)]
    row = min(metrics["cumulative"]["curve"], key=lambda r: abs(np.log(r["threshold"] / near)))
    return [round(row["threshold"], 2), round(row["roc_auc"], 4)]


def one_run(overrides: list[str], out_dir: Path, near: float = 100.0) -> dict[str, Any]:
    """One run_experiment in this process: its timing.json, wall, CPU and instrumented calls
    (and the test ROC-AUC at the threshold nearest `near`)."""
    from threshold_sweep.pipeline.runner import run_experiment

    cfg = compose(*overrides)
    recorder = Recorder()
    with instrumented(recorder):
        started = clocks()
        run_experiment(cfg, out_dir, keras_callbacks=epoch_timer(recorder))
        wall, cpu = clocks()
    timing = json.loads((out_dir / "timing.json").read_text())
    metrics = json.loads((out_dir / "metrics.json").read_text())
    calls = recorder.summary()
    return {
        "wall_seconds": round(wall - started[0], 2),
        "cpu_seconds": round(cpu - started[1], 2),
        "train_cpu_seconds": calls["fit"]["cpu_seconds"],
        **{key: round(timing[key], 2) for key in (*TIMING_KEYS, "total_seconds")},
        "epochs_run": metrics["training"]["epochs_run"],
        "threshold_and_test_roc_auc": test_roc_auc(metrics, near),
        "reference_models_own_seconds": timing.get("reference_models", {}),
        "calls": calls,
    }


def warm_up(folder: Path) -> None:
    """Imports and first-call set-up: a tiny dedicated run and a tiny cumulative run."""
    from threshold_sweep.model.runtime import import_tensorflow

    import_tensorflow()
    tiny = ["data.n_samples=600", "data.length=16", "train.epochs=1"]
    one_run(tiny, folder / "warm_single")
    one_run([*tiny, "model.head=cumulative", "label.bins=5"], folder / "warm_cumulative")


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    """The median of each top-level number over repeated runs."""
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    return {key: round(statistics.median(run[key] for run in runs), 2) for key in keys}


def per_epoch(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median seconds per epoch and of the selection metrics per epoch over the runs."""
    epochs = [run["calls"]["epoch"] for run in runs]
    selection = [run["calls"]["selection_metrics"] for run in runs]
    return {
        "epoch_wall_seconds": round(statistics.median(e["median_wall_seconds"] for e in epochs), 3),
        "epoch_cpu_seconds": round(statistics.median(e["median_cpu_seconds"] for e in epochs), 3),
        "selection_metrics_wall_seconds": round(
            statistics.median(s["median_wall_seconds"] for s in selection), 4
        ),
        "selection_metrics_cpu_seconds": round(
            statistics.median(s["median_cpu_seconds"] for s in selection), 4
        ),
    }


def breakdown(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median over runs of the evaluation calls: calls, total seconds and seconds per call."""
    names = [n for n in runs[0]["calls"] if n not in ("epoch", "fit", "selection_metrics")]
    return {
        name: {
            key: round(statistics.median(run["calls"][name][key] for run in runs), 3)
            for key in ("calls", "wall_seconds", "cpu_seconds", "median_wall_seconds")
        }
        for name in names
    }


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator to 3 decimals."""
    return round(numerator / denominator, 3)


def compare(single: list[dict], cumulative: list[dict], thresholds: int) -> dict[str, Any]:
    """Cumulative against single: medians, ratios and the extrapolated sweep of dedicated runs."""
    s, c = medians(single), medians(cumulative)
    sweep_total = thresholds * s["total_seconds"]
    sweep_cpu = thresholds * s["cpu_seconds"]
    return {
        "single": s | per_epoch(single) | {"evaluation_calls": breakdown(single)},
        "cumulative": c | per_epoch(cumulative) | {"evaluation_calls": breakdown(cumulative)},
        "ratios_cumulative_over_single": {
            "train_seconds": ratio(c["train_seconds"], s["train_seconds"]),
            "train_cpu_seconds": ratio(c["train_cpu_seconds"], s["train_cpu_seconds"]),
            "evaluate_report_seconds": ratio(
                c["evaluate_report_seconds"], s["evaluate_report_seconds"]
            ),
            "total_seconds": ratio(c["total_seconds"], s["total_seconds"]),
            "cpu_seconds": ratio(c["cpu_seconds"], s["cpu_seconds"]),
        },
        "cpu_ratio_per_repeat": paired_ratios(single, cumulative, "cpu_seconds"),
        "train_cpu_ratio_per_repeat": paired_ratios(single, cumulative, "train_cpu_seconds"),
        "sweep_of_dedicated_runs_extrapolated": {
            "jobs": thresholds,
            "how": f"{thresholds} x the measured single run (not run)",
            "total_seconds": round(sweep_total, 1),
            "cpu_seconds": round(sweep_cpu, 1),
            "cumulative_over_sweep_total": ratio(c["total_seconds"], sweep_total),
            "cumulative_over_sweep_cpu": ratio(c["cpu_seconds"], sweep_cpu),
        },
    }


def measure_runs(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """The dedicated and cumulative runs, alternating, then a pair without reference models."""
    threshold = median_threshold(args.rows, args.length)
    common = [
        f"data.n_samples={args.rows}",
        f"data.length={args.length}",
        f"train.epochs={args.epochs}",
        "train.early_stopping=false",
    ]
    single = [*common, f"label.threshold={threshold}"]
    cumulative = [*common, "model.head=cumulative", f"label.bins={args.bins}"]
    warm_up(folder)
    runs: dict[str, list[dict]] = {"single": [], "cumulative": []}
    bare: dict[str, list[dict]] = {"single": [], "cumulative": []}
    plan = [("single", single, runs), ("cumulative", cumulative, runs)]
    plan += [
        ("single", [*single, "evaluate.reference=[]"], bare),
        ("cumulative", [*cumulative, "evaluate.reference=[]"], bare),
    ]
    for repeat in range(max(args.repeats, args.bare_repeats)):
        for step, (name, overrides, into) in enumerate(alternated(plan, repeat)):
            if len(into[name]) == (args.repeats if into is runs else args.bare_repeats):
                continue
            kind = "" if into is runs else "no references "
            done = one_run(overrides, folder / f"{kind[:2]}{name}{repeat}_{step}", threshold)
            into[name].append(done)
            print(kind + name, repeat, {k: v for k, v in done.items() if k != "calls"})
    out = {
        "settings": {"single": single, "cumulative": cumulative},
        "threshold_single": threshold,
        "thresholds_cumulative": args.bins - 1,
        "repeats": args.repeats,
        "how": "one process after a warm-up run of each head (both sides pay no import, so "
        "the ratio is of the runs' own work); the four variants alternate, their order "
        "reversed every other repeat; ratios of the medians, and the median of each "
        "repeat's own ratio",
        "with_reference_models": compare(runs["single"], runs["cumulative"], args.bins - 1),
        "runs": runs,
    }
    if args.bare_repeats:
        out["without_reference_models"] = compare(bare["single"], bare["cumulative"], args.bins - 1)
        out["runs_without_reference_models"] = bare
    return out


def alternated(plan: list, repeat: int) -> list:
    """The variants in their order, reversed on odd repeats (no variant always runs first)."""
    return plan if repeat % 2 == 0 else plan[::-1]


def paired_ratios(single: list[dict], cumulative: list[dict], key: str) -> dict[str, Any]:
    """Each repeat's cumulative / single ratio of `key`, and their median."""
    each = [ratio(c[key], s[key]) for s, c in zip(single, cumulative, strict=False)]
    return {"each_repeat": each, "median": round(statistics.median(each), 3)}


def ordered_scores(rows: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(rows, k) targets x > t_j for k quantile thresholds of a latent value, and monotone
    sigmoid scores of a noisy copy of it (P(x > t_j) falls with j)."""
    from threshold_sweep.prepare.labels import threshold_targets

    rng = np.random.default_rng(seed)
    latent = rng.normal(size=rows)
    cuts = np.quantile(latent, np.arange(1, k + 1) / (k + 1))
    y = np.searchsorted(cuts, latent)
    noisy = latent + rng.normal(0, 0.4, rows)
    scores = 1 / (1 + np.exp(-(noisy[:, None] - cuts[None, :]) / 0.3))
    return threshold_targets(y, k), scores


def best_cpu(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Smallest CPU seconds of `repeats` calls, and the last call's value."""
    times, value = [], None
    for _ in range(repeats):
        start = time.process_time()
        value = function()
        times.append(time.process_time() - start)
    return min(times), value


def evaluation_cost(rows: int, k: int, resamples: int, repeats: int) -> dict[str, Any]:
    """The vectorised paired bootstrap over k thresholds against k per-pair calls."""
    from sklearn.metrics import roc_auc_score

    from threshold_sweep.evaluate.bootstrap import paired_difference
    from threshold_sweep.evaluate.resample.predictions import weighted_predictions
    from threshold_sweep.evaluate.threshold_curve import paired_against_best

    targets, scores = ordered_scores(rows, k)
    best = int(np.argmax([roc_auc_score(targets[:, j], scores[:, j]) for j in range(k)]))

    def vectorised():
        return paired_against_best(targets, scores, range(k), roc_auc_score, best, resamples, 0)

    def side(j: int) -> Any:
        return weighted_predictions(targets[:, j], scores[:, j], (scores[:, j] >= 0.5).astype(int))

    def per_pair():
        return [
            paired_difference(side(best), side(j), ("roc_auc",), resamples, 0.95, 0, "percentile")
            for j in range(k)
        ]

    vector_cpu, table = best_cpu(vectorised, repeats)
    pair_cpu, pairs = best_cpu(per_pair, repeats)
    same_points = np.allclose(table["difference"], [p["roc_auc"]["difference"] for p in pairs])
    return {
        "rows": rows,
        "thresholds": k,
        "resamples": resamples,
        "paired_against_best_cpu_s": round(vector_cpu, 3),
        "per_pair_paired_difference_cpu_s": round(pair_cpu, 3),
        "per_pair_calls": k,
        "ratio_vectorised_over_per_pair": ratio(vector_cpu, pair_cpu),
        "point_differences_agree": bool(same_points),
        "note": "per-pair: stratified resamples, all 12 binary metrics computed per resample",
    }


def selection_loop(y: np.ndarray, cumulative: np.ndarray) -> list[float]:
    """Per threshold, scikit-learn's ROC-AUC of output k against y > k (one class: skipped)."""
    from sklearn.metrics import roc_auc_score

    return [
        roc_auc_score(y > k, cumulative[:, k])
        for k in range(cumulative.shape[1])
        if 0 < (y > k).sum() < len(y)
    ]


def selection_cost(rows: int, k: int, repeats: int) -> dict[str, Any]:
    """cumulative_selection_metrics per call on validation-sized data, vs its ROC-AUC loop."""
    from threshold_sweep.model.cumulative import cumulative_selection_metrics

    targets, scores = ordered_scores(rows, k, seed=1)
    y = targets.sum(axis=1)
    shares = targets.mean(axis=0)
    cost, value = best_cpu(lambda: cumulative_selection_metrics(y, scores, shares), repeats)
    loop_cost, aucs = best_cpu(lambda: selection_loop(y, scores), repeats)
    return {
        "rows": rows,
        "thresholds": k,
        "cumulative_selection_metrics_cpu_s": round(cost, 4),
        "sklearn_roc_auc_loop_cpu_s": round(loop_cost, 4),
        "val_roc_auc_equals_loop_mean": bool(np.isclose(value["val_roc_auc"], np.mean(aucs))),
    }


def main() -> None:
    """Run the benchmark and write results/cumulative.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--bins", type=int, default=21)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--bare-repeats", type=int, default=2, help="runs without references")
    parser.add_argument("--eval-rows", type=int, default=4000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--eval-repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no results file")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.length, args.epochs, args.bins = 800, 16, 1, 5
        args.repeats, args.eval_rows, args.resamples, args.eval_repeats = 1, 400, 50, 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "benchmark": "cumulative",
            "rows": args.rows,
            "length": args.length,
            "epochs": args.epochs,
            **measure_runs(args, Path(tmp)),
            "evaluation": evaluation_cost(
                args.eval_rows, args.bins - 1, args.resamples, args.eval_repeats
            ),
            "selection_metrics": selection_cost(
                int(0.15 * args.rows), args.bins - 1, args.eval_repeats + 1
            ),
        }
    result["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    text = json.dumps(result, indent=2)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "cumulative.json").write_text(text + "\n")
    summary = {k: v for k, v in result.items() if not k.startswith("runs")}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
