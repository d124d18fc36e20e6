"""Every insight of a sweep under its heading, the verdict first."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.sweep.insights.caveats import (
    below_no_skill,
    calibration_notes,
    diagnostic_notes,
    repeat_notes,
    warning_notes,
)
from threshold_sweep.sweep.insights.choice import choice_verdict, chosen_comparison, chosen_value
from threshold_sweep.sweep.insights.gaps import gap_notes, gap_verdict, overfitting_notes
from threshold_sweep.sweep.insights.moves import (
    no_skill_levels,
    opposite_movement,
    paired_verdicts,
    prevalence_explanation,
    prevalence_free_agreement,
    prevalence_shift,
)
from threshold_sweep.sweep.insights.pairs import pair_rows
from threshold_sweep.sweep.insights.verdicts import (
    discrimination_verdict,
    f1_explanation,
    reference_verdict,
)
from threshold_sweep.sweep.stats import ranking_metric

BINARY_COLUMNS = (
    "test_prevalence",
    "test_accuracy_mean",
    "test_f1_mean",
    "test_roc_auc_mean",
    "test_balanced_accuracy_mean",
    "chance_accuracy_mean",
    "chance_f1_mean",
)


INSIGHT_GROUPS = ("Verdict", "Why the numbers moved", "Caveats", "Run warnings")


def _first_and_last(groups: pd.DataFrame, paired: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Binary groups, first against last: the verdict (which discriminates better, why
    accuracy and F1 moved) and the sentences on why the numbers moved."""
    first, last = groups.iloc[0], groups.iloc[-1]
    same_rows = not pair_rows(paired, first, last, "roc_auc").empty
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
    a sweep also holds a shared model's per-threshold folders (with at least two of them),
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
