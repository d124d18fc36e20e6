"""Ordinal metrics of k ordered classes: each against scikit-learn / SciPy (or numpy) recomputed
from y_true, the predicted class, x and the thresholds; no-skill levels, CIs, the expected-value
option and the vectorized confusion-matrix formulas the bootstrap uses."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from threshold_sweep.evaluate import ordinal as formulas
from threshold_sweep.evaluate.bootstrap import bootstrap_ci
from threshold_sweep.evaluate.chance import chance_levels
from threshold_sweep.evaluate.metrics import scalar_metrics, split_metrics
from threshold_sweep.evaluate.names import (
    HEADLINE,
    LOSSES,
    MULTI_HEADLINE,
    PREVALENCE_DEPENDENT,
    metric_label,
    no_skill_level,
)
from threshold_sweep.evaluate.resample.predictions import weighted_predictions
from threshold_sweep.evaluate.task import EXPECTED, Ordinal, Task

from conftest import run_app

THRESHOLDS = (10.0, 50.0, 200.0, 1000.0)  # five classes
ORDINAL = Ordinal(within=(1, 2), thresholds=THRESHOLDS)


def ordinal_data(n: int, seed: int = 0, k: int = 5):
    """Labels of x by THRESHOLDS (some x exactly on a cut), noisy predictions with many ties,
    and probabilities whose argmax is the prediction."""
    rng = np.random.default_rng(seed)
    x = 10 ** rng.uniform(0.3, 3.7, n)
    x[: n // 20] = rng.choice(THRESHOLDS, n // 20)  # on a boundary: x <= t is the lower class
    y_true = np.searchsorted(np.array(THRESHOLDS), x, side="left")
    y_pred = np.clip(y_true + rng.integers(-3, 4, n), 0, k - 1)
    proba = rng.dirichlet(np.ones(k), n)
    proba[np.arange(n), y_pred] += 2.0  # argmax = y_pred
    proba /= proba.sum(axis=1, keepdims=True)
    return y_true, proba, y_pred, x


def x_distance(x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Distance of x from each predicted class's interval, one row at a time."""
    out = []
    for value, c in zip(x, classes, strict=True):
        low = THRESHOLDS[c - 1] if c > 0 else -np.inf
        high = THRESHOLDS[c] if c < len(THRESHOLDS) else np.inf
        out.append(low - value if value < low else value - high if value > high else 0.0)
    return np.array(out)


def reference_values(y_true, classes, x, within=(1, 2)) -> dict[str, float]:
    """The ordinal metrics straight from scikit-learn, SciPy and numpy."""
    values = {
        "mae_classes": skm.mean_absolute_error(y_true, classes),
        **{f"within_{d}": float(np.mean(np.abs(classes - y_true) <= d)) for d in within},
        "qwk": skm.cohen_kappa_score(y_true, classes, weights="quadratic"),
        "spearman": stats.spearmanr(y_true, classes).statistic,
    }
    if x is not None:
        values["mae_x"] = float(np.mean(x_distance(x, classes)))
    return values


def assert_matches(values: dict[str, float], expected: dict[str, float]) -> None:
    """Every expected metric equals the computed one (NaN equals NaN)."""
    for name, value in expected.items():
        np.testing.assert_allclose(values[name], value, rtol=1e-10, atol=1e-12, err_msg=name)


def test_ordinal_metrics_match_sklearn_and_scipy():
    y_true, proba, y_pred, x = ordinal_data(500)
    values = scalar_metrics(y_true, proba, y_pred, ordinal=ORDINAL, x=x)
    assert list(values)[len(MULTI_HEADLINE) :] == [
        "mae_classes",
        "within_1",
        "within_2",
        "qwk",
        "spearman",
        "mae_x",
    ]
    assert_matches(values, reference_values(y_true, y_pred, x))
    assert values["mae_x"] > 0 and values["within_2"] > values["within_1"]


def test_integer_weights_equal_repeated_rows():
    y_true, proba, y_pred, x = ordinal_data(200, seed=1)
    counts = np.random.default_rng(2).integers(0, 4, len(y_true))
    weighted = scalar_metrics(y_true, proba, y_pred, counts.astype(float), ORDINAL, x)
    repeated = [np.repeat(a, counts, axis=0) for a in (y_true, y_pred, x)]
    assert_matches(weighted, reference_values(*repeated))


