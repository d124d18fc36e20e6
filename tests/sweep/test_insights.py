"""Every insight rule: it speaks when the numbers say so, and is silent (or says the opposite)
when they do not."""

from __future__ import annotations

import pandas as pd
import pytest

from threshold_sweep.sweep.insights.caveats import (
    below_no_skill,
    calibration_notes,
    diagnostic_notes,
    repeat_notes,
    warning_notes,
)
from threshold_sweep.sweep.insights.compose import insight_groups, sweep_insights
from threshold_sweep.sweep.insights.gaps import overfitting_notes
from threshold_sweep.sweep.insights.moves import (
    no_skill_levels,
    opposite_movement,
    paired_verdicts,
    prevalence_explanation,
    prevalence_free_agreement,
    prevalence_shift,
)
from threshold_sweep.sweep.insights.verdicts import (
    comparison_caveats,
    discrimination_verdict,
    reference_verdict,
)
from threshold_sweep.sweep.pooled import equivalence_interval, judge
from threshold_sweep.sweep.stats import group_keys, repeats, sort_runs


def group(name: str, prevalence: float, **metrics: float) -> dict:
    defaults = {"accuracy": 0.8, "f1": 0.8, "roc_auc": 0.9, "balanced_accuracy": 0.8}
    values = {**defaults, **metrics}
    row = {"group": name, "threshold": float(name.split("=")[1]), "test_prevalence": prevalence}
    for metric, value in values.items():
        row[f"test_{metric}_mean"] = value
    row["chance_accuracy_mean"] = max(prevalence, 1 - prevalence)
    row["chance_f1_mean"] = 2 * prevalence / (1 + prevalence)
    return row


SEED_STUDY = pd.DataFrame(
    [
        group("label.threshold=100", 0.57, accuracy=0.80, f1=0.53, roc_auc=0.90),
        group("label.threshold=1000", 0.08, accuracy=0.69, f1=0.71, roc_auc=0.91),
    ]
)


def test_prevalence_shift_is_named():
    first, last = SEED_STUDY.iloc[0], SEED_STUDY.iloc[1]
    (sentence,) = prevalence_shift(first, last)
    assert "moved from 0.570" in sentence and "to 0.080" in sentence
    same = SEED_STUDY.assign(test_prevalence=[0.5, 0.52])
    assert "barely changed" in prevalence_shift(same.iloc[0], same.iloc[1])[0]


def test_opposite_movement_explained_by_prevalence():
    (sentence,) = opposite_movement(SEED_STUDY.iloc[0], SEED_STUDY.iloc[1])
    assert "Accuracy fell (0.800 → 0.690) while F1 rose (0.530 → 0.710)" in sentence
    assert "because the positive prevalence moved from 0.570 to 0.080" in sentence


def test_opposite_movement_without_prevalence_change_blames_the_model():
    same = SEED_STUDY.assign(test_prevalence=[0.5, 0.51])
    (sentence,) = opposite_movement(same.iloc[0], same.iloc[1])
    assert "because" not in sentence and "barely moved" in sentence


@pytest.mark.parametrize(("accuracy", "f1"), [((0.8, 0.7), (0.6, 0.5)), ((0.8, 0.805), (0.5, 0.7))])
def test_no_opposite_movement_no_sentence(accuracy, f1):
    rows = SEED_STUDY.assign(test_accuracy_mean=list(accuracy), test_f1_mean=list(f1))
    assert opposite_movement(rows.iloc[0], rows.iloc[1]) == []


def test_no_skill_levels_quote_the_numbers():
    sentences = no_skill_levels(SEED_STUDY)
    assert len(sentences) == 2
    assert "accuracy 0.920 and F1 0.148" in sentences[1]


