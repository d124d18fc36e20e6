"""split=predefined from the command line: an .npz whose string array names each row's part; a
sweep over thresholds (and one cumulative-head run) tests exactly the rows marked test."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from conftest import run_app

pytestmark = pytest.mark.slow  # every test trains

N, LENGTH = 300, 16
FIT = (
    "train.epochs=2",
    "train.threads=1",
    "model.filters=[4]",
    "model.dense_units=4",
    "evaluate.bootstrap.resamples=50",
)


def parts_npz(path) -> np.ndarray:
    """X (N, LENGTH) carrying log10(x), x, ids 1000.., and `part`: every fourth row ' Test '
    (as a hand-made file may spell it), the rest 'train'; returns the ids marked test."""
    rng = np.random.default_rng(3)
    log_x = rng.normal(2.0, 0.4, N)
    X = rng.normal(0, 1, (N, LENGTH)) + (log_x - 2.0)[:, None] * 2
    part = np.where(np.arange(N) % 4 == 0, " Test ", "train")
    ids = np.arange(1000, 1000 + N)
    np.savez(path, X=X, x=10**log_x, ids=ids, part=part)
    return ids[part == " Test "]


def arrays(tmp_path) -> tuple[list[str], np.ndarray]:
    test_ids = parts_npz(tmp_path / "rows.npz")
    args = [
        "data=arrays",
        f"data.path={tmp_path / 'rows.npz'}",
        "data.id_key=ids",
        "split=predefined",
        "data.part_key=part",
        *FIT,
    ]
    return args, test_ids


def test_every_threshold_of_a_sweep_tests_exactly_the_marked_rows(tmp_path):
    args, test_ids = arrays(tmp_path)
    done = run_app(["-m", "label.threshold=60,150", "hydra.sweep.dir=sweep", *args], tmp_path)
    assert done.returncode == 0, done.stderr
    runs = sorted(path.parent for path in (tmp_path / "sweep").glob("*/metrics.json"))
    assert len(runs) == 2
    for run in runs:
        tested = pd.read_csv(run / "predictions.csv")["id"].to_numpy()
        np.testing.assert_array_equal(np.sort(tested), test_ids)
        train = pd.read_csv(run / "predictions_train.csv")["id"].to_numpy()
        validation = pd.read_csv(run / "predictions_validation.csv")["id"].to_numpy()
        assert not set(validation) & set(test_ids) and not set(train) & set(test_ids)
        assert len(validation) == round(0.15 * (N - len(test_ids)))
        split = json.loads((run / "metrics.json").read_text())["split"]
        assert split["method"] == "predefined" and split["part"] == "data.part_key=part"
        report = (run / "report.md").read_text()
        assert "predefined split by `data.part_key=part`" in report
        assert "Split: random" not in report


def test_a_cumulative_head_tests_the_marked_rows_at_every_threshold(tmp_path):
    args, test_ids = arrays(tmp_path)
    done = run_app(
        ["model.head=cumulative", "label.threshold=[60,150]", "hydra.run.dir=run", *args],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    # every threshold's score beside x in the run's predictions, no folder per threshold
    assert not (run / "thresholds").exists()
    (written,) = sorted(run.rglob("predictions.csv"))
    test = pd.read_csv(written)
    np.testing.assert_array_equal(np.sort(test["id"].to_numpy()), test_ids)
    curve = pd.read_csv(run / "thresholds.csv")
    for k, threshold in enumerate((60, 150)):  # each test ROC-AUC from the scores written
        expected = roc_auc_score(test["x"] > threshold, test[f"p_above_{threshold}"])
        assert curve.loc[k, "roc_auc"] == pytest.approx(expected)
