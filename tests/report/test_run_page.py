"""The run report's first lines: what the run shows, against chance, with the CIs."""

from __future__ import annotations

import numpy as np
import pytest

from threshold_sweep.evaluate.chance import chance_levels
from threshold_sweep.evaluate.diagnostics import SMALL_TEST_CLASS
from threshold_sweep.report.run_page.sections.opening import run_verdict, small_test_line


def result_with(
    auc_ci: list[float],
    names: list[str],
    warnings: list[str],
    ba_ci: tuple[float, float] = (0.55, 0.69),
    rows: list[int] | None = None,
) -> dict:
    """A minimal assessed result whose test ROC-AUC CI is `auc_ci` (`rows`: test rows per
    class, 50 each by default; their confusion matrix has every row on the diagonal)."""
    rows = rows or [50] * len(names)
    y = np.repeat(np.arange(len(names)), rows)
    ranking = "roc_auc" if len(names) == 2 else "roc_auc_ovr"
    return {
        "label_names": names,
        "prevalence": {"test": rows[-1] / sum(rows)},
        "test": {
            "n": len(y),
            ranking: 0.7,
            "balanced_accuracy": 0.62,
            "confusion_matrix": np.diag(rows).tolist(),
        },
        "class_counts": {
            split: dict(zip(names, [r * share for r in rows], strict=True))
            for split, share in (("train", 5), ("validation", 1), ("test", 1))
        },
        "ci": {"level": 0.95, "test": {ranking: auc_ci, "balanced_accuracy": list(ba_ci)}},
        "chance": {"test": chance_levels(y, n_classes=len(names))},
        "warnings": warnings,
    }


def _ordered(mae_ci: list[float]) -> dict:
    """Three ordered classes of 8, 4 and 3 test rows that rank better than chance, with
    balanced accuracy 0.333, QWK 0.072 [-0.021, 0.227] and MAE 0.867 (CI `mae_ci`)."""
    result = result_with([0.6, 0.88], ["<=0", "(0,0.05]", ">0.05"], [], (0.2, 0.47), [8, 4, 3])
    result["test"] |= {"roc_auc_ovr": 0.747, "balanced_accuracy": 0.333}
    result["test"] |= {"mae_classes": 0.867, "qwk": 0.072}
    result["ci"]["test"] |= {"mae_classes": mae_ci, "qwk": [-0.021, 0.227]}
    return result


def test_the_verdict_says_better_than_chance_only_when_the_ci_excludes_it():
    good = run_verdict(result_with([0.61, 0.79], ["low", "high"], []))
    assert good.startswith("**The model ranks the test rows better than chance and decides")
    assert "ROC-AUC 0.700 (95% CI 0.610-0.790; no skill 0.500)" in good
    assert "on 100 test rows (50.0% 'high')" in good and "warning" not in good
    noisy = run_verdict(result_with([0.45, 0.9], ["low", "high"], ["w1", "w2"]))
    assert noisy.startswith("**The model does not rank the test rows detectably better than")
    assert "read the 2 warning(s) first" in noisy
    worse = run_verdict(result_with([0.1, 0.4], ["low", "high"], []))
    assert worse.startswith("**The model ranks the test rows worse than chance")


def test_the_verdict_says_whether_decisions_beat_the_best_constant_guess():
    both = run_verdict(result_with([0.61, 0.79], ["low", "high"], [], rows=[60, 40]))
    assert "better than chance and decides better than always answering 'low' (by balanced " in both
    ranking_only = run_verdict(result_with([0.61, 0.79], ["low", "high"], [], (0.45, 0.6)))
    assert ranking_only.startswith(
        "**The model ranks the test rows better than chance but decides no better than "
        "always answering 'low'**"
    )
    assert "balanced accuracy 0.620 (95% CI 0.450-0.600; no skill 0.500)" in ranking_only


def test_the_verdict_of_ordered_classes_weighs_mae_and_qwk_against_the_median_class():
    worse = run_verdict(_ordered([0.7, 1.05]))
    assert worse.startswith(
        "**The model ranks the test rows better than chance but decides worse than always "
        "answering '<=0' (by MAE)**"
    )
    constant = (4 * 1 + 3 * 2) / 15  # always '<=0', the median class
    assert f"MAE 0.867 class steps (95% CI 0.700-1.050; always '<=0' {constant:.3f})" in worse
    assert "QWK 0.072 (95% CI -0.021-0.227; constant 0)" in worse
    assert "one-vs-rest ROC-AUC 0.747" in worse and "3 ordered classes" in worse
    no_skill = float(worse.split("balanced accuracy 0.333 (95% CI 0.200-0.470; no skill ")[1][:5])
    assert no_skill == pytest.approx(1 / 3, abs=1e-3)
    noisy = run_verdict(_ordered([0.5, 1.1]))
    assert "but decides no better than always answering '<=0'**" in noisy
    good = _ordered([0.1, 0.3])
    good["ci"]["test"] |= {"qwk": [0.3, 0.6], "balanced_accuracy": [0.5, 0.7]}
    assert (
        "and decides better than always answering '<=0' (by balanced accuracy and MAE and QWK)**"
        in run_verdict(good)
    )
    mixed = _ordered([0.1, 0.3])
    assert "decides better than always answering '<=0' by MAE but not by balanced accuracy" in (
        run_verdict(mixed)
    )


