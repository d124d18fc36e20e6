"""Comparisons pooled over repeats: the numbers against an independent computation (SciPy,
scikit-learn), the verdicts against their definitions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from threshold_sweep.sweep import pooled

from conftest import write_assessed_run

N_TEST = 300


def _frame(n: int, gain: float, seed: int, labels_seed: int = 0) -> pd.DataFrame:
    """Binary predictions of the same n rows (labels fixed by labels_seed) with `gain` signal."""
    y = np.random.default_rng(labels_seed).integers(0, 2, n)
    score = 1 / (1 + np.exp(-(np.random.default_rng(seed).normal(0, 1, n) + gain * (2 * y - 1))))
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "x": 50 + 100 * y,
            "y_true": y,
            "y_score": score,
            "y_pred": (score >= 0.5).astype(int),
        }
    )


def _write(root: Path, threshold: str, seed: int, gain: float) -> Path:
    """A finished binary run of threshold `threshold` and train.seed `seed`."""
    overrides = [f"label.threshold={threshold}", f"train.seed={seed}"]
    folder = root / ",".join(overrides)
    frames = {
        "train": _frame(200, gain, 10 + seed, 1),
        "validation": _frame(100, gain, 20 + seed, 2),
        "test": _frame(N_TEST, gain, 30 + seed + 100 * int(threshold == "1000")),
    }
    write_assessed_run(folder, overrides, frames, ["low", "high"], float(threshold))
    return folder


def test_the_verdict_follows_the_ci_and_the_margin():
    assert pooled.judge(0.01, 0.05, 0.015, 0.045, 0.02) == pooled.HIGHER
    assert pooled.judge(-0.05, -0.01, -0.045, -0.015, 0.02) == pooled.LOWER
    assert pooled.judge(0.002, 0.008, 0.003, 0.007, 0.02) == pooled.NEGLIGIBLE
    assert pooled.judge(-0.01, 0.012, -0.008, 0.01, 0.02) == pooled.EQUIVALENT
    assert pooled.judge(-0.01, 0.05, -0.005, 0.045, 0.02) == pooled.UNDETECTED
    # equivalence needs the whole (1 - 2 alpha) interval inside: touching the margin is not
    assert pooled.judge(-0.01, 0.03, -0.005, 0.02, 0.02) == pooled.UNDETECTED


def test_the_equivalence_interval_is_the_ninety_percent_one_of_a_normal_ci():
    se, d = 0.01, 0.003
    z95, z90 = stats.norm.ppf(0.975), stats.norm.ppf(0.95)
    low, high = pooled.equivalence_interval(d, d - z95 * se, d + z95 * se, 0.95)
    assert (low, high) == pytest.approx((d - z90 * se, d + z90 * se))
    skewed = pooled.equivalence_interval(0.0, -0.01, 0.03, 0.95)
    assert skewed[1] - 0.0 == pytest.approx(3 * (0.0 - skewed[0]))  # the asymmetry is kept


def test_seed_pairs_pool_both_sources_of_noise():
    differences = np.array([0.028, 0.031, 0.034])
    rows = np.random.default_rng(0).normal(0.031, 0.015, 5000)
    got = pooled.pooled_over_seeds(differences, rows, 0.95)
    row_var, seed_var = np.var(rows, ddof=1), np.var(differences, ddof=1) / 3
    df = (row_var + seed_var) ** 2 / (seed_var**2 / 2)
    half = stats.t.ppf(0.975, df) * math.sqrt(row_var + seed_var)
    assert got["difference"] == pytest.approx(differences.mean())
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((0.031 - half, 0.031 + half))
    assert got["df"] == pytest.approx(df)
    # training noise alone, with test-row noise nil: a t interval on 2 degrees of freedom
    alone = pooled.pooled_over_seeds(differences, np.zeros(100), 0.95)
    t_ci = stats.t.interval(0.95, 2, loc=differences.mean(), scale=stats.sem(differences))
    assert (alone["ci_low"], alone["ci_high"]) == pytest.approx(t_ci)


def test_folds_use_the_corrected_resampled_t():
    differences = np.array([0.05, -0.01, 0.03, 0.02, 0.04])
    got = pooled.corrected_resampled_t(differences, 1 / 4, 0.95)
    se = math.sqrt((1 / 5 + 1 / 4) * np.var(differences, ddof=1))
    half = stats.t.ppf(0.975, 4) * se
    assert (got["ci_low"], got["ci_high"]) == pytest.approx(
        (differences.mean() - half, differences.mean() + half)
    )
    naive = stats.t.interval(0.95, 4, loc=differences.mean(), scale=stats.sem(differences))
    assert got["ci_high"] - got["ci_low"] > naive[1] - naive[0]  # wider than the plain paired t


@pytest.fixture(scope="module")
def two_seed_study(tmp_path_factory) -> Path:
    """Thresholds 100 and 1000, two training seeds each, on the same test rows."""
    root = tmp_path_factory.mktemp("pooled")
    for threshold, gain in (("100", 0.8), ("1000", 1.2)):
        for seed in (0, 1):
            _write(root, threshold, seed, gain)
    return root


def test_a_seed_study_pools_its_pairs_and_says_so(two_seed_study):
    from threshold_sweep.sweep.collect import summarize

    summary = summarize(two_seed_study)
    rows = summary.pooled.set_index("metric")
    roc = rows.loc["roc_auc"]
    assert roc["seed_pairs"] == 2 and roc["test_rows"] == N_TEST and roc["folds"] == 0
    per_seed = summary.paired[summary.paired["metric"] == "roc_auc"]["difference"]
    assert len(per_seed) == 2 and roc["difference"] == pytest.approx(per_seed.mean())
    test = {
        (t, s): pd.read_csv(two_seed_study / f"label.threshold={t},train.seed={s}/predictions.csv")
        for t in ("100", "1000")
        for s in (0, 1)
    }
    direct = np.mean(
        [
            roc_auc_score(test["1000", s]["y_true"], test["1000", s]["y_score"])
            - roc_auc_score(test["100", s]["y_true"], test["100", s]["y_score"])
            for s in (0, 1)
        ]
    )
    assert roc["difference"] == pytest.approx(direct)
    assert roc["ci_low"] < roc["difference"] < roc["ci_high"]
    widest_pair = (summary.paired["ci_high"] - summary.paired["ci_low"]).max()
    assert roc["ci_high"] - roc["ci_low"] < 3 * widest_pair  # same rows: no blow-up
    verdict = " ".join(summary.insight_groups["Verdict"])
    assert "pooled over 2 trainings per setting (training seeds, one split): the CI covers" in (
        verdict
    )
    assert "one training per setting" not in verdict
    assert (two_seed_study / "summary_pooled.csv").exists() is False  # summarize writes nothing


def test_k_fold_runs_are_compared_fold_by_fold(two_seed_study, tmp_path):
    from threshold_sweep.sweep.collect import summarize

    root = tmp_path / "folds"
    for folder in two_seed_study.glob("label.threshold=*,train.seed=0"):
        copy = root / folder.name
        copy.mkdir(parents=True)
        for item in folder.rglob("*"):
            target = copy / item.relative_to(folder)
            if item.is_dir():
                target.mkdir(exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(item.read_bytes())
        predictions = pd.read_csv(copy / "predictions.csv")
        predictions["fold"] = predictions["id"] % 5 + 1
        predictions.to_csv(copy / "predictions.csv", index=False)
    roc = summarize(root).pooled.set_index("metric").loc["roc_auc"]
    a, b = (
        pd.read_csv(root / f"label.threshold={t},train.seed=0" / "predictions.csv")
        for t in ("100", "1000")
    )
    per_fold = np.array(
        [
            roc_auc_score(b[b.fold == f].y_true, b[b.fold == f].y_score)
            - roc_auc_score(a[a.fold == f].y_true, a[a.fold == f].y_score)
            for f in range(1, 6)
        ]
    )
    expected = pooled.corrected_resampled_t(per_fold, 1 / 4, 0.95)
    verdict = " ".join(summarize(root).insight_groups["Verdict"])
    assert f"{per_fold.mean():+.3f} (95% CI " in verdict
    assert "the mean of 5 held-out folds' differences)" in verdict
    assert roc["folds"] == 5 and roc["difference"] == pytest.approx(per_fold.mean())
    assert (roc["ci_low"], roc["ci_high"]) == pytest.approx(
        (expected["ci_low"], expected["ci_high"])
    )


def test_many_groups_still_pair_the_first_with_the_last():
    from threshold_sweep.sweep.stats import _pairs

    table = pd.DataFrame({"label.threshold": [str(t) for t in range(8)]})
    pairs = _pairs(table, ["label.threshold"])
    assert (0, 7) in pairs  # the pair the verdict compares
    assert {(i, i + 1) for i in range(7)} <= set(pairs) and len(pairs) == 8


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench_pooled.py, imported from its file."""
    from conftest import load_benchmark

    yield from load_benchmark("bench_pooled")


def test_the_pooled_verdict_seldom_calls_equal_settings_different(bench):
    """A small run of benchmarks/bench_pooled.py (the full one: results/pooled.json)."""
    rates = bench.simulate(43, 557, 0.15, trials=60, resamples=100)
    for metric, by_method in rates.items():
        # the pooled CI holds the test-rows-only CI, so it can only call fewer differences
        assert by_method["pooled"] <= by_method["test_rows_only"], metric
        assert by_method["pooled"] <= 0.15, (metric, by_method)  # 5 % nominal, 60 trials