def test_prevalence_free_agreement_and_disagreement():
    level = SEED_STUDY.assign(test_roc_auc_mean=[0.9, 0.905])
    agree = prevalence_free_agreement(level.iloc[0], level.iloc[1])[0]
    assert agree.startswith("Neither prevalence-free metric changed detectably")
    both = SEED_STUDY.assign(test_roc_auc_mean=[0.9, 0.95], test_balanced_accuracy_mean=[0.8, 0.85])
    assert prevalence_free_agreement(both.iloc[0], both.iloc[1])[0].startswith(
        "The prevalence-free metrics agree: both rose"
    )
    partly = prevalence_free_agreement(SEED_STUDY.iloc[0], SEED_STUDY.iloc[1])[0]
    assert "do not contradict each other: ROC-AUC rose, balanced accuracy stayed level" in partly
    rows = SEED_STUDY.assign(test_roc_auc_mean=[0.9, 0.95], test_balanced_accuracy_mean=[0.8, 0.7])
    disagree = prevalence_free_agreement(rows.iloc[0], rows.iloc[1])[0]
    assert "disagree: ROC-AUC rose but balanced accuracy fell" in disagree


def paired_rows(
    low: float, high: float, difference: float, seed_pairs: int = 1, margin: float = 0.02
) -> pd.DataFrame:
    """One pooled comparison of ROC-AUC from threshold 100 to 1000, judged as the sweep does."""
    tost_low, tost_high = equivalence_interval(difference, low, high, 0.95)
    return pd.DataFrame(
        [
            {
                "first_group": "label.threshold=100",
                "second_group": "label.threshold=1000",
                "metric": "roc_auc",
                "difference": difference,
                "ci_low": low,
                "ci_high": high,
                "tost_low": tost_low,
                "tost_high": tost_high,
                "level": 0.95,
                "margin": margin,
                "verdict": judge(low, high, tost_low, tost_high, margin),
                "seed_pairs": seed_pairs,
                "folds": 0,
                "test_rows": 600,
            }
        ]
    )


def test_paired_verdicts_say_what_the_ci_shows():
    first, last = SEED_STUDY.iloc[0], SEED_STUDY.iloc[1]
    (noise,) = paired_verdicts(paired_rows(-0.01, 0.03, 0.01), first, last)
    assert "ROC-AUC differs by +0.010 (95% CI -0.010 to +0.030)" in noise
    assert "no difference detected (the CI contains 0; it is too wide" in noise
    assert "equally" not in noise and "equivalent" not in noise
    (real,) = paired_verdicts(paired_rows(0.02, 0.06, 0.04), first, last)
    assert "beyond noise; label.threshold=1000 is better on ROC-AUC" in real
    (small,) = paired_verdicts(paired_rows(0.002, 0.008, 0.005), first, last)
    assert "beyond noise but inside the equivalence margin of ±0.020: negligible" in small
    (same,) = paired_verdicts(paired_rows(-0.005, 0.006, 0.0004), first, last)
    assert "+0.00040 (95% CI -0.005 to +0.006)" in same  # the sign and size kept
    assert "equivalent within ±0.020 (two one-sided tests:" in same
    assert paired_verdicts(pd.DataFrame(), first, last) == []
    # stored the other way round: read from first to last, the verdict's direction swapped
    back = paired_rows(-0.06, -0.02, -0.04).assign(
        first_group="label.threshold=1000", second_group="label.threshold=100"
    )
    (flipped,) = paired_verdicts(back, first, last)
    assert "+0.040 (95% CI +0.020 to +0.060)" in flipped
    assert "label.threshold=1000 is better" in flipped


def test_overfitting_and_warning_notes():
    runs = pd.DataFrame({"run": ["a", "b"], "overfit_gap": [0.01, 0.12], "n_warnings": [0, 2]})
    (overfit,) = overfitting_notes(runs, 0.05)
    assert overfit.startswith("b overfits") and "0.120" in overfit
    (calm,) = overfitting_notes(runs.assign(overfit_gap=[0.01, 0.02]), 0.05)
    assert calm.startswith("No run overfits") and "0.020 (b)" in calm
    (noise,) = overfitting_notes(runs.assign(overfit=[False, False]), 0.05)
    assert noise.startswith("b: its train - test gap of 0.120") and "inside the test CI" in noise
    (real,) = overfitting_notes(runs.assign(overfit=[False, True]), 0.05)
    assert real.startswith("b overfits") and "beyond the test CI" in real
    assert warning_notes(runs) == ["1 run(s) carry warnings in their reports: b."]
    six = pd.DataFrame({"run": list("abcdef"), "n_warnings": [1] * 6})
    (listed,) = warning_notes(six)
    assert listed == "6 run(s) carry warnings in their reports: a, b, c, d, e and 1 more."
    assert warning_notes(runs.assign(n_warnings=[0, 0])) == []


