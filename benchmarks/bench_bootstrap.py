"""Benchmark: all metrics + 1000-resample stratified bootstrap CIs vs one plain metric pass.

Timed in the same process, best of several repeats, in CPU seconds (the VM's wall clock is
noisy); the ratio is what carries between machines. Both interval methods are timed on the
same resamples: `ratio` is that of the default for a run's CIs, `bca_vs_percentile` what BCa's
jackknife adds. Writes results/bootstrap.json.
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
    Predictions,
    bootstrap_ci,
)
from threshold_sweep.evaluate.metrics import predict_labels, scalar_metrics


def best_cpu_seconds(function, repeats: int) -> float:
    """Smallest CPU time of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    """Time the plain pass and the bootstrap on synthetic predictions; print and save a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
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
