"""Run reports of many ordered classes: counted warnings, one table row per class, bar charts
and heatmaps whose labels never overlap. Built from prepared synthetic data with made-up
scores (nothing trains), then checked against scikit-learn / SciPy recomputed from the files
written."""

from __future__ import annotations

import itertools
import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image as PILImage
from scipy.stats import binomtest
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

from threshold_sweep.conf.validate import validate_config
from threshold_sweep.data import load_dataset
from threshold_sweep.evaluate.assess import assess
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_csv, write_json
from threshold_sweep.pipeline.record import DataRecord, run_record
from threshold_sweep.pipeline.stages import predictions_frame
from threshold_sweep.prepare import prepare
from threshold_sweep.report.plots import (
    CELL_TEXT_CLASSES,
    class_balance_figure,
    confusion_figure,
    error_steps,
    error_steps_figure,
    per_class_recall_figure,
)
from threshold_sweep.report.run_page import write_run_report
from threshold_sweep.report.run_page.common import class_intervals, long_form, thresholds_title
from threshold_sweep.report.run_page.sections.config import compact_lists

from conftest import compose_config

TRAINED = SimpleNamespace(
    epochs_run=3,
    best_epoch=3,
    threads=1,
    monitor="val_roc_auc",
    early_stopping=True,
    monitor_best_epoch=2,
    monitor_best=0.7,
    batch_size=32,
    reduce_lr_factor=None,
    warmup_epochs=0,
)
HISTORY = pd.DataFrame(
    {
        "epoch": [0, 1, 2],
        "loss": [3.0, 2.5, 2.2],
        "val_loss": [3.1, 2.8, 2.7],
        "accuracy": [0.1, 0.2, 0.3],
        "val_accuracy": [0.1, 0.15, 0.2],
        "val_roc_auc": [0.6, 0.7, 0.69],
    }
)


def cuts(n_classes: int, n_samples: int) -> list[float]:
    """n_classes - 1 thresholds at equal-count quantiles of the default synthetic x."""
    cfg = compose_config(f"data.n_samples={n_samples}", "data.length=8")
    x = load_dataset(cfg.data).x
    return [float(f"{q:.6g}") for q in np.quantile(x, np.linspace(0, 1, n_classes + 1)[1:-1])]


def made_up_run(tmp_path, n_classes: int, n_samples: int, collapse: bool = True):
    """Write a run folder of `n_classes` ordered classes whose made-up model predicts near the
    true class (and, with `collapse`, never an odd class); return the folder."""
    thresholds = ",".join(map(str, cuts(n_classes, n_samples)))
    cfg = compose_config(
        f"data.n_samples={n_samples}",
        "data.length=8",
        f"label.threshold=[{thresholds}]",
        "label.min_per_split=1",
        "evaluate.reference=[]",
        "evaluate.bootstrap.resamples=50",
    )
    validate_config(cfg)
    data = prepare(cfg)
    task = Task(tuple(data.names))
    rng = np.random.default_rng(3)
    classes = np.arange(task.n_classes)
    frames = {}
    for name, rows in data.split.items():
        y = data.y[rows]
        near = y + rng.integers(-2, 3, len(rows))
        if collapse:
            near = 2 * (near // 2)
        near = np.clip(near, 0, task.n_classes - 1)
        logits = -0.5 * np.abs(classes[None, :] - near[:, None]) + rng.normal(
            0, 0.1, (len(rows), task.n_classes)
        )
        logits[np.arange(len(rows)), near] += 2.0
        if collapse:
            logits[:, 1::2] -= 5.0
        scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        frames[name] = predictions_frame(data, task, rows, scores, 0.5)
    result = assess(
        run_record(cfg, DataRecord.of(data), task, TRAINED, frames), frames, cfg.evaluate
    )
    folder = tmp_path / f"k{n_classes}"
    write_json(folder / "metrics.json", result)
    write_csv(folder / "predictions.csv", frames["test"])
    write_run_report(folder, result, HISTORY, frames, "seed: 0\n")
    return folder


@pytest.fixture(scope="module")
def run51(tmp_path_factory):
    """A 51-class run folder (4,000 rows: about 16 test rows per class)."""
    return made_up_run(tmp_path_factory.mktemp("many"), 51, 4000)


def warning_lines(markdown: str) -> list[str]:
    """The warnings of report.md, without their '- **Warning:** ' prefix."""
    section = markdown.split("## Warnings\n", 1)[1].split("\n## ", 1)[0]
    return [line[len("- **Warning:** ") :] for line in section.splitlines() if line.startswith("-")]


def per_class_markdown(markdown: str) -> pd.DataFrame:
    """The long per-class table of report.md, as strings."""
    section = markdown.split("Per class (one row each)", 1)[1].split("\n\n", 2)[1]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()]
    return pd.DataFrame(cells[2:], columns=cells[0])