def test_repeats_group_everything_but_the_training_seed():
    runs = pd.DataFrame(
        {
            "run": [f"r{i}" for i in range(6)],
            "label.threshold": ["100", "100", "100", "1000", "1000", "1000"],
            "train.seed": ["0", "1", "2", "0", "1", "2"],
            "train.epochs": ["3"] * 6,
            "threshold": [100.0] * 3 + [1000.0] * 3,
            "test_prevalence": [0.57] * 3 + [0.08] * 3,
            "test_roc_auc": [0.90, 0.92, 0.94, 0.80, 0.81, 0.85],
        }
    )
    keys = group_keys(runs, ["label.threshold", "train.seed", "train.epochs"])
    assert keys == ["label.threshold"]
    groups = repeats(sort_runs(runs, keys), keys, ["test_roc_auc"])
    assert list(groups["group"]) == ["label.threshold=100", "label.threshold=1000"]
    assert groups["test_roc_auc_mean"].tolist() == pytest.approx([0.92, 0.82])
    assert groups["test_roc_auc_std"][0] == pytest.approx(pd.Series([0.90, 0.92, 0.94]).std())
    assert groups["test_roc_auc_count"].tolist() == [3, 3]
    (note,) = repeat_notes(groups)
    assert f"{groups['test_roc_auc_std'].max():.3f}" in note


def test_groups_sort_numerically():
    runs = pd.DataFrame(
        {
            "run": ["a", "b", "c"],
            "train.learning_rate": ["0.01", "0.001", "0.1"],
            "threshold": [100.0] * 3,
        }
    )
    ordered = sort_runs(runs, ["train.learning_rate"])
    assert ordered["train.learning_rate"].tolist() == ["0.001", "0.01", "0.1"]


def test_calibration_note_only_when_worse_than_the_prior():
    rows = SEED_STUDY.assign(test_brier_mean=[0.12, 0.09], chance_brier_mean=[0.247, 0.067])
    (note,) = calibration_notes(rows)
    assert note.startswith("At label.threshold=1000 the Brier score 0.090 is worse")
    assert calibration_notes(rows.assign(test_brier_mean=[0.1, 0.05])) == []


def test_accuracy_below_the_majority_baseline_is_called_out():
    (note,) = below_no_skill(SEED_STUDY)  # 0.69 < 0.92 at 1000; 0.80 > 0.57 at 100
    assert note.startswith("At label.threshold=1000 accuracy 0.690 is below the 0.920")
    assert below_no_skill(SEED_STUDY.assign(test_accuracy_mean=[0.8, 0.95])) == []


def test_prevalence_free_directions_come_from_the_paired_cis():
    first, last = SEED_STUDY.iloc[0], SEED_STUDY.iloc[1]
    rows = SEED_STUDY.assign(
        test_roc_auc_mean=[0.948, 0.939], test_balanced_accuracy_mean=[0.80, 0.80]
    )
    noisy = pd.concat(
        [
            paired_rows(-0.017, -0.002, -0.009).assign(metric="roc_auc"),
            paired_rows(-0.03, 0.03, 0.0).assign(metric="balanced_accuracy"),
        ]
    )
    (sentence,) = prevalence_free_agreement(rows.iloc[0], rows.iloc[1], noisy)
    assert "ROC-AUC fell, balanced accuracy did not change beyond noise" in sentence
    calm = noisy.assign(ci_low=-0.03, ci_high=0.03, verdict="no difference detected")
    (sentence,) = prevalence_free_agreement(first, last, calm)
    assert sentence.startswith("Neither prevalence-free metric changed detectably")


