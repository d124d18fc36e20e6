"""label.bins from the command line: the cuts recomputed from the files a sweep wrote, shared by
runs that differ in train.seed, read back by the sweep summary and threshold-sweep-predict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import TINY, prices_csv, run_app

pytestmark = pytest.mark.slow  # every test trains

TABLE = ("data=table", "data.target=price", "data.id=sample_id")
# sampling=none: predictions_train.csv then holds every training row, which made the cuts
FIT = (*(arg for arg in TINY if not arg.startswith("data.")), "sampling=none")
LEVELS = [0.2, 0.4, 0.6, 0.8]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_bins_sweep_records_the_training_cuts_and_predict_reads_them(tmp_path):
    data = prices_csv(tmp_path / "prices.csv", 600, seed=4)
    done = run_app(
        [
            "-m",
            "label.bins=5",
            "train.seed=0,1",
            "hydra.sweep.dir=sweep",
            *TABLE,
            f"data.path={data}",
            *FIT,
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    runs = sorted(path.parent for path in (tmp_path / "sweep").glob("*/metrics.json"))
    assert len(runs) == 2
    records = []
    for run in runs:
        result = read_json(run / "metrics.json")
        cuts = result["label_cuts"]
        values = [cut["value"] for cut in cuts["cuts"]]
        assert [cut["quantile"] for cut in cuts["cuts"]] == pytest.approx(LEVELS)
        assert cuts["from"] == "label.bins=5"
        train = pd.read_csv(run / "predictions_train.csv")
        np.testing.assert_allclose(values, np.quantile(train["x"], LEVELS), rtol=1e-12)
        assert result["threshold"] == values
        for split in ("train", "validation", "test"):
            frame = pd.read_csv(run / f"predictions{'' if split == 'test' else '_' + split}.csv")
            np.testing.assert_array_equal(frame["y_true"], np.searchsorted(values, frame["x"]))
        counts = np.bincount(train["y_true"], minlength=5)
        assert counts.max() - counts.min() <= 1, counts  # equal-count on train
        assert len(result["label_names"]) == 5 and result["task"] == "multiclass"
        assert read_json(run / "data_summary.json")["label_cuts"] == cuts
        title = (run / "report.md").read_text().splitlines()[0]
        shown = ",".join(f"{v:g}" for v in values)
        assert title == f"# Run report: label.bins=5 (thresholds {shown})"
        records.append(cuts)
    assert records[0] == records[1]  # train.seed changes the model, not the split or the cuts

    summary = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert list(summary["status"]) == ["complete", "complete"]
    assert set(summary["thresholds"]) == {",".join(f"{v:g}" for v in values)}

    out = tmp_path / "predicted.csv"
    predicted = run_app(
        [str(runs[0]), "--data", str(data), "--output", str(out)],
        tmp_path,
        module="threshold_sweep.cli.predict",
    )
    assert predicted.returncode == 0, predicted.stderr
    frame = pd.read_csv(out)
    prices = pd.read_csv(data)["price"]
    names = read_json(runs[0] / "metrics.json")["label_names"]
    np.testing.assert_array_equal(frame["y_true"], np.searchsorted(values, prices))
    assert set(frame["label_pred"]) <= set(names)
    assert [f"score_{i}" for i in range(5)] == [c for c in frame if c.startswith("score_")]


def test_kfold_bins_label_each_held_out_row_by_its_folds_cuts(tmp_path):
    data = prices_csv(tmp_path / "prices.csv", 300, seed=4)
    done = run_app(
        ["label.bins=4", "split=kfold", "hydra.run.dir=run", *TABLE, f"data.path={data}", *FIT],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = read_json(tmp_path / "run" / "metrics.json")
    per_fold = result["label_cuts"]["per_fold"]
    assert len(per_fold) == 5
    predictions = pd.read_csv(tmp_path / "run" / "predictions.csv")
    fitted = pd.read_csv(tmp_path / "run" / "predictions_train.csv")  # each fold's training rows
    assert len(predictions) == 300  # every row tested once
    for (repeat, fold), rows in predictions.groupby(["repeat", "fold"]):
        cuts = per_fold[f"repeat{repeat}_fold{fold}"]
        trained = fitted[(fitted["repeat"] == repeat) & (fitted["fold"] == fold)]
        assert not set(trained["id"]) & set(rows["id"])
        np.testing.assert_allclose(cuts, np.quantile(trained["x"], [0.25, 0.5, 0.75]), rtol=1e-12)
        np.testing.assert_array_equal(rows["y_true"], np.searchsorted(cuts, rows["x"]))
    counted = read_json(tmp_path / "run" / "data_summary.json")["class_counts_before_sampling"]
    by_name = np.bincount(predictions["y_true"], minlength=4)
    assert list(counted["all"].values()) == by_name.tolist()  # as each row's fold labelled it
    assert list(counted["all"]) == result["label_names"]
    mean = np.mean(list(per_fold.values()), axis=0)
    np.testing.assert_allclose(result["threshold"], mean, rtol=1e-12)
    accuracy = float(np.mean(predictions["y_true"] == predictions["y_pred"]))
    assert result["test"]["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert result["test"]["n"] == 300