@pytest.mark.slow  # no training, but run51 writes a 51-class report: ~5 CPU s
def test_many_affected_classes_make_one_counted_warning_per_kind(run51):
    result = json.loads((run51 / "metrics.json").read_text())
    test = pd.read_csv(run51 / "predictions.csv")
    k = 51
    never = sorted(set(range(k)) - set(test["y_pred"]))
    rows = np.bincount(test["y_true"], minlength=k)
    small = [i for i in range(k) if rows[i] < 30]
    assert len(never) > 5 and len(small) > 5  # the data must exercise the aggregation
    lines = warning_lines((run51 / "report.md").read_text())
    assert lines == result["warnings"]  # the same lines in report.md and metrics.json
    names = result["label_names"]
    unpredicted = [w for w in lines if "never predicted" in w]
    assert len(unpredicted) == 1
    first = ", ".join(repr(names[i]) for i in never[:3])
    assert unpredicted[0].startswith(
        f"{len(never)} of {k} classes are never predicted on the test split ({first} and "
        f"{len(never) - 3} more)"
    )
    widths = [
        (lambda ci: ci.high - ci.low)(
            binomtest(
                int(((test.y_true == i) & (test.y_pred == i)).sum()), int(rows[i])
            ).proportion_ci(0.95, method="exact")
        )
        for i in small
    ]
    (rough,) = [w for w in lines if "fewer than evaluate.min_class_rows" in w]
    assert rough.startswith(
        f"{len(small)} of {k} classes have fewer than evaluate.min_class_rows=30 test rows "
        f"({rows[small].min()}-{rows[small].max()} each; "
    )
    assert f"exact 95% CIs are {min(widths):.3f}-{max(widths):.3f} wide" in rough
    assert not [w for w in lines if w.startswith("Small test classes")]


@pytest.mark.slow  # no training, but a run report with its plots: ~2 CPU s
def test_few_affected_classes_are_each_named_in_one_line(tmp_path):
    folder = made_up_run(tmp_path, 4, 400, collapse=False)
    result = json.loads((folder / "metrics.json").read_text())
    test = pd.read_csv(folder / "predictions.csv")
    rows = np.bincount(test["y_true"], minlength=4)
    assert (rows < 30).sum() == 4
    (line,) = [w for w in result["warnings"] if w.startswith("Small test classes")]
    assert line.startswith("Small test classes: 4 of 4 have fewer than")
    assert [int(n) for n in re.findall(r"' (\d+) rows, recall", line)] == rows.tolist()
    assert not [w for w in result["warnings"] if "classes have fewer than" in w]


