"""Why the numbers moved between two groups: prevalence, accuracy against F1, each metric."""

from __future__ import annotations

import pandas as pd

from threshold_sweep.evaluate.names import LOSSES, METRIC_LABELS, PREVALENCE_DEPENDENT
from threshold_sweep.report.tables import fmt
from threshold_sweep.sweep.insights.caveats import at_group
from threshold_sweep.sweep.insights.pairs import oriented, pair_rows, span_text
from threshold_sweep.sweep.pooled import EQUIVALENT, HIGHER, LOWER, NEGLIGIBLE

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
        f"{at_group(row['group'])} a no-skill model scores accuracy "
        f"{fmt(row['chance_accuracy_mean'])} and F1 {fmt(row['chance_f1_mean'])} "
        "(ROC-AUC 0.500, balanced accuracy 0.500, "
        f"MCC 0.000); the model scores accuracy {fmt(row['test_accuracy_mean'])} and F1 "
        f"{fmt(row['test_f1_mean'])}."
        for _, row in groups.iterrows()
    ]


def _paired_way(pooled: pd.DataFrame, first: pd.Series, last: pd.Series, metric: str) -> str:
    """'rose' / 'fell' when the pooled CI excludes 0 that way, else 'did not change beyond
    noise', or '' when there is no pooled result for the metric."""
    rows = pair_rows(pooled, first, last, metric)
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


def _verdict(
    row: pd.Series, name: str, first: pd.Series, last: pd.Series, loss: bool = False
) -> str:
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
        span = span_text(row)
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