def test_x_error_is_zero_inside_the_predicted_interval_and_open_at_the_ends():
    x = np.array([10.0, 10.0, 5.0, 5000.0, 5000.0, 60.0])
    classes = np.array([0, 1, 4, 4, 0, 1])
    np.testing.assert_allclose(ORDINAL.x_error(x, classes), [0, 0, 995, 0, 4990, 10])
    np.testing.assert_allclose(ORDINAL.x_error(x, classes), x_distance(x, classes))


@pytest.mark.parametrize("k", [3, 7])
def test_confusion_formulas_match_sklearn_and_scipy_per_matrix(k):
    rng = np.random.default_rng(k)
    pairs = [(rng.integers(0, k, 80), rng.integers(0, k, 80)) for _ in range(6)]
    pairs.append((rng.integers(0, k, 80), np.full(80, 1)))  # constant predictions
    stack = np.stack([skm.confusion_matrix(t, p, labels=range(k)).astype(float) for t, p in pairs])
    got = formulas.confusion_metrics(stack, (1, 3))
    for i, (t, p) in enumerate(pairs):
        assert_matches({m: v[i] for m, v in got.items()}, reference_values(t, p, None, (1, 3)))
    assert np.isnan(got["spearman"][-1]) and np.isnan(stats.spearmanr(*pairs[-1]).statistic)


def test_spearman_of_fractional_weights_equals_that_of_scaled_integer_counts():
    y_true, _, y_pred, _ = ordinal_data(120, seed=4)
    counts = np.random.default_rng(5).integers(1, 5, len(y_true))
    confusion = skm.confusion_matrix(y_true, y_pred, sample_weight=counts / 7.0)
    expected = stats.spearmanr(np.repeat(y_true, counts), np.repeat(y_pred, counts)).statistic
    assert formulas.spearman(confusion.astype(float)) == pytest.approx(expected, rel=1e-12)


def test_expected_value_option_uses_the_rounded_probability_weighted_class():
    y_true, proba, y_pred, x = ordinal_data(400, seed=6)
    expected = Ordinal(within=(1, 2), prediction=EXPECTED, thresholds=THRESHOLDS)
    classes = np.array([int(np.rint(sum(c * p for c, p in enumerate(row)))) for row in proba])
    assert not np.array_equal(classes, y_pred)
    np.testing.assert_array_equal(expected.classes(proba, y_pred), classes)
    values = scalar_metrics(y_true, proba, y_pred, ordinal=expected, x=x)
    assert_matches(values, reference_values(y_true, classes, x))
    argmax = scalar_metrics(y_true, proba, y_pred, ordinal=ORDINAL, x=x)
    for name in MULTI_HEADLINE:  # the label metrics still read the argmax
        assert values[name] == argmax[name]
    boot = weighted_predictions(y_true, proba, y_pred, expected, x)
    point = boot.metrics(np.ones((1, len(y_true))))
    assert_matches({m: v[0] for m, v in point.items()}, values)


def test_no_skill_levels_are_the_dummies_scored_directly():
    y_true, _, y_pred, x = ordinal_data(300, seed=7)
    chance = chance_levels(y_true, y_pred, 5, ORDINAL, x)
    mode = np.bincount(y_true).argmax()
    majority = reference_values(y_true, np.full(len(y_true), mode), x)
    assert_matches(chance["majority"], majority)
    assert np.isnan(chance["majority"]["spearman"])
    # random: class c with its test share; linear metrics are exact expectations
    shares = np.bincount(y_true, minlength=5) / len(y_true)
    each = [reference_values(y_true, np.full(len(y_true), c), x) for c in range(5)]
    for name in ("mae_classes", "within_1", "within_2", "mae_x"):
        direct = sum(share * values[name] for share, values in zip(shares, each, strict=True))
        assert chance["random"][name] == pytest.approx(direct, rel=1e-12)
    assert abs(chance["random"]["qwk"]) < 1e-12 and abs(chance["random"]["spearman"]) < 1e-12
    # the value to beat: the lowest loss, the highest score, NaN predictors skipped
    assert no_skill_level("mae_classes", chance) == min(
        chance["majority"]["mae_classes"], chance["random"]["mae_classes"]
    )
    assert no_skill_level("spearman", chance) == chance["random"]["spearman"]
    assert {"mae_classes", "mae_x"} <= LOSSES and "within_2" in PREVALENCE_DEPENDENT


