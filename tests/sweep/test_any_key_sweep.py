"""Sweeps over any numeric key (a learning rate): the axis, the plots against it, the gap
insights, the value to use, and multi-class runs in the paired comparisons. The fast tests
build run folders (metrics.json from assess(), predictions, history.csv) without a model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from threshold_sweep.sweep.naming import shown_groups
from threshold_sweep.sweep.stats import SweepAxis, sweep_axis

from conftest import TINY, markdown_table, run_app, write_assessed_run

SPLITS = ("train", "validation", "test")
N_ROWS = {"train": 400, "validation": 300, "test": 300}


def _labels(split: str, k: int) -> np.ndarray:
    """The true classes of a split: the same rows for every run of a sweep."""
    rng = np.random.default_rng(SPLITS.index(split))
    return rng.integers(0, k, N_ROWS[split])


def _frame(split: str, k: int, gain: float, seed: int) -> pd.DataFrame:
    """A split's predictions with `gain` of signal (0: chance)."""
    y = _labels(split, k)
    rng = np.random.default_rng(100 + seed * 7 + SPLITS.index(split))
    logits = rng.normal(0, 1, (len(y), k)) + gain * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    frame = pd.DataFrame({"id": np.arange(len(y)), "y_true": y})
    if k == 2:
        return frame.assign(y_score=proba[:, 1], y_pred=(proba[:, 1] >= 0.5).astype(int))
    scores = {f"score_{i}": proba[:, i] for i in range(k)}
    return frame.assign(y_pred=proba.argmax(axis=1), **scores)


def write_run(root: Path, rate: str, gains: dict[str, float], k: int = 2, seed: int = 0) -> Path:
    """A finished run folder of a learning-rate sweep, numbers from assess() on made-up
    predictions whose signal per split is `gains`."""
    folder = root / f"train.learning_rate={rate}"
    names = ["low", "high"] if k == 2 else [f"c{i}" for i in range(k)]
    frames = {split: _frame(split, k, gains[split], seed) for split in SPLITS}
    threshold = 100.0 if k == 2 else [float(10 * i) for i in range(1, k)]
    write_assessed_run(folder, [f"train.learning_rate={rate}"], frames, names, threshold)
    epochs = np.arange(3)
    history = {"epoch": epochs, "loss": 1 / (1 + epochs), "val_loss": 1.1 / (1 + epochs)}
    history["val_roc_auc"] = 0.6 + 0.1 * epochs * gains["validation"]
    pd.DataFrame(history).to_csv(folder / "history.csv", index=False)
    return folder


# train, validation, test signal per rate: 1e-4 learns little, 1e-3 is best on validation
# (1e-2 is best on test: the choice must not follow it), 1e-1 fits its train rows far better
GAINS = {
    "0.0001": {"train": 0.1, "validation": 0.1, "test": 0.1},
    "0.001": {"train": 1.6, "validation": 1.6, "test": 1.3},
    "0.01": {"train": 1.5, "validation": 1.0, "test": 1.6},
    "0.1": {"train": 4.0, "validation": 0.8, "test": 0.8},
}


@pytest.fixture(scope="module")
def rate_sweep(tmp_path_factory) -> Path:
    """Four binary runs of a learning-rate sweep on the same rows."""
    root = tmp_path_factory.mktemp("rates")
    for rate, gains in GAINS.items():
        write_run(root, rate, gains)
    return root


def _metrics(root: Path, rate: str) -> dict:
    return json.loads((root / f"train.learning_rate={rate}" / "metrics.json").read_text())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1e-4", "1e-3", "1e-2"], SweepAxis("train.learning_rate", True)),
        (["0.01", "1"], SweepAxis("train.learning_rate", True)),  # exactly two decades
        (["0.1", "0.2", "0.5"], SweepAxis("train.learning_rate", False)),  # under two decades
        (["-1", "1", "1000"], SweepAxis("train.learning_rate", False)),  # not all positive
        (["adam", "sgd"], None),  # not a number: the groups stay categories
    ],
)
def test_the_axis_is_the_numeric_swept_key_log_when_it_spans_decades(values, expected):
    table = pd.DataFrame({"train.learning_rate": values})
    assert sweep_axis(table, ["train.learning_rate"]) == expected