@pytest.mark.slow  # no training, but run51 writes a 51-class report: ~5 CPU s
def test_the_long_per_class_table_has_one_row_per_class_as_sklearn_computes(run51):
    result = json.loads((run51 / "metrics.json").read_text())
    test = pd.read_csv(run51 / "predictions.csv")
    table = per_class_markdown((run51 / "report.md").read_text())
    names = result["label_names"]
    assert table["class"].tolist() == names
    k = len(names)
    precision, recall, f1, support = precision_recall_fscore_support(
        test.y_true, test.y_pred, labels=range(k), zero_division=0
    )
    scores = test[[f"score_{i}" for i in range(k)]].to_numpy()
    auc = [roc_auc_score(test.y_true == i, scores[:, i]) for i in range(k)]
    for column, expected in [("precision", precision), ("recall", recall), ("f1", f1)]:
        np.testing.assert_allclose(table[column].astype(float), expected, atol=5e-4)
    np.testing.assert_allclose(table["roc_auc_ovr"].astype(float), auc, atol=5e-4)
    assert table["test"].astype(int).tolist() == support.tolist()
    for split in ("train", "validation"):
        assert table[split].astype(int).tolist() == [
            result["class_counts"][split][n] for n in names
        ]
    used = result["class_counts_after_sampling"]["train"]
    assert table["train used"].astype(int).tolist() == [used[n] for n in names]
    hits = np.diag(
        pd.crosstab(test.y_true, test.y_pred)
        .reindex(index=range(k), columns=range(k), fill_value=0)
        .to_numpy()
    )
    low = [
        binomtest(int(h), int(n)).proportion_ci(0.95, "exact").low
        for h, n in zip(hits, support, strict=True)
    ]
    shown = table["recall 95% CI (exact)"].str.split("-").str[0].astype(float)
    np.testing.assert_allclose(shown, low, atol=5e-4)
    assert "x interval" not in table  # the automatic names are the intervals
    assert class_intervals(result["threshold"]) == names


@pytest.mark.slow  # no training, but run51 writes a 51-class report: ~5 CPU s
def test_a_51_class_report_stays_short_and_shows_every_plot(run51):
    markdown = (run51 / "report.md").read_text()
    lines = markdown.splitlines()
    assert len(lines) < 200
    assert max(map(len, lines)) < 700  # no line listing every class or cell
    title = lines[0]
    threshold = json.loads((run51 / "metrics.json").read_text())["threshold"]
    assert title == f"# Run report: {thresholds_title(threshold)}"
    assert title.startswith("# Run report: 50 thresholds from ")
    html = (run51 / "report.html").read_text()
    for name in (
        "class_balance",
        "confusion_matrix",
        "confusion_matrix_normalized",
        "per_class_recall",
        "error_steps",
        "training_curves",
    ):
        assert f"plots/{name}.png" in markdown and f'src="plots/{name}.png"' in html
        with PILImage.open(run51 / "plots" / f"{name}.png") as image:
            assert image.size[0] >= 500
    assert "| (natural)" not in markdown  # no wide counts table
    for name in ("confusion_matrix", "confusion_matrix_normalized"):  # a row of their own
        assert f'<figure class="wide"><a href="plots/{name}.png">' in html
    balance = markdown.split("## Class balance\n", 1)[1].split("\n## ", 1)[0]
    assert "plots/class_balance.png" in balance


def test_binary_and_three_class_reports_keep_their_wide_tables():
    assert not long_form({"label_names": ["low", "high"]})
    assert not long_form({"label_names": ["a", "b", "c"]})
    assert long_form({"label_names": list("abcd")})
    assert thresholds_title(100.0) == "threshold 100"
    assert thresholds_title([100.0, 1000.0]) == "thresholds 100,1000"
    assert thresholds_title(list(np.arange(1.0, 51.0))) == "50 thresholds from 1 to 50"


def _labels(figure, axis: str) -> list:
    """The visible tick labels of a figure's first axes on `axis` ('x' or 'y'), drawn."""
    FigureCanvasAgg(figure).draw()
    axes = figure.axes[0]
    ticks = axes.get_xticklabels() if axis == "x" else axes.get_yticklabels()
    return [t for t in ticks if t.get_visible() and t.get_text()]


