"""The verdict: which group ranks better, the CNN against its references, micro-F1."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.diagnostics import SMALL_TEST_CLASS
from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.model.reference import REFERENCE_MODELS
from threshold_sweep.report.tables import fmt
from threshold_sweep.sweep.insights.choice import best_by_validation, means_by_value
from threshold_sweep.sweep.insights.pairs import backing, pair_rows, span_text
from threshold_sweep.sweep.naming import key_name
from threshold_sweep.sweep.pooled import EQUIVALENT, HIGHER, LOWER, NEGLIGIBLE
from threshold_sweep.sweep.stats import ranking_metric

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
    rows = pair_rows(pooled, first, last, metric)
    label = METRIC_LABELS.get(metric, metric)
    values = f"{label} {fmt(r1)} ({first['group']}) vs {fmt(r2)} ({last['group']})"
    if rows.empty:
        return [
            f"Whether {first['group']} or {last['group']} discriminates better cannot be "
            f"judged on shared test rows: {values}, not paired."
        ]
    row = rows.iloc[0]
    labellings = _labellings(first, last)
    balanced = pair_rows(pooled, first, last, "balanced_accuracy")
    tail = (
        f"; balanced accuracy differs by {span_text(balanced.iloc[0])}"
        if not balanced.empty
        else ""
    )
    sentences = [
        *comparison_caveats(first, last),
        f"**{_verdict_lead(row, first, last, labellings)}**: {values}, a paired difference of "
        f"{span_text(row)} on the same {int(row['test_rows'])} test rows, {backing(row)}{tail}.",
    ]
    if labellings:
        sentences.append(
            f"{label} measures how learnable each labelling is on the same rows, not which "
            "threshold to use: that depends on what the label is for (which rows must count as "
            "high, and the cost of each error), which these numbers cannot tell."
            + _density(row, first, last)
        )
    return sentences


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


def _labels(runs: pd.DataFrame, label: dict[str, str]) -> str:
    """'logistic regression, gradient-boosted trees or MiniRocket': the runs' fitted models."""
    fitted = [
        text
        for name, text in label.items()
        if {f"ref_{name}_test_roc_auc", f"ref_{name}_test_roc_auc_ovr"} & set(runs)
    ]
    if len(fitted) < 2:
        return "".join(fitted) or "the reference models"
    return f"{', '.join(fitted[:-1])} or {fitted[-1]}"


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
        f"Against the best reference model ({_labels(runs, label)} on the same rows), "
        f"the CNN is {standing} run(s) (ROC-AUC)."
    ]


CLOSE_F1 = 0.02  # macro-F1 this close to accuracy "is close"


def _f1_row(runs: pd.DataFrame, axis: Any) -> tuple[str, pd.Series] | None:
    """The multi-class run (or swept value, as means) the F1 sentence speaks of: the value
    chosen by validation in a one-key sweep, else the first run; None without micro-F1."""
    if "test_micro_f1" not in runs or runs["test_micro_f1"].isna().all():
        return None
    multiclass = runs[runs["test_micro_f1"].notna()]
    if axis is not None and axis.only:
        best = best_by_validation(means_by_value(multiclass, axis), ranking_metric(multiclass))
        if best is not None:
            return f"{key_name(axis.key)}={best['shown']}", best
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