def test_a_threshold_sweep_keeps_its_threshold_axis():
    table = pd.DataFrame({"label.threshold": ["100", "1000"], "train.learning_rate": ["1", "2"]})
    assert sweep_axis(table, ["label.threshold", "train.learning_rate"]) is None
    axis = sweep_axis(table, ["train.learning_rate", "sampling"])
    assert axis is not None and not axis.only  # another key varies too: no per-value verdict


def test_gaps_are_train_minus_the_split_with_that_splits_ci(rate_sweep):
    from threshold_sweep.sweep.collect import summarize

    runs = summarize(rate_sweep).complete.set_index("train.learning_rate")
    for rate in GAINS:
        result, row = _metrics(rate_sweep, rate), runs.loc[rate]
        train = result["train"]["roc_auc"]
        low, high = result["ci"]["test"]["roc_auc"]
        assert row["gap_test_roc_auc"] == pytest.approx(train - result["test"]["roc_auc"])
        assert row["gap_test_roc_auc_ci_low"] == pytest.approx(train - high)
        assert row["gap_test_roc_auc_ci_high"] == pytest.approx(train - low)
        folder = rate_sweep / f"train.learning_rate={rate}"
        validation = pd.read_csv(folder / "predictions_validation.csv")
        direct = skm.roc_auc_score(validation["y_true"], validation["y_score"])
        assert row["validation_roc_auc"] == pytest.approx(direct)
        assert row["gap_validation_roc_auc"] == pytest.approx(train - direct)
        v_low, v_high = row["validation_roc_auc_ci_low"], row["validation_roc_auc_ci_high"]
        assert v_low < direct < v_high
        assert 0.02 < v_high - v_low < 0.25  # 300 rows: a few hundredths either side
        assert row["gap_validation_roc_auc_ci_low"] == pytest.approx(train - v_high)
    # metrics.json's overfitting flag is the gap CI above 0 with the gap above max_gap
    flagged = {
        rate: _metrics(rate_sweep, rate)["overfitting"]["roc_auc"]["large"] for rate in GAINS
    }
    beyond = runs["gap_test_roc_auc_ci_low"].gt(0) & runs["gap_test_roc_auc"].gt(0.05)
    assert flagged == beyond.to_dict()
    assert flagged["0.1"] and not flagged["0.001"]


def test_the_plot_shows_train_validation_and_test_against_the_log_rate(rate_sweep):
    from threshold_sweep.sweep.collect import summarize
    from threshold_sweep.sweep.plots import MAIN_METRICS, axis_figure

    summary = summarize(rate_sweep)
    figure = axis_figure(
        summary.groups, summary.complete, MAIN_METRICS, summary.keys, summary.axis, 0.05
    )
    panels = {axes.get_title(): axes for axes in figure.axes if axes.get_visible()}
    runs = summary.complete.assign(rate=pd.to_numeric(summary.complete["train.learning_rate"]))
    runs = runs.sort_values("rate")
    roc = panels["roc_auc"]
    assert roc.get_xscale() == "log" and roc.get_xlabel() == "learning_rate"
    lines = {c.get_label(): c.lines[0] for c in roc.containers}  # errorbar: line and bars
    lines.update({line.get_label(): line for line in roc.lines if line.get_label() == "no skill"})
    for split in SPLITS:
        assert list(lines[split].get_xdata()) == pytest.approx(runs["rate"].tolist())
        assert list(lines[split].get_ydata()) == pytest.approx(runs[f"{split}_roc_auc"].tolist())
    assert set(lines["no skill"].get_ydata()) == {0.5}
    accuracy = {c.get_label() for c in panels["accuracy"].containers}
    assert accuracy == {"validation", "test"}  # train is resampled: its accuracy is not drawn
    gap = panels["train - test gap (CI: test-row noise)"]
    (roc_gap,) = [c for c in gap.containers if c.get_label() == "roc_auc"]
    expected = (runs["train_roc_auc"] - runs["test_roc_auc"]).tolist()
    assert list(roc_gap.lines[0].get_ydata()) == pytest.approx(expected)
    (bars,) = roc_gap.lines[2]  # the vertical CI bars, one segment per rate
    assert [seg[:, 1].min() for seg in bars.get_segments()] == pytest.approx(
        runs["gap_test_roc_auc_ci_low"].tolist()
    )
    assert [seg[:, 1].max() for seg in bars.get_segments()] == pytest.approx(
        runs["gap_test_roc_auc_ci_high"].tolist()
    )
    (limit,) = [line for line in gap.lines if line.get_label() == "evaluate.max_gap=0.05"]
    assert list(limit.get_ydata()) == [0.05, 0.05]


