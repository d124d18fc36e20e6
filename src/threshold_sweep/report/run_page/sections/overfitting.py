"""The overfitting section: train, validation and test side by side, and the gap rule's call."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.diagnostics import OVERFIT_MIN_SKILL, overfit_blocker
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import SPLITS
from threshold_sweep.model.monitor import training_sentence
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.run_page.common import interval_text
from threshold_sweep.report.run_page.head import probability_note


def _splits_table(result: RunResult) -> pd.DataFrame:
    """Headline metrics for train, validation and test side by side."""
    metrics = Task.of(result).headline
    return pd.DataFrame([{"metric": m, **{s: result[s].get(m) for s in SPLITS}} for m in metrics])


def _overfit_reason(result: RunResult, metric: str, row: dict[str, Any]) -> str:
    """Why the rule flags this gap or not: the limit, the test CI, or what rules it out."""
    max_gap = result["overfitting_max_gap"]
    ci = result.get("ci", {}).get("test", {}).get(metric)
    blocker = overfit_blocker(result, metric)
    if blocker:
        return blocker
    if row["gap"] <= max_gap:
        return f"gap within evaluate.max_gap={max_gap:g}"
    if row["large"]:
        return f"gap > {max_gap:g} and train above the test CI"
    return f"gap > {max_gap:g}, but train inside the test CI ({interval_text(ci)}): test-row noise"


def _overfit_table(result: RunResult) -> pd.DataFrame:
    """Train / validation / test of the prevalence-free metrics, their gap and the rule's call."""
    rows = [
        {"metric": metric, **row, "why": _overfit_reason(result, metric, row)}
        for metric, row in result["overfitting"].items()
    ]
    return pd.DataFrame(rows).rename(
        columns={"gap": "gap (train - test)", "large": "gap too large"}
    )


def overfitting_section(result: RunResult) -> Section:
    """Train, validation and test values, their gap, and how training went."""
    training = result["training"]
    return Section(
        "Train, validation and test (overfitting)",
        [
            f"""Train = the rows the model was fitted on (after any resampling, so compare
prevalence-free metrics). The rule: a gap (train - test) is flagged only when it is above
evaluate.max_gap = {result["overfitting_max_gap"]:g} **and** the train value lies above the
test value's CI (so test-row noise alone never flags it) **and** the train value is well above
chance (at least {OVERFIT_MIN_SKILL:.0%} of the way from chance to perfect); never when the
model is near chance on its own training rows (underfitting) or keeps its epoch-1 weights
(it learned nothing after epoch 1). The last column says which applied.""",
            Table(_overfit_table(result)),
            "All headline metrics per split:",
            Table(_splits_table(result)),
            f"{training_sentence(training, Task.of(result).n_classes)}\n{_balance_note(result)}",
        ],
    )


def _balance_note(result: RunResult) -> str:
    """At which class balance the model's probabilities are, and where to see it."""
    how = probability_note(result) or (
        "A model trained on a resampled split predicts probabilities for that split's balance"
    )
    if Task.of(result).binary:
        return f"{how}; the calibration plot shows how far they are from the natural test balance."
    return f"{how} (ordered classes get no calibration plot)."
