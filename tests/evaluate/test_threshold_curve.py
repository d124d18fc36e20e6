"""The cumulative head's analysis and plots, each checked against an independent computation:
hand differences, crafted matrices and tables, a pandas groupby, scikit-learn's ROC-AUC."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from threshold_sweep.evaluate import threshold_curve as tc
from threshold_sweep.prepare.labels import threshold_targets
from threshold_sweep.report import threshold_plots as tp

PNG = b"\x89PNG\r\n\x1a\n"


def degrading_data(n: int = 1500, k: int = 6, seed: int = 0):
    """x, thresholds, binary targets and scores whose noise grows with the threshold index."""
    rng = np.random.default_rng(seed)
    x = 10 ** rng.uniform(0, 3, n)
    thresholds = np.geomspace(5, 200, k)
    y = (x[:, None] > thresholds[None, :]).astype(int)
    noise = rng.normal(size=(n, k)) * np.linspace(0.2, 3.0, k)
    logit = 3 * (np.log10(x)[:, None] - np.log10(thresholds)[None, :]) + noise
    score = np.round(1 / (1 + np.exp(-logit)), 2)  # rounded: many ties
    return x, thresholds, y, score


def curve_rows(thresholds, rng: np.random.Generator) -> list[dict]:
    """Per-threshold rows with every key curve_table requires."""
    rows = []
    for t in thresholds:
        row = {"threshold": float(t), "prevalence": rng.uniform(), "near_share": rng.uniform()}
        for m in tc.CURVE_METRICS:
            value = rng.uniform(0.5, 0.9)
            row |= {m: value, f"{m}_ci_low": value - 0.05, f"{m}_ci_high": value + 0.05}
            row[f"chance_{m}"] = 0.5
        rows.append(row)
    return rows


def test_cumulative_targets_columns_are_y_above_j():
    y = np.array([0, 1, 2, 3, 2])
    expected = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1], [1, 1, 0]])
    np.testing.assert_array_equal(threshold_targets(y, 3), expected)
    with pytest.raises(ValueError):
        threshold_targets(np.array([4]), 3)


def test_class_probabilities_monotone_equals_hand_differences():
    c = np.array([[0.9, 0.6, 0.2], [0.5, 0.5, 0.1], [1.0, 0.0, 0.0]])
    expected = np.array([[0.1, 0.3, 0.4, 0.2], [0.5, 0.0, 0.4, 0.1], [0.0, 1.0, 0.0, 0.0]])
    p = tc.class_probabilities(c)
    np.testing.assert_allclose(p, expected, atol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_class_probabilities_clips_violations_and_renormalises():
    c = np.array([[0.4, 0.7, 0.1]])  # c_2 > c_1: p_1 = -0.3 -> 0
    raw = np.array([0.6, 0.0, 0.6, 0.1])
    np.testing.assert_allclose(tc.class_probabilities(c), [raw / raw.sum()])
    random = np.random.default_rng(1).uniform(size=(50, 7))
    p = tc.class_probabilities(random)
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_rank_violations_on_crafted_matrix():
    c = np.array(
        [
            [0.9, 0.8, 0.7],  # monotone
            [0.5, 0.6, 0.7],  # two violations (0.1 each)
            [0.5, 0.5 + 1e-9, 0.2],  # within tolerance
            [0.3, 0.1, 0.55],  # one violation of 0.45
        ]
    )
    out = tc.rank_violations(c)
    assert out["rows"] == 2
    assert out["pairs"] == 3
    assert out["share_rows"] == 0.5
    assert out["largest"] == pytest.approx(0.45)
    assert tc.rank_violations(c[:1])["largest"] == 0.0


def test_log_scale_distance_and_near_width():
    assert tc.is_log_scale(np.array([1.0, 50.0, 100.0]))
    assert not tc.is_log_scale(np.array([1.0, 99.0]))
    assert not tc.is_log_scale(np.array([-1.0, 1000.0]))
    np.testing.assert_allclose(tc.signed_distance(np.array([1.0, 100.0]), 10.0, True), [-1, 1])
    np.testing.assert_allclose(tc.signed_distance(np.array([1.0, 100.0]), 10.0, False), [-9, 90])
    assert tc.near_width(np.array([1.0, 1e4]), True) == 0.1
    x = np.arange(101.0)
    assert tc.near_width(x, False) == pytest.approx(0.05 * 90)
    shares = tc.near_shares(x, [50.0, 0.0], False, 4.5)
    np.testing.assert_allclose(shares, [9 / 101, 5 / 101])


def test_errors_by_distance_matches_groupby():
    x, thresholds, y, score = degrading_data()
    table = tc.errors_by_distance(x, thresholds, y, score, cutoff=0.5, log=True, n_bins=10)
    d = np.log10(x)[:, None] - np.log10(thresholds)[None, :]
    pairs = pd.DataFrame({"d": d.ravel(), "wrong": ((score >= 0.5) != (y == 1)).ravel()})
    pairs["bin"] = pd.qcut(pairs["d"], 10, labels=False, duplicates="drop")
    direct = pairs.groupby("bin")["wrong"].agg(["mean", "size"]).reset_index(drop=True)
    np.testing.assert_allclose(table["error_rate"], direct["mean"])
    np.testing.assert_array_equal(table["n"], direct["size"])
    assert table["n"].sum() == y.size
    assert table["distance_mid"].is_monotonic_increasing
    assert (table["error_ci_low"] <= table["error_rate"]).all()
    assert (table["error_rate"] <= table["error_ci_high"]).all()
    wilson = stats.binomtest(int(table["errors"][0]), int(table["n"][0])).proportion_ci(
        method="wilson"
    )
    assert table["error_ci_low"][0] == pytest.approx(wilson.low)
    concentration = tc.error_concentration(table)
    assert concentration["near_error_rate"] > concentration["far_error_rate"]


def test_error_concentration_on_crafted_table():
    table = pd.DataFrame(
        {
            "distance_mid": [-3, -2, -1, -0.1, 0.2, 1, 2, 3],
            "n": [10] * 8,
            "error_rate": [0.0, 0.1, 0.2, 0.5, 0.3, 0.2, 0.1, 0.1],
        }
    )
    out = tc.error_concentration(table)
    assert out["near_error_rate"] == pytest.approx(0.4)
    assert out["far_error_rate"] == pytest.approx(0.075)
    assert out["ratio"] == pytest.approx(0.4 / 0.075)
    table["error_rate"] = [0, 0, 0.2, 0.5, 0.3, 0.2, 0, 0]
    assert tc.error_concentration(table)["ratio"] == math.inf


def test_resampled_auc_equals_sklearn_with_ties():
    rng = np.random.default_rng(3)
    n = 300
    y = rng.integers(0, 2, n)
    score = np.round(rng.uniform(size=n) + 0.3 * y, 1)  # heavy ties
    idx = rng.integers(0, n, size=(25, n))
    counts = tc._row_counts(idx, n)
    fast = tc.resampled_auc(y, score, counts)
    direct = [roc_auc_score(y[i], score[i]) for i in idx]
    np.testing.assert_allclose(fast, direct, atol=1e-12, rtol=0)
    one_class = tc.resampled_auc(np.ones(n, dtype=int), score, counts[:2])
    assert np.isnan(one_class).all()


def test_paired_against_best():
    _, thresholds, y, score = degrading_data()
    paired = tc.paired_against_best(y, score, thresholds, roc_auc_score, 0, 200, seed=7)
    assert list(paired.columns) == [
        "threshold",
        "difference",
        "ci_low",
        "ci_high",
        "resamples_used",
    ]
    auc = [roc_auc_score(y[:, j], score[:, j]) for j in range(len(thresholds))]
    np.testing.assert_allclose(paired["difference"], np.array(auc) - auc[0], atol=1e-12)
    best = paired.iloc[0]
    assert (best["difference"], best["ci_low"], best["ci_high"]) == (0.0, 0.0, 0.0)
    assert paired["ci_high"].iloc[-1] < 0  # the noisiest threshold is worse beyond noise
    assert (paired["resamples_used"] == 200).all()


def test_paired_against_best_generic_metric_and_skipped_resamples():
    rng = np.random.default_rng(5)
    n = 12
    y = np.column_stack([rng.integers(0, 2, n), np.r_[1, np.zeros(n - 1, dtype=int)]])
    score = rng.uniform(size=(n, 2))
    fast = tc.paired_against_best(y, score, [1.0, 2.0], roc_auc_score, 0, 60, seed=1)
    slow = tc.paired_against_best(
        y, score, [1.0, 2.0], lambda a, b: roc_auc_score(a, b), 0, 60, seed=1
    )
    pd.testing.assert_frame_equal(fast, slow)
    idx = np.random.default_rng(1).integers(0, n, size=(60, n))
    two_class = sum(np.unique(y[i, 1]).size == 2 and np.unique(y[i, 0]).size == 2 for i in idx)
    assert fast["resamples_used"].iloc[1] == two_class < 60


def paired_table(thresholds, inside) -> pd.DataFrame:
    """A paired table whose CIs contain 0 exactly at the `inside` thresholds."""
    return pd.DataFrame(
        {
            "threshold": thresholds,
            "difference": [-0.01 if t in inside else -0.1 for t in thresholds],
            "ci_low": [-0.03 if t in inside else -0.15 for t in thresholds],
            "ci_high": [0.02 if t in inside else -0.05 for t in thresholds],
        }
    )


def test_best_range_on_crafted_paired_table():
    grid = [1.0, 2.0, 5.0, 10.0, 20.0]
    curve = pd.DataFrame({"threshold": grid, "roc_auc": [0.7, 0.85, 0.9, 0.88, 0.6]})
    out = tc.best_range(curve, "roc_auc", paired_table(grid, {2.0, 10.0}))
    assert out == {
        "best": 5.0,
        "best_value": 0.9,
        "chosen_on": "test",  # a curve without validation values: the test argmax
        "validation_value": None,
        "test_argmax": 5.0,
        "within_noise": [2.0, 5.0, 10.0],
        "low": 2.0,
        "high": 10.0,
        "contiguous": True,
    }
    gap = tc.best_range(curve, "roc_auc", paired_table(grid, {1.0}))
    assert gap["within_noise"] == [1.0, 5.0]
    assert not gap["contiguous"]


def test_the_best_threshold_is_the_validation_argmax_reported_on_test():
    grid = [1.0, 2.0, 5.0, 10.0, 20.0]
    test = [0.7, 0.85, 0.9, 0.88, 0.6]
    validation = [0.72, 0.91, 0.86, np.nan, 0.5]  # a NaN (one-class validation) is skipped
    curve = pd.DataFrame({"threshold": grid, "roc_auc": test, "validation_roc_auc": validation})
    assert tc.chosen_index(curve, "roc_auc") == int(np.nanargmax(validation)) == 1
    out = tc.best_range(curve, "roc_auc", paired_table(grid, {5.0}))
    assert (out["best"], out["chosen_on"], out["test_argmax"]) == (2.0, "validation", 5.0)
    assert out["best_value"] == 0.85 and out["validation_value"] == 0.91  # test at 2, val at 2
    assert out["within_noise"] == [2.0, 5.0]
    concentration = {"near_error_rate": 0.3, "far_error_rate": 0.05, "ratio": 6.0}
    first, _ = tc.curve_sentence(curve.assign(near_share=0.1), out, concentration, 0.1)
    assert first.startswith(
        "The model discriminates best at threshold 2 on the validation rows (ROC-AUC 0.910); "
        "chosen there and reported on the test rows, it scores ROC-AUC 0.850. Within noise"
    )
    unsorted = curve.iloc[[3, 0, 4, 1, 2]]  # the choice does not depend on the row order
    assert tc.best_range(unsorted, "roc_auc", paired_table(grid, set()))["best"] == 2.0
    empty = curve.assign(validation_roc_auc=np.nan)  # no validation values: the test argmax
    assert tc.best_range(empty, "roc_auc", paired_table(grid, set()))["best"] == 5.0


def test_curve_table_sorts_and_names_missing_keys():
    rng = np.random.default_rng(0)
    rows = curve_rows([5.0, 1.0, 3.0], rng)
    table = tc.curve_table(rows)
    assert table["threshold"].to_list() == [1.0, 3.0, 5.0]
    assert list(table.columns) == tc.curve_keys()
    del rows[1]["mcc_ci_low"], rows[1]["near_share"]
    with pytest.raises(ValueError, match="near_share, mcc_ci_low"):
        tc.curve_table(rows)


def test_curve_sentence_wording():
    grid = [1.0, 2.0, 5.0, 10.0, 20.0]
    rows = curve_rows(grid, np.random.default_rng(0))
    curve = tc.curve_table(rows)
    curve["near_share"] = [0.1, 0.2, 0.3, 0.4, 0.5]
    curve["roc_auc"] = [0.95, 0.93, 0.9, 0.88, 0.8]
    best = tc.best_range(curve, "roc_auc", paired_table(grid, {2.0}))
    concentration = {"near_error_rate": 0.3, "far_error_rate": 0.05, "ratio": 6.0}
    first, second = tc.curve_sentence(curve, best, concentration, 0.1, log=True)
    assert first == (
        "The model discriminates best at threshold 1 (ROC-AUC 0.950). Within noise of it "
        "(paired bootstrap on the same test rows), itself included: 1 to 2; worse beyond "
        "noise: 5 to 20."
    )
    assert second.startswith("Errors crowd near the cut: pairs in the distance bins nearest")
    assert "at 0.300 vs 0.050 in the outermost bins (6.000x)" in second
    assert "rows within 0.100 decades of a threshold" in second
    assert "from 0.100 at 1 to 0.500 at 20" in second
    assert "ROC-AUC is lower where that share is higher (Spearman r = -1.000)" in second
    curve["roc_auc"] = [0.9, 0.8, 0.95, 0.85, 0.9]
    _, unclear = tc.curve_sentence(curve, best, concentration, 0.1)
    assert "not clearly related" in unclear
    table = pd.DataFrame(
        {
            "distance_low": [-2, -1, 0],
            "distance_high": [-1, 0, 1],
            "distance_mid": [-1.5, -0.5, 0.5],
        }
    )
    table = table.assign(n=10, errors=[1, 3, 3], error_rate=[0.1, 0.3, 0.3])
    found = tc.error_concentration(table)
    assert (found["near_low"], found["near_high"]) == (-1.0, 1.0)
    gap = tc.best_range(curve, "roc_auc", paired_table(grid, {1.0}))
    first, second = tc.curve_sentence(curve, gap, found, 4.5)
    assert "at threshold 5 (ROC-AUC 0.950). Within noise of it" in first
    assert "itself included: 1 and 5; worse beyond noise: 2 and 10 to 20." in first
    assert tc.stretches(grid, [1.0, 2.0, 10.0, 20.0]) == [(1.0, 2.0), (10.0, 20.0)]
    assert tc.stretches(grid, [5.0]) == [(5.0, 5.0)]
    alone = tc.best_range(curve, "roc_auc", paired_table(grid, set()))
    assert (
        "every other threshold is worse beyond noise"
        in tc.curve_sentence(curve, alone, found, 4.5)[0]
    )
    assert "(-1.000 to 1.000 from it)" in second
    assert "within 4.500 of a threshold" in second


def png_bytes(path) -> bytes:
    """The first 8 bytes of a file."""
    return path.read_bytes()[:8]


@pytest.mark.parametrize("log_x", [True, False])
def test_threshold_curve_figure_and_png(tmp_path, log_x):
    thresholds = np.geomspace(1, 1000, 100)
    curve = tc.curve_table(curve_rows(thresholds, np.random.default_rng(2)))
    metrics = ["roc_auc", "mcc", "f1"]
    figure = tp.threshold_curve_figure(curve, metrics, log_x, "cumulative head")
    panels = [axes for axes in figure.axes if axes.get_label() != tp.TWIN]
    assert len(panels) == 3
    assert figure.axes[0].get_xscale() == ("log" if log_x else "linear")
    assert figure.axes[0].get_ylabel() == "ROC-AUC"
    assert "validation" not in [line.get_label() for line in panels[0].lines]
    curve["validation_roc_auc"] = curve["roc_auc"] - 0.01
    figure = tp.threshold_curve_figure(curve, metrics, log_x, "cumulative head")
    roc, mcc = [axes for axes in figure.axes if axes.get_label() != tp.TWIN][:2]
    (line,) = [line for line in roc.lines if line.get_label() == "validation"]
    np.testing.assert_allclose(line.get_ydata(), curve["validation_roc_auc"])
    assert "validation" not in [line.get_label() for line in mcc.lines]  # ROC-AUC's alone
    path = tp.plot_threshold_curve(curve, metrics, tmp_path / "curve.png", log_x, "t")
    assert path.exists() and png_bytes(path) == PNG


def test_errors_and_near_share_plots_are_pngs(tmp_path):
    x, thresholds, y, score = degrading_data(n=400)
    table = tc.errors_by_distance(x, thresholds, y, score, 0.5, log=True)
    figure = tp.errors_figure(table, True, 0.1)
    assert figure.axes[0].get_xlabel() == "log10(x) - log10(threshold)"
    path = tp.plot_errors_by_distance(table, tmp_path / "errors.png", True, 0.1)
    assert png_bytes(path) == PNG
    shares = tc.near_shares(x, thresholds, True, 0.1)
    near = tp.plot_near_shares(
        thresholds, shares, shares * 0 + 0.8, tmp_path / "n.png", True, "AUC"
    )
    assert png_bytes(near) == PNG