def test_the_curves_overlay_every_run_coloured_by_the_rate(rate_sweep):
    from threshold_sweep.sweep.build import run_histories
    from threshold_sweep.sweep.collect import summarize
    from threshold_sweep.sweep.plots import curves_figure

    summary = summarize(rate_sweep)
    histories = run_histories(rate_sweep, summary)
    values = {f"learning_rate={rate}": float(rate) for rate in GAINS}
    figure = curves_figure(histories, values, "val_roc_auc", log=True)
    loss, monitored = figure.axes
    assert len(loss.lines) == 2 * len(GAINS)  # train and validation of each run
    assert len(monitored.lines) == len(GAINS)  # the history holds validation only
    by_run = {line.get_label(): line for line in monitored.lines}
    for rate, gains in GAINS.items():
        line = by_run[f"learning_rate={rate}"]
        assert list(line.get_ydata()) == pytest.approx(
            [0.6 + 0.1 * e * gains["validation"] for e in range(3)]
        )
    colours = [by_run[f"learning_rate={rate}"].get_color() for rate in GAINS]
    assert len({tuple(c) for c in colours}) == len(GAINS)
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == list(values)


@pytest.mark.slow  # no training, but a sweep summary with its plots: ~2 CPU s
def test_the_summary_opens_with_the_value_to_use_and_the_gaps(rate_sweep):
    from threshold_sweep.sweep.build import build_summary

    summary = build_summary(rate_sweep)
    runs = summary.complete.set_index("train.learning_rate")
    best_validation = runs["validation_roc_auc"].idxmax()
    assert best_validation == "0.001" and runs["test_roc_auc"].idxmax() == "0.01"
    text = (rate_sweep / "summary.md").read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    result = _metrics(rate_sweep, "0.001")
    training = result["training"]
    improving = (
        training.get("monitor_best_epoch", training["best_epoch"])
        == training["epochs_run"]
        == training.get("max_epochs")
    )
    caveat = lines.pop(1) if lines[1].startswith("**Read the choice with care**") else ""
    assert bool(caveat) == improving and ("still improving" in caveat) == improving
    test = result["ci"]["test"]["roc_auc"]
    value = runs.loc["0.001", "test_roc_auc"]
    assert lines[1].startswith("Use learning_rate=0.001: it has the best validation ROC-AUC")
    assert f"its test ROC-AUC is {value:.3f} (95% CI {test[0]:.3f} to {test[1]:.3f})" in lines[1]
    assert lines[2].startswith("Train - validation gap of ROC-AUC per learning_rate")
    assert "underfitting at learning_rate=0.0001" in lines[3]
    assert "overfitting at learning_rate=0.1" in lines[3]
    assert lines[4].startswith("Against learning_rate=0.001 on the same test rows")
    assert "learning_rate=0.01 +" in lines[4] and "better beyond noise" in lines[4]  # on test
    assert (rate_sweep / "summary_curves.png").exists()
    shown = markdown_table(text, "Runs")
    gap = runs.loc["0.1"]
    cell = shown.set_index("train.learning_rate").loc["0.1", "train - test roc_auc"]
    low, high = gap["gap_test_roc_auc_ci_low"], gap["gap_test_roc_auc_ci_high"]
    assert cell == f"{gap['gap_test_roc_auc']:+.3f} [{low:+.3f}, {high:+.3f}]"


