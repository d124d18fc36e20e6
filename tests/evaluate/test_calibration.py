"""Natural-balance probabilities after a rebalanced training, checked against the closed form
of a known model, Elkan's formula, Bayes' rule by hand and scikit-learn's Brier score and
log loss; the warning fires and stays silent."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.utils.class_weight import compute_class_weight

from threshold_sweep.evaluate import calibration as cal
from threshold_sweep.evaluate.chance import chance_levels
from threshold_sweep.evaluate.task import Task
from threshold_sweep.pipeline.stages import predictions_frame

NAMES = ("low", "high")


def undersampled(n_low: int, n_high: int, kept_low: int) -> cal.Priors:
    """The priors of an undersampler that kept `kept_low` of n_low majority rows."""
    before, after = {"low": n_low, "high": n_high}, {"low": kept_low, "high": n_high}
    return cal.Priors.of_counts(NAMES, before, after)


def test_beta_is_the_kept_share_of_the_majority_and_recovers_the_true_probability():
    priors = undersampled(900, 100, 100)
    minority, beta = priors.beta()
    assert (minority, beta) == (1, pytest.approx(100 / 900))
    # a model exact on the undersampled rows: P_t(high | x) has the true logit minus log(beta)
    true = np.linspace(0.001, 0.999, 50)
    trained = expit(logit(true) - np.log(beta))
    np.testing.assert_allclose(cal.natural_binary(trained, priors), true, rtol=1e-10)
    np.testing.assert_allclose(cal.elkan(trained, beta), true, rtol=1e-10)
    by_hand = beta * trained / (beta * trained - trained + 1)
    np.testing.assert_allclose(cal.natural_binary(trained, priors), by_hand)


def test_a_majority_positive_class_is_corrected_through_its_minority():
    priors = cal.Priors.of_counts(NAMES, {"low": 100, "high": 900}, {"low": 100, "high": 100})
    minority, beta = priors.beta()
    assert (minority, beta) == (0, pytest.approx(100 / 900))
    p_high = np.array([0.1, 0.5, 0.9])
    expected = 1 - beta * (1 - p_high) / (beta * (1 - p_high) - (1 - p_high) + 1)
    np.testing.assert_allclose(cal.natural_binary(p_high, priors), expected)
    # the same as Saerens's prior shift of the two columns
    two = np.column_stack([1 - p_high, p_high])
    np.testing.assert_allclose(cal.prior_shift(two, priors)[:, 1], expected)
    assert cal.natural_binary(p_high, priors)[1] == pytest.approx(0.9)  # 50:50 -> 10:90


def test_k_classes_follow_bayes_rule_and_class_weights_give_the_weighted_prior():
    names = ("a", "b", "c")
    counts = {"a": 600, "b": 300, "c": 100}
    y = np.repeat([0, 1, 2], [600, 300, 100])
    weights = compute_class_weight("balanced", classes=np.arange(3), y=y)
    priors = cal.Priors.of_counts(names, counts, counts, dict(enumerate(weights)))
    np.testing.assert_allclose(priors.training, [1 / 3] * 3)  # balanced weights: equal shares
    np.testing.assert_allclose(priors.natural, [0.6, 0.3, 0.1])
    assert priors.shifted
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), 20)
    joint = p * np.array([0.6, 0.3, 0.1]) / (1 / 3)  # Bayes: likelihood ratio times new prior
    np.testing.assert_allclose(cal.prior_shift(p, priors), joint / joint.sum(1, keepdims=True))
    back = cal.Priors(priors.training, priors.natural)  # and back again
    np.testing.assert_allclose(cal.prior_shift(cal.prior_shift(p, priors), back), p)
    columns = cal.natural_frame(p, priors)
    assert list(columns) == ["p_natural_0", "p_natural_1", "p_natural_2"]
    unshifted = cal.Priors.of_counts(names, counts, counts)
    assert not unshifted.shifted and cal.natural_frame(p, unshifted) == {}


def test_prediction_frames_gain_the_natural_column_last_and_keep_the_others():
    rows = np.arange(40)
    data = SimpleNamespace(dataset=SimpleNamespace(ids=rows, x=rows * 1.0), y=rows % 2)
    scores = np.random.default_rng(1).uniform(size=40)
    plain = predictions_frame(data, Task(NAMES), rows, scores, 0.5)
    priors = undersampled(900, 100, 100)
    frame = predictions_frame(data, Task(NAMES), rows, scores, 0.5, priors)
    assert list(frame.columns) == [*plain.columns, "p_natural"]
    pd.testing.assert_frame_equal(frame[plain.columns], plain)
    np.testing.assert_allclose(frame["p_natural"], cal.elkan(scores, 100 / 900))
    same = cal.Priors.of_counts(NAMES, {"low": 9, "high": 1}, {"low": 9, "high": 1})
    assert list(predictions_frame(data, Task(NAMES), rows, scores, 0.5, same).columns) == list(
        plain.columns
    )


def binary_result(y: np.ndarray, scores: np.ndarray, priors: cal.Priors) -> dict:
    """The calibration section of test rows scored `scores`, with the natural column."""
    frame = pd.DataFrame({"y_true": y, "y_score": scores} | cal.natural_frame(scores, priors))
    return {"calibration": cal.calibration_record(NAMES, y, scores, frame, priors)}


def test_the_record_scores_match_scikit_learn_and_the_chance_prior():
    rng = np.random.default_rng(2)
    y = (rng.uniform(size=400) < 0.1).astype(int)
    true = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.1, 400), 0.01, 0.99)
    priors = undersampled(900, 100, 100)
    trained = cal.elkan(true, 1 / priors.beta()[1])  # what the undersampled model says
    record = binary_result(y, trained, priors)["calibration"]
    test = record["test"]
    assert test["raw"]["brier"] == pytest.approx(brier_score_loss(y, trained))
    assert test["raw"]["log_loss"] == pytest.approx(log_loss(y, trained))
    assert test["natural"]["brier"] == pytest.approx(brier_score_loss(y, true))
    assert test["natural"]["log_loss"] == pytest.approx(log_loss(y, true))
    prior = np.full(len(y), y.mean())
    assert test["prior"]["brier"] == pytest.approx(brier_score_loss(y, prior))
    assert test["prior"]["brier"] == pytest.approx(chance_levels(y)["majority"]["brier"])
    assert test["prior"]["log_loss"] == pytest.approx(log_loss(y, prior))
    assert test["natural"]["brier"] < test["prior"]["brier"] < test["raw"]["brier"]
    assert record["columns"] == ["p_natural"] and record["minority_class"] == "high"
    assert record["beta"] == pytest.approx(100 / 900)
    assert record["natural_prior"] == pytest.approx({"low": 0.9, "high": 0.1})


def test_k_class_record_uses_scikit_learns_multiclass_brier():
    names = ("a", "b", "c")
    rng = np.random.default_rng(3)
    y = rng.choice(3, 300, p=[0.6, 0.3, 0.1])
    p = rng.dirichlet(np.ones(3), 300)
    priors = cal.Priors(np.array([0.6, 0.3, 0.1]), np.full(3, 1 / 3))
    frame = pd.DataFrame(cal.natural_frame(p, priors))
    record = cal.calibration_record(names, y, p, frame, priors)
    natural = frame.to_numpy()
    assert record["test"]["raw"]["brier"] == pytest.approx(
        np.mean(np.sum((np.eye(3)[y] - p) ** 2, axis=1))  # sum over classes, in [0, 2]
    )
    assert record["test"]["natural"]["brier"] == pytest.approx(
        brier_score_loss(y, natural, labels=[0, 1, 2])
    )
    assert record["test"]["natural"]["log_loss"] == pytest.approx(log_loss(y, natural))
    shares = np.bincount(y, minlength=3) / len(y)
    assert record["test"]["prior"]["log_loss"] == pytest.approx(
        log_loss(y, np.tile(shares, (len(y), 1)))
    )
    assert "beta" not in record and record["columns"] == [f"p_natural_{i}" for i in range(3)]


def test_the_warning_fires_when_the_raw_brier_trails_the_prior_and_stays_silent_otherwise():
    rng = np.random.default_rng(4)
    y = (rng.uniform(size=400) < 0.1).astype(int)
    true = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.1, 400), 0.01, 0.99)
    priors = undersampled(900, 100, 100)
    trained = cal.elkan(true, 1 / priors.beta()[1])
    (line,) = cal.calibration_warnings(binary_result(y, trained, priors))
    record = binary_result(y, trained, priors)["calibration"]["test"]
    assert f"Brier {record['raw']['brier']:.3f}" in line
    assert f"Brier {record['prior']['brier']:.3f}" in line
    assert "(column p_natural of the prediction files) they score Brier " in line
    assert f"{record['natural']['brier']:.3f}" in line and "better than the prior" in line
    skill = 1 - record["raw"]["brier"] / record["prior"]["brier"]
    assert f"(Brier skill {skill:+.3f})" in line
    assert cal.calibration_warnings(binary_result(y, true, priors)) == []  # calibrated: silent
    unshifted = cal.Priors(priors.natural, priors.natural)
    (plain,) = cal.calibration_warnings(binary_result(y, trained, unshifted))
    assert "not calibrated" in plain and "p_natural" not in plain
    assert cal.calibration_warnings({}) == []  # a file written before the section


def test_the_warning_says_when_the_natural_balance_is_still_no_better_than_the_prior():
    def record(natural: float) -> dict:
        test = {
            "raw": {"brier": 0.205, "log_loss": 0.723},
            "prior": {"brier": 0.118, "log_loss": 0.398},
            "natural": {"brier": natural, "log_loss": 0.392},
        }
        return {"calibration": {"columns": ["p_natural"], "test": test}}

    (closer,) = cal.calibration_warnings(record(0.132))  # diabetes > 250, undersampled
    assert "Brier 0.132, log loss 0.392, closer, but still no better than the prior" in closer
    assert "(Brier skill -0.737)" in closer
    (worse,) = cal.calibration_warnings(record(0.25))
    assert "no better than the raw scores" in worse