def test_prevalence_dependent_verdicts_carry_a_caveat():
    first, last = SEED_STUDY.iloc[0], SEED_STUDY.iloc[1]
    mcc = paired_rows(-0.29, -0.08, -0.18).assign(metric="mcc")
    (sentence,) = paired_verdicts(mcc, first, last)
    assert "outside noise" in sentence and "MCC depends on the prevalence" in sentence
    same = SEED_STUDY.assign(test_prevalence=[0.5, 0.5])
    (sentence,) = paired_verdicts(mcc, same.iloc[0], same.iloc[1])
    assert "depends on the prevalence" not in sentence
    balanced = paired_rows(0.07, 0.22, 0.15).assign(metric="balanced_accuracy")
    (sentence,) = paired_verdicts(balanced, first, last)
    assert "at the fixed cutoff" in sentence
    (calm,) = paired_verdicts(paired_rows(-0.1, 0.2, 0.05).assign(metric="mcc"), first, last)
    assert "depends on the prevalence" not in calm and "no difference detected" in calm


def test_opposite_movement_on_different_rows_is_hedged():
    same = SEED_STUDY.assign(test_prevalence=[0.5, 0.51])
    (sentence,) = opposite_movement(same.iloc[0], same.iloc[1], same_rows=False)
    assert "tested on different rows" in sentence and "the model's errors" not in sentence


def test_one_prevalence_is_named_for_any_number_of_groups():
    three = pd.concat([SEED_STUDY, SEED_STUDY.iloc[[0]]]).assign(test_prevalence=0.4)
    first, last = three.iloc[0], three.iloc[-1]
    (sentence,) = prevalence_shift(first, last, three["test_prevalence"])
    assert sentence == "The positive prevalence is the same in all 3 groups (0.400)."
    (sentence,) = prevalence_shift(three.iloc[0], three.iloc[1])
    assert sentence == "The positive prevalence is the same in both groups (0.400)."
    middle = three.assign(test_prevalence=[0.4, 0.42, 0.4])
    (sentence,) = prevalence_shift(first, last, middle["test_prevalence"])
    assert "barely changed" in sentence


def test_the_verdict_names_the_better_labelling_only_beyond_noise_and_what_backs_it():
    first, last = SEED_STUDY.iloc[0], SEED_STUDY.iloc[1]
    calm = pd.concat([paired_rows(-0.01, 0.03, 0.01), paired_rows(-0.05, 0.09, 0.02)])
    calm.iloc[1, calm.columns.get_loc("metric")] = "balanced_accuracy"
    verdict, question = discrimination_verdict(first, last, calm)
    assert verdict.startswith(
        "**No difference detected between label.threshold=100 and label.threshold=1000**"
    )
    assert "+0.010 (95% CI -0.010 to +0.030) on the same 600 test rows" in verdict
    assert "one training per setting: the CI covers test-row noise only" in verdict
    assert "add train.seed=0,1,2" in verdict and "equally" not in verdict
    assert question.startswith("ROC-AUC measures how learnable each labelling is")
    assert "what the label is for" in question
    (better, _) = discrimination_verdict(first, last, paired_rows(0.02, 0.06, 0.04))
    assert better.startswith(
        "**label.threshold=1000's labels are learnt better than label.threshold=100's**"
    )
    (worse, _) = discrimination_verdict(first, last, paired_rows(-0.06, -0.02, -0.04))
    assert worse.startswith("**label.threshold=100's labels are learnt better")
    pooled = paired_rows(0.01, 0.05, 0.03, seed_pairs=3)
    (three, _) = discrimination_verdict(first, last, pooled)
    assert "pooled over 3 trainings per setting (training seeds, one split): the CI covers" in three
    (unpaired,) = discrimination_verdict(first, last, pd.DataFrame())
    assert "cannot be judged on shared test rows" in unpaired and "0.900" in unpaired
    same_cut = SEED_STUDY.assign(threshold=[100.0, 100.0])
    (ranks, *rest) = discrimination_verdict(
        same_cut.iloc[0], same_cut.iloc[1], paired_rows(0.02, 0.06, 0.04)
    )
    assert "ranks the test rows better than label.threshold=100" in ranks and rest == []