def _runs(**columns) -> pd.DataFrame:
    """A table of runs of a learning-rate sweep with gap columns (defaults: a run that fits)."""
    base = {
        "run": ["learning_rate=0.01"],
        "train.learning_rate": ["0.01"],
        "ci_level": [0.95],
        "train_roc_auc": [0.90],
        "validation_roc_auc": [0.88],
        "test_roc_auc": [0.88],
        "test_roc_auc_ci_low": [0.85],
        "test_roc_auc_ci_high": [0.91],
        "gap_test_roc_auc": [0.02],
        "gap_test_roc_auc_ci_low": [-0.01],
        "gap_test_roc_auc_ci_high": [0.05],
        "gap_validation_roc_auc": [0.02],
        "gap_validation_roc_auc_ci_low": [-0.01],
        "gap_validation_roc_auc_ci_high": [0.05],
    }
    return pd.DataFrame({**base, **columns})


AXIS = SweepAxis("train.learning_rate", True)


def test_the_gap_note_calls_overfitting_only_beyond_noise_and_max_gap():
    from threshold_sweep.sweep.insights.gaps import gap_notes

    (fits,) = gap_notes(_runs(), 0.05, AXIS)
    assert fits.startswith("learning_rate=0.01: train - test gap ROC-AUC +0.020 (95% CI")
    assert "within noise" in fits and "not overfitting" in fits
    over = _runs(train_roc_auc=[0.99], gap_test_roc_auc=[0.11], gap_test_roc_auc_ci_low=[0.08])
    (sentence,) = gap_notes(over, 0.05, AXIS)
    assert "+0.110 (95% CI +0.080 to +0.050), beyond noise" in sentence
    assert "overfitting: beyond test noise and above evaluate.max_gap=0.05" in sentence
    noisy = _runs(train_roc_auc=[0.95], gap_test_roc_auc=[0.07], gap_test_roc_auc_ci_low=[-0.01])
    (sentence,) = gap_notes(noisy, 0.05, AXIS)
    assert "above evaluate.max_gap=0.05 but within test noise" in sentence
    weak = _runs(train_roc_auc=[0.62], gap_test_roc_auc=[0.1], gap_test_roc_auc_ci_low=[0.04])
    (sentence,) = gap_notes(weak, 0.05, AXIS)
    assert "not overfitting: its train ROC-AUC 0.620 is not well above chance (below 0.650)" in (
        sentence
    )
    near_chance = _runs(train_roc_auc=[0.55], gap_test_roc_auc=[0.2], gap_test_roc_auc_ci_low=[0.1])
    (sentence,) = gap_notes(near_chance, 0.05, AXIS)
    assert "underfitting: its train ROC-AUC 0.550 is below 0.6" in sentence
    assert "overfitting: beyond" not in sentence
    better_test = _runs(
        gap_test_roc_auc=[-0.05], gap_test_roc_auc_ci_low=[-0.08], gap_test_roc_auc_ci_high=[-0.01]
    )
    (sentence,) = gap_notes(better_test, 0.05, AXIS)
    assert "-0.050 (95% CI -0.080 to -0.010), beyond noise, test above train" in sentence
    assert gap_notes(over, 0.05, None) == []  # a threshold sweep keeps its overfitting notes


def test_the_value_to_use_is_the_best_on_validation_not_on_test():
    from threshold_sweep.sweep.insights.choice import choice_verdict

    runs = pd.concat(
        [
            _runs(),
            _runs(
                run=["learning_rate=0.1"],
                **{"train.learning_rate": ["0.1"]},
                validation_roc_auc=[0.80],
                test_roc_auc=[0.92],
            ),
        ],
        ignore_index=True,
    )
    (sentence,) = choice_verdict(runs, AXIS)
    assert sentence.startswith("Use learning_rate=0.01: it has the best validation ROC-AUC, 0.880")
    assert "its test ROC-AUC is 0.880 (95% CI 0.850 to 0.910)" in sentence
    assert "chosen on the validation rows, not on test" in sentence
    assert choice_verdict(runs, SweepAxis("train.learning_rate", True, only=False)) == []
    assert choice_verdict(runs, None) == []
    assert choice_verdict(runs.iloc[:1], AXIS) == []  # one value: nothing to choose