def _overlapping(labels: list) -> list[tuple[str, str]]:
    """Pairs of tick labels whose drawn boxes intersect."""
    boxes = [(t.get_text(), t.get_window_extent()) for t in labels]
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if box_a.overlaps(box_b)
    ]


def _names(k: int) -> list[str]:
    """Interval names as the product makes them, of k classes with long edges."""
    return class_intervals(list(np.geomspace(6.7219, 2523.8, k - 1).round(4)))


@pytest.mark.parametrize("k", [3, 12, 13, 51, 100])
def test_confusion_heatmap_has_cell_text_only_for_few_classes_and_no_overlapping_names(k):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, k, 20 * k)
    y_pred = np.clip(y_true + rng.integers(-1, 2, len(y_true)), 0, k - 1)
    for normalize in (None, "true"):
        figure = confusion_figure(y_true, y_pred, _names(k), "title", normalize)
        texts = figure.axes[0].texts
        assert len(texts) == (k * k if k <= CELL_TEXT_CLASSES else 0)
        if k <= CELL_TEXT_CLASSES:  # the counts or shares in the cells, blank where empty
            cells = np.array([t.get_text() for t in texts]).reshape(k, k)
            expected_text = (
                pd.crosstab(y_true, y_pred)
                .reindex(index=range(k), columns=range(k), fill_value=0)
                .to_numpy()
            )
            blank = expected_text == 0
            assert (cells[~blank] != "").all()
            assert ((cells[blank] == "") == (k > 6)).all()
        image = figure.axes[0].images[0].get_array()
        expected = (
            pd.crosstab(y_true, y_pred)
            .reindex(index=range(k), columns=range(k), fill_value=0)
            .to_numpy()
        )
        if normalize:
            expected = expected / expected.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(image, expected)
        for axis in ("x", "y"):
            labels = _labels(figure, axis)
            assert not _overlapping(labels)
            assert len(labels) >= min(k, 20)  # thinned, never to a handful


@pytest.mark.parametrize("k", [3, 12, 51, 100])
def test_bar_charts_have_a_bar_per_class_and_readable_names(k):
    names = _names(k)
    rng = np.random.default_rng(1)
    shares = pd.DataFrame(
        rng.dirichlet(np.ones(k), 4).T,
        index=names,
        columns=["train (natural)", "train (used)", "validation", "test"],
    )
    figure = class_balance_figure(shares)
    bars = figure.axes[0].patches
    assert len(bars) == 4 * k
    np.testing.assert_allclose(
        sorted(b.get_height() for b in bars), np.sort(shares.to_numpy(), axis=None)
    )
    assert not _overlapping(_labels(figure, "x"))
    recall = pd.DataFrame({"recall": rng.uniform(0, 1, k)}, index=names)
    recall["low"], recall["high"] = recall.recall * 0.5, recall.recall * 0.5 + 0.5
    figure = per_class_recall_figure(recall, 1 / k, float(recall.recall.mean()))
    heights = [b.get_height() for b in figure.axes[0].patches]
    np.testing.assert_allclose(heights, recall.recall)
    assert not _overlapping(_labels(figure, "x"))


@pytest.mark.parametrize("k", [3, 51])
def test_error_steps_count_pred_minus_true_and_a_random_guess(k):
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, k, 500)
    y_pred = np.clip(y_true + rng.integers(-3, 4, 500), 0, k - 1)
    errors = error_steps(y_true, y_pred, k)
    assert errors["step"].tolist() == list(range(-(k - 1), k))
    observed = pd.Series(y_pred - y_true).value_counts(normalize=True)
    np.testing.assert_allclose(
        errors.set_index("step")["model"].reindex(observed.index), observed.to_numpy()
    )
    shares = np.bincount(y_true, minlength=k) / len(y_true)
    pairs = (
        pd.DataFrame(
            {
                "d": (np.arange(k)[None, :] - np.arange(k)[:, None]).ravel(),
                "p": np.outer(shares, shares).ravel(),
            }
        )
        .groupby("d")["p"]
        .sum()
    )
    np.testing.assert_allclose(errors.set_index("step")["random"], pairs.reindex(errors.step))
    figure = error_steps_figure(errors)
    assert len(figure.axes[0].patches) == 2 * k - 1