def test_the_density_of_x_near_each_cut_is_weighed():
    first, last = SEED_STUDY.iloc[0], SEED_STUDY.iloc[1]
    rows = paired_rows(0.02, 0.06, 0.04)
    (_, explains) = discrimination_verdict(
        first, last, rows.assign(near_first=0.125, near_second=0.048)
    )
    assert "12.5% of the test rows lie near the cut at label.threshold=100 and 4.8%" in explains
    assert "may explain part or all of the difference" in explains
    (_, against) = discrimination_verdict(
        first, last, rows.assign(near_first=0.03, near_second=0.10)
    )
    assert "does not explain the difference" in against
    (_, level) = discrimination_verdict(
        first, last, rows.assign(near_first=0.05, near_second=0.052)
    )
    assert "about the same" in level
    undetected = paired_rows(-0.01, 0.09, 0.04).assign(near_first=0.125, near_second=0.048)
    (_, hedged) = discrimination_verdict(first, last, undetected)
    assert hedged.endswith("may explain part or all of what difference there is.")


def test_unequal_or_unfinished_arms_are_named_before_the_verdict():
    groups = SEED_STUDY.assign(
        train_rows_fitted_mean=[2512.0, 448.0],
        train_still_improving_mean=[0.0, 2 / 3],
        train_still_improving_count=[3, 3],
    )
    caveat, verdict, _ = discrimination_verdict(
        groups.iloc[0], groups.iloc[1], paired_rows(0.02, 0.06, 0.04)
    )
    assert caveat.startswith("**Read the verdict with care**")
    assert "label.threshold=1000's model was still improving at its last epoch in 2 of 3" in caveat
    assert "label.threshold=1000 trained on 5.6x fewer rows than label.threshold=100" in caveat
    assert verdict.startswith("**label.threshold=1000's labels")
    even = SEED_STUDY.assign(train_rows_fitted_mean=[2512.0, 2000.0], test_n_mean=[600.0, 600.0])
    assert not comparison_caveats(even.iloc[0], even.iloc[1])
    small = even.assign(test_n_mean=[100.0, 100.0])  # 8 positives at a prevalence of 0.08
    (caveat,) = comparison_caveats(small.iloc[0], small.iloc[1])
    assert "the test rows hold only 8 rows of one class (fewer than 10)" in caveat


def test_the_verdict_explains_accuracy_and_f1_by_the_prevalence_only_when_it_moved():
    first, last = SEED_STUDY.iloc[0], SEED_STUDY.iloc[1]
    moved = prevalence_explanation(first, last)
    assert moved.startswith("Accuracy and F1 moved with the positive prevalence")
    assert "from 0.570 to 0.080" in moved and "accuracy 0.800 → 0.690" in moved
    flat = SEED_STUDY.assign(test_accuracy_mean=[0.817, 0.818])
    f1_only = prevalence_explanation(flat.iloc[0], flat.iloc[1])
    assert f1_only.startswith("F1 moved with the positive prevalence")  # accuracy stayed level
    still = flat.assign(test_f1_mean=[0.6, 0.605])
    assert prevalence_explanation(still.iloc[0], still.iloc[1]).startswith(
        "Neither accuracy nor F1 moved much, yet both depend on the positive prevalence"
    )
    same = SEED_STUDY.assign(test_prevalence=[0.5, 0.51])
    level = prevalence_explanation(same.iloc[0], same.iloc[1])
    assert level.startswith("The positive prevalence barely changed") and "moved with" not in level