def test_a_choice_at_the_edge_of_the_grid_or_before_convergence_is_caveated_first():
    from threshold_sweep.sweep.insights.choice import choice_verdict

    def rate(value: str, validation: float, improving: float = 0.0) -> pd.DataFrame:
        return _runs(
            run=[f"learning_rate={value}"],
            **{"train.learning_rate": [value]},
            validation_roc_auc=[validation],
            train_still_improving=[improving],
        )

    inside = pd.concat([rate("0.001", 0.80), rate("0.01", 0.88), rate("0.1", 0.82)])
    (sentence,) = choice_verdict(inside.reset_index(drop=True), AXIS)  # no caveat
    assert sentence.startswith("Use learning_rate=0.01")
    edge = pd.concat([rate("0.001", 0.80), rate("0.01", 0.82), rate("0.1", 0.88, 1.0)])
    caveat, use = choice_verdict(edge.reset_index(drop=True), AXIS)
    assert caveat.startswith("**Read the choice with care**: the chosen learning_rate=0.1 is the ")
    assert "highest value swept" in caveat and "extend the grid" in caveat
    assert "still improving at their last epoch (100% of them)" in caveat
    assert use.startswith("Use learning_rate=0.1")
    close = inside.assign(validation_roc_auc_ci_low=[0.75, 0.85, 0.78]).reset_index(drop=True)
    (alone,) = choice_verdict(close, AXIS)  # 0.1's 0.82 lies below 0.01's CI, from 0.85
    assert alone.startswith("Use learning_rate=0.01")
    closer = inside.assign(validation_roc_auc_ci_low=[0.75, 0.81, 0.78]).reset_index(drop=True)
    caveat, _ = choice_verdict(closer, AXIS)
    assert caveat.startswith(
        "**Read the choice with care**: learning_rate=0.1 (0.820) scores within the validation "
        "noise of the chosen 0.880 (its CI starts at 0.810)"
    )
    assert "0.001" not in caveat  # 0.80 lies below the chosen value's CI


def test_values_are_called_underfitting_or_overfitting_only_when_they_are():
    from threshold_sweep.sweep.insights.gaps import gap_verdict

    fits = _runs()
    low = _runs(
        run=["learning_rate=1e-05"],
        **{"train.learning_rate": ["1e-05"]},
        train_roc_auc=[0.70],  # below the chosen value's test CI (0.85 and up)
        validation_roc_auc=[0.69],
        test_roc_auc=[0.69],  # and its test below the chosen value's 0.88 beyond noise
        test_roc_auc_ci_low=[0.66],
        test_roc_auc_ci_high=[0.72],
        gap_test_roc_auc=[0.01],
    )
    high = _runs(
        run=["learning_rate=0.1"],
        **{"train.learning_rate": ["0.1"]},
        train_roc_auc=[0.99],
        validation_roc_auc=[0.80],
        gap_test_roc_auc=[0.12],
        gap_test_roc_auc_ci_low=[0.09],
        gap_validation_roc_auc_ci_low=[0.1],
    )
    gaps, fit = gap_verdict(pd.concat([low, fits, high], ignore_index=True), AXIS, 0.05)
    assert "0.1: +0.020 (95% CI +0.100 to +0.050) beyond noise" in gaps
    assert "0.01: +0.020 (95% CI -0.010 to +0.050) within noise" in gaps
    assert fit.startswith(
        "By learning_rate: underfitting at learning_rate=1e-05; overfitting at "
        "learning_rate=0.1; neither at learning_rate=0.01"
    )
    trained_only = low.assign(test_roc_auc_ci_high=[0.89])  # its test CI reaches 0.88
    (_, fit) = gap_verdict(pd.concat([trained_only, fits], ignore_index=True), AXIS, 0.05)
    assert fit.startswith("By learning_rate: neither at learning_rate=1e-05, 0.01 (")
    (_, quiet) = gap_verdict(
        pd.concat([fits, fits.assign(**{"train.learning_rate": "0.1"})]), AXIS, 0.05
    )
    assert "underfitting" not in quiet.split("(")[0] and "overfitting" not in quiet.split("(")[0]
    assert gap_verdict(fits, None, 0.05) == []