def test_the_verdict_says_what_its_noise_covers():
    text = run_verdict(result_with([0.61, 0.79], ["low", "high"], []))
    assert "beyond test-row noise" not in text
    assert "test-row noise for this one training only: training noise was not measured" in text
    assert "`-m train.seed=0,1,2`" in text
    kfold = result_with([0.61, 0.79], ["low", "high"], []) | {"cross_validation": {"folds": 5}}
    assert "scored by 5 fold models; training noise is not in them" in run_verdict(kfold)


def test_a_small_test_set_is_said_first_with_the_command_that_tests_every_row():
    small = result_with([0.61, 0.79], ["low", "high"], [], rows=[7, 11])
    line = small_test_line(small)
    assert line.startswith("**The test set is too small to conclude much**: 18 test rows")
    assert f"only 7 'low' (fewer than {SMALL_TEST_CLASS} in a class)" in line
    assert "`split=kfold` tests every row once (49 'low' rows instead of 7)" in line
    timed = small | {"split": {"method": "time", "order": "date"}}
    assert "`split=rolling` tests every row once" in small_test_line(timed)
    folded = small | {"split": {"method": "kfold", "folds": 5}}
    assert "only more data narrows the intervals" in small_test_line(folded)
    many = result_with([0.6, 0.8], [f"c{i}" for i in range(8)], [], rows=[5] * 6 + [20, 20])
    assert "only 5 'c0', 5 'c1', 5 'c2' and 3 more classes (fewer than" in small_test_line(many)
    rows = [SMALL_TEST_CLASS, SMALL_TEST_CLASS + 5]
    assert small_test_line(result_with([0.61, 0.79], ["low", "high"], [], rows=rows)) is None


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
    """result_with() plus a reference section whose best model is hgb at ROC-AUC 0.85, and a
    paired difference at the middle of its CI."""
    result = result_with([0.61, 0.79], ["low", "high"], [])
    difference = (ci_low + ci_high) / 2
    comparison = {"difference": difference, "ci_low": ci_low, "ci_high": ci_high}
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
        ((-0.2, 0.03), "is not detectably different from the best reference model"),
        ((0.02, 0.2), "beats the best reference model beyond noise"),
        ((0.004, 0.016), "beats the best reference model by a negligible amount"),
        ((-0.016, -0.004), "trails the best reference model by a negligible amount"),
    ],
)
def test_the_first_lines_say_how_the_cnn_compares_with_the_best_reference(ci, standing):
    from threshold_sweep.report.reference import reference_verdict

    text = reference_verdict(_with_reference(*ci))
    assert f"the CNN **{standing}**: ROC-AUC 0.700 vs 0.850 for gradient-boosted trees" in text
    middle = (ci[0] + ci[1]) / 2
    assert f"CNN - reference {middle:+.3f}, paired 95% CI {ci[0]:+.3f} to {ci[1]:+.3f}" in text
    assert ("under the 0.02 that matters" in text) == ("negligible" in standing)
    assert reference_verdict(result_with([0.6, 0.8], ["low", "high"], [])) is None


def test_the_reference_table_puts_the_cnn_beside_each_model_with_cis():
    from threshold_sweep.report.reference import reference_table

    table = reference_table(_with_reference(-0.25, -0.05))
    assert table["model"].tolist() == ["CNN (this run)", "gradient-boosted trees"]
    assert table.loc[0, "ROC-AUC"] == "0.700 [0.610, 0.790]"
    assert table.loc[1, "ROC-AUC"] == "0.850 [0.800, 0.900]"
    assert table.loc[1, "CNN - model, ROC-AUC"] == "-0.150 [-0.250, -0.050]"


def test_the_first_lines_call_a_trail_beyond_noise_but_under_the_margin_negligible():
    from threshold_sweep.report.reference import reference_verdict

    result = _with_reference(-0.0007, -0.0001)
    result["reference"]["models"]["hgb"]["cnn_minus_reference"]["roc_auc"]["difference"] = -4e-4
    text = reference_verdict(result)
    assert "**trails the best reference model by a negligible amount**" in text
    assert "CNN - reference -0.0004, paired 95% CI -0.0007 to -0.0001" in text
    assert "under the 0.02 that matters" in text


