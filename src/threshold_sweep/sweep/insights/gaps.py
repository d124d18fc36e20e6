"""Train - validation and train - test gaps: which runs or values underfit or overfit."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.diagnostics import OVERFIT_MIN_SKILL, UNDERFIT_AUC
from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.report.tables import fmt
from threshold_sweep.sweep.insights.choice import Chosen, chosen_value, level_text, means_by_value
from threshold_sweep.sweep.naming import key_name
from threshold_sweep.sweep.stats import overfit_metrics, ranking_metric


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


def _gap_text(row: pd.Series, split: str, metric: str, level: str = "") -> str:
    """'+0.082 (95% CI +0.045 to +0.120)': a run's train - split gap of `metric` with its CI."""
    name = f"gap_{split}_{metric}"
    text = fmt(row.get(name), signed=True)
    low, high = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
    if low is not None and pd.notna(low):
        text += f" ({level}CI {fmt(low, signed=True)} to {fmt(high, signed=True)})"
    return text


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


def _underfit_words(row: pd.Series, first: str, chosen: Chosen | None) -> str:
    """Why a run counts as underfitting: its train value near chance, or below the chosen
    value's test CI."""
    train = row.get(f"train_{first}")
    below = (
        f"below {UNDERFIT_AUC}, near chance"
        if train < UNDERFIT_AUC or chosen is None
        else f"below the test CI of {chosen.name} ({fmt(chosen.ci_low)} and up), and "
        "so is its test value"
    )
    return (
        f"underfitting: its train {METRIC_LABELS.get(first, first)} {fmt(train)} is "
        f"{below}, so its gap is not called overfitting"
    )


def _fit_words(row: pd.Series, metrics: list[str], max_gap: float, chosen: Chosen | None) -> str:
    """A run's fit in words: underfitting, not well above chance, overfitting, above
    evaluate.max_gap within noise, or not overfitting."""
    state = fit_state(row, metrics, max_gap, chosen)
    if state == "underfit":
        return _underfit_words(row, metrics[0], chosen)
    if state == "weak":
        return (
            f"not overfitting: its train {METRIC_LABELS.get(metrics[0], metrics[0])} "
            f"{fmt(row.get(f'train_{metrics[0]}'))} is not well above chance (below "
            f"{fmt(TRAIN_FLOOR)})"
        )
    if state == "overfit":
        return f"overfitting: beyond test noise and above evaluate.max_gap={max_gap:g}"
    if any(row.get(f"gap_test_{m}", 0) > max_gap for m in metrics):
        return (
            f"above evaluate.max_gap={max_gap:g} but within test noise: not evidence of overfitting"
        )
    return f"not overfitting (at most evaluate.max_gap={max_gap:g} or within test noise)"


def _gap_note(row: pd.Series, metrics: list[str], max_gap: float, chosen: Chosen | None) -> str:
    """One run's train - test gaps with their noise, its fit, and its train - validation gaps."""
    level = level_text(row)
    parts = [
        f"{METRIC_LABELS.get(m, m)} {_gap_text(row, 'test', m, level)}, "
        f"{_noise_word(row, 'test', m)}"
        for m in metrics
    ]
    tail = _fit_words(row, metrics, max_gap, chosen)
    validation = "; ".join(
        f"{METRIC_LABELS.get(m, m)} {_gap_text(row, 'validation', m, level)}" for m in metrics
    )
    return (
        f"{row['run']}: train - test gap {'; '.join(parts)}: {tail}. Train - validation "
        f"gap: {validation}."
    )


def gap_notes(runs: pd.DataFrame, max_gap: float, axis: Any) -> list[str]:
    """Per run of a sweep over a numeric key: its train - test gap of each overfit metric with
    its CI, whether that is beyond test noise and evaluate.max_gap, and the train -
    validation gap; underfitting named as such, never as overfitting."""
    metrics = overfit_metrics(runs)
    if axis is None or not metrics:
        return []
    chosen = chosen_value(runs, axis)
    return [_gap_note(row, metrics, max_gap, chosen) for _, row in runs.iterrows()]


def gap_verdict(runs: pd.DataFrame, axis: Any, max_gap: float) -> list[str]:
    """For a sweep of one numeric key: the train - validation gap of the ranking metric per value
    with its CI, and which values underfit or overfit (train - test beyond noise and max_gap)."""
    metrics = overfit_metrics(runs)
    if axis is None or not axis.only or runs.empty or not metrics:
        return []
    metric = ranking_metric(runs)
    metrics = [metric, *[m for m in metrics if m != metric]]
    by_value = means_by_value(runs, axis)
    chosen = chosen_value(runs, axis)
    name, label = key_name(axis.key), METRIC_LABELS.get(metric, metric)
    per_value = "; ".join(
        f"{row['shown']}: {_gap_text(row, 'validation', metric, level_text(row))} "
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