def test_paired_metrics_are_the_tasks():
    from threshold_sweep.evaluate.task import Ordinal, Task

    assert Task(("a", "b")).paired_metrics == ("roc_auc", "balanced_accuracy", "mcc")
    assert Task(("a", "b", "c")).paired_metrics == ("roc_auc_ovr", "balanced_accuracy", "mcc")
    ordinal = Task(("a", "b", "c"), Ordinal())  # a run that recorded its ordinal settings
    assert ordinal.paired_metrics[3:] == ("mae_classes", "qwk")


def test_three_class_runs_are_paired_and_give_the_verdict(tmp_path):
    from threshold_sweep.sweep.collect import summarize

    gains = {"0.001": {s: 0.6 for s in SPLITS}, "0.01": {s: 1.5 for s in SPLITS}}
    for seed, (rate, gain) in enumerate(gains.items()):
        write_run(tmp_path, rate, gain, k=3, seed=seed)
    summary = summarize(tmp_path)
    paired = summary.paired.set_index("metric")
    assert list(paired.index) == ["roc_auc_ovr", "balanced_accuracy", "mcc", "mae_classes", "qwk"]
    frames = {
        rate: pd.read_csv(tmp_path / f"train.learning_rate={rate}" / "predictions.csv")
        for rate in gains
    }
    a, b = frames["0.001"], frames["0.01"]
    scores = [f"score_{i}" for i in range(3)]
    direct = {
        "roc_auc_ovr": skm.roc_auc_score(b["y_true"], b[scores], multi_class="ovr")
        - skm.roc_auc_score(a["y_true"], a[scores], multi_class="ovr"),
        "balanced_accuracy": skm.balanced_accuracy_score(b["y_true"], b["y_pred"])
        - skm.balanced_accuracy_score(a["y_true"], a["y_pred"]),
        "mcc": skm.matthews_corrcoef(b["y_true"], b["y_pred"])
        - skm.matthews_corrcoef(a["y_true"], a["y_pred"]),
        "mae_classes": np.abs(b["y_pred"] - b["y_true"]).mean()
        - np.abs(a["y_pred"] - a["y_true"]).mean(),
        "qwk": skm.cohen_kappa_score(b["y_true"], b["y_pred"], weights="quadratic")
        - skm.cohen_kappa_score(a["y_true"], a["y_pred"], weights="quadratic"),
    }
    for metric, difference in direct.items():
        row = paired.loc[metric]
        assert row["difference"] == pytest.approx(difference)
        assert row["ci_low"] < difference < row["ci_high"]
    assert paired.loc["roc_auc_ovr", "ci_low"] > 0  # the sharper run ranks better
    assert paired.loc["mae_classes", "ci_high"] < 0  # and is fewer class steps off
    why = summary.insight_groups["Why the numbers moved"]
    (mae,) = [s for s in why if s.startswith("MAE (class steps) differs by -")]
    assert mae.endswith("learning_rate=0.01 is better on MAE (class steps).")  # lower is better
    assert any(s.startswith("balanced accuracy differs by") for s in why)
    assert not any("cutoff" in s for s in why)  # k classes: the most probable class, no cutoff
    (against,) = [s for s in summary.insight_groups["Verdict"] if s.startswith("Against")]
    roc = paired.loc["roc_auc_ovr"]  # 0.01 - 0.001: the chosen minus the other
    assert (
        f"learning_rate=0.001 {-roc['difference']:+.3f} (95% CI {-roc['ci_high']:+.3f}" in against
    )
    assert against.endswith("worse beyond noise.")
    assert not any("discriminates" in s for s in summary.insight_groups["Verdict"])
    from threshold_sweep.sweep.insights.compose import insight_groups

    groups = shown_groups(summary.groups, summary.group_names, "group")
    pooled = shown_groups(summary.pooled, summary.group_names, "first_group", "second_group")
    verdict = insight_groups(groups, pooled, summary.complete, 0.05)["Verdict"]  # no axis
    assert any(
        s.startswith(
            "**learning_rate=0.01 ranks the test rows better than learning_rate=0.001**: "
            "ROC-AUC (one-vs-rest)"
        )
        for s in verdict
    ), verdict