def test_no_skill_levels_ignore_the_expected_value_option():
    y_true, _, y_pred, x = ordinal_data(200, seed=8)
    expected = Ordinal(within=(1, 2), prediction=EXPECTED, thresholds=THRESHOLDS)
    same = [chance_levels(y_true, y_pred, 5, o, x) for o in (expected, ORDINAL)]
    assert json.dumps(same[0]) == json.dumps(same[1])  # NaN (majority's Spearman) included


def test_bootstrap_resampled_metrics_equal_sklearn_on_the_drawn_rows():
    y_true, proba, y_pred, x = ordinal_data(300, seed=9)
    boot = weighted_predictions(y_true, proba, y_pred, ORDINAL, x)
    counts = np.random.default_rng(10).integers(0, 3, (4, len(y_true))).astype(float)
    got = boot.metrics(counts)
    for i, row in enumerate(counts.astype(int)):
        drawn = [np.repeat(a, row, axis=0) for a in (y_true, y_pred, x)]
        assert_matches({m: v[i] for m, v in got.items()}, reference_values(*drawn))
        label = scalar_metrics(*[np.repeat(a, row, axis=0) for a in (y_true, proba, y_pred)])
        assert_matches({m: got[m][i] for m in MULTI_HEADLINE}, label)


def test_cis_contain_the_estimate_and_shrink_with_n():
    widths = {}
    for n in (300, 3000):
        y_true, proba, y_pred, x = ordinal_data(n, seed=11)
        point = scalar_metrics(y_true, proba, y_pred, ordinal=ORDINAL, x=x)
        boot = weighted_predictions(y_true, proba, y_pred, ORDINAL, x)
        ci = bootstrap_ci(boot, 300, 0.95, 0, "percentile")
        for name in ORDINAL.names:
            low, high = ci[name]
            assert low <= point[name] <= high, (n, name)
        widths[n] = {name: ci[name][1] - ci[name][0] for name in ORDINAL.names}
    for name in ORDINAL.names:
        assert widths[3000][name] < 0.6 * widths[300][name], name


def test_mae_x_is_nan_without_x_and_absent_without_thresholds():
    y_true, proba, y_pred, _ = ordinal_data(100, seed=12)
    assert np.isnan(scalar_metrics(y_true, proba, y_pred, ordinal=ORDINAL)["mae_x"])
    no_cuts = scalar_metrics(y_true, proba, y_pred, ordinal=Ordinal())
    assert "mae_x" not in no_cuts and "within_1" in no_cuts


def test_binary_metrics_and_task_are_unchanged():
    rng = np.random.default_rng(13)
    y_true, score = rng.integers(0, 2, 100), rng.uniform(size=100)
    y_pred = (score >= 0.5).astype(int)
    assert tuple(scalar_metrics(y_true, score, y_pred, ordinal=ORDINAL, x=score)) == HEADLINE
    task = Task.of_run(["low", "high"], None, [100.0])
    assert task.ordinal is None and task.headline == HEADLINE
    assert task.ordinal_inputs(pd.DataFrame({"x": [1.0]})) == {}


def test_task_reads_the_ordinal_settings_back_from_metrics_json():
    evaluate = SimpleNamespace(within=[1, 3], ordinal_prediction=EXPECTED)
    task = Task.of_run(["a", "b", "c", "d", "e"], evaluate, list(THRESHOLDS))
    record = json.loads(
        json.dumps({"label_names": list(task.names), "ordinal": task.ordinal.record()})
    )
    assert Task.of(record) == task
    assert task.headline[len(MULTI_HEADLINE) :] == (
        "mae_classes",
        "within_1",
        "within_3",
        "qwk",
        "spearman",
        "mae_x",
    )
    assert record["ordinal"]["prediction"] == "expected"
    assert Task.of({"label_names": ["a", "b", "c"]}).headline == MULTI_HEADLINE  # older files
    assert metric_label("within_3") == "within ±3 classes"


def test_split_metrics_reads_x_from_the_predictions_frame():
    y_true, proba, y_pred, x = ordinal_data(150, seed=14)
    task = Task(tuple("abcde"), ORDINAL)
    frame = pd.DataFrame({"x": x, "y_true": y_true, "y_pred": y_pred})
    frame = frame.assign(**task.score_frame(proba))
    result = split_metrics(*task.arrays(frame), task.names, **task.ordinal_inputs(frame))
    assert_matches(result, reference_values(y_true, y_pred, x))
    assert np.isnan(
        split_metrics(
            *task.arrays(frame), task.names, **task.ordinal_inputs(frame.drop(columns="x"))
        )["mae_x"]
    )