def test_the_reference_lines_say_the_cnn_fitted_on_fewer_rows_after_undersampling():
    from threshold_sweep.report.reference import reference_models_section, reference_verdict

    result = _with_reference(-0.2, 0.03)
    result["class_counts"]["train"] = {"low": 300, "high": 100}
    result["class_counts_after_sampling"] = {"train": {"low": 100, "high": 100}}
    fitted = "fitted on all 400 training rows (the CNN fitted on 200 after undersampling)"
    assert f"Against competent models {fitted}, the CNN" in reference_verdict(result)
    section = reference_models_section(result)
    assert section.blocks[0].startswith(f"F{fitted[1:]}:")
    result["class_counts_after_sampling"] = {"train": {"low": 300, "high": 100}}
    assert "fitted on the same 400 training rows as the CNN" in reference_verdict(result)
    # k-fold: the counts pool every fold's training rows; n_train is one fold's
    result["class_counts_after_sampling"] = {"train": {"low": 100, "high": 100}}
    result["cross_validation"] = {"folds": 5, "repeats": 1}
    kfold = reference_verdict(result)
    assert "fitted on each fold's natural training rows (the CNN fitted on 200 of 400" in kfold
    assert "all 400" not in kfold


@pytest.mark.slow  # trains a tiny CNN on 120 rows
def test_a_120_row_run_opens_by_saying_its_test_set_is_small(tmp_path):
    import json

    from conftest import TINY, run_app

    done = run_app([*TINY, "data.n_samples=120", "hydra.run.dir=run"], tmp_path)
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "run" / "report.md").read_text()
    result = json.loads((tmp_path / "run" / "metrics.json").read_text())
    first, second = report.split("\n\n")[1:3]
    assert first.startswith("**The test set is too small to conclude much**: ")
    assert f"{result['test']['n']} test rows" in first and "`split=kfold`" in first
    assert second.startswith("**The model ") and "its decisions: balanced accuracy" in second
    assert "training noise was not measured" in second


def test_the_class_balance_section_names_ignored_columns_and_their_settings():
    from threshold_sweep.report.run_page.sections.class_balance import class_balance_section

    result = result_with([0.6, 0.8], ["low", "high"], [])
    result["class_counts_after_sampling"] = result["class_counts"]
    result["data_checks"] = {
        "id_column": {"column": "id", "guessed": True},
        "ignored_columns": [
            {"column": "sale_date", "reason": "not numeric", "hint": "split=time data.order=d"},
            {"column": "hood", "reason": "not numeric", "hint": "data.group=hood"},
            {"column": "row", "reason": "a different whole number on every row", "hint": None},
        ],
    }
    result["target"] = "price"
    blocks = class_balance_section(result).blocks
    assert blocks[0].startswith("Split: random, stratified on price's quantile bins")
    (line,) = [b for b in blocks if str(b).startswith("Row ids")]
    assert line.startswith("Row ids: `id` (chosen by its name, as data.id was unset)")
    assert "`sale_date` (not numeric; could order a time split: `split=time data.order=d`)" in line
    assert "`hood` (not numeric; its values repeat like an entity's: `data.group=hood`" in line
    assert "`row` (a different whole number on every row)." in line
    del result["data_checks"]  # synthetic data, or a run made before the record existed
    blocks = class_balance_section(result).blocks
    assert not [b for b in blocks if "Row ids" in str(b) or "not used as features" in str(b)]


def test_no_detectable_ranking_gap_still_names_a_reference_that_decides_better():
    """ROC-AUC's CI spans 0 but balanced accuracy's lies below it: the first lines say so
    (the comfort 'not detectably different' alone would be false); silent when it does not."""
    from threshold_sweep.report.reference import reference_verdict

    result = _with_reference(-0.2, 0.03)
    hgb = result["reference"]["models"]["hgb"]
    hgb["cnn_minus_reference"]["balanced_accuracy"] = {
        "difference": -0.066, "ci_low": -0.116, "ci_high": -0.017, "within_noise": False
    }  # fmt: skip
    text = reference_verdict(result)
    assert "**is not detectably different from the best reference model**" in text
    assert text.endswith(
        "; but gradient-boosted trees decides better beyond noise: balanced accuracy CNN - "
        "reference -0.066, paired 95% CI -0.116 to -0.017."
    )
    assert "decides better" not in reference_verdict(_with_reference(-0.2, 0.03))
    assert "decides better" not in reference_verdict(_with_reference(-0.25, -0.05))
