"""Whole runs in a subprocess on tiny data: files parsed and recomputed with scikit-learn."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from threshold_sweep.evaluate.diagnostics import overfit_blocker

from conftest import (
    TINY,
    error_lines,
    imports_tensorflow,
    run_app,
    run_dir,
    subjects_csv,
    timeline_csv,
)

pytestmark = pytest.mark.slow  # every test trains: its own run or the shared sweep

THRESHOLDS = (100, 1000)


def test_sweep_runs_each_job_and_reports_the_failure(sweep):
    sweep_dir, done = sweep
    assert done.returncode == 1, done.stderr
    assert "2 run(s) failed" in done.stderr
    failed = run_dir(sweep_dir, "1000000000.0")
    assert "outside the range of x" in (failed / "error.txt").read_text()
    assert not (failed / "metrics.json").exists()
    for threshold in THRESHOLDS:
        assert (run_dir(sweep_dir, threshold) / "metrics.json").exists()
    assert len(error_lines(done.stderr)) == 2


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_metrics_json_matches_sklearn_on_predictions_csv(sweep, threshold):
    folder = run_dir(sweep[0], threshold)
    result = json.loads((folder / "metrics.json").read_text())
    preds = pd.read_csv(folder / "predictions.csv")
    # undersampled (the default): p_natural, the score at the natural class balance, last
    assert list(preds.columns) == ["id", "x", "y_true", "y_score", "y_pred", "p_natural"]
    y, score, pred = preds["y_true"], preds["y_score"], preds["y_pred"]
    before, after = result["class_counts"]["train"], result["class_counts_after_sampling"]["train"]
    minority = min(before, key=before.get)
    majority = next(name for name in before if name != minority)
    beta = after[majority] / before[majority]  # the kept share of the majority class
    p = score if minority == result["positive_class"] else 1 - score  # P(minority)
    natural = beta * p / (beta * p - p + 1)  # Elkan 2001
    if minority != result["positive_class"]:
        natural = 1 - natural
    np.testing.assert_allclose(preds["p_natural"], natural, rtol=1e-6, atol=1e-9)
    calibration = result["calibration"]
    assert calibration["beta"] == pytest.approx(beta) and calibration["columns"] == ["p_natural"]
    for name, probabilities in (("raw", score), ("natural", preds["p_natural"])):
        scored = calibration["test"][name]
        assert scored["brier"] == pytest.approx(skm.brier_score_loss(y, probabilities)), name
        assert scored["log_loss"] == pytest.approx(skm.log_loss(y, probabilities)), name
    constant = np.full(len(y), y.mean())
    assert calibration["test"]["prior"]["brier"] == pytest.approx(skm.brier_score_loss(y, constant))
    np.testing.assert_array_equal(y, (preds["x"] > threshold).astype(int))
    np.testing.assert_array_equal(pred, (score >= result["cutoff"]).astype(int))
    test = result["test"]
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "macro_f1": skm.f1_score(y, pred, average="macro"),
        "mcc": skm.matthews_corrcoef(y, pred),
        "roc_auc": skm.roc_auc_score(y, score),
        "average_precision": skm.average_precision_score(y, score),
        "brier": skm.brier_score_loss(y, score),
        "log_loss": skm.log_loss(y, score),
        "prevalence": y.mean(),
    }
    for name, value in expected.items():
        assert test[name] == pytest.approx(value, abs=1e-9), name
    assert test["confusion_matrix"] == skm.confusion_matrix(y, pred).tolist()
    assert result["threshold"] == threshold
    assert result["prevalence"]["test"] == pytest.approx(y.mean(), abs=1e-12)
    flat = pd.read_csv(folder / "metrics.csv")
    assert len(flat) == 1 and flat["test_roc_auc"][0] == pytest.approx(test["roc_auc"], abs=1e-12)


def test_same_test_rows_for_every_threshold(sweep):
    ids = [pd.read_csv(run_dir(sweep[0], t) / "predictions.csv")["id"] for t in THRESHOLDS]
    np.testing.assert_array_equal(ids[0], ids[1])
    written = pd.read_csv(run_dir(sweep[0], 100) / "test_ids.csv")["id"]
    np.testing.assert_array_equal(np.sort(written), np.sort(ids[0]))


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_undersampled_training_counts_are_equal(sweep, threshold):
    folder = run_dir(sweep[0], threshold)
    summary = json.loads((folder / "data_summary.json").read_text())
    after = summary["class_counts_after_sampling"]["train"]
    before = summary["class_counts_before_sampling"]["train"]
    assert after["low"] == after["high"] == min(before.values())
    assert (
        summary["class_counts_after_sampling"]["test"]
        == summary["class_counts_before_sampling"]["test"]
    )
    train_ids = set(pd.read_csv(folder / "predictions_train.csv")["id"])
    test_ids = set(pd.read_csv(folder / "predictions.csv")["id"])
    val_ids = set(pd.read_csv(folder / "predictions_validation.csv")["id"])
    assert len(train_ids) == 2 * after["low"]
    assert not train_ids & test_ids and not train_ids & val_ids


def test_run_folder_has_every_artifact(sweep):
    folder = run_dir(sweep[0], 1000)
    names = ("model.keras", "history.csv", "report.md", "report.html", "timing.json")
    for name in (*names, "standardization.json"):
        assert (folder / name).stat().st_size > 0, name
    for plot in ("roc", "precision_recall", "confusion_matrix", "training_curves"):
        assert (folder / "plots" / f"{plot}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history = pd.read_csv(folder / "history.csv")
    result = json.loads((folder / "metrics.json").read_text())
    assert len(history) == result["training"]["epochs_run"]
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(history.columns)
    report = (folder / "report.md").read_text()
    assert "threshold 1000" in report and "plots/roc.png" in report
    assert f"{result['test']['roc_auc']:.3f}" in report
    opening = report.split("\n\n")[1:3]  # right under the title: a small test set, the verdict
    small = result["diagnostics"]["small_test_set"]
    assert opening[0].startswith("**The test set is too small to conclude much**") == small
    first_lines = opening[1] if small else opening[0]  # what the run shows
    assert first_lines.startswith("**The model") and "no skill 0.500" in first_lines
    assert f"ROC-AUC {result['test']['roc_auc']:.3f} (95% CI" in first_lines
    assert not list(folder.rglob("*.tmp"))


def test_sweep_summary_has_one_row_per_run(sweep):
    sweep_dir = sweep[0]
    summary = pd.read_csv(sweep_dir / "summary.csv")
    assert len(summary) == 6
    assert sorted(summary["status"]) == ["complete"] * 4 + ["failed"] * 2
    complete = summary[(summary["status"] == "complete") & (summary["train.seed"] == 0)]
    complete = complete.set_index("threshold")
    for threshold in THRESHOLDS:
        result = json.loads((run_dir(sweep_dir, threshold) / "metrics.json").read_text())
        assert complete.loc[threshold, "test_f1"] == pytest.approx(result["test"]["f1"])
        assert complete.loc[threshold, "label.threshold"] == threshold
    text = (sweep_dir / "summary.md").read_text()
    assert "4 run(s) complete, 2 failed" in text and "outside the range of x" in text
    assert (sweep_dir / "summary_metrics.png").exists()


def test_a_sweep_logs_job_i_of_n_and_prints_the_final_table(sweep):
    sweep_dir, done = sweep
    started = re.findall(r"job (\d) of 6 \[(.*?)\] started", done.stderr)
    assert [int(i) for i, _ in started] == [1, 2, 3, 4, 5, 6]
    assert started[0][1] == "label.threshold=100,train.seed=0"
    ended = re.findall(
        r"job \d of 6 \[.*?\] (finished|failed) in .*?; (\d) of 6 finished", done.stderr
    )
    assert [status for status, _ in ended] == ["finished"] * 4 + ["failed"] * 2
    assert [int(n) for _, n in ended] == [1, 2, 3, 4, 5, 6]
    assert "left" in done.stderr.split("job 2 of 6")[1].splitlines()[0]
    table = done.stdout[done.stdout.index("\nlabel.threshold    train.seed    status") :]
    summary = pd.read_csv(sweep_dir / "summary.csv")
    for _, run in summary[summary["status"] == "complete"].iterrows():
        assert f"{run['test_roc_auc']:.3f} [{run['test_roc_auc_ci_low']:.3f}," in table
    errors = [line for line in table.splitlines() if line.startswith("failed ")]
    assert len(errors) == 2 and all("outside the range of x" in line for line in errors)
    assert not (sweep_dir / ".sweep_progress").exists()


def test_report_command_rebuilds_the_summary_without_tensorflow(sweep, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sweep[0], copy)
    original = pd.read_csv(copy / "summary.csv")
    for name in ("summary.csv", "summary.md", "summary_metrics.png", "index.html"):
        (copy / name).unlink()
    out = imports_tensorflow(["threshold-sweep-report", str(copy)], module="cli.report")
    assert out.strip().endswith("NO_TF")
    assert (copy / "index.html").stat().st_size > 0
    pd.testing.assert_frame_equal(pd.read_csv(copy / "summary.csv"), original)


def test_report_redraws_the_sweep_plot_only_when_its_tables_change(sweep, tmp_path):
    from threshold_sweep.cli.report import main as report_main

    copy = tmp_path / "copy"
    shutil.copytree(sweep[0], copy)
    plot = copy / "summary_metrics.png"
    assert report_main([str(copy)]) == 1  # the sweep has failed jobs
    drawn = plot.stat().st_mtime_ns
    assert report_main([str(copy)]) == 1
    assert plot.stat().st_mtime_ns == drawn  # same runs: the plot is kept
    runs = pd.read_csv(copy / "summary.csv")
    complete = runs.loc[runs["status"] == "complete", "run"]
    shutil.rmtree(copy / complete.iloc[-1])
    assert report_main([str(copy)]) == 1
    assert plot.stat().st_mtime_ns != drawn  # one run fewer: redrawn
    assert len(pd.read_csv(copy / "summary.csv")) == len(runs) - 1


def test_report_marks_a_run_from_an_older_version_instead_of_crashing(sweep, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sweep[0], copy)
    runs = pd.read_csv(copy / "summary.csv")
    old = copy / runs.loc[runs["status"] == "complete", "run"].iloc[0] / "metrics.json"
    result = json.loads(old.read_text())
    del result["ci"]
    old.write_text(json.dumps(result))
    out = run_app([str(copy)], tmp_path, module="threshold_sweep.cli.report")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    summary = pd.read_csv(copy / "summary.csv").set_index("run")
    row = summary.loc[str(old.parent.relative_to(copy))]
    assert row["status"] == "failed"
    assert row["error"].startswith("metrics.json lacks ci (written by an older")


def test_table_source_with_other_column_names(table_csv, tmp_path):
    done = run_app(
        [
            "data=table",
            f"data.path={table_csv}",
            "data.target=price",
            "data.id=sample_id",
            "label.threshold=2500",
            "sampling=class_weight",
            *TINY[2:],
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "outputs" / "runs").iterdir()
    preds = pd.read_csv(folder / "predictions.csv")
    source = pd.read_csv(table_csv).set_index("sample_id")
    assert preds["id"].str.startswith("s").all()
    np.testing.assert_allclose(preds["x"], source.loc[preds["id"], "price"])
    summary = json.loads((folder / "data_summary.json").read_text())
    assert summary["sequence_shape"] == [8, 1]
    assert summary["class_weight"] is not None


def test_grouped_table_keeps_subjects_apart_and_the_ungrouped_one_warns(tmp_path):
    path = subjects_csv(tmp_path / "visits.csv")
    runs = {}
    for name, extra in (("grouped", ["data.group=subject"]), ("plain", [])):
        cwd = tmp_path / name
        cwd.mkdir()
        args = ["data=table", f"data.path={path}", "evaluate.reference=[]", *extra, *TINY[2:]]
        done = run_app(args, cwd)
        assert done.returncode == 0, done.stderr
        (folder,) = (cwd / "outputs" / "runs").iterdir()
        runs[name] = (
            done.stderr,
            json.loads((folder / "data_summary.json").read_text()),
            json.loads((folder / "metrics.json").read_text()),
        )
    log, summary, result = runs["grouped"]
    group = summary["group"]
    assert group["column"] == "subject" and group["n_groups"] == 120
    assert sum(group["groups"].values()) == 120  # every subject in exactly one split
    assert result["data_checks"]["group"] == group
    assert summary["split_fractions"]["test"] == pytest.approx(0.15, abs=0.03)
    assert "split by subject (120 groups, each in one split)" in log
    assert result["data_checks"]["test_rows_in_train"] == 0
    assert not result["diagnostics"]["entities_in_train_and_test"]
    assert not any("appear in both train and test" in w for w in result["warnings"])
    log, summary, result = runs["plain"]
    assert summary["group"] is None
    (warning,) = [w for w in result["warnings"] if "appear in both train and test" in w]
    assert re.fullmatch(
        r"\d+ values of `subject` appear in both train and test \(\d+ test rows\): if a value "
        r"is one entity, split by it with `data\.group=subject`\.",
        warning,
    )
    assert result["diagnostics"]["entities_in_train_and_test"]
    assert log.count("appear in both train and test") == 1  # once per run


def test_arrays_source(tmp_path):
    rng = np.random.default_rng(0)
    x = 10 ** rng.normal(0, 1, 300)
    seqs = rng.normal(size=(300, 10, 2)) + np.log10(x)[:, None, None]
    np.savez(tmp_path / "seqs.npz", signals=seqs.astype(np.float32), value=x)
    done = run_app(
        [
            "data=arrays",
            "data.path=seqs.npz",
            "data.sequences_key=signals",
            "data.target_key=value",
            "label.threshold=1",
            "sampling=none",
            "train.threads=1",
            "train.epochs=15",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "outputs" / "runs").iterdir()
    result = json.loads((folder / "metrics.json").read_text())
    assert result["test"]["n"] == 45 and result["test"]["roc_auc"] > 0.8


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_chance_levels_and_cis_recomputed_from_predictions(sweep, threshold):
    folder = run_dir(sweep[0], threshold)
    result = json.loads((folder / "metrics.json").read_text())
    y = pd.read_csv(folder / "predictions.csv")["y_true"]
    p = y.mean()
    chance = result["chance"]["test"]
    assert chance["majority"]["accuracy"] == pytest.approx(max(p, 1 - p), abs=1e-12)
    assert chance["always_positive"]["f1"] == pytest.approx(2 * p / (1 + p), abs=1e-12)
    assert chance["random"]["precision"] == pytest.approx(p, abs=1e-12)
    assert chance["majority"]["average_precision"] == pytest.approx(p, abs=1e-12)
    assert chance["random"]["roc_auc"] == 0.5 and chance["random"]["mcc"] == pytest.approx(0)
    for metric, (low, high) in result["ci"]["test"].items():
        assert low <= result["test"][metric] + 1e-12 and result["test"][metric] <= high + 1e-12
    assert result["ci"]["n_resamples"] == 1000 and result["ci"]["level"] == 0.95


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_tuned_cutoff_comes_from_validation_only(sweep, threshold):
    from threshold_sweep.evaluate.cutoff import tune_cutoff

    folder = run_dir(sweep[0], threshold)
    result = json.loads((folder / "metrics.json").read_text())
    validation = pd.read_csv(folder / "predictions_validation.csv")
    test = pd.read_csv(folder / "predictions.csv")
    cutoff, _ = tune_cutoff(validation["y_true"], validation["y_score"], "f1")
    assert result["tuned_cutoff"]["cutoff"] == cutoff
    tuned_pred = (test["y_score"] >= cutoff).astype(int)
    assert result["tuned_cutoff"]["test"]["f1"] == pytest.approx(
        skm.f1_score(test["y_true"], tuned_pred), abs=1e-12
    )
    report = (folder / "report.md").read_text()
    for text in (
        "Decision cutoff",
        "majority",
        "Skill definitions",
        "plots/cutoff.png",
        "plots/calibration.png",
        "plots/score_distributions.png",
    ):
        assert text in report


def test_paired_differences_reproduced_from_prediction_files(sweep):
    sweep_dir = sweep[0]
    paired = pd.read_csv(sweep_dir / "summary_paired.csv")
    # pairs share the training seed: (100, 1000) for seed 0 and for seed 1
    assert len(paired) == 2 * 3
    for seed in (0, 1):
        a = pd.read_csv(run_dir(sweep_dir, 100, seed) / "predictions.csv")
        b = pd.read_csv(run_dir(sweep_dir, 1000, seed) / "predictions.csv")
        merged = a.merge(b, on="id", suffixes=("_a", "_b"))
        rows = paired[paired["first"] == run_dir(sweep_dir, 100, seed).name].set_index("metric")
        assert rows.loc["roc_auc", "difference"] == pytest.approx(
            skm.roc_auc_score(merged["y_true_b"], merged["y_score_b"])
            - skm.roc_auc_score(merged["y_true_a"], merged["y_score_a"]),
            abs=1e-12,
        )
        assert rows.loc["mcc", "difference"] == pytest.approx(
            skm.matthews_corrcoef(merged["y_true_b"], merged["y_pred_b"])
            - skm.matthews_corrcoef(merged["y_true_a"], merged["y_pred_a"]),
            abs=1e-12,
        )
        for _, row in rows.iterrows():
            assert row["ci_low"] <= row["difference"] <= row["ci_high"]
            assert row["within_noise"] == (row["ci_low"] <= 0 <= row["ci_high"])


def test_repeats_and_insights_in_the_summary(sweep):
    sweep_dir = sweep[0]
    groups = pd.read_csv(sweep_dir / "summary_groups.csv")
    assert groups["group"].tolist() == ["label.threshold=100", "label.threshold=1000"]
    assert groups["test_roc_auc_count"].tolist() == [2, 2]
    runs = pd.read_csv(sweep_dir / "summary.csv")
    runs = runs[runs["status"] == "complete"]
    for threshold, row in groups.set_index("threshold").iterrows():
        values = runs[runs["threshold"] == threshold]["test_roc_auc"]
        assert row["test_roc_auc_mean"] == pytest.approx(values.mean())
        assert row["test_roc_auc_std"] == pytest.approx(values.std())
    text = (sweep_dir / "summary.md").read_text()
    p100, p1000 = groups["test_prevalence"]
    assert f"moved from {p100:.3f} (threshold=100) to {p1000:.3f}" in text
    for heading in ("## Insights", "## Repeats", "## Comparable metrics", "## Paired comparisons"):
        assert heading in text
    assert re.search(r"^\| accuracy +\| +yes \|", text, re.MULTILINE)
    assert re.search(r"^\| roc_auc +\| +no \|", text, re.MULTILINE)


def test_the_summary_and_index_open_with_the_verdict(sweep):
    sweep_dir = sweep[0]
    groups = pd.read_csv(sweep_dir / "summary_groups.csv")
    roc = pd.read_csv(sweep_dir / "summary_pooled.csv").set_index("metric").loc["roc_auc"]
    text = (sweep_dir / "summary.md").read_text()
    paragraphs = text.split("## Insights")[0].split("\n\n")[1:]
    (verdict,) = [p for p in paragraphs if "paired difference" in p]
    assert "ROC-AUC" in verdict and "equally" not in verdict
    assert "pooled over 2 trainings per setting (training seeds, one split): the CI covers" in (
        verdict
    )
    low, high = roc["ci_low"], roc["ci_high"]
    assert f"{roc['difference']:+.3f} (95% CI {low:+.3f} to {high:+.3f})" in verdict
    assert ("No difference detected" in verdict) == (roc["verdict"] == "no difference detected")
    assert (low <= 0 <= high) == (roc["verdict"] in ("no difference detected", "equivalent"))
    (question,) = [p for p in paragraphs if p.startswith("ROC-AUC measures how learnable")]
    assert "what the label is for" in question and "lie near the cut" in question
    (second,) = [p for p in paragraphs if "the positive prevalence, which went from" in p]
    assert "so they cannot compare the settings; ROC-AUC and balanced accuracy can" in second
    p100, p1000 = groups["test_prevalence"]
    assert f"from {p100:.3f} to {p1000:.3f}" in second
    assert text.index(verdict) < text.index("## Insights")
    index = (sweep_dir / "index.html").read_text()
    assert index.index("paired difference") < index.index('<section id="insights">')


def test_two_thresholds_make_a_three_class_run(three_class_run):
    from threshold_sweep.evaluate.chance import chance_levels

    folder, done = three_class_run
    assert done.returncode == 0, done.stderr
    result = json.loads((folder / "metrics.json").read_text())
    assert result["task"] == "multiclass" and result["label_names"] == [
        "<=100",
        "(100,1000]",
        ">1000",
    ]
    preds = pd.read_csv(folder / "predictions.csv")
    y, pred = preds["y_true"], preds["y_pred"]
    proba = preds[["score_0", "score_1", "score_2"]].to_numpy()
    np.testing.assert_array_equal(y, np.searchsorted([100, 1000], preds["x"], side="left"))
    np.testing.assert_array_equal(pred, proba.argmax(axis=1))
    test = result["test"]
    assert test["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert test["micro_f1"] == pytest.approx(test["accuracy"], abs=1e-12)
    assert test["macro_f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=1e-12)
    assert test["weighted_f1"] == pytest.approx(
        skm.f1_score(y, pred, average="weighted"), abs=1e-12
    )
    assert test["roc_auc_ovr"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr"), abs=1e-9
    )
    assert test["confusion_matrix"] == skm.confusion_matrix(y, pred).tolist()
    chance = chance_levels(y.to_numpy(), n_classes=3)
    assert result["chance"]["test"]["majority"]["accuracy"] == pytest.approx(
        np.bincount(y).max() / len(y)
    )
    assert chance["random"]["macro_recall"] == pytest.approx(1 / 3)
    after = result["class_counts_after_sampling"]["train"]
    assert len(set(after.values())) == 1  # undersampling balances all three classes
    # p_natural_<k>: each class probability times natural / training share, renormalised
    before = np.array(list(result["class_counts"]["train"].values()), dtype=float)
    shifted = proba * (before / before.sum()) / (1 / 3)
    natural = preds[["p_natural_0", "p_natural_1", "p_natural_2"]].to_numpy()
    np.testing.assert_allclose(natural, shifted / shifted.sum(axis=1, keepdims=True), rtol=1e-6)
    scored = result["calibration"]["test"]
    assert scored["natural"]["log_loss"] == pytest.approx(skm.log_loss(y, natural))
    assert scored["raw"]["brier"] == pytest.approx(skm.brier_score_loss(y, proba, labels=[0, 1, 2]))
    for metric, (low, high) in result["ci"]["test"].items():
        assert low - 1e-12 <= test[metric] <= high + 1e-12, metric
    report = (folder / "report.md").read_text()
    assert "micro-F1 equals accuracy" in report and "plots/confusion_matrix.png" in report
    assert (folder / "plots" / "confusion_matrix.png").exists()


def test_saved_model_loads_in_safe_mode_and_nothing_is_pickled(sweep):
    import subprocess
    import sys
    import zipfile

    folder = run_dir(sweep[0], 1000)
    code = (
        "import sys, json, numpy as np\n"
        "from threshold_sweep.model.load import load_run_model\n"
        "model = load_run_model(sys.argv[1])\n"
        "print(json.dumps(list(model.input_shape[1:])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    shape = json.loads(done.stdout.strip().splitlines()[-1])
    assert shape == json.loads((folder / "data_summary.json").read_text())["sequence_shape"]
    for path in folder.rglob("*"):
        if path.is_file():
            assert path.read_bytes()[:2] not in (b"\x80\x04", b"\x80\x05"), path  # pickle magic
    members = zipfile.ZipFile(folder / "model.keras").namelist()
    assert not [m for m in members if m.endswith((".pkl", ".pickle"))]


def test_overfitting_flag_needs_the_train_value_beyond_the_test_ci(sweep):
    runs = pd.read_csv(sweep[0] / "summary.csv")
    for name in runs.loc[runs["status"] == "complete", "run"]:
        result = json.loads((sweep[0] / name / "metrics.json").read_text())
        for metric, row in result["overfitting"].items():
            beyond = row["train"] > result["ci"]["test"][metric][1]
            possible = overfit_blocker(result, metric) is None  # well above chance, past epoch 1
            over = row["gap"] > result["overfitting_max_gap"]
            assert row["large"] == (over and beyond and possible)
        flagged = any(row["large"] for row in result["overfitting"].values())
        assert runs.set_index("run").loc[name, "overfit"] == flagged
        assert any(w.startswith("Overfitting") for w in result["warnings"]) == flagged


def test_mixed_sweep_plot_caption_names_the_multiclass_runs_it_leaves_out(
    sweep, three_class_run, tmp_path
):
    from threshold_sweep.sweep.build import build_summary

    copy = tmp_path / "copy"
    shutil.copytree(sweep[0], copy)
    shutil.copytree(three_class_run[0], copy / "three_classes")
    summary = build_summary(copy)
    (unplotted,) = summary.groups.loc[summary.groups["threshold"].isna(), "group"]
    markdown = (copy / "summary.md").read_text()
    (caption,) = re.findall(r"!\[(.*)\]\(summary_metrics\.png\)", markdown)
    assert unplotted  # the page names it by its short name
    assert "not shown (multi-class, no single threshold): " in caption
    assert caption.endswith(", see the tables")


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_reference_models_are_scored_on_the_cnns_test_rows(sweep, threshold):
    folder = run_dir(sweep[0], threshold)
    result = json.loads((folder / "metrics.json").read_text())
    references = pd.read_csv(folder / "predictions_reference.csv")
    cnn = pd.read_csv(folder / "predictions.csv")
    assert references["id"].tolist() == cnn["id"].tolist()  # the same rows, in order
    assert references["y_true"].tolist() == cnn["y_true"].tolist()
    section = result["reference"]
    assert set(section["models"]) == {"logistic", "hgb", "minirocket"}
    assert section["n_train"] == sum(result["class_counts"]["train"].values())
    y = references["y_true"]
    for name, model in section["models"].items():
        scores = references[f"{name}_y_score"]
        auc = skm.roc_auc_score(y, scores)
        assert model["test"]["roc_auc"] == pytest.approx(auc, abs=1e-12)
        bacc = skm.balanced_accuracy_score(y, (scores >= 0.5).astype(int))
        assert model["test"]["balanced_accuracy"] == pytest.approx(bacc, abs=1e-12)
        difference = skm.roc_auc_score(y, cnn["y_score"]) - auc
        paired = model["cnn_minus_reference"]["roc_auc"]
        assert paired["difference"] == pytest.approx(difference, abs=1e-12)
        assert paired["ci_low"] <= paired["difference"] <= paired["ci_high"]
    best = max(section["models"], key=lambda n: section["models"][n]["test"]["roc_auc"])
    assert section["best"] == best
    row = pd.read_csv(sweep[0] / "summary.csv").set_index("run").loc[folder.name]
    assert row["ref_hgb_test_roc_auc"] == pytest.approx(section["models"]["hgb"]["test"]["roc_auc"])
    assert "## Reference models" in (folder / "report.md").read_text()
    assert "## Reference models" in (sweep[0] / "summary.md").read_text()


def test_no_reference_models_when_asked_for_none(tmp_path):
    done = run_app([*TINY, "evaluate.reference=[]", "hydra.run.dir=run"], tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "reference" not in result and not result["diagnostics"]["trails_reference"]
    assert not (tmp_path / "run" / "predictions_reference.csv").exists()
    assert "Reference models" not in (tmp_path / "run" / "report.md").read_text()


def test_a_time_split_sweep_states_its_ranges_and_prevalence_and_names_the_split(tmp_path):
    path = timeline_csv(tmp_path / "timeline.csv", drift=True)
    args = ["-m", "label.threshold=80,120", "hydra.sweep.dir=outputs/multirun/timed"]
    args += ["data=table", f"data.path={path}", "split=time", "data.order=date"]
    done = run_app([*args, "evaluate.reference=[]", *TINY[2:]], tmp_path)
    assert done.returncode == 0, done.stderr
    sweep_dir = tmp_path / "outputs" / "multirun" / "timed"
    table = pd.read_csv(path)
    dates = pd.to_datetime(table["date"])
    for threshold in (80, 120):
        (folder,) = sweep_dir.glob(f"*label.threshold={threshold}*")
        summary = json.loads((folder / "data_summary.json").read_text())
        ids = {
            "test": pd.read_csv(folder / "test_ids.csv")["id"].to_numpy(),
            "validation": pd.read_csv(folder / "predictions_validation.csv")["id"].to_numpy(),
        }
        ids["train"] = np.setdiff1d(np.arange(len(table)), np.concatenate(list(ids.values())))
        record = summary["split"]
        assert record["method"] == "time" and record["order"] == "date"
        report = (folder / "report.md").read_text()
        lines = report.split("## Split")[1].split("\n## ")[0].splitlines()
        cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
        shown = {row[0]: row for row in cells if row[0] in ids}
        for name, rows in ids.items():
            part = record["splits"][name]
            first, last = dates[rows].min().date().isoformat(), dates[rows].max().date().isoformat()
            share = float((table["x"][rows] > threshold).mean())
            assert (part["first"], part["last"], part["rows"]) == (first, last, len(rows))
            assert part["prevalence"] == pytest.approx(share)
            assert shown[name][:5] == [name, str(len(rows)), first, last, f"{share:.0%}"]
        assert dates[ids["train"]].max() < dates[ids["validation"]].min()
        assert dates[ids["validation"]].max() < dates[ids["test"]].min()
        result = json.loads((folder / "metrics.json").read_text())
        assert result["split"] == record
        if record["drift"]["test"]["drifted"]:
            assert "**The class balance drifts over `date`**: the test split" in report
    summary_md = (sweep_dir / "summary.md").read_text()
    assert summary_md.startswith("# Sweep summary: timed (time-ordered split on date)\n")
    assert "time-ordered split drifts from the training rows'" in summary_md
    assert (
        "<h1>Sweep summary: timed (time-ordered split on date)</h1>"
        in (sweep_dir / "index.html").read_text()
    )
    assert "time-ordered split on date: train 2015-01-01 to" in done.stderr
