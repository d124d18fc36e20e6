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
