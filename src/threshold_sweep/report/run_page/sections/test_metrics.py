"""The Test metrics section: each metric beside its no-skill level and CI, per class, and the
confusion matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.names import (
    BASELINE_NAMES,
    PREVALENCE_DEPENDENT,
    no_skill_level,
    no_skill_source,
)
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.run_page.common import (
    CONFUSIONS_SHOWN,
    class_intervals,
    interval_text,
    long_form,
    recall_intervals,
)
from threshold_sweep.report.tables import fmt


def _test_table(result: RunResult) -> pd.DataFrame:
    """Test metrics beside their CI, no-skill levels, skill and the balanced view."""
    chance = result["chance"]["test"]
    rows = []
    for metric in Task.of(result).headline:
        row = {
            "metric": metric,
            "test": result["test"][metric],
            f"{result['ci']['level']:.0%} CI": interval_text(result["ci"]["test"].get(metric)),
            **{BASELINE_NAMES[name]: values[metric] for name, values in chance.items()},
            "no skill (to beat)": no_skill_level(metric, chance),
            "no-skill predictor": BASELINE_NAMES[no_skill_source(metric, chance)],
        }
        for section in ("skill", "balanced_view"):
            if section in result:
                row[section.replace("_", " ")] = result[section]["test"][metric]
        row["prevalence-dependent"] = metric in PREVALENCE_DEPENDENT
        rows.append(row)
    return pd.DataFrame(rows)


def _per_class_table(result: RunResult) -> pd.DataFrame:
    """Precision, recall, F1 and support of every class on test."""
    return pd.DataFrame(
        [{"class": name, **values} for name, values in result["test"]["per_class"].items()]
    )


def per_class_long_table(result: RunResult) -> pd.DataFrame:
    """One row per class: its interval of x (when its name is not that), rows per split
    (train before and after sampling), and every per-class test score metrics.json holds,
    with recall's exact CI."""
    names = Task.of(result).names
    counts, used = result["class_counts"], result["class_counts_after_sampling"]
    intervals = class_intervals(result["threshold"])
    recall = recall_intervals(result)
    level = result.get("ci", {}).get("level", 0.95)
    rows = []
    for name, interval in zip(names, intervals, strict=True):
        scores = dict(result["test"]["per_class"][name])
        support = scores.pop("support", None)
        row = {"class": name, "x interval": interval}
        row |= {"train": counts["train"][name], "train used": used["train"][name]}
        row |= {"validation": counts["validation"][name], "test": counts["test"][name]}
        row |= scores
        low, high = recall.loc[name, ["low", "high"]]
        row[f"recall {level:.0%} CI (exact)"] = interval_text([low, high])
        if support is not None and support != counts["test"][name]:
            row["support"] = support
        rows.append(row)
    frame = pd.DataFrame(rows)
    if list(names) == intervals:
        frame = frame.drop(columns="x interval")
    return frame


def _binary_test_notes(result: RunResult) -> str:
    """How to read the binary test table: its baselines, skill and balanced view."""
    names, p = result["label_names"], result["prevalence"]["test"]
    rate = result["test"]["predicted_positive_rate"]
    return f"""No-skill predictors at this prevalence ({fmt(p)}), scored by the same
scikit-learn functions: **majority** always predicts the majority class, **always positive**
always predicts {names[-1]}, **random** predicts {names[-1]} at random with probability
{fmt(p)}, **random at model's rate** predicts it at random as often as the model does
({fmt(rate)}); both random columns are exact expected values.
All of them score every row with the class prior, so their ROC-AUC is {fmt(0.5)} and their average
precision equals the prevalence. **Skill** is the chance-corrected value (0 = no skill,
1 = perfect; definitions below): accuracy, F1 and macro F1 share one skill value by
definition (each equals Cohen's kappa, as each is measured against random guessing at the
model's own positive rate), and so do precision and specificity. **No skill (to beat)** is the
best of the predictors for that metric, named beside it; every page uses this one value.
**Balanced view**: {result["balanced_view"]["method"]}.
**Prevalence-dependent** metrics change with the class balance alone; compare thresholds on
the others, or on skill."""


def _multiclass_test_notes(result: RunResult) -> str:
    """How to read the multi-class test table: averages and baselines."""
    weighted = fmt(result["test"]["roc_auc_ovr_weighted"])
    return f"""Averages: **macro** = unweighted mean over classes, **weighted** = weighted by
class support, **micro** pools all rows; for single-label multi-class data micro-F1 equals accuracy.
ROC-AUC is one-vs-rest, macro-averaged (weighted: {weighted}).
No-skill levels: **majority** always predicts the most frequent test class, **random** predicts
each class with its test share (expected value); both score rows with the class shares.
**Prevalence-dependent** metrics change with the class balance alone.{_ordinal_note(result)}"""


def _ordinal_note(result: RunResult) -> str:
    """One sentence on the ordinal metrics of ordered classes (empty for files without them)."""
    ordinal = result.get("ordinal")
    if not ordinal:
        return ""
    return f"""
**Ordinal** (how far off, on the {ordinal["prediction"]} class): **mae_classes** mean
|predicted - true| in class steps, **within_d** share at most d classes off, **qwk**
quadratic-weighted Cohen's kappa, **spearman** rank correlation of true and predicted class,
**mae_x** mean distance of the true x from the predicted class's interval (units of x)."""


def _confusion_text(result: RunResult) -> str:
    """The test confusion matrix in words (rows true, columns predicted); above WIDE_CLASSES
    classes its largest off-diagonal cells only."""
    names, matrix = result["label_names"], result["test"]["confusion_matrix"]
    if long_form(result):
        counts = np.asarray(matrix)
        off = counts * (1 - np.eye(len(names), dtype=counts.dtype))
        order = np.argsort(-off, axis=None, kind="stable")[:CONFUSIONS_SHOWN]
        cells = [
            f"{names[i]}→{names[j]} {off[i, j]}"
            for i, j in zip(*np.unravel_index(order, off.shape), strict=True)
            if off[i, j] > 0
        ]
        right = int(np.trace(counts))
        text = "no row is misclassified" if not cells else "the largest mistakes (true→predicted): "
        return (
            f"Test confusion matrix ({len(names)} x {len(names)}: the heatmaps under Plots, "
            f"the counts in metrics.json, test.confusion_matrix): {right} of {counts.sum()} "
            f"rows on the diagonal; {text}" + ", ".join(cells) + "."
        )
    cells = [
        f"{true}→{pred} {matrix[i][j]}"
        for i, true in enumerate(names)
        for j, pred in enumerate(names)
    ]
    return "Test confusion matrix (rows true, columns predicted):\n" + ",\n".join(cells) + "."


def _per_class_note(result: RunResult) -> str:
    """What the long per-class table holds."""
    return (
        "Per class (one row each): rows per split (train before and after sampling), then the "
        "test scores; recall's exact CI (Clopper-Pearson) shows how rough a small class's "
        "numbers are."
    )


def test_section(result: RunResult) -> Section:
    """Test metrics beside their no-skill levels and CIs, per class, and the confusion."""
    task, ci = Task.of(result), result["ci"]
    notes = _binary_test_notes(result) if task.binary else _multiclass_test_notes(result)
    return Section(
        "Test metrics and what no skill would score",
        [
            f"{notes} CIs: {ci['method']}, {ci['n_resamples']} resamples.",
            Table(_test_table(result)),
            "Per class:" if not long_form(result) else _per_class_note(result),
            Table(
                per_class_long_table(result) if long_form(result) else _per_class_table(result),
                sortable=long_form(result),
            ),
            _confusion_text(result),
        ],
    )
