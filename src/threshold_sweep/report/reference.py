"""The run report's answer to "is the CNN any good?": the CNN beside the reference models."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.tables import fmt


def _signed_ci(comparison: dict[str, Any]) -> str:
    """'+0.025 [-0.040, +0.092]' for a paired difference and its CI."""
    low, high = fmt(comparison["ci_low"], signed=True), fmt(comparison["ci_high"], signed=True)
    return f"{fmt(comparison['difference'], signed=True)} [{low}, {high}]"


def reference_verdict(result: RunResult) -> str | None:
    """One sentence: the CNN against the best reference model on the same test rows."""
    section = result.get("reference")
    if not section or section["best"] is None:
        return None
    metric = Task.of(result).ranking_metric
    best = section["models"][section["best"]]
    comparison = best["cnn_minus_reference"][metric]
    if comparison["ci_high"] < 0:
        standing = "**trails the best reference model beyond noise**"
    elif comparison["ci_low"] > 0:
        standing = "**beats the best reference model beyond noise**"
    else:
        standing = "**is within noise of the best reference model**"
    level = result.get("ci", {}).get("level", 0.95)
    return (
        f"Against competent models fitted on the same training rows, the CNN {standing}: "
        f"{METRIC_LABELS[metric]} {fmt(result['test'][metric])} vs {fmt(best['test'][metric])} "
        f"for {best['label']} (CNN - reference {fmt(comparison['difference'], signed=True)}, "
        f"paired {level:.0%} CI {fmt(comparison['ci_low'], signed=True)} to "
        f"{fmt(comparison['ci_high'], signed=True)}; the reference models are below)."
    )


def _interval_text(value: float, interval: list[float] | None) -> str:
    """'0.803 [0.712, 0.881]'."""
    if not interval:
        return fmt(value)
    return f"{fmt(value)} [{fmt(interval[0])}, {fmt(interval[1])}]"


def reference_table(result: RunResult) -> pd.DataFrame:
    """The CNN and each reference model: compared metrics with CIs, CNN - reference, seconds."""
    section = result["reference"]
    metrics = section["compared_on"]
    ci = result.get("ci", {}).get("test", {})
    rows = [
        {
            "model": "CNN (this run)",
            **{METRIC_LABELS[m]: _interval_text(result["test"][m], ci.get(m)) for m in metrics},
            **{f"CNN - model, {METRIC_LABELS[m]}": "" for m in metrics},
        }
    ]
    for model in section["models"].values():
        rows.append(
            {
                "model": model["label"],
                **{
                    METRIC_LABELS[m]: _interval_text(model["test"][m], model["ci"].get(m))
                    for m in metrics
                },
                **{
                    f"CNN - model, {METRIC_LABELS[m]}": _signed_ci(model["cnn_minus_reference"][m])
                    for m in metrics
                },
            }
        )
    return pd.DataFrame(rows)


def reference_models_section(result: RunResult) -> Section | None:
    """'Reference models': how they were trained, and the table."""
    section = result.get("reference")
    if not section:
        return None
    level = result.get("ci", {}).get("level", 0.95)
    descriptions = "; ".join(
        f"{model['label']}: {model['description']}" for model in section["models"].values()
    )
    return Section(
        "Reference models",
        [
            f"""Fitted on {section["n_train"]} rows: {section["trained_on"]}. Scored on the
same test rows as the CNN; [bracketed] {level:.0%} bootstrap CIs; CNN - model is a paired
bootstrap on those rows (a CI that excludes 0 is a difference beyond test-row noise).
{descriptions}.""",
            Table(reference_table(result)),
        ],
    )
