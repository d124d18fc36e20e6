"""A time split on the pages: the run report's Split table and drift warning, the sweep
summary's header and insight, the summary columns (MLflow's too) and the API, from prepared
data with made-up scores (nothing trains)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from threshold_sweep.conf.validate import validate_config
from threshold_sweep.evaluate.assess import assess
from threshold_sweep.evaluate.diagnostics import diagnostic_flags
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.pipeline.record import DataRecord, run_record
from threshold_sweep.pipeline.stages import predictions_frame
from threshold_sweep.prepare import prepare
from threshold_sweep.report.document import to_markdown
from threshold_sweep.report.html import write_run_html
from threshold_sweep.report.run_page import run_document
from threshold_sweep.results.read import load_run
from threshold_sweep.results.rows import metric_columns, tracked_metrics

from conftest import compose_config, timeline_csv

TRAINED = SimpleNamespace(
    epochs_run=6,
    best_epoch=4,
    threads=1,
    monitor="val_roc_auc",
    early_stopping=True,
    monitor_best_epoch=4,
    monitor_best=0.7,
    batch_size=32,
    reduce_lr_factor=None,
    warmup_epochs=0,
)


def assessed_run(tmp_path, drift: bool, *overrides: str):
    """metrics.json's result and the predictions of a time-split run whose model is a weak
    made-up scorer, and the CSV it read."""
    path = timeline_csv(tmp_path / "t.csv", drift=drift)
    cfg = compose_config(
        "data=table",
        f"data.path={path}",
        "split=time",
        "data.order=date",
        "evaluate.bootstrap.resamples=50",
        *overrides,
    )
    validate_config(cfg)
    data = prepare(cfg)
    task = Task(tuple(data.names))
    rng = np.random.default_rng(1)
    frames = {}
    for name, rows in data.split.items():
        y = data.y[rows]
        if task.binary:
            scores = np.clip(0.3 * y + rng.uniform(0, 0.7, len(rows)), 0, 1)
        else:
            logits = rng.normal(0, 1, (len(rows), task.n_classes)) + np.eye(task.n_classes)[y]
            scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        frames[name] = predictions_frame(data, task, rows, scores, 0.5)
    result = assess(
        run_record(cfg, DataRecord.of(data), task, TRAINED, frames), frames, cfg.evaluate
    )
    return result, frames, pd.read_csv(path)


def percent(share: float) -> str:
    """As the pages write a share: 31%, or one decimal below 10% (2.2%)."""
    return f"{share:.0%}" if share >= 0.1 else f"{share:.1%}"


def test_a_drifting_time_split_is_warned_about_beside_the_metrics(tmp_path):
    result, frames, table = assessed_run(tmp_path, drift=True)
    dates = pd.to_datetime(table["date"])
    spans = {
        name: (dates[frame["id"]].min().date(), dates[frame["id"]].max().date())
        for name, frame in frames.items()
    }
    high = {name: (table["x"][frame["id"]] > 100).mean() for name, frame in frames.items()}
    expected = (
        f"the test split ({spans['test'][0]} to {spans['test'][1]}) has {percent(high['test'])} "
        f"high vs {percent(high['train'])} in training ({spans['train'][0]} to "
        f"{spans['train'][1]}), more than sampling noise explains"
    )
    (warning,) = [w for w in result["warnings"] if "the test split (" in w]
    assert expected in warning and "accuracy, precision, F1" in warning
    assert any("the validation split (" in w for w in result["warnings"])
    assert (
        diagnostic_flags(result)["class_balance_drift"]
        and result["diagnostics"]["class_balance_drift"]
    )
    document = run_document(result, [], "split: time\n")
    markdown = to_markdown(document)
    assert "**The class balance drifts over `date`**: " + expected in markdown  # the intro
    assert markdown.index("## Split") < markdown.index("## Class balance")
    assert "Time-ordered split on `date`: the earliest rows train" in markdown
    split_table = markdown.split("## Split")[1].split("##")[0]
    for name, (first, last) in spans.items():
        row = next(line for line in split_table.splitlines() if line.startswith(f"| {name} "))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[:5] == [
            name,
            str(len(frames[name])),
            str(first),
            str(last),
            percent(high[name]),
        ]
        assert cells[5] == "" if name == "train" else cells[5].endswith(": drifts")
    assert "same data and order share these" in markdown
    html = write_run_html(tmp_path / "run", document, result, None).read_text()
    assert 'id="split"' in html and "The class balance drifts over <code>date</code>" in html


def test_a_steady_time_split_says_its_ranges_and_warns_nothing(tmp_path):
    result, _, _ = assessed_run(tmp_path, drift=False)
    assert not any("class balance drifts" in w for w in result["warnings"])
    assert not result["diagnostics"]["class_balance_drift"]
    markdown = to_markdown(run_document(result, [], ""))
    assert "## Split" in markdown and ": within noise" in markdown
    assert "class balance drifts" not in markdown


def test_ordered_classes_drift_with_every_class_share(tmp_path):
    result, frames, table = assessed_run(
        tmp_path, True, "label.threshold=[50,150]", "label.min_per_split=1"
    )
    bins = {
        name: pd.cut(table["x"][frame["id"]], [-np.inf, 50, 150, np.inf]).value_counts(
            normalize=True, sort=False
        )
        for name, frame in frames.items()
    }
    (warning,) = [w for w in result["warnings"] if "the test split (" in w]
    test = ", ".join(
        f"{name} {percent(share)}"
        for name, share in zip(result["label_names"], bins["test"], strict=True)
    )
    train = " / ".join(percent(share) for share in bins["train"])
    assert f"has class shares {test} vs {train} in training" in warning
    markdown = to_markdown(run_document(result, [], ""))
    split_table = markdown.split("## Split")[1].split("\n## ")[0]
    assert all(f"{name} share" in split_table for name in result["label_names"])


def test_the_summary_columns_mlflow_and_the_api_know_the_split(tmp_path):
    result, _, _ = assessed_run(tmp_path, drift=True)
    columns = metric_columns(result)
    assert columns["split_method"] == "time" and columns["split_order"] == "date"
    assert columns["split_group"] is None
    assert columns["drift_p_value_test"] == result["split"]["drift"]["test"]["p_value"] < 0.01
    assert "drift_p_value_validation" in tracked_metrics(result)  # MLflow logs these numbers
    write_json(tmp_path / "run" / "metrics.json", result)
    run = load_run(tmp_path / "run")
    assert run.split["method"] == "time" and run.split["order"] == "date"
    assert run.split["splits"]["test"]["first"] == result["split"]["splits"]["test"]["first"]
    older = {key: value for key, value in result.items() if key != "split"}
    assert metric_columns(older)["split_method"] == "random"  # files written before the key


def test_a_sweep_title_names_grouped_and_time_splits_only():
    from threshold_sweep.sweep.page import split_kinds, split_title

    runs = pd.DataFrame(
        {
            "split_method": ["random", "random", "time"],
            "split_group": ["subject", "subject", None],
            "split_order": [None, None, "day"],
        }
    )
    assert split_kinds(runs) == {"grouped split on `subject`": 2, "time-ordered split on `day`": 1}
    assert split_title(split_kinds(runs.iloc[:2])) == " (grouped split on subject)"
    assert split_title({"random split stratified on x": 3}) == ""
    assert split_kinds(pd.DataFrame({"run": ["a"]})) == {}  # runs written before the columns


def write_run(root, name: str, result: dict, frames: dict, overrides: list[str]) -> None:
    folder = root / name
    write_json(folder / "metrics.json", result)
    write_csv(folder / "predictions.csv", frames["test"])
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))


@pytest.mark.slow  # no training, but two runs and a sweep summary: ~2 CPU s
@pytest.mark.parametrize(
    ("splits", "title"),
    [
        (["time", "time"], "Sweep summary: sweep (time-ordered split on date)"),
        (
            ["time", "random"],
            "Sweep summary: sweep (time-ordered split on date in 1 of 2 runs; random split "
            "stratified on x in 1 of 2 runs)",
        ),
    ],
)
def test_the_sweep_summary_names_the_split_in_its_header(tmp_path, splits, title):
    from threshold_sweep.sweep.build import build_summary

    root = tmp_path / "sweep"
    for threshold, method in zip((80, 120), splits, strict=True):
        extra = ["split=default"] if method == "random" else []
        result, frames, _ = assessed_run(tmp_path, True, f"label.threshold={threshold}", *extra)
        write_run(root, f"t{threshold}", result, frames, [f"label.threshold={threshold}"])
    summary = build_summary(root)
    text = (root / "summary.md").read_text()
    assert text.splitlines()[0] == f"# {title}"
    assert f"<h1>{title}</h1>" in (root / "index.html").read_text()
    first = text.split("\n\n")[1]  # the verdict (or what to read before it) still comes first
    assert "ROC-AUC" in first or first.startswith("**Read the verdict with care**")
    together = "same data and order share" if "random" not in splits else "same data and split seed"
    assert together in text
    notes = [s for s in summary.insights if "time-ordered split drifts" in s]
    assert len(notes) == 1 and f"In {splits.count('time')} of 2 run(s)" in notes[0]
    assert json.loads((root / "t80" / "metrics.json").read_text())["split"]["order"] == "date"
