"""The run report's first lines: what the run shows, against chance, with the CIs."""

from __future__ import annotations

import numpy as np
import pytest

from threshold_sweep.evaluate.chance import chance_levels
from threshold_sweep.report.run_page import run_verdict


def result_with(auc_ci: list[float], names: list[str], warnings: list[str]) -> dict:
    """A minimal assessed result whose test ROC-AUC CI is `auc_ci`."""
    y = np.repeat(np.arange(len(names)), 50)
    ranking = "roc_auc" if len(names) == 2 else "roc_auc_ovr"
    return {
        "label_names": names,
        "prevalence": {"test": 0.5},
        "test": {"n": len(y), ranking: 0.7, "balanced_accuracy": 0.62},
        "ci": {"level": 0.95, "test": {ranking: auc_ci, "balanced_accuracy": [0.55, 0.69]}},
        "chance": {"test": chance_levels(y, n_classes=len(names))},
        "warnings": warnings,
    }


def test_the_verdict_says_better_than_chance_only_when_the_ci_excludes_it():
    good = run_verdict(result_with([0.61, 0.79], ["low", "high"], []))
    assert good.startswith("**The model ranks the test rows better than chance")
    assert "ROC-AUC 0.700 (95% CI 0.610-0.790; no skill 0.500)" in good
    assert "on 100 test rows (50.0% 'high')" in good and "warning" not in good
    noisy = run_verdict(result_with([0.45, 0.9], ["low", "high"], ["w1", "w2"]))
    assert noisy.startswith("**The model does not rank the test rows better than chance")
    assert "read the 2 warning(s) first" in noisy


def test_the_verdict_of_ordered_classes_uses_their_own_chance_levels():
    text = run_verdict(result_with([0.6, 0.8], ["a", "b", "c"], []))
    assert "3 ordered classes" in text and "one-vs-rest ROC-AUC 0.700" in text
    no_skill = float(text.split("balanced accuracy 0.620 (95% CI 0.550-0.690; no skill ")[1][:5])
    assert no_skill == pytest.approx(1 / 3, abs=1e-3)


def test_every_page_number_goes_through_one_format():
    from threshold_sweep.report.tables import DIGITS, fmt

    assert DIGITS == 3
    assert [fmt(v) for v in (0.12345, 1.0, 0.0, -0.0001, 120.0, np.float32(0.25))] == [
        "0.123",
        "1.000",
        "0.000",
        "0.000",  # never "-0.000"
        "120",
        "0.250",
    ]
    assert [fmt(v, signed=True) for v in (0.0123, -0.0123, 0.0)] == ["+0.012", "-0.012", "+0.000"]
    assert [fmt(v) for v in (None, float("nan"), True, 7)] == ["n/a", "n/a", "yes", "7"]


def _with_reference(ci_low: float, ci_high: float) -> dict:
    """result_with() plus a reference section whose best model is hgb at ROC-AUC 0.85."""
    result = result_with([0.61, 0.79], ["low", "high"], [])
    comparison = {"difference": -0.15, "ci_low": ci_low, "ci_high": ci_high, "within_noise": False}
    hgb = {
        "label": "gradient-boosted trees",
        "description": "HistGradientBoostingClassifier",
        "seconds": 1.25,
        "cpu_seconds": 1.5,
        "test": {"roc_auc": 0.85, "balanced_accuracy": 0.7},
        "ci": {"roc_auc": [0.8, 0.9], "balanced_accuracy": [0.64, 0.76]},
        "cnn_minus_reference": {"roc_auc": comparison, "balanced_accuracy": comparison},
    }
    result["reference"] = {
        "trained_on": "the natural training split",
        "n_train": 400,
        "compared_on": ["roc_auc", "balanced_accuracy"],
        "models": {"hgb": hgb},
        "best": "hgb",
        "cnn_trails_best": ci_high < 0,
    }
    return result


@pytest.mark.parametrize(
    ("ci", "standing"),
    [
        ((-0.25, -0.05), "trails the best reference model beyond noise"),
        ((-0.2, 0.03), "is within noise of the best reference model"),
        ((0.02, 0.2), "beats the best reference model beyond noise"),
    ],
)
def test_the_first_lines_say_how_the_cnn_compares_with_the_best_reference(ci, standing):
    from threshold_sweep.report.reference import reference_verdict

    text = reference_verdict(_with_reference(*ci))
    assert f"the CNN **{standing}**: ROC-AUC 0.700 vs 0.850 for gradient-boosted trees" in text
    assert f"CNN - reference -0.150, paired 95% CI {ci[0]:+.3f} to {ci[1]:+.3f}" in text
    assert reference_verdict(result_with([0.6, 0.8], ["low", "high"], [])) is None


def test_the_reference_table_puts_the_cnn_beside_each_model_with_cis():
    from threshold_sweep.report.reference import reference_table

    table = reference_table(_with_reference(-0.25, -0.05))
    assert table["model"].tolist() == ["CNN (this run)", "gradient-boosted trees"]
    assert table.loc[0, "ROC-AUC"] == "0.700 [0.610, 0.790]"
    assert table.loc[1, "ROC-AUC"] == "0.850 [0.800, 0.900]"
    assert table.loc[1, "CNN - model, ROC-AUC"] == "-0.150 [-0.250, -0.050]"
