"""Chance levels, skill, balanced view, bootstrap CIs, paired differences, cutoff, warnings."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from threshold_sweep.evaluate.bootstrap import bootstrap_ci, paired_difference
from threshold_sweep.evaluate.chance import (
    balanced_view,
    chance_levels,
    no_skill_level,
    skill_scores,
)
from threshold_sweep.evaluate.cutoff import cutoff_curves, tune_cutoff
from threshold_sweep.evaluate.diagnostics import (
    diagnostic_flags,
    exact_interval,
    overfitting,
    run_warnings,
)
from threshold_sweep.evaluate.metrics import (
    HEADLINE,
    MULTI_HEADLINE,
    predict_labels,
    scalar_metrics,
    split_metrics,
)
from threshold_sweep.evaluate.resample.predictions import ClassPredictions, Predictions


def sample(n: int, prevalence: float, signal: float, seed: int = 0, digits: int | None = None):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < prevalence).astype(int)
    score = np.clip(signal * y + rng.uniform(0, 1 - signal, n), 0, 1)
    if digits is not None:
        score = np.round(score, digits)  # creates ties
    return y, score, predict_labels(score, 0.5)


@pytest.mark.parametrize("prevalence", [0.57, 0.08, 0.5])
def test_chance_levels_match_the_closed_forms(prevalence):
    y, _, pred = sample(2000, prevalence, 0.3)
    p, q = y.mean(), pred.mean()
    chance = chance_levels(y, pred)
    assert chance["rate_matched"]["recall"] == pytest.approx(q)
    assert chance["rate_matched"]["specificity"] == pytest.approx(1 - q)
    assert chance["rate_matched"]["f1"] == pytest.approx(2 * p * q / (p + q))
    assert no_skill_level("specificity", chance) == pytest.approx(1 - q)
    assert chance["majority"]["accuracy"] == pytest.approx(max(p, 1 - p))
    assert chance["always_positive"]["f1"] == pytest.approx(2 * p / (1 + p))
    assert chance["always_positive"]["precision"] == pytest.approx(p)
    assert chance["random"]["precision"] == pytest.approx(p)
    assert chance["random"]["recall"] == pytest.approx(p)
    assert chance["random"]["accuracy"] == pytest.approx(p**2 + (1 - p) ** 2)
    for baseline in chance.values():
        assert baseline["roc_auc"] == pytest.approx(0.5)
        assert baseline["balanced_accuracy"] == pytest.approx(0.5)
        assert baseline["mcc"] == pytest.approx(0, abs=1e-12)
        assert baseline["average_precision"] == pytest.approx(p)
        assert baseline["brier"] == pytest.approx(p * (1 - p))
    assert no_skill_level("accuracy", chance) == pytest.approx(max(p, 1 - p))
    assert no_skill_level("f1", chance) == pytest.approx(2 * p / (1 + p))
    assert no_skill_level("recall", chance) == pytest.approx(q)
    assert no_skill_level("recall", chance_levels(y)) == pytest.approx(p)
    assert no_skill_level("brier", chance) == pytest.approx(p * (1 - p))


def test_skill_scores():
    y, score, pred = sample(1000, 0.2, 0.3)
    metrics = split_metrics(y, score, pred, ["low", "high"])
    chance = chance_levels(y, pred)
    skill = skill_scores(metrics, chance, y, pred)
    assert skill["accuracy"] == pytest.approx(skm.cohen_kappa_score(y, pred))
    assert skill["balanced_accuracy"] == pytest.approx(2 * metrics["balanced_accuracy"] - 1)
    assert skill["roc_auc"] == pytest.approx(2 * metrics["roc_auc"] - 1)
    p, q = y.mean(), pred.mean()
    assert skill["precision"] == pytest.approx((metrics["precision"] - p) / (1 - p))
    assert skill["recall"] == pytest.approx((metrics["recall"] - q) / (1 - q))
    assert skill["specificity"] == pytest.approx((metrics["specificity"] - (1 - q)) / q)
    f1_random = 2 * p * q / (p + q)
    assert skill["f1"] == pytest.approx((metrics["f1"] - f1_random) / (1 - f1_random))
    assert skill["mcc"] == metrics["mcc"]
    perfect = skill_scores(split_metrics(y, y.astype(float), y, ["a", "b"]), chance, y, y)
    assert perfect["accuracy"] == pytest.approx(1) and perfect["f1"] == pytest.approx(1)


def test_k_class_random_guessing_has_the_priors_scores_and_the_expected_labels():
    rng = np.random.default_rng(8)
    y = rng.choice(5, size=3000, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    shares = np.bincount(y, minlength=5) / len(y)
    chance = chance_levels(y, None, 5)
    random = chance["random"]
    assert random["roc_auc_ovr"] == pytest.approx(0.5)
    assert random["log_loss"] == pytest.approx(-np.sum(shares * np.log(shares)))  # entropy
    assert random["accuracy"] == pytest.approx(np.sum(shares**2))
    assert random["macro_recall"] == pytest.approx(np.mean(shares))
    assert list(random) == list(chance["majority"])


def test_balanced_view_reweights_classes():
    y, score, pred = sample(1000, 0.1, 0.3)
    view = balanced_view(y, score, pred)
    assert view["accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert view["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score))
    assert view["recall"] == pytest.approx(skm.recall_score(y, pred))
    weights = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    assert view["precision"] == pytest.approx(skm.precision_score(y, pred, sample_weight=weights))


def test_vectorized_metrics_equal_sklearn_weighted_metrics():
    y, score, pred = sample(400, 0.3, 0.3, digits=2)
    predictions = Predictions(y, score, pred)
    weights = np.random.default_rng(1).integers(0, 4, size=(6, len(y))).astype(float)
    vectorized = predictions.metrics(weights)
    for row in range(len(weights)):
        expected = scalar_metrics(y, score, pred, sample_weight=weights[row])
        for metric in HEADLINE:
            assert vectorized[metric][row] == pytest.approx(expected[metric], abs=1e-12), metric


def test_bootstrap_ci_covers_the_estimate_shrinks_and_is_seeded():
    small = sample(500, 0.3, 0.3, seed=2)
    large = sample(8000, 0.3, 0.3, seed=2)
    ci_small = bootstrap_ci(Predictions(*small), 400, 0.95, 0)
    ci_large = bootstrap_ci(Predictions(*large), 400, 0.95, 0)
    point = scalar_metrics(*small)
    for metric in HEADLINE:
        low, high = ci_small[metric]
        assert low <= point[metric] <= high, metric
        assert ci_large[metric][1] - ci_large[metric][0] < (high - low) / 2.5, metric
    assert bootstrap_ci(Predictions(*small), 400, 0.95, 0) == ci_small
    assert bootstrap_ci(Predictions(*small), 400, 0.95, 1) != ci_small
    assert bootstrap_ci(Predictions(*small), 400, 0.5, 0)["f1"][1] < ci_small["f1"][1]


def test_paired_difference():
    y, score, pred = sample(1500, 0.4, 0.3, seed=3)
    rng = np.random.default_rng(4)
    noisy = np.clip(score + rng.normal(0, 0.25, len(y)), 0, 1)
    first, second = Predictions(y, noisy, predict_labels(noisy, 0.5)), Predictions(y, score, pred)
    diff = paired_difference(first, second, ("roc_auc", "mcc"), 500, 0.95, 0)
    expected = skm.roc_auc_score(y, score) - skm.roc_auc_score(y, noisy)
    assert diff["roc_auc"]["difference"] == pytest.approx(expected)
    assert diff["roc_auc"]["ci_low"] > 0 and not diff["roc_auc"]["within_noise"]
    same = paired_difference(second, second, ("roc_auc",), 200, 0.95, 0)["roc_auc"]
    assert same["difference"] == 0 and same["ci_low"] == same["ci_high"] == 0
    assert same["within_noise"]


def test_cutoff_curves_match_sklearn_and_tuning_maximises_the_objective():
    y, score, _ = sample(300, 0.3, 0.2, seed=5)
    curves = cutoff_curves(y, score)
    for _, row in curves.iloc[[5, 50, 150]].iterrows():
        pred = (score >= row["cutoff"]).astype(int)
        assert row["precision"] == pytest.approx(skm.precision_score(y, pred, zero_division=0))
        assert row["recall"] == pytest.approx(skm.recall_score(y, pred))
        assert row["f1"] == pytest.approx(skm.f1_score(y, pred))
        assert row["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
        assert row["positive_rate"] == pytest.approx(pred.mean())
    cutoff, value = tune_cutoff(y, score, "f1")
    brute = max(skm.f1_score(y, (score >= c).astype(int)) for c in np.unique(score))
    assert value == pytest.approx(brute)
    assert skm.f1_score(y, (score >= cutoff).astype(int)) == pytest.approx(brute)
    j_cutoff, j_value = tune_cutoff(y, score, "youden")
    b_cutoff, b_value = tune_cutoff(y, score, "balanced_accuracy")
    assert j_cutoff == b_cutoff and j_value == pytest.approx(2 * b_value - 1)


def result_for(y, score, names=("low", "high"), min_rows=30):
    pred = predict_labels(score, 0.5)
    test = split_metrics(y, score, pred, names)
    result = {
        "label_names": list(names),
        "prevalence": {"test": test["prevalence"]},
        "test": test,
        "train": {**test, "roc_auc": test["roc_auc"] + 0.2, "balanced_accuracy": 0.99},
        "validation": test,
        "ci": {"level": 0.95, "test": bootstrap_ci(Predictions(y, score, pred), 200, 0.95, 0)},
        "training": {"epochs_run": 10, "best_epoch": 6, "max_epochs": 20},
        "class_counts": {"validation": {"low": 100, "high": 100}},
    }
    result["overfitting"] = overfitting(result, 0.05)
    return result, run_warnings(result, min_rows, 0.05)


def test_warnings_fire_on_nonsense_and_stay_quiet_otherwise():
    y, score, _ = sample(2000, 0.57, 0.4, seed=6)
    _, good = result_for(y, score)
    assert [w for w in good if "Overfitting" not in w] == []
    _, flipped = result_for(y, 1 - score)  # label encoding mix-up
    assert any("at or below the positive prevalence" in w for w in flipped)
    _, constant = result_for(y, np.full(len(y), 0.2))
    assert any("predicts only 'low'" in w for w in constant)
    small_y, small_score, _ = sample(300, 0.05, 0.4, seed=7)
    _, small = result_for(small_y, small_score)
    (message,) = [w for w in small if w.startswith("Small test classes")]
    found = re.search(r"'high' (\d+) rows, recall [0-9.]+ \((\d+)/(\d+), exact", message)
    count, hits = int(found.group(1)), int(found.group(2))
    assert int(found.group(3)) == count < 30
    low, high = exact_interval(hits, count, 0.95)
    assert f"exact 95% CI {low:.3f}-{high:.3f})" in message and high - low > 0.2


def test_a_run_whose_probabilities_trail_the_prior_is_warned_with_the_natural_balance():
    from threshold_sweep.evaluate import calibration as cal

    rng = np.random.default_rng(4)
    y = (rng.uniform(size=2000) < 0.1).astype(int)
    true = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.1, 2000), 0.01, 0.99)  # calibrated enough
    names = ("low", "high")
    priors = cal.Priors.of_counts(names, {"low": 1800, "high": 200}, {"low": 200, "high": 200})
    trained = cal.elkan(true, 1 / priors.beta()[1])  # the odds an undersampled model gives
    for scores, warned in ((trained, True), (true, False)):
        result, _ = result_for(y, scores)
        frame = pd.DataFrame({"y_true": y, "y_score": scores} | cal.natural_frame(scores, priors))
        result["calibration"] = cal.calibration_record(names, y, scores, frame, priors)
        found = [w for w in run_warnings(result, 30, 0.05) if "constant guess" in w]
        assert len(found) == int(warned), found
        assert all("p_natural" in w for w in found)


def test_exact_interval_for_all_correct_tiny_class():
    low, high = exact_interval(9, 9, 0.95)
    assert high == 1 and low == pytest.approx(0.6637, abs=1e-3)


def test_training_warnings():
    y, score, _ = sample(2000, 0.5, 0.4, seed=9)
    result, _ = result_for(y, score)
    result["training"] = {"epochs_run": 5, "best_epoch": 5, "max_epochs": 5}
    result["class_counts"] = {"validation": {"low": 300, "high": 4}}
    result["tuned_cutoff"] = {"cutoff": 0.4}
    warnings = run_warnings(result, 30, 0.05)
    assert any("still falling at the last of 5 epochs" in w for w in warnings)
    assert any("only 4 'high' rows: treat the tuned cutoff as rough" in w for w in warnings)


def test_monitor_best_at_epoch_one_is_flagged_with_advice_that_fits():
    y, score, _ = sample(2000, 0.5, 0.4, seed=9)
    result, quiet = result_for(y, score)
    assert not any("best at epoch 1" in w for w in quiet)  # best epoch 6: silent
    assert not diagnostic_flags(result)["best_at_first_epoch"]
    training = {"epochs_run": 5, "max_epochs": 20, "early_stopping": True}
    result["class_counts"]["train"] = {"low": 900, "high": 100}
    result["class_counts_after_sampling"] = {"train": {"low": 100, "high": 100}}
    result["training"] = {**training, "best_epoch": 1, "monitor": "val_loss"}
    (loss,) = [w for w in run_warnings(result, 30, 0.05) if "best at epoch 1" in w]
    assert loss.startswith("The validation loss was best at epoch 1 of 5 and the model keeps")
    assert "Since the training split was rebalanced" in loss
    assert "use train.monitor=val_roc_auc" in loss
    result["training"] = {**training, "best_epoch": 1, "monitor": "val_roc_auc"}
    (auc,) = [w for w in run_warnings(result, 30, 0.05) if "best at epoch 1" in w]
    assert auc.startswith("The validation ROC-AUC was best at epoch 1 of 5")
    assert "lower train.learning_rate" in auc and "fitted on 200 rows" in auc
    assert diagnostic_flags(result)["best_at_first_epoch"]
    # early stopping off: the last epoch is kept, but the monitor never improved after epoch 1
    result["training"] = {
        **training,
        "early_stopping": False,
        "best_epoch": 5,
        "monitor_best_epoch": 1,
        "monitor": "val_roc_auc",
    }
    (off,) = [w for w in run_warnings(result, 30, 0.05) if "best at epoch 1" in w]
    assert "early stopping is off, so the model keeps the last epoch's weights" in off
    # a later best epoch, or a single epoch run, says nothing
    for later in ({"best_epoch": 3, "monitor_best_epoch": 3}, {"epochs_run": 1, "best_epoch": 1}):
        result["training"] = {**training, "monitor": "val_roc_auc", **later}
        assert not any("best at epoch 1" in w for w in run_warnings(result, 30, 0.05))


def test_overfitting_gap_is_flagged_over_the_configured_limit():
    y, score, _ = sample(2000, 0.5, 0.4, seed=8)
    result, warnings = result_for(y, score)
    row = result["overfitting"]["roc_auc"]
    assert row["gap"] == pytest.approx(0.2) and row["large"]
    assert any("Overfitting: train roc_auc" in w and "0.200" in w for w in warnings)
    assert not overfitting(result, 0.5)["roc_auc"]["large"]


def three_class_frames(n: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Predictions of a weak three-class model: the same kind of rows for every split."""
    rng = np.random.default_rng(seed)
    frames = {}
    for split in ("train", "validation", "test"):
        y = rng.integers(0, 3, n)
        logits = rng.normal(0, 1, (n, 3)) + 0.8 * np.eye(3)[y]
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        frame = pd.DataFrame({"y_true": y, "y_pred": proba.argmax(axis=1)})
        frames[split] = frame.assign(**{f"score_{i}": proba[:, i] for i in range(3)})
    return frames


