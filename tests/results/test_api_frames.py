"""The API's long metrics table of a sweep, from runs loaded elsewhere (no training)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from threshold_sweep.api import Sweep


def _run(seed: int, split: str) -> SimpleNamespace:
    metrics = pd.DataFrame(
        {"split": ["train", "test"], "metric": ["roc_auc"] * 2, "value": [0.9, 0.8 + seed / 100]}
    )
    return SimpleNamespace(metrics=metrics, overrides={"split": split, "train.seed": str(seed)})


def test_an_override_named_like_a_metrics_column_gets_its_own_column():
    runs = pd.DataFrame(
        {
            "run": ["0", "1"],
            "status": ["complete", "complete"],
            "split": ["kfold", "default"],
            "train.seed": [0, 1],
            "threshold": [100.0, 100.0],
        }
    )
    sweep = Sweep(Path("."), runs, None, None, [])
    sweep.__dict__["finished"] = {"0": _run(0, "kfold"), "1": _run(1, "default")}
    metrics = sweep.metrics
    assert list(metrics.columns) == [
        "run",
        "split (override)",
        "train.seed",
        "split",
        "metric",
        "value",
    ]
    assert list(metrics["split (override)"]) == ["kfold", "kfold", "default", "default"]
    assert list(metrics["split"]) == ["train", "test", "train", "test"]
    assert metrics["train.seed"].tolist() == [0, 0, 1, 1]  # numeric, as the runs table's
    test = metrics.query("split == 'test'")
    assert test["value"].tolist() == [0.8, 0.81]