def test_predictions_of_100_classes_are_one_unfragmented_frame():
    import warnings

    task = Task(tuple(class_intervals(list(np.arange(1.0, 100.0)))))
    rows = np.arange(50)
    data = SimpleNamespace(dataset=SimpleNamespace(ids=rows, x=rows * 1.0), y=rows % task.n_classes)
    scores = np.random.default_rng(0).dirichlet(np.ones(task.n_classes), len(rows))
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        frame = predictions_frame(data, task, rows, scores, 0.5)
    assert list(frame.columns) == ["id", "x", "y_true", "y_pred", *task.score_columns()]
    np.testing.assert_array_equal(frame[task.score_columns()].to_numpy(), scores)
    np.testing.assert_array_equal(frame["y_pred"], scores.argmax(axis=1))


@pytest.mark.slow
def test_a_trained_51_class_run_logs_the_counted_warnings_it_reports(tmp_path):
    from conftest import TINY, run_app

    thresholds = ",".join(map(str, cuts(51, 4000)))
    args = [*TINY, "data.n_samples=4000", f"label.threshold=[{thresholds}]"]
    args += ["label.min_per_split=1", "evaluate.reference=[]"]
    done = run_app(args, tmp_path)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "outputs" / "runs").iterdir()
    result = json.loads((folder / "metrics.json").read_text())
    logged = re.findall(r"\[WARNING\] (.*)", (folder / "threshold-sweep.log").read_text())
    assert logged == result["warnings"] == warning_lines((folder / "report.md").read_text())
    test = pd.read_csv(folder / "predictions.csv")
    small = int((np.bincount(test["y_true"], minlength=51) < 30).sum())
    assert small > 5
    assert sum(w.startswith(f"{small} of 51 classes have fewer than") for w in logged) == 1
    assert not [w for w in logged if w.startswith("Small test classes")]
    markdown = (folder / "report.md").read_text()
    body = markdown.split("\n## Config\n")[0]  # the config block is about 80 lines
    # the opening lines grew by the small-test line, decision skill and calibration (issue 22)
    assert len(body.splitlines()) < 180 and len(markdown.splitlines()) < 270
    for name in ("class_balance", "confusion_matrix_normalized", "per_class_recall", "error_steps"):
        assert (folder / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_config_block_writes_long_lists_inline_and_means_the_same():
    import yaml

    thresholds = [round(float(t), 4) for t in np.geomspace(6.7219, 2523.8, 50)]
    text = yaml.safe_dump({"seed": 0, "label": {"threshold": thresholds, "names": None}})
    compact = compact_lists(text)
    assert yaml.safe_load(compact) == yaml.safe_load(text)
    assert len(compact.splitlines()) <= 10 < len(text.splitlines())
    short = "evaluate:\n  reference:\n  - logistic\n  - hgb\n"
    assert compact_lists(short) == short  # a short list keeps its lines


def test_class_balance_shows_the_training_split_once_when_sampling_left_it_as_it_was():
    from threshold_sweep.report.run_page.sections.plots import balance_series

    counts = {"train": {"a": 5, "b": 7}, "validation": {"a": 2, "b": 2}, "test": {"a": 1, "b": 3}}
    as_is = {"class_counts": counts, "class_counts_after_sampling": {"train": {"a": 5, "b": 7}}}
    assert list(balance_series(as_is)) == [
        "train (used as it is: no sampling)",
        "validation",
        "test",
    ]
    cut = {"class_counts": counts, "class_counts_after_sampling": {"train": {"a": 5, "b": 5}}}
    series = balance_series(cut)
    assert list(series)[:2] == ["train (natural)", "train (used, after sampling)"]
    assert series["train (used, after sampling)"] == {"a": 5, "b": 5}