@pytest.mark.slow
def test_five_class_run_writes_ordinal_metrics_that_match_its_predictions(tmp_path):
    cuts = "[10,50,200,1000]"
    done = run_app(
        [
            f"label.threshold={cuts}",
            "data.n_samples=2000",
            "data.length=32",
            "train.epochs=3",
            "train.threads=1",
            "evaluate.reference=[]",
            "evaluate.within=[1,2]",
            "evaluate.bootstrap.resamples=200",
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    result = json.loads((run / "metrics.json").read_text())
    assert result["ordinal"]["prediction"] == "argmax"
    assert result["ordinal"]["thresholds"] == list(THRESHOLDS)
    for split, name in (("test", "predictions.csv"), ("train", "predictions_train.csv")):
        frame = pd.read_csv(run / name)
        expected = reference_values(frame["y_true"], frame["y_pred"], frame["x"].to_numpy())
        assert_matches(result[split], expected)
    names = ["mae_classes", "within_1", "within_2", "qwk", "spearman", "mae_x"]
    for name in names:
        low, high = result["ci"]["test"][name]
        assert low <= result["test"][name] <= high
        assert name in result["chance"]["test"]["majority"]
    summary = pd.read_csv(run / "metrics.csv")
    assert summary.loc[0, "test_qwk"] == pytest.approx(result["test"]["qwk"], rel=1e-12)
    report = (run / "report.md").read_text()
    assert all(f"| {name} " in report for name in names)


def test_one_vs_rest_auc_from_the_sparse_product_equals_sklearn_with_tied_scores():
    rng = np.random.default_rng(15)
    n, k = 400, 6
    y_true = rng.integers(0, k, n)
    proba = (rng.multinomial(10, np.ones(k) / k, n) + 2 * np.eye(k)[y_true]) / 12  # ties
    boot = weighted_predictions(y_true, proba, proba.argmax(axis=1))
    counts = rng.integers(0, 3, (3, n))
    got = boot.metrics(counts.astype(float))["roc_auc_ovr"]
    for i, row in enumerate(counts):
        expected = skm.roc_auc_score(
            np.repeat(y_true, row), np.repeat(proba, row, axis=0), multi_class="ovr"
        )
        assert got[i] == pytest.approx(expected, rel=1e-12)


def test_default_ordinal_keys_leave_the_config_fingerprint_of_older_runs_alone():
    from omegaconf import OmegaConf

    from threshold_sweep.pipeline.record import config_fingerprint

    from conftest import compose_config

    current = compose_config()
    older = OmegaConf.to_container(current)
    del older["evaluate"]["within"], older["evaluate"]["ordinal_prediction"]
    assert config_fingerprint(current) == config_fingerprint(OmegaConf.create(older))
    for override in ("evaluate.within=[1,2]", "evaluate.ordinal_prediction=expected"):
        assert config_fingerprint(compose_config(override)) != config_fingerprint(current)


def test_reference_models_get_the_ordinal_metrics_of_their_own_predictions():
    from threshold_sweep.evaluate.reference import reference_section

    y_true, proba, y_pred, x = ordinal_data(300, seed=16)
    other = np.random.default_rng(17).dirichlet(np.ones(5), len(y_true))
    model = SimpleNamespace(name="fake", label="fake model", description="random scores")
    task = Task(tuple("abcde"), ORDINAL)
    boot = SimpleNamespace(resamples=100, level=0.95, seed=0)
    cnn = (y_true, proba, y_pred)
    inputs = {"ordinal": ORDINAL, "x": x}
    section = reference_section(
        task,
        cnn,
        [SimpleNamespace(model=model, scores=other, n_train=400, sees="random")],
        400,
        0.5,
        boot,
        inputs,
    )
    fake = section["models"]["fake"]
    assert_matches(fake["test"], reference_values(y_true, other.argmax(axis=1), x))
    assert set(ORDINAL.names) <= set(fake["ci"])
    assert section["compared_on"] == ["roc_auc_ovr", "balanced_accuracy"]