def assess_three_classes(frames, train_gain: float):
    """assess() of a three-class run whose train ROC-AUC is `train_gain` above test."""
    from omegaconf import OmegaConf

    from threshold_sweep.conf.schema import EvaluateConfig
    from threshold_sweep.evaluate.assess import assess

    names = ["<=1", "(1,2]", ">2"]
    splits = {
        split: split_metrics(f["y_true"], f[[f"score_{i}" for i in range(3)]], f["y_pred"], names)
        for split, f in frames.items()
    }
    splits["train"]["roc_auc_ovr"] = splits["test"]["roc_auc_ovr"] + train_gain
    counts = {split: {name: 100 for name in names} for split in splits}
    result = {
        "label_names": names,
        "threshold": [1.0, 2.0],
        "prevalence": {s: m["class_shares"] for s, m in splits.items()},
        "class_counts": counts,
        "training": {"epochs_run": 10, "best_epoch": 6, "max_epochs": 20},
        **splits,
    }
    cfg = OmegaConf.structured(EvaluateConfig(max_gap=0.05))
    cfg.bootstrap.resamples, cfg.bootstrap.seed = 300, 0
    return assess(result, frames, cfg)


def test_three_class_overfitting_flag_requires_the_train_value_beyond_the_test_ci():
    frames = three_class_frames(60)  # 60 test rows: a CI far wider than max_gap
    inside = assess_three_classes(frames, 0.06)
    high = inside["ci"]["test"]["roc_auc_ovr"][1]
    assert inside["train"]["roc_auc_ovr"] < high  # gap 0.06 > max_gap, but inside the CI
    assert inside["overfitting"]["roc_auc_ovr"]["gap"] == pytest.approx(0.06)
    assert not inside["overfitting"]["roc_auc_ovr"]["large"]
    assert not any(w.startswith("Overfitting") for w in inside["warnings"])
    beyond = assess_three_classes(frames, high - inside["test"]["roc_auc_ovr"] + 0.01)
    assert beyond["overfitting"]["roc_auc_ovr"]["large"]
    assert any(w.startswith("Overfitting: train roc_auc_ovr") for w in beyond["warnings"])


