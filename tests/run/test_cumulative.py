"""model.head=cumulative end to end: one training, every threshold's binary run recomputed from
its predictions with scikit-learn, the K+1 classes from the same outputs, the curve, the
comparisons and the reports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.utils.class_weight import compute_class_weight

from conftest import TINY, made_once, markdown_table, run_app

pytestmark = pytest.mark.slow  # every test trains

GRID = [40, 100, 250, 600]


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def cumulative_run(tmp_path_factory) -> Path:
    """One cumulative run over four thresholds on the default data (tiny model), with a run
    folder per threshold."""
    args = [
        "model.head=cumulative",
        f"label.threshold=[{','.join(map(str, GRID))}]",
        "evaluate.compare_thresholds=[40,250,600]",
        "evaluate.reference=[logistic]",
        "evaluate.threshold_folders=true",  # the folder per threshold, as a dedicated run's
        "hydra.run.dir=run",
        *TINY,
        "data.n_samples=800",
        "train.epochs=3",
    ]
    root, done = made_once(tmp_path_factory, "cumulative", lambda cwd: run_app(args, cwd))
    assert done.returncode == 0, done.stderr
    return root / "run"


def _member(run: Path, threshold: float) -> Path:
    return run / "thresholds" / f"threshold={threshold:g}"


def test_every_threshold_is_a_binary_run_whose_metrics_match_scikit_learn(cumulative_run):
    parent = read_json(cumulative_run / "metrics.json")
    assert parent["cumulative"]["thresholds"] == GRID and parent["task"] == "multiclass"
    curve = pd.read_csv(cumulative_run / "thresholds.csv")
    assert curve["threshold"].tolist() == GRID
    for k, threshold in enumerate(GRID):
        folder = _member(cumulative_run, threshold)
        result = read_json(folder / "metrics.json")
        assert result["task"] == "binary" and result["threshold"] == threshold
        assert result["cumulative"]["output"] == k
        test = pd.read_csv(folder / "predictions.csv")
        np.testing.assert_array_equal(test["y_true"], (test["x"] > threshold).astype(int))
        np.testing.assert_array_equal(test["y_pred"], (test["y_score"] >= 0.5).astype(int))
        y, score, pred = test["y_true"], test["y_score"], test["y_pred"]
        expected = {
            "roc_auc": skm.roc_auc_score(y, score),
            "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
            "mcc": skm.matthews_corrcoef(y, pred),
            "f1": skm.f1_score(y, pred),
            "average_precision": skm.average_precision_score(y, score),
            "accuracy": skm.accuracy_score(y, pred),
        }
        for metric, value in expected.items():
            assert result["test"][metric] == pytest.approx(value), (threshold, metric)
            if metric in curve:
                assert curve.loc[k, metric] == pytest.approx(value), (threshold, metric)
            low, high = result["ci"]["test"].get(metric, (value, value))
            assert low <= value + 1e-9 and value <= high + 1e-9
        assert curve.loc[k, "prevalence"] == pytest.approx(y.mean())
        assert (folder / "report.md").exists() and (folder / "report.html").exists()
        reference = pd.read_csv(folder / "predictions_reference.csv")
        assert reference["id"].tolist() == test["id"].tolist()
        assert "tuned_cutoff" in result and result["reference"]["models"]


def test_every_thresholds_curve_row_is_recomputed_from_the_p_above_columns(cumulative_run):
    curve = pd.read_csv(cumulative_run / "thresholds.csv")
    references = pd.read_csv(cumulative_run / "predictions_reference.csv")
    splits = {
        split: pd.read_csv(cumulative_run / name)
        for split, name in (
            ("test", "predictions.csv"),
            ("validation", "predictions_validation.csv"),
            ("train", "predictions_train.csv"),
        )
    }
    for k, threshold in enumerate(GRID):
        column = f"p_above_{threshold:g}"
        for frame in splits.values():  # beside x in every split's predictions
            assert frame[column].min() >= 0 and frame[column].max() <= 1
        test, validation = splits["test"], splits["validation"]
        row = curve.loc[k]
        assert row["roc_auc"] == pytest.approx(
            skm.roc_auc_score(test["x"] > threshold, test[column])
        )
        assert row["validation_roc_auc"] == pytest.approx(
            skm.roc_auc_score(validation["x"] > threshold, validation[column])
        )
        pred = test[column] >= 0.5
        assert row["mcc"] == pytest.approx(skm.matthews_corrcoef(test["x"] > threshold, pred))
        assert row["roc_auc_ci_low"] <= row["roc_auc"] <= row["roc_auc_ci_high"]
        assert row["chance_roc_auc"] == 0.5
        # the logistic reference of the K+1 classes: P(x > t) sums the classes above t
        assert references["id"].tolist() == test["id"].tolist()
        above = references[[f"logistic_score_{c}" for c in range(k + 1, len(GRID) + 1)]]
        assert row["reference_logistic_roc_auc"] == pytest.approx(
            skm.roc_auc_score(test["x"] > threshold, above.sum(axis=1))
        )


def test_the_outputs_are_one_models_and_the_classes_follow_from_them(cumulative_run):
    frames = [
        pd.read_csv(_member(cumulative_run, t) / "predictions.csv").set_index("id")["y_score"]
        for t in GRID
    ]
    cumulative = pd.concat(frames, axis=1).to_numpy()
    assert np.all(np.diff(cumulative, axis=1) <= 1e-6)  # rank-consistent: never rises with t
    classes = pd.read_csv(cumulative_run / "predictions.csv").set_index("id").loc[frames[0].index]
    weights = read_json(cumulative_run / "metrics.json")["cumulative"]["weights"]
    # each output trained at 50:50; back at the training balance, logit - log(w+ / w-)
    logit = np.log(cumulative / (1 - cumulative)) - np.log(
        np.array(weights["positive"]) / np.array(weights["negative"])
    )
    natural = 1 / (1 + np.exp(-logit))
    for k, t in enumerate(GRID):  # each output's p_natural: the same logit shift (Elkan)
        member = pd.read_csv(_member(cumulative_run, t) / "predictions.csv").set_index("id")
        np.testing.assert_allclose(member.loc[frames[0].index, "p_natural"], natural[:, k])
    padded = np.column_stack([np.ones(len(natural)), natural, np.zeros(len(natural))])
    differences = padded[:, :-1] - padded[:, 1:]  # the classes at the natural balance
    natural_columns = classes[[f"p_natural_{i}" for i in range(len(GRID) + 1)]].to_numpy()
    expected = differences / differences.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(natural_columns, expected, atol=1e-6)
    scores = classes[[f"score_{i}" for i in range(len(GRID) + 1)]].to_numpy()
    # then at equal class shares: divided by the training rows' shares, renormalised
    train = pd.read_csv(cumulative_run / "predictions_train.csv")
    shares = np.bincount(train["y_true"], minlength=len(GRID) + 1) / len(train)
    assert weights["class_shares"] == pytest.approx(shares.tolist())
    equal = (padded[:, :-1] - padded[:, 1:]) / shares
    np.testing.assert_allclose(scores, equal / equal.sum(axis=1, keepdims=True), atol=1e-6)
    np.testing.assert_array_equal(classes["y_pred"], scores.argmax(axis=1))
    np.testing.assert_array_equal(classes["y_true"], np.searchsorted(GRID, classes["x"]))
    parent = read_json(cumulative_run / "metrics.json")
    assert parent["test"]["qwk"] == pytest.approx(
        skm.cohen_kappa_score(classes["y_true"], classes["y_pred"], weights="quadratic")
    )
    assert parent["cumulative"]["rank_violations"]["test"]["rows"] == 0


def test_each_threshold_trains_on_every_row_weighted_to_50_50(cumulative_run):
    parent = read_json(cumulative_run / "metrics.json")
    weights = parent["cumulative"]["weights"]
    train = pd.read_csv(_member(cumulative_run, GRID[0]) / "predictions_train.csv")
    summary = read_json(cumulative_run / "data_summary.json")
    assert len(train) == summary["split_sizes"]["train"]  # no resampling
    for k, threshold in enumerate(GRID):
        above = (train["x"] > threshold).astype(int)
        expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=above)
        assert (weights["negative"][k], weights["positive"][k]) == pytest.approx(tuple(expected))


def test_the_chosen_thresholds_are_compared_on_the_same_rows(cumulative_run):
    parent = read_json(cumulative_run / "metrics.json")
    compared = pd.DataFrame(parent["cumulative"]["compared"])
    pairs = set(zip(compared["first"], compared["second"], strict=True))
    assert pairs == {(40, 250), (40, 600), (250, 600)}
    frames = {
        t: pd.read_csv(_member(cumulative_run, t) / "predictions.csv").set_index("id")
        for t in (40, 600)
    }
    row = compared[(compared["first"] == 40) & (compared["second"] == 600)]
    roc = row[row["metric"] == "roc_auc"].iloc[0]
    direct = skm.roc_auc_score(frames[600]["y_true"], frames[600]["y_score"]) - skm.roc_auc_score(
        frames[40]["y_true"], frames[40]["y_score"]
    )
    assert roc["difference"] == pytest.approx(direct)
    assert roc["ci_low"] <= direct <= roc["ci_high"]
    best = parent["cumulative"]["best"]
    curve = pd.read_csv(cumulative_run / "thresholds.csv")
    for k, t in enumerate(GRID):  # each threshold's validation ROC-AUC, from its predictions
        validation = pd.read_csv(_member(cumulative_run, t) / "predictions_validation.csv")
        direct = skm.roc_auc_score(validation["y_true"], validation["y_score"])
        assert curve.loc[k, "validation_roc_auc"] == pytest.approx(direct)
    # chosen on validation, reported on test
    chosen = int(curve["validation_roc_auc"].idxmax())
    assert best["best"] == GRID[chosen] and best["chosen_on"] == "validation"
    assert best["best_value"] == pytest.approx(curve.loc[chosen, "roc_auc"])
    assert best["test_argmax"] == GRID[int(curve["roc_auc"].idxmax())]
    assert (
        f"The model discriminates best at threshold {GRID[chosen]:g} on the validation"
        in (cumulative_run / "report.md").read_text()
    )
    paired = pd.DataFrame(parent["cumulative"]["paired_against_best"])
    assert paired.loc[paired["threshold"] == best["best"], "difference"].item() == 0
    within = paired[(paired["ci_low"] <= 0) & (paired["ci_high"] >= 0)]["threshold"]
    assert set(within) == set(best["within_noise"])


def test_the_report_shows_the_curve_and_the_errors_near_the_cut(cumulative_run):
    markdown = (cumulative_run / "report.md").read_text()
    table = markdown_table(markdown, "Threshold curve")
    assert table["threshold"].str.extract(r"\[(.+?)\]")[0].tolist() == [f"{t:g}" for t in GRID]
    parent = read_json(cumulative_run / "metrics.json")
    for sentence in parent["cumulative"]["sentences"]:
        assert sentence in markdown
    assert "The model has a cumulative head" in markdown
    for name in ("threshold_curve", "errors_by_distance", "near_shares"):
        assert (cumulative_run / "plots" / f"{name}.png").stat().st_size > 10_000
    errors = pd.read_csv(cumulative_run / "errors_by_distance.csv")
    assert errors["n"].sum() == parent["test"]["n"] * len(GRID)  # every (row, threshold) pair
    member = (_member(cumulative_run, 100) / "report.md").read_text()
    assert "**Output 2 of 4 of a cumulative head**" in member
    summary = (cumulative_run / "thresholds" / "summary.md").read_text()
    assert summary.startswith("# Sweep summary: thresholds")
    assert "4 run(s) complete, 0 failed" in summary
