"""Caveats about single groups and runs: below no skill, calibration, seed noise, warnings."""

from __future__ import annotations

import pandas as pd

from threshold_sweep.report.tables import fmt


def at_group(group: str) -> str:
    """'At label.threshold=100', or 'In all runs' for the one group of a sweep without keys."""
    return "In all runs" if group == "all runs" else f"At {group}"


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
        f"{at_group(row['group'])} accuracy {fmt(row['test_accuracy_mean'])} is below the "
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
        f"{at_group(row['group'])} the Brier score {fmt(row['test_brier_mean'])} is worse than the "
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
    "flattened reference models (logistic, hgb) treat them as separate features",
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