def test_many_class_summaries_explain_micro_f1_and_compare_ordinal_metrics(tmp_path):
    from threshold_sweep.sweep.build import write_summary_markdown
    from threshold_sweep.sweep.collect import summarize

    gains = {"0.001": {s: 0.4 for s in SPLITS}, "0.01": {s: 2.5 for s in SPLITS}}
    for seed, (rate, gain) in enumerate(gains.items()):
        write_run(tmp_path, rate, gain, k=5, seed=seed)
    summary = summarize(tmp_path)
    test = pd.read_csv(tmp_path / "train.learning_rate=0.01" / "predictions.csv")
    y, pred = test["y_true"], test["y_pred"]
    accuracy, macro = skm.accuracy_score(y, pred), skm.f1_score(y, pred, average="macro")
    assert skm.f1_score(y, pred, average="micro") == pytest.approx(accuracy)
    (sentence,) = [s for s in summary.insight_groups["Verdict"] if "micro-F1" in s]
    assert sentence.startswith(
        f"Accuracy equals micro-F1 ({accuracy:.3f} and {accuracy:.3f} at learning_rate=0.01)"
    )  # the value chosen on validation
    assert f"Macro-F1 ({macro:.3f})" in sentence
    close = abs(macro - accuracy) <= 0.02
    assert ("within 0.02 of accuracy" in sentence) == close, (accuracy, macro)

    markdown = write_summary_markdown(tmp_path, summary, ()).read_text()
    table = markdown_table(markdown, "Comparable metrics").set_index("metric")
    mae = np.abs(pred - y).mean()
    qwk = skm.cohen_kappa_score(y, pred, weights="quadratic")
    assert table.loc["mae_classes", "learning_rate=0.01"].startswith(f"{mae:.3f} [")
    assert table.loc["qwk", "learning_rate=0.01"].startswith(f"{qwk:.3f} [")
    assert "within_1" in table.index


def test_binary_summaries_have_no_micro_f1_sentence(rate_sweep):
    from threshold_sweep.sweep.collect import summarize

    verdict = summarize(rate_sweep).insight_groups["Verdict"]
    assert verdict and not any("micro-F1" in s for s in verdict)


def test_three_class_runs_of_different_class_counts_get_no_paired_verdict(tmp_path):
    from threshold_sweep.sweep.collect import summarize

    write_run(tmp_path, "0.001", {s: 0.6 for s in SPLITS}, k=3)
    write_run(tmp_path, "0.01", {s: 1.5 for s in SPLITS}, k=4)
    summary = summarize(tmp_path)
    assert summary.paired["note"].tolist() == ["different numbers of classes: not paired"]
    assert summary.pooled.empty  # nothing to pool
    (verdict,) = [s for s in summary.insight_groups["Verdict"] if "discriminates" in s]
    assert "cannot be judged on shared test rows" in verdict


