"""Plain sentences about a sweep, each produced by a rule over the computed numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.diagnostics import OVERFIT_MIN_SKILL, SMALL_TEST_CLASS, UNDERFIT_AUC
from threshold_sweep.evaluate.names import LOSSES, METRIC_LABELS, PREVALENCE_DEPENDENT
from threshold_sweep.model.reference import REFERENCE_MODELS
from threshold_sweep.report.tables import fmt
from threshold_sweep.sweep.pooled import EQUIVALENT, HIGHER, LOWER, NEGLIGIBLE, UNDETECTED
from threshold_sweep.sweep.stats import overfit_metrics, ranking_metric

MIN_CHANGE = 0.01  # a metric moved when it changed by at least this much
MIN_PREVALENCE_SHIFT = 0.05  # the class balance moved when the prevalence changed this much


def _direction(before: float, after: float) -> str:
    """'rose', 'fell' or 'stayed level'."""
    if abs(after - before) < MIN_CHANGE:
        return "stayed level"
    return "rose" if after > before else "fell"


def prevalence_shift(
    first: pd.Series, last: pd.Series, prevalences: pd.Series | None = None
) -> list[str]:
    """How the positive prevalence changed between the first and last group (`prevalences`:
    every group's, first and last alone when not given)."""
    p1, p2 = first["test_prevalence"], last["test_prevalence"]
    if prevalences is None:
        prevalences = pd.Series([p1, p2])
    if abs(p2 - p1) >= MIN_PREVALENCE_SHIFT:
        return [
            f"The positive prevalence on the test rows moved from {fmt(p1)} "
            f"({first['group']}) to {fmt(p2)} ({last['group']})."
        ]
    if prevalences.nunique() == 1:
        every = "both groups" if len(prevalences) == 2 else f"all {len(prevalences)} groups"
        return [f"The positive prevalence is the same in {every} ({fmt(p1)})."]
    return [f"The positive prevalence barely changed ({fmt(p1)} → {fmt(p2)})."]


def _at(group: str) -> str:
    """'At label.threshold=100', or 'In all runs' for the one group of a sweep without keys."""
    return "In all runs" if group == "all runs" else f"At {group}"


def opposite_movement(first: pd.Series, last: pd.Series, same_rows: bool = True) -> list[str]:
    """Accuracy and F1 moving in opposite directions, and whether the class balance explains it."""
    a1, a2 = first["test_accuracy_mean"], last["test_accuracy_mean"]
    f1, f2 = first["test_f1_mean"], last["test_f1_mean"]
    accuracy_way, f1_way = _direction(a1, a2), _direction(f1, f2)
    if "stayed level" in (accuracy_way, f1_way) or accuracy_way == f1_way:
        return []
    p1, p2 = first["test_prevalence"], last["test_prevalence"]
    sentence = (
        f"Accuracy {accuracy_way} ({fmt(a1)} → {fmt(a2)}) while F1 {f1_way} "
        f"({fmt(f1)} → {fmt(f2)}): they moved in opposite directions"
    )
    if abs(p2 - p1) >= MIN_PREVALENCE_SHIFT:
        sentence += (
            f" because the positive prevalence moved from {fmt(p1)} to {fmt(p2)}. Accuracy counts "
            "both classes, so it follows the majority class; F1 counts only the positive class "
            "and ignores true negatives."
        )
    elif same_rows:
        sentence += (
            f", although the prevalence barely moved ({fmt(p1)} → {fmt(p2)}): the model's errors "
            "changed, not the class balance."
        )
    else:
        sentence += (
            f", although the prevalence barely moved ({fmt(p1)} → {fmt(p2)}); the runs were "
            "tested on different rows, so part of the change may be the test rows themselves."
        )
    return [sentence]


def no_skill_levels(groups: pd.DataFrame) -> list[str]:
    """What a no-skill model scores in each group, beside the model."""
    return [
        f"{_at(row['group'])} a no-skill model scores accuracy {fmt(row['chance_accuracy_mean'])} "
        f"and F1 {fmt(row['chance_f1_mean'])} (ROC-AUC 0.500, balanced accuracy 0.500, "
        f"MCC 0.000); the model scores accuracy {fmt(row['test_accuracy_mean'])} and F1 "
        f"{fmt(row['test_f1_mean'])}."
        for _, row in groups.iterrows()
    ]


def _paired_way(pooled: pd.DataFrame, first: pd.Series, last: pd.Series, metric: str) -> str:
    """'rose' / 'fell' when the pooled CI excludes 0 that way, else 'did not change beyond
    noise', or '' when there is no pooled result for the metric."""
    rows = _pair_rows(pooled, first, last, metric)
    if rows.empty:
        return ""
    row = rows.iloc[0]
    if row["ci_low"] > 0:
        return "rose"
    if row["ci_high"] < 0:
        return "fell"
    return "did not change beyond noise"


def prevalence_free_agreement(
    first: pd.Series, last: pd.Series, paired: pd.DataFrame | None = None
) -> list[str]:
    """Whether ROC-AUC and balanced accuracy, which ignore the class balance, agree.

    With paired bootstrap results the direction of each metric is read from its CI, so a
    change inside the noise is not called a rise or a fall.
    """
    paired = pd.DataFrame() if paired is None else paired
    r1, r2 = first["test_roc_auc_mean"], last["test_roc_auc_mean"]
    b1, b2 = first["test_balanced_accuracy_mean"], last["test_balanced_accuracy_mean"]
    roc_way = _paired_way(paired, first, last, "roc_auc") or _direction(r1, r2)
    balanced_way = _paired_way(paired, first, last, "balanced_accuracy") or _direction(b1, b2)
    detail = f"ROC-AUC {fmt(r1)} → {fmt(r2)}, balanced accuracy {fmt(b1)} → {fmt(b2)}"
    quiet = ("stayed level", "did not change beyond noise")
    if roc_way in quiet and balanced_way in quiet:
        return [
            "Neither prevalence-free metric changed detectably: no difference detected in "
            f"ROC-AUC or balanced accuracy ({detail}), which is not evidence that they are equal."
        ]
    if roc_way == balanced_way:
        return [
            f"The prevalence-free metrics agree: both {roc_way} ({detail}). Compare the "
            "groups on these, not on accuracy or F1."
        ]
    if roc_way in quiet or balanced_way in quiet:
        return [
            f"The prevalence-free metrics do not contradict each other: ROC-AUC {roc_way}, "
            f"balanced accuracy {balanced_way} ({detail})."
        ]
    return [
        f"The prevalence-free metrics disagree: ROC-AUC {roc_way} but balanced accuracy "
        f"{balanced_way} ({detail}); the ranking and the 0.5 cutoff tell different stories "
        "(see the tuned cutoff in each run's report)."
    ]


def _span(row: pd.Series) -> str:
    """The pooled difference with its CI: '+0.030 (95% CI +0.004 to +0.056)'; across k-fold
    folds the mean of the folds' differences, which the pooled values need not match."""
    low, high = fmt(row["ci_low"], signed=True), fmt(row["ci_high"], signed=True)
    folds = row.get("folds", 0)
    mean = f", the mean of {int(folds)} held-out folds' differences" if folds else ""
    return f"{fmt(row['difference'], signed=True)} ({row['level']:.0%} CI {low} to {high}{mean})"


def backing(row: pd.Series) -> str:
    """How many trainings back a pooled difference and which noise its CI covers."""
    pairs = int(row["seed_pairs"])
    if row.get("folds", 0):
        return (
            f"each row tested once by its fold's model, over {int(row['folds'])} held-out folds "
            f"of {pairs} training seed(s) per setting (corrected resampled t, Nadeau & Bengio "
            "2003): the CI covers test-row and training noise"
        )
    if pairs > 1:
        return (
            f"pooled over {pairs} trainings per setting (training seeds, one split): the CI covers "
            "test-row and training-seed noise"
        )
    return (
        "one training per setting: the CI covers test-row noise only; training noise was not "
        "measured (add train.seed=0,1,2 to the sweep to measure it)"
    )


def _verdict(row: pd.Series, name: str, first, last, loss: bool = False) -> str:
    """The pooled verdict in words: which group is better beyond noise (the higher, or the lower
    of a `loss` such as MAE), negligible, equivalent within the margin, or nothing detected."""
    margin = fmt(row["margin"])
    verdict = row["verdict"]
    if verdict in (HIGHER, LOWER):
        better = last["group"] if (verdict == HIGHER) != loss else first["group"]
        return f"beyond noise; {better} is better on {name}"
    if verdict == NEGLIGIBLE:
        return f"beyond noise but inside the equivalence margin of ±{margin}: negligible"
    if verdict == EQUIVALENT:
        tost = f"{fmt(row['tost_low'], signed=True)} to {fmt(row['tost_high'], signed=True)}"
        return f"equivalent within ±{margin} (two one-sided tests: {tost} lies inside the margin)"
    return (
        f"no difference detected (the CI contains 0; it is too wide to claim equivalence within "
        f"±{margin})"
    )


def _moved_with_prevalence(metric: str, first: pd.Series, last: pd.Series) -> bool:
    """A prevalence-dependent metric between groups whose prevalence moved."""
    shift = abs(last["test_prevalence"] - first["test_prevalence"])
    return metric in PREVALENCE_DEPENDENT and shift >= MIN_PREVALENCE_SHIFT


def _prevalence_caveat_first(
    name: str, span: str, where: str, first: pd.Series, last: pd.Series
) -> str:
    """A difference outside noise of a metric that moved with the class balance: why first."""
    return (
        f"{name} depends on the prevalence, which moved from {fmt(first['test_prevalence'])} to "
        f"{fmt(last['test_prevalence'])}, so its change follows the class balance: it differs by "
        f"{span} {where}, outside noise, and that is not evidence that either model is better."
    )


def paired_verdicts(pooled: pd.DataFrame, first: pd.Series, last: pd.Series) -> list[str]:
    """Every pooled paired difference between the first and last group, judged."""
    rows = oriented(pooled, first["group"], last["group"])
    if rows.empty:
        return []
    sentences = []
    where = f"from {first['group']} to {last['group']} on the same test rows"
    binary = "roc_auc_ovr" not in set(rows["metric"])  # k classes: argmax, no cutoff
    for _, row in rows.iterrows():
        metric = row["metric"]
        name = METRIC_LABELS.get(metric, metric)
        beyond = row["ci_low"] > 0 or row["ci_high"] < 0
        span = _span(row)
        if beyond and _moved_with_prevalence(metric, first, last):
            sentences.append(_prevalence_caveat_first(name, span, where, first, last))
            continue
        judged = _verdict(row, name, first, last, metric in LOSSES)
        sentence = f"{name} differs by {span} {where}: {judged}."
        if beyond and metric == "balanced_accuracy" and binary:
            sentence += (
                " This is at the fixed cutoff; at a tuned cutoff the difference may "
                "vanish (see tuned_cutoff in each run)."
            )
        sentences.append(sentence)
    return sentences


def overfitting_notes(runs: pd.DataFrame, max_gap: float) -> list[str]:
    """Which runs overfit: a train - test gap above max_gap with train beyond the test CI."""
    if "overfit_gap" not in runs or runs["overfit_gap"].isna().all():
        return []
    if "diagnostic_underfit" in runs:  # a model that learned nothing does not overfit
        runs = runs[~runs["diagnostic_underfit"].fillna(False).astype(bool)]
        if runs.empty or runs["overfit_gap"].isna().all():
            return []
    over = runs["overfit_gap"] > max_gap
    flag = runs["overfit"].astype(bool) if "overfit" in runs else over
    flagged, noisy = runs[flag], runs[over & ~flag]
    notes = [
        f"{row['run']} overfits: its train - test gap of {fmt(row['overfit_gap'])} exceeds "
        f"evaluate.max_gap={max_gap:g} and the train value lies beyond the test CI."
        for _, row in flagged.iterrows()
    ]
    notes += [
        f"{row['run']}: its train - test gap of {fmt(row['overfit_gap'])} exceeds "
        f"evaluate.max_gap={max_gap:g}, but the train value lies inside the test CI: test-row "
        "noise, not evidence of overfitting."
        for _, row in noisy.iterrows()
    ]
    if not notes:
        worst = runs.loc[runs["overfit_gap"].idxmax()]
        notes.append(
            f"No run overfits beyond evaluate.max_gap={max_gap:g}: the largest train - test gap "
            f"is {fmt(worst['overfit_gap'])} ({worst['run']})."
        )
    return notes


def warning_notes(runs: pd.DataFrame) -> list[str]:
    """Runs whose report carries warnings."""
    if "n_warnings" not in runs:
        return []
    warned = runs[runs["n_warnings"] > 0]
    if warned.empty:
        return []
    names = ", ".join(warned["run"].astype(str).head(5))
    more = f" and {len(warned) - 5} more" if len(warned) > 5 else ""
    return [f"{len(warned)} run(s) carry warnings in their reports: {names}{more}."]


def below_no_skill(groups: pd.DataFrame) -> list[str]:
    """Groups whose accuracy is below what always answering the majority class scores."""
    worse = groups[groups["test_accuracy_mean"] < groups["chance_accuracy_mean"]]
    return [
        f"{_at(row['group'])} accuracy {fmt(row['test_accuracy_mean'])} is below the "
        f"{fmt(row['chance_accuracy_mean'])} of always answering the majority class: accuracy "
        "cannot rank this run; read balanced accuracy, MCC or ROC-AUC instead."
        for _, row in worse.iterrows()
    ]


def calibration_notes(groups: pd.DataFrame) -> list[str]:
    """Groups whose probabilities score worse than the constant prior (Brier score)."""
    if "test_brier_mean" not in groups or "chance_brier_mean" not in groups:
        return []
    worse = groups[groups["test_brier_mean"] > groups["chance_brier_mean"]]
    return [
        f"{_at(row['group'])} the Brier score {fmt(row['test_brier_mean'])} is worse than the "
        f"constant prior's {fmt(row['chance_brier_mean'])}: the predicted probabilities do not "
        "match the natural class balance (resampling or class weights shift them toward "
        "50:50; an undertrained model leaves them near one half; see calibration.png). The "
        "prediction files' p_natural column holds them taken back to the natural balance; "
        "rankings and the tuned cutoff are unaffected."
        for _, row in worse.iterrows()
    ]


def repeat_notes(groups: pd.DataFrame) -> list[str]:
    """How much the training seed alone moves ROC-AUC."""
    if "test_roc_auc_count" not in groups or groups["test_roc_auc_count"].max() < 2:
        return []
    spread = groups["test_roc_auc_std"].max()
    return [
        f"The training seed alone moves ROC-AUC with a standard deviation of up to {fmt(spread)} "
        "within a group. Each run's own CI covers only its test rows; the verdict's pooled CIs "
        "add this seed noise."
    ]


BINARY_COLUMNS = (
    "test_prevalence",
    "test_accuracy_mean",
    "test_f1_mean",
    "test_roc_auc_mean",
    "test_balanced_accuracy_mean",
    "chance_accuracy_mean",
    "chance_f1_mean",
)


def oriented(pooled: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """The pooled rows from group `first` to group `last`: as stored, or flipped (last - first
    negated, the verdict's direction swapped) when stored the other way round."""
    if pooled.empty or "difference" not in pooled:
        return pooled.iloc[0:0]
    stored = pooled[(pooled["first_group"] == first) & (pooled["second_group"] == last)]
    if not stored.empty:
        return stored
    back = pooled[(pooled["first_group"] == last) & (pooled["second_group"] == first)]
    return back.assign(
        first_group=first,
        second_group=last,
        difference=-back["difference"],
        ci_low=-back["ci_high"],
        ci_high=-back["ci_low"],
        tost_low=-back["tost_high"],
        tost_high=-back["tost_low"],
        verdict=back["verdict"].replace({HIGHER: LOWER, LOWER: HIGHER}),
        near_first=back.get("near_second"),
        near_second=back.get("near_first"),
    )


def _pair_rows(pooled: pd.DataFrame, first: pd.Series, last: pd.Series, metric: str):
    """The pooled result of `metric` from the first to the last group (no rows or one)."""
    rows = oriented(pooled, first["group"], last["group"])
    return rows[rows["metric"] == metric] if not rows.empty else rows


UNEQUAL_ROWS = 2.0  # one arm trained on this many times fewer rows: said before the verdict


def _smallest_test_class(group: pd.Series) -> float:
    """The rows of the smaller class among a binary group's test rows (inf when unknown)."""
    n, prevalence = group.get("test_n_mean"), group.get("test_prevalence")
    if n is None or prevalence is None or pd.isna(n) or pd.isna(prevalence):
        return float("inf")
    return round(n * min(prevalence, 1 - prevalence))


def comparison_caveats(first: pd.Series, last: pd.Series) -> list[str]:
    """What to read before the verdict: a test class below the run reports' floor, a side still
    improving at its last epoch, or one that trained on far fewer rows than the other."""
    parts = []
    for group in (first, last):
        share = group.get("train_still_improving_mean")
        if share is not None and pd.notna(share) and share > 0:
            n = int(group.get("train_still_improving_count", 1))
            parts.append(
                f"{group['group']}'s model was still improving at its last epoch in "
                f"{round(share * n)} of {n} training(s), so it is not yet at its best (raise "
                "train.epochs)"
            )
    small = [_smallest_test_class(group) for group in (first, last)]
    if min(small) < SMALL_TEST_CLASS:
        fewest = min(small)
        parts.append(
            f"the test rows hold only {fewest:.0f} rows of one class (fewer than "
            f"{SMALL_TEST_CLASS}), too few to conclude much: split=kfold tests every row"
        )
    rows = [group.get("train_rows_fitted_mean") for group in (first, last)]
    if all(r is not None and pd.notna(r) and r > 0 for r in rows):
        fewer, more = (first, last) if rows[0] < rows[1] else (last, first)
        ratio = max(rows) / min(rows)
        if ratio >= UNEQUAL_ROWS:
            parts.append(
                f"{fewer['group']} trained on {ratio:.1f}x fewer rows than {more['group']} after "
                f"sampling ({min(rows):,.0f} vs {max(rows):,.0f}), so part of any difference "
                "is the amount of training data"
            )
    if not parts:
        return []
    return [f"**Read the verdict with care**: {'; '.join(parts)}."]


def _labellings(first: pd.Series, last: pd.Series) -> bool:
    """Whether the two groups cut x at different thresholds (different labellings)."""
    a, b = first.get("threshold"), last.get("threshold")
    return a is not None and b is not None and pd.notna(a) and pd.notna(b) and a != b


def _density(row: pd.Series, first: pd.Series, last: pd.Series) -> str:
    """How the share of test rows near each cut bears on the difference."""
    near_first, near_second = row.get("near_first"), row.get("near_second")
    if near_first is None or pd.isna(near_first):
        return ""
    shares = (
        f"{near_first:.1%} of the test rows lie near the cut at {first['group']} and "
        f"{near_second:.1%} at {last['group']}"
    )
    higher_is_second = row["difference"] > 0
    fewer_near_second = near_second < near_first
    detected = row["verdict"] in (HIGHER, LOWER, NEGLIGIBLE)
    it = "the difference" if detected else "what difference there is"
    if abs(near_second - near_first) < 0.01:
        return f" {shares}, about the same, so the density of x near the cut does not explain {it}."
    if higher_is_second == fewer_near_second:
        return (
            f" {shares}; rows near a cut are the hard ones, so the labelling with fewer of them "
            f"is easier to rank, and this density may explain part or all of {it}."
        )
    return (
        f" {shares}: the better-ranked labelling has more rows near its cut, so the density of x "
        f"does not explain {it}."
    )


def _verdict_lead(row: pd.Series, first: pd.Series, last: pd.Series, labellings: bool) -> str:
    """The verdict's opening words for a pooled ranking difference."""
    verdict, margin = row["verdict"], fmt(row["margin"])
    a, b = first["group"], last["group"]
    if verdict in (HIGHER, LOWER):
        better, worse = (b, a) if verdict == HIGHER else (a, b)
        if labellings:
            return f"{better}'s labels are learnt better than {worse}'s"
        return f"{better} ranks the test rows better than {worse}"
    if verdict == NEGLIGIBLE:
        better = b if row["difference"] > 0 else a
        return (
            f"{better} ranks better than the other by a negligible amount (beyond noise but "
            f"inside the equivalence margin of ±{margin})"
        )
    if verdict == EQUIVALENT:
        return f"{a} and {b} rank the test rows equally well within ±{margin} (two one-sided tests)"
    return f"No difference detected between {a} and {b}"


def discrimination_verdict(
    first: pd.Series, last: pd.Series, pooled: pd.DataFrame, metric: str = "roc_auc"
) -> list[str]:
    """Which group ranks the shared test rows better (the ranking `metric`, one-vs-rest for k
    classes), pooled over every training, with the noise it covers; for two thresholds, what
    that measures and what it cannot tell."""
    r1, r2 = first[f"test_{metric}_mean"], last[f"test_{metric}_mean"]
    rows = _pair_rows(pooled, first, last, metric)
    label = METRIC_LABELS.get(metric, metric)
    values = f"{label} {fmt(r1)} ({first['group']}) vs {fmt(r2)} ({last['group']})"
    if rows.empty:
        return [
            f"Whether {first['group']} or {last['group']} discriminates better cannot be "
            f"judged on shared test rows: {values}, not paired."
        ]
    row = rows.iloc[0]
    labellings = _labellings(first, last)
    balanced = _pair_rows(pooled, first, last, "balanced_accuracy")
    tail = f"; balanced accuracy differs by {_span(balanced.iloc[0])}" if not balanced.empty else ""
    sentences = [
        *comparison_caveats(first, last),
        f"**{_verdict_lead(row, first, last, labellings)}**: {values}, a paired difference of "
        f"{_span(row)} on the same {int(row['test_rows'])} test rows, {backing(row)}{tail}.",
    ]
    if labellings:
        sentences.append(
            f"{label} measures how learnable each labelling is on the same rows, not which "
            "threshold to use: that depends on what the label is for (which rows must count as "
            "high, and the cost of each error), which these numbers cannot tell."
            + _density(row, first, last)
        )
    return sentences


def prevalence_explanation(first: pd.Series, last: pd.Series) -> str:
    """Why accuracy and F1 moved: the class balance, or (when it stayed) the model."""
    p1, p2 = first["test_prevalence"], last["test_prevalence"]
    a1, a2 = first["test_accuracy_mean"], last["test_accuracy_mean"]
    f1, f2 = first["test_f1_mean"], last["test_f1_mean"]
    moves = f"accuracy {fmt(a1)} → {fmt(a2)}, F1 {fmt(f1)} → {fmt(f2)}"
    if abs(p2 - p1) >= MIN_PREVALENCE_SHIFT:
        moved = [
            n for n, a, b in (("accuracy", a1, a2), ("F1", f1, f2)) if abs(b - a) >= MIN_CHANGE
        ]
        subject = " and ".join(moved) if moved else "Neither accuracy nor F1"
        verb = "moved with" if moved else "moved much, yet both depend on"
        return (
            f"{subject[0].upper()}{subject[1:]} {verb} the positive prevalence, which went from "
            f"{fmt(p1)} to {fmt(p2)} ({moves}): accuracy follows the majority class and F1 only "
            "the positive class, so they cannot compare the settings; ROC-AUC and balanced "
            "accuracy can."
        )
    return (
        f"The positive prevalence barely changed ({fmt(p1)} → {fmt(p2)}), so accuracy and F1 "
        f"compare the settings as they are ({moves})."
    )


def _reference_gap(row: pd.Series) -> tuple[str, float, float, float, float] | None:
    """A run's best reference and the ranking metric: CNN, reference, difference CI bounds."""
    best = row.get("best_reference")
    if not isinstance(best, str):
        return None
    metric = "roc_auc" if pd.notna(row.get(f"ref_{best}_test_roc_auc")) else "roc_auc_ovr"
    values = [
        row.get(f"test_{metric}"),
        row.get(f"ref_{best}_test_{metric}"),
        row.get(f"cnn_minus_{best}_{metric}_ci_low"),
        row.get(f"cnn_minus_{best}_{metric}_ci_high"),
    ]
    if any(pd.isna(value) for value in values):
        return None
    return (best, *map(float, values))


def reference_verdict(runs: pd.DataFrame) -> list[str]:
    """Is the CNN any good: how it compares with the best reference model in every run."""
    gaps = {row["run"]: _reference_gap(row) for _, row in runs.iterrows()}
    gaps = {run: gap for run, gap in gaps.items() if gap is not None}
    if not gaps:
        return []
    label = {name: model.label for name, model in REFERENCE_MODELS.items()}
    trailing = {run: gap for run, gap in gaps.items() if gap[4] < 0}
    if trailing:
        examples = "; ".join(
            f"{run}: CNN {cnn:.3f} vs {label.get(best, best)} {ref:.3f}"
            for run, (best, cnn, ref, _, _) in list(trailing.items())[:3]
        )
        return [
            f"The CNN trails the best reference model beyond noise in {len(trailing)} of "
            f"{len(gaps)} run(s) (ROC-AUC, same test rows; {examples}): these data allow "
            "better than the CNN shows; see the runs' reports."
        ]
    ahead, n = sum(gap[3] > 0 for gap in gaps.values()), len(gaps)
    if ahead in (0, n):
        standing = f"{'ahead of it beyond noise' if ahead else 'within noise of it'} in all {n}"
    else:
        standing = f"ahead of it beyond noise in {ahead} and within noise in {n - ahead} of {n}"
    return [
        f"Against the best reference model (logistic regression or gradient-boosted trees on "
        f"the same rows), the CNN is {standing} run(s) (ROC-AUC)."
    ]


DIAGNOSTIC_NOTES = {
    "underfit": "the model did not learn its own training rows (train ROC-AUC near chance): "
    "underfitting, so their train - test gaps are not overfitting",
    "test_rows_in_train": "test rows repeat training rows identically, so their test metrics "
    "are optimistic",
    "entities_in_train_and_test": "values of an id-like column (a subject, station, ...) occur "
    "in both train and test, so their test metrics may be optimistic; data.group=<column> "
    "keeps each value in one split",
    "best_at_first_epoch": "the monitored validation metric was best at epoch 1: the model "
    "learnt (almost) nothing after it; see the warning in their reports",
    "table_as_sequence": "the CNN reads table columns as the steps of one sequence; the "
    "reference models treat them as separate features",
    "class_balance_drift": "the class balance of the later rows of the time-ordered split "
    "drifts from the training rows' beyond sampling noise, so their prevalence-dependent test "
    "metrics (accuracy, precision, F1) are not comparable with training's; see the warning "
    "in their reports",
}


def diagnostic_notes(runs: pd.DataFrame) -> list[str]:
    """One sentence per diagnostic that fired in some run, naming the runs."""
    notes = []
    for name, meaning in DIAGNOSTIC_NOTES.items():
        column = f"diagnostic_{name}"
        if column not in runs:
            continue
        fired = runs[runs[column].fillna(False).astype(bool)]
        if fired.empty:
            continue
        shown = ", ".join(fired["run"].astype(str).head(5))
        notes.append(f"In {len(fired)} of {len(runs)} run(s) ({shown}), {meaning}.")
    return notes


def _key_name(axis: Any) -> str:
    """The swept key by its last dotted part ('train.learning_rate' -> 'learning_rate')."""
    return axis.key.rsplit(".", 1)[-1]


def _gap_text(row: pd.Series, split: str, metric: str, level: str = "") -> str:
    """'+0.082 (95% CI +0.045 to +0.120)': a run's train - split gap of `metric` with its CI."""
    name = f"gap_{split}_{metric}"
    text = fmt(row.get(name), signed=True)
    low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
    if low is not None and pd.notna(low):
        text += f" ({level}CI {fmt(low, signed=True)} to {fmt(high, signed=True)})"
    return text


def _level(row: pd.Series) -> str:
    """'95% ' from a run's ci_level, '' when unknown."""
    level = row.get("ci_level")
    return f"{float(level):.0%} " if level is not None and pd.notna(level) else ""


@dataclass(frozen=True)
class Chosen:
    """The value a one-key sweep chose (best validation ranking metric): its name and test
    value with the CI's lower bound."""

    name: str  # 'learning_rate=0.01'
    test: float
    ci_low: float


TRAIN_FLOOR = 0.5 + OVERFIT_MIN_SKILL * 0.5  # a train ROC-AUC below this cannot overfit


def fit_state(row: pd.Series, metrics: list[str], max_gap: float, chosen: Chosen | None) -> str:
    """'underfit', 'overfit' or 'fits' for a run (or a value's mean over runs): underfit when
    its train ranking metric is near chance (below UNDERFIT_AUC), or when both its train and
    test skill are low: train below the `chosen` value's test CI and test below that value
    beyond test noise; overfit when a train - test gap exceeds evaluate.max_gap with its CI
    above 0 (beyond test noise)."""
    ranking = next((m for m in metrics if m.startswith("roc_auc")), metrics[0])
    train, test_high = row.get(f"train_{ranking}"), row.get(f"test_{ranking}_ci_high")
    if pd.notna(train) and train < UNDERFIT_AUC:
        return "underfit"
    low_skill = chosen is not None and train < chosen.ci_low and test_high < chosen.test
    if pd.notna(train) and pd.notna(test_high) and low_skill:
        return "underfit"
    if pd.notna(train) and train < TRAIN_FLOOR:
        return "weak"  # not well above chance on train: no overfitting (as the run reports)
    for metric in metrics:
        gap, low = row.get(f"gap_test_{metric}"), row.get(f"gap_test_{metric}_ci_low")
        if pd.notna(gap) and gap > max_gap and (pd.isna(low) or low > 0):
            return "overfit"
    return "fits"


def _noise_word(row: pd.Series, split: str, metric: str) -> str:
    """Whether a gap's CI lies above 0 ('beyond noise'), below it ('beyond noise, the split
    above train') or contains it ('within noise')."""
    low, high = row.get(f"gap_{split}_{metric}_ci_low"), row.get(f"gap_{split}_{metric}_ci_high")
    if low is None or pd.isna(low):
        return "noise unknown"
    if high < 0:
        return f"beyond noise, {split} above train"
    return "beyond noise" if low > 0 else "within noise"


def chosen_value(runs: pd.DataFrame, axis: Any) -> Chosen | None:
    """The value of a one-key sweep with the best validation ranking metric (mean over its
    runs), with its test value and CI; None for other sweeps or without test CIs."""
    if axis is None or not axis.only or runs.empty:
        return None
    metric = ranking_metric(runs)
    best = _best_by_validation(_by_value(runs, axis), metric)
    if best is None or pd.isna(best.get(f"test_{metric}_ci_low")):
        return None
    name = f"{_key_name(axis)}={best['shown']}"
    return Chosen(name, float(best[f"test_{metric}"]), float(best[f"test_{metric}_ci_low"]))


def gap_notes(runs: pd.DataFrame, max_gap: float, axis: Any) -> list[str]:
    """Per run of a sweep over a numeric key: its train - test gap of each overfit metric with
    its CI, whether that is beyond test noise and evaluate.max_gap, and the train -
    validation gap; underfitting named as such, never as overfitting."""
    metrics = overfit_metrics(runs)
    if axis is None or not metrics:
        return []
    chosen = chosen_value(runs, axis)
    notes = []
    for _, row in runs.iterrows():
        level = _level(row)
        parts = [
            f"{METRIC_LABELS.get(m, m)} {_gap_text(row, 'test', m, level)}, "
            f"{_noise_word(row, 'test', m)}"
            for m in metrics
        ]
        state = fit_state(row, metrics, max_gap, chosen)
        over = any(row.get(f"gap_test_{m}", 0) > max_gap for m in metrics)
        if state == "underfit":
            first = metrics[0]
            train = row.get(f"train_{first}")
            below = (
                f"below {UNDERFIT_AUC}, near chance"
                if train < UNDERFIT_AUC or chosen is None
                else f"below the test CI of {chosen.name} ({fmt(chosen.ci_low)} and up), and "
                "so is its test value"
            )
            tail = (
                f"underfitting: its train {METRIC_LABELS.get(first, first)} {fmt(train)} is "
                f"{below}, so its gap is not called overfitting"
            )
        elif state == "weak":
            tail = (
                f"not overfitting: its train {METRIC_LABELS.get(metrics[0], metrics[0])} "
                f"{fmt(row.get(f'train_{metrics[0]}'))} is not well above chance (below "
                f"{fmt(TRAIN_FLOOR)})"
            )
        elif state == "overfit":
            tail = f"overfitting: beyond test noise and above evaluate.max_gap={max_gap:g}"
        elif over:
            tail = (
                f"above evaluate.max_gap={max_gap:g} but within test noise: not evidence of "
                "overfitting"
            )
        else:
            tail = f"not overfitting (at most evaluate.max_gap={max_gap:g} or within test noise)"
        validation = "; ".join(
            f"{METRIC_LABELS.get(m, m)} {_gap_text(row, 'validation', m, level)}" for m in metrics
        )
        notes.append(
            f"{row['run']}: train - test gap {'; '.join(parts)}: {tail}. Train - validation "
            f"gap: {validation}."
        )
    return notes


def _by_value(runs: pd.DataFrame, axis: Any) -> pd.DataFrame:
    """The runs' numeric columns averaged per value of the swept key, in ascending order."""
    values = pd.to_numeric(runs[axis.key], errors="coerce")
    numeric = runs.select_dtypes("number").assign(value=values, shown=runs[axis.key].astype(str))
    means = numeric.groupby("value", sort=True).mean(numeric_only=True)
    shown = numeric.groupby("value", sort=True)["shown"].first()
    return means.assign(shown=shown).reset_index()


def _best_by_validation(by_value: pd.DataFrame, metric: str) -> pd.Series | None:
    """The value with the best validation `metric` (mean over its runs), None without one."""
    column = f"validation_{metric}"
    if column not in by_value or by_value[column].isna().all():
        return None
    return by_value.loc[by_value[column].idxmax()]


def _runners_up(by_value: pd.DataFrame, best: pd.Series, metric: str, name: str) -> list[str]:
    """Other values whose validation score lies inside the chosen value's validation CI."""
    low = best.get(f"validation_{metric}_ci_low")
    column = f"validation_{metric}"
    if low is None or pd.isna(low) or column not in by_value:
        return []
    close = by_value[(by_value["value"] != best["value"]) & (by_value[column] >= low)]
    if close.empty:
        return []
    listed = ", ".join(f"{row['shown']} ({fmt(row[column])})" for _, row in close.iterrows())
    return [
        f"{name}={listed} scores within the validation noise of the chosen "
        f"{fmt(best[column])} (its CI starts at {fmt(low)}), so these runs do not settle the "
        "choice between them: repeats (train.seed=0,1,2) or more validation rows would"
    ]


def _choice_caveats(
    by_value: pd.DataFrame, best: pd.Series, name: str, metric: str = "roc_auc"
) -> list[str]:
    """What to read before the chosen value: another value within its validation noise, an
    edge of the swept grid, or runs still improving at their last epoch."""
    parts = _runners_up(by_value, best, metric, name)
    if len(by_value) >= 3 and best["value"] in (by_value["value"].min(), by_value["value"].max()):
        edge = "lowest" if best["value"] == by_value["value"].min() else "highest"
        parts.append(
            f"the chosen {name}={best['shown']} is the {edge} value swept, so a value beyond the "
            "grid may do better: extend the grid before trusting the choice"
        )
    share = best.get("train_still_improving")
    if share is not None and pd.notna(share) and share > 0:
        parts.append(
            f"its runs were still improving at their last epoch ({share:.0%} of them), so the "
            "comparison is premature: raise train.epochs"
        )
    if not parts:
        return []
    return [f"**Read the choice with care**: {'; '.join(parts)}."]


def choice_verdict(runs: pd.DataFrame, axis: Any) -> list[str]:
    """For a sweep of one numeric key: the value to use, chosen by the best validation ranking
    metric (never by test), with its test value and CI."""
    if axis is None or not axis.only or runs.empty:
        return []
    metric = ranking_metric(runs)
    by_value = _by_value(runs, axis)
    best = _best_by_validation(by_value, metric)
    if best is None or len(by_value) < 2:
        return []
    name, label = _key_name(axis), METRIC_LABELS.get(metric, metric)
    test = fmt(best[f"test_{metric}"])
    low, high = best.get(f"test_{metric}_ci_low"), best.get(f"test_{metric}_ci_high")
    if low is not None and pd.notna(low):
        test += f" ({_level(best)}CI {fmt(low)} to {fmt(high)})"
    repeats = runs.groupby(axis.key).size().max()
    mean = f" (means over {repeats} runs per value)" if repeats > 1 else ""
    return [
        *_choice_caveats(by_value, best, name, metric),
        f"Use {name}={best['shown']}: it has the best validation {label}, "
        f"{fmt(best[f'validation_{metric}'])}{mean}; its test {label} is {test}. "
        "It is chosen on the validation rows, not on test: the value with the best test score "
        "would make that test score an optimistic estimate.",
    ]


CLOSE_F1 = 0.02  # macro-F1 this close to accuracy "is close"


def _f1_row(runs: pd.DataFrame, axis: Any) -> tuple[str, pd.Series] | None:
    """The multi-class run (or swept value, as means) the F1 sentence speaks of: the value
    chosen by validation in a one-key sweep, else the first run; None without micro-F1."""
    if "test_micro_f1" not in runs or runs["test_micro_f1"].isna().all():
        return None
    multiclass = runs[runs["test_micro_f1"].notna()]
    if axis is not None and axis.only:
        best = _best_by_validation(_by_value(multiclass, axis), ranking_metric(multiclass))
        if best is not None:
            return f"{_key_name(axis)}={best['shown']}", best
    first = multiclass.iloc[0]
    return str(first.get("run", "the first run")), first


def f1_explanation(runs: pd.DataFrame, axis: Any = None) -> list[str]:
    """Multi-class runs: why accuracy and micro-F1 are one number and how far macro-F1 is
    from it, on the chosen (or first) run's test rows."""
    found = _f1_row(runs, axis)
    if found is None:
        return []
    name, row = found
    accuracy, micro, macro = (row[f"test_{m}"] for m in ("accuracy", "micro_f1", "macro_f1"))
    same = "equals" if abs(accuracy - micro) < 5e-4 else "should equal"
    text = (
        f"Accuracy {same} micro-F1 ({fmt(accuracy)} and {fmt(micro)} at {name}): with one "
        "class per row, each wrong prediction is one false positive of the predicted class and "
        "one false negative of the true one, so micro-averaged precision, recall and F1 all "
        f"equal accuracy. Macro-F1 ({fmt(macro)}) weighs every class's F1 equally: "
    )
    if abs(macro - accuracy) <= CLOSE_F1:
        text += (
            f"it is within {CLOSE_F1:g} of accuracy, as it is when the classes are about "
            "equally large and about equally well predicted."
        )
    else:
        word = "below" if macro < accuracy else "above"
        text += (
            f"it is {fmt(abs(macro - accuracy))} {word} accuracy, because some classes are "
            f"predicted {'rarely or poorly' if word == 'below' else 'better than the large ones'}"
            " and macro-F1 counts each class once however many rows it has; balanced accuracy "
            f"({fmt(row['test_balanced_accuracy'])}) is the matching mean of per-class recall."
        )
    return [text]


def _against(pooled: pd.DataFrame, chosen: Chosen, metric: str) -> pd.DataFrame:
    """The pooled rows of `metric` that involve the chosen group, as other - chosen."""
    rows = pooled[pooled["metric"] == metric]
    second = rows[rows["second_group"] == chosen.name]  # there the difference is chosen - other
    first = rows[rows["first_group"] == chosen.name]
    flipped = second.assign(
        other=second["first_group"],
        difference=-second["difference"],
        ci_low=-second["ci_high"],
        ci_high=-second["ci_low"],
        tost_low=-second["tost_high"],
        tost_high=-second["tost_low"],
        verdict=second["verdict"].replace({HIGHER: LOWER, LOWER: HIGHER}),
    )
    return pd.concat([flipped, first.assign(other=first["second_group"])])


def chosen_comparison(runs: pd.DataFrame, pooled: pd.DataFrame, axis: Any) -> list[str]:
    """The chosen value of a one-key sweep against every value it was paired with on the same
    test rows: other minus chosen ranking metric, pooled over the seed pairs, judged."""
    chosen = chosen_value(runs, axis)
    if chosen is None or pooled.empty or "difference" not in pooled:
        return []
    metric = ranking_metric(runs)
    against = _against(pooled, chosen, metric)
    if against.empty:
        return []
    words = {
        HIGHER: "better beyond noise",
        LOWER: "worse beyond noise",
        NEGLIGIBLE: "negligible",
        EQUIVALENT: "equivalent within the margin",
        UNDETECTED: "no difference detected",
    }
    parts = [
        f"{row['other']} {_span(row)}, {words[row['verdict']]}" for _, row in against.iterrows()
    ]
    label = METRIC_LABELS.get(metric, metric)
    return [
        f"Against {chosen.name} on the same test rows ({label} of the other value minus "
        f"{chosen.name}'s; {backing(against.iloc[0])}): {'; '.join(parts)}."
    ]


def gap_verdict(runs: pd.DataFrame, axis: Any, max_gap: float) -> list[str]:
    """For a sweep of one numeric key: the train - validation gap of the ranking metric per value
    with its CI, and which values underfit or overfit (train - test beyond noise and max_gap)."""
    metrics = overfit_metrics(runs)
    if axis is None or not axis.only or runs.empty or not metrics:
        return []
    metric = ranking_metric(runs)
    metrics = [metric, *[m for m in metrics if m != metric]]
    by_value = _by_value(runs, axis)
    chosen = chosen_value(runs, axis)
    name, label = _key_name(axis), METRIC_LABELS.get(metric, metric)
    per_value = "; ".join(
        f"{row['shown']}: {_gap_text(row, 'validation', metric, _level(row))} "
        f"{_noise_word(row, 'validation', metric)}"
        for _, row in by_value.iterrows()
    )
    states = {
        row["shown"]: fit_state(row, metrics, max_gap, chosen) for _, row in by_value.iterrows()
    }
    words = {
        "underfit": "underfitting",
        "overfit": "overfitting",
        "weak": "neither (train not well above chance)",
        "fits": "neither",
    }
    fits = "; ".join(
        f"{words[state]} at {name}={', '.join(v for v, s in states.items() if s == state)}"
        for state in ("underfit", "overfit", "weak", "fits")
        if state in states.values()
    )
    return [
        f"Train - validation gap of {label} per {name} (CI: validation-row noise): {per_value}.",
        f"By {name}: {fits} (underfitting: train {label} below {UNDERFIT_AUC}, or train below "
        "the chosen value's test CI and test below it beyond noise; overfitting: a train - "
        f"test gap beyond test noise and above evaluate.max_gap={max_gap:g}).",
    ]


INSIGHT_GROUPS = ("Verdict", "Why the numbers moved", "Caveats", "Run warnings")


def _first_and_last(groups: pd.DataFrame, paired: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Binary groups, first against last: the verdict (which discriminates better, why
    accuracy and F1 moved) and the sentences on why the numbers moved."""
    first, last = groups.iloc[0], groups.iloc[-1]
    same_rows = not _pair_rows(paired, first, last, "roc_auc").empty
    verdict = [*discrimination_verdict(first, last, paired), prevalence_explanation(first, last)]
    why = [
        *prevalence_shift(first, last, groups["test_prevalence"]),
        *opposite_movement(first, last, same_rows),
        *prevalence_free_agreement(first, last, paired),
        *paired_verdicts(paired, first, last),
    ]
    return verdict, why


def _why_pairs(
    ranked: pd.DataFrame, pooled: pd.DataFrame, runs: pd.DataFrame, axis: Any
) -> list[str]:
    """The paired verdicts of every metric: each other value against the chosen one in a
    one-key sweep, else the first group against the last."""
    chosen = chosen_value(runs, axis)
    best = ranked[ranked["group"] == chosen.name] if chosen is not None else ranked.iloc[0:0]
    if len(best) == 1:
        return [
            sentence
            for _, other in ranked.iterrows()
            if other["group"] != chosen.name
            for sentence in paired_verdicts(pooled, other, best.iloc[0])
        ]
    return paired_verdicts(pooled, ranked.iloc[0], ranked.iloc[-1])


def one_head(groups: pd.DataFrame) -> pd.DataFrame:
    """The binary groups whose first and last the verdict compares: the dedicated runs' when
    a sweep also holds a cumulative run's per-threshold folders (with at least two of them),
    else those folders'; 'Shared vs dedicated' compares the two heads."""
    if "shared_trunk" not in groups or groups["shared_trunk"].nunique() < 2:
        return groups
    dedicated = groups[~groups["shared_trunk"].astype(bool)]
    return dedicated if len(dedicated) >= 2 else groups[groups["shared_trunk"].astype(bool)]


def insight_groups(
    groups: pd.DataFrame,
    paired: pd.DataFrame,
    runs: pd.DataFrame,
    max_gap: float,
    axis: Any = None,
) -> dict[str, list[str]]:
    """The insights by importance: the verdict, the explanation, caveats, the runs' warnings.
    `axis` (stats.SweepAxis): the numeric swept key, whose value to use and whose gaps per
    value open the verdict."""
    found: dict[str, list[str]] = {name: [] for name in INSIGHT_GROUPS}
    against = chosen_comparison(runs, paired, axis)  # then first vs last is no verdict
    found["Verdict"] += [
        *choice_verdict(runs, axis),
        *gap_verdict(runs, axis, max_gap),
        *against,
    ]
    binary = all(c in groups for c in BINARY_COLUMNS)
    ranked = groups.dropna(subset=[f"test_{ranking_metric(groups)}_mean"]) if not binary else None
    groups = groups.dropna(subset=list(BINARY_COLUMNS)) if binary else groups.iloc[0:0]
    why = found["Why the numbers moved"]
    if ranked is not None and len(ranked) >= 2:  # k classes: the paired ranking comparison
        first, last = ranked.iloc[0], ranked.iloc[-1]
        if not against:
            found["Verdict"] += discrimination_verdict(first, last, paired, "roc_auc_ovr")
        why += _why_pairs(ranked, paired, runs, axis)
    headed = one_head(groups)
    if len(headed) >= 2:
        verdict, explained = _first_and_last(headed, paired)
        found["Verdict"] += verdict[1:] if against else verdict
        why += explained
    found["Verdict"] += [*reference_verdict(runs), *f1_explanation(runs, axis)]
    why += no_skill_levels(groups)
    found["Caveats"] += [
        *below_no_skill(groups),
        *calibration_notes(groups),
        *repeat_notes(groups),
        *diagnostic_notes(runs),
        *(gap_notes(runs, max_gap, axis) or overfitting_notes(runs, max_gap)),
    ]
    found["Run warnings"] += warning_notes(runs)
    return {name: sentences for name, sentences in found.items() if sentences}


def sweep_insights(
    groups: pd.DataFrame,
    paired: pd.DataFrame,
    runs: pd.DataFrame,
    max_gap: float,
    axis: Any = None,
) -> list[str]:
    """Every insight that the rules find in the sweep's numbers, the verdict first."""
    found = insight_groups(groups, paired, runs, max_gap, axis)
    return [sentence for sentences in found.values() for sentence in sentences]