def test_class_predictions_equal_sklearn_weighted_metrics():
    frames = three_class_frames(300, seed=3)
    y, proba, pred = (
        frames["test"]["y_true"].to_numpy(),
        frames["test"][[f"score_{i}" for i in range(3)]].to_numpy(),
        frames["test"]["y_pred"].to_numpy(),
    )
    weights = np.random.default_rng(2).integers(0, 4, size=(5, len(y))).astype(float)
    vectorized = ClassPredictions(y, proba, pred).metrics(weights)
    for row in range(len(weights)):
        expected = scalar_metrics(y, proba, pred, sample_weight=weights[row])
        for metric in MULTI_HEADLINE:
            assert vectorized[metric][row] == pytest.approx(expected[metric], abs=1e-9), metric


def test_paired_difference_of_three_class_runs():
    frames = three_class_frames(400, seed=4)
    test = frames["test"]
    y, proba = test["y_true"].to_numpy(), test[[f"score_{i}" for i in range(3)]].to_numpy()
    noisy = proba + np.random.default_rng(5).uniform(0, 0.6, proba.shape)
    noisy /= noisy.sum(axis=1, keepdims=True)
    first = ClassPredictions(y, noisy, noisy.argmax(axis=1))
    second = ClassPredictions(y, proba, proba.argmax(axis=1))
    metrics = ("roc_auc_ovr", "balanced_accuracy", "mcc")
    diff = paired_difference(first, second, metrics, 400, 0.95, 0)
    expected = skm.roc_auc_score(y, proba, multi_class="ovr") - skm.roc_auc_score(
        y, noisy, multi_class="ovr"
    )
    assert diff["roc_auc_ovr"]["difference"] == pytest.approx(expected)
    assert diff["roc_auc_ovr"]["ci_low"] <= expected <= diff["roc_auc_ovr"]["ci_high"]
    balanced = skm.balanced_accuracy_score(y, proba.argmax(axis=1)) - skm.balanced_accuracy_score(
        y, noisy.argmax(axis=1)
    )
    assert diff["balanced_accuracy"]["difference"] == pytest.approx(balanced)
    same = paired_difference(second, second, metrics, 200, 0.95, 0)["mcc"]
    assert same["difference"] == 0 and same["within_noise"]


def test_no_skill_source_names_the_predictor_each_page_quotes():
    from threshold_sweep.evaluate.names import no_skill_source

    y, _, pred = sample(2000, 0.3, 0.3, seed=11)  # the negative class is the majority
    chance = chance_levels(y, pred)
    assert no_skill_source("f1", chance) == "always_positive"  # majority's F1 is 0
    assert no_skill_source("accuracy", chance) == "majority"
    assert no_skill_source("recall", chance) == "rate_matched"
    assert no_skill_source("roc_auc", chance) == "majority"  # all tie at 0.5: the first
    assert no_skill_source("brier", chance) == "majority"  # a loss: the lowest
    for metric in HEADLINE:
        assert chance[no_skill_source(metric, chance)][metric] == no_skill_level(metric, chance)