@pytest.mark.slow
def test_a_learning_rate_sweep_from_the_command_line(tmp_path):
    rates = ["0.0001", "0.003", "0.1"]
    args = ["-m", f"train.learning_rate={','.join(rates)}", "hydra.sweep.dir=sweep", *TINY]
    done = run_app([*args, "evaluate.reference=[]"], tmp_path)
    assert done.returncode == 0, done.stderr
    root = tmp_path / "sweep"
    text = (root / "summary.md").read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    runs = pd.read_csv(root / "summary.csv").set_index("train.learning_rate")
    best = runs["validation_roc_auc"].idxmax()
    if lines[1].startswith("**Read the choice with care**"):  # 2 epochs: still improving
        edge = best in (runs.index.min(), runs.index.max())
        swept = "highest value swept" in lines[1] or "lowest value swept" in lines[1]
        assert swept == edge
        reasons = ("value swept", "still improving", "within the validation noise")
        assert any(reason in lines[1] for reason in reasons), lines[1]
        lines.pop(1)
    assert lines[1].startswith(f"Use learning_rate={best:g}: it has the best validation ROC-AUC")
    for rate in rates:  # the train - validation gap of every rate in the verdict
        row = runs.loc[float(rate)]
        assert f"{float(rate):g}: {row['gap_validation_roc_auc']:+.3f}" in lines[2]
        result = json.loads(next(root.glob(f"*learning_rate={rate},*/metrics.json")).read_text())
        assert row["gap_test_roc_auc"] == pytest.approx(
            result["train"]["roc_auc"] - result["test"]["roc_auc"]
        )
    assert "![Metrics against train.learning_rate, log axis" in text
    assert (root / "summary_metrics.png").stat().st_size > 10_000
    assert (root / "summary_curves.png").stat().st_size > 10_000


def _pair(
    first: str, second: str, difference: float, low: float, high: float, seed_pairs: int = 1
) -> dict:
    """One pooled ROC-AUC row between two groups of a learning-rate sweep (second - first)."""
    from threshold_sweep.sweep.pooled import equivalence_interval, judge

    tost = equivalence_interval(difference, low, high, 0.95)
    return {
        "first_group": f"learning_rate={first}",
        "second_group": f"learning_rate={second}",
        "metric": "roc_auc",
        "difference": difference,
        "ci_low": low,
        "ci_high": high,
        "tost_low": tost[0],
        "tost_high": tost[1],
        "level": 0.95,
        "margin": 0.02,
        "verdict": judge(low, high, *tost, 0.02),
        "seed_pairs": seed_pairs,
        "folds": 0,
    }


def test_the_chosen_value_is_compared_with_every_other_on_the_same_rows():
    from threshold_sweep.sweep.insights.choice import chosen_comparison

    runs = pd.concat(
        [
            _runs(run=["a"], **{"train.learning_rate": ["0.001"]}, validation_roc_auc=[0.80]),
            _runs(),  # 0.01: the best validation ROC-AUC
            _runs(run=["c"], **{"train.learning_rate": ["0.1"]}, validation_roc_auc=[0.85]),
        ],
        ignore_index=True,
    )
    paired = pd.DataFrame(
        [
            _pair("0.001", "0.01", 0.05, 0.02, 0.08),  # chosen - other: the other is worse
            _pair("0.01", "0.1", -0.01, -0.03, 0.01),  # other - chosen, within noise
            _pair("0.001", "0.1", 0.04, 0.01, 0.07),  # the chosen value is not in it
        ]
    )
    (sentence,) = chosen_comparison(runs, paired, AXIS)
    assert sentence.startswith("Against learning_rate=0.01 on the same test rows")
    assert "learning_rate=0.001 -0.050 (95% CI -0.080 to -0.020), worse beyond noise" in sentence
    assert "learning_rate=0.1 -0.010 (95% CI -0.030 to +0.010), no difference detected" in sentence
    assert "one training per setting" in sentence
    assert sentence.count("learning_rate=0.001 ") == 1  # the pair without 0.01 is left out
    seeds = pd.DataFrame([_pair("0.01", "0.1", 0.02, 0.005, 0.035, seed_pairs=2)])
    (pooled,) = chosen_comparison(runs, seeds, AXIS)
    assert "learning_rate=0.1 +0.020 (95% CI +0.005 to +0.035), better beyond noise" in pooled
    assert "pooled over 2 trainings per setting" in pooled
    assert chosen_comparison(runs, paired.iloc[2:], AXIS) == []
    assert chosen_comparison(runs, paired, None) == []
