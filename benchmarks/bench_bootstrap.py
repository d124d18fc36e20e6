"""Benchmark: all metrics + 1000-resample stratified bootstrap CIs vs one plain metric pass.

Timed in the same process, best of several repeats, in CPU seconds (the VM's wall clock is
noisy); the ratio is what carries between machines. Both interval methods are timed on the
same resamples: `ratio` is that of the default for a run's CIs, `bca_vs_percentile` what BCa's
jackknife adds. The same is measured for k ordered classes (`--classes`, 51 by default, as the
second seed's pitch classes): every multi-class and ordinal metric (within 1 and 2, mae_x),
under `many_classes`. `binary_as_two_classes` times the same binary rows through the k-class
evaluator (two probability columns): what binary as the k = 2 case of the general vectorised
form would cost against the binary path. Writes results/bootstrap.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from threshold_sweep.evaluate.bootstrap import (
    AUTO_INTERVALS,
    DEFAULT_METHOD,
    INTERVALS,
    bootstrap_ci,
)
from threshold_sweep.evaluate.metrics import predict_labels, scalar_metrics
from threshold_sweep.evaluate.resample.predictions import (
    ClassPredictions,
    Predictions,
    weighted_predictions,
)
from threshold_sweep.evaluate.task import Ordinal


def best_cpu_seconds(function, repeats: int) -> float:
    """Smallest CPU time of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return min(times)


def ordered_predictions(rows: int, k: int, seed: int = 0):
    """k equal-count classes of a latent x, probabilities peaked near a noisy copy of the class."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    cuts = np.quantile(x, np.linspace(0, 1, k + 1)[1:-1])
    y = np.searchsorted(cuts, x)
    near = np.searchsorted(cuts, x + rng.normal(0, 0.3, rows))
    logits = -0.5 * ((np.arange(k)[None, :] - near[:, None]) / 3.0) ** 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba, proba.argmax(axis=1), x, Ordinal(within=(1, 2), thresholds=tuple(cuts))


def many_classes(rows: int, k: int, resamples: int, repeats: int) -> dict:
    """The plain pass and the bootstrap of every metric of k ordered classes."""
    y, proba, pred, x, ordinal = ordered_predictions(rows, k)

    def plain_pass():
        return scalar_metrics(y, proba, pred, ordinal=ordinal, x=x)

    plain = best_cpu_seconds(plain_pass, repeats)
    full = {
        method: best_cpu_seconds(
            lambda method=method: (
                plain_pass(),
                bootstrap_ci(
                    weighted_predictions(y, proba, pred, ordinal, x), resamples, 0.95, 0, method
                ),
            ),
            repeats,
        )
        for method in INTERVALS
    }
    default = AUTO_INTERVALS["single"] if DEFAULT_METHOD == "auto" else DEFAULT_METHOD
    return {
        "classes": k,
        "metrics": len(plain_pass()),
        "plain_metric_pass_cpu_s": round(plain, 4),
        **{f"metrics_plus_{m}_bootstrap_cpu_s": round(full[m], 4) for m in INTERVALS},
        "ratio": round(full[default] / plain, 2),
        **{f"{m}_ratio": round(full[m] / plain, 2) for m in INTERVALS},
    }


def binary_as_two_classes(y, score, pred, resamples: int, repeats: int) -> dict:
    """CPU time of the binary bootstrap (percentile) through the binary evaluator and through
    the k-class one on the two columns [1 - score, score]: the ratio is the general form's cost."""
    proba = np.column_stack([1 - score, score])
    timed = {
        "binary_path_cpu_s": lambda: bootstrap_ci(
            Predictions(y, score, pred), resamples, 0.95, 0, "percentile"
        ),
        "k_class_path_cpu_s": lambda: bootstrap_ci(
            ClassPredictions(y, proba, pred), resamples, 0.95, 0, "percentile"
        ),
    }
    out = {name: round(best_cpu_seconds(run, repeats), 4) for name, run in timed.items()}
    out["k_class_vs_binary"] = round(out["k_class_path_cpu_s"] / out["binary_path_cpu_s"], 2)
    return out


def main() -> None:
    """Time the plain pass and the bootstrap on synthetic predictions; print and save a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--classes", type=int, default=51)
    parser.add_argument("--class-repeats", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=args.rows) < 0.08).astype(np.int64)
    score = np.clip(0.35 * y + rng.uniform(0, 0.65, args.rows), 0, 1)
    pred = predict_labels(score, 0.5)
    plain = best_cpu_seconds(lambda: scalar_metrics(y, score, pred), args.repeats)
    full = {
        method: best_cpu_seconds(
            lambda method=method: (
                scalar_metrics(y, score, pred),
                bootstrap_ci(Predictions(y, score, pred), args.resamples, 0.95, 0, method),
            ),
            args.repeats,
        )
        for method in INTERVALS
    }
    default = AUTO_INTERVALS["single"] if DEFAULT_METHOD == "auto" else DEFAULT_METHOD
    result = {
        "benchmark": "bootstrap",
        "rows": args.rows,
        "resamples": args.resamples,
        "plain_metric_pass_cpu_s": round(plain, 4),
        **{f"metrics_plus_{m}_bootstrap_cpu_s": round(full[m], 4) for m in INTERVALS},
        "default_method": f"{DEFAULT_METHOD} (a run's CIs: {default})",
        "ratio": round(full[default] / plain, 2),
        **{f"{m}_ratio": round(full[m] / plain, 2) for m in INTERVALS},
        "bca_vs_percentile": round(full["bca"] / full["percentile"], 3),
        "target_ratio": 20,
        "many_classes": many_classes(args.rows, args.classes, args.resamples, args.class_repeats),
        "binary_as_two_classes": binary_as_two_classes(
            y, score, pred, args.resamples, args.class_repeats
        ),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    out = Path(__file__).parent / "results" / "bootstrap.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