def test_insights_come_verdict_first_under_headings_and_never_call_a_prevalence_metric_better():
    groups = SEED_STUDY.assign(chance_accuracy_mean=[0.57, 0.92], chance_f1_mean=[0.73, 0.15])
    mcc = paired_rows(-0.29, -0.08, -0.18).assign(metric="mcc")
    paired = pd.concat([paired_rows(-0.01, 0.03, 0.01), mcc])
    runs = pd.DataFrame({"run": ["a", "b"], "overfit_gap": [0.01, 0.02], "n_warnings": [0, 1]})
    found = insight_groups(groups, paired, runs, 0.05)
    assert list(found) == ["Verdict", "Why the numbers moved", "Caveats", "Run warnings"]
    assert len(found["Verdict"]) == 3  # the verdict, what it measures, accuracy and F1
    flat = sweep_insights(groups, paired, runs, 0.05)
    assert flat[:3] == found["Verdict"]
    (mcc_sentence,) = [s for s in flat if s.startswith("MCC")]
    assert mcc_sentence.startswith("MCC depends on the prevalence, which moved from 0.570")
    assert "is better on" not in mcc_sentence
    single = insight_groups(groups.iloc[:1], pd.DataFrame(), runs.iloc[:1], 0.05)
    assert "Verdict" not in single  # one group: nothing to compare


def _reference_runs(cnn: float, hgb: float, ci: tuple[float, float]) -> pd.DataFrame:
    """Two runs whose best reference is hgb, with the CNN's ROC-AUC and CNN - hgb's CI."""
    row = {
        "best_reference": "hgb",
        "test_roc_auc": cnn,
        "ref_hgb_test_roc_auc": hgb,
        "cnn_minus_hgb_roc_auc_ci_low": ci[0],
        "cnn_minus_hgb_roc_auc_ci_high": ci[1],
    }
    return pd.DataFrame([{"run": "threshold=100", **row}, {"run": "threshold=1000", **row}])


def test_the_verdict_says_when_the_cnn_trails_the_best_reference():
    (sentence,) = reference_verdict(_reference_runs(0.70, 0.94, (-0.30, -0.18)))
    assert "trails the best reference model beyond noise in 2 of 2" in sentence
    assert "threshold=100: CNN 0.700 vs gradient-boosted trees 0.940" in sentence


def test_the_verdict_says_when_the_cnn_holds_its_own_against_the_references():
    (sentence,) = reference_verdict(_reference_runs(0.93, 0.94, (-0.03, 0.01)))
    assert "within noise of it in all 2 run(s)" in sentence and "trails" not in sentence
    (ahead,) = reference_verdict(_reference_runs(0.96, 0.90, (0.02, 0.09)))
    assert "ahead of it beyond noise in all 2 run(s)" in ahead


def test_no_reference_sentence_without_reference_models():
    assert reference_verdict(pd.DataFrame({"run": ["a"], "test_roc_auc": [0.9]})) == []
    no_best = _reference_runs(0.9, 0.9, (0, 0)).assign(best_reference=None)
    assert reference_verdict(no_best) == []


def test_each_diagnostic_that_fired_gets_one_sentence_naming_its_runs():
    runs = pd.DataFrame(
        {
            "run": ["t=100", "t=1000"],
            "diagnostic_underfit": [False, True],
            "diagnostic_test_rows_in_train": [True, True],
            "diagnostic_table_as_sequence": [False, False],
            "diagnostic_best_at_first_epoch": [True, False],
        }
    )
    underfit, seen, first = diagnostic_notes(runs)
    assert first.startswith("In 1 of 2 run(s) (t=100), the monitored validation metric was best")
    assert underfit.startswith("In 1 of 2 run(s) (t=1000), the model did not learn")
    assert "not overfitting" in underfit
    assert seen.startswith("In 2 of 2 run(s) (t=100, t=1000), test rows repeat")
    shared = runs.assign(diagnostic_entities_in_train_and_test=[True, False])
    (entities,) = [n for n in diagnostic_notes(shared) if "id-like" in n]
    assert entities.startswith("In 1 of 2 run(s) (t=100), values of an id-like column")
    assert "data.group=<column>" in entities


def test_no_diagnostic_sentence_when_none_fired():
    runs = pd.DataFrame({"run": ["a"], "diagnostic_underfit": [False]})
    assert diagnostic_notes(runs) == []
    assert diagnostic_notes(pd.DataFrame({"run": ["a"]})) == []
