"""The run report's answer to "is the CNN any good?": the CNN beside the reference models."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.data_warnings import discarded_rows
from threshold_sweep.evaluate.diagnostics import TRAILS_MARGIN
from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.tables import fmt


def _signed_ci(comparison: dict[str, Any]) -> str:
    """'+0.025 [-0.040, +0.092]' for a paired difference and its CI."""
    low, high = signed(comparison["ci_low"]), signed(comparison["ci_high"])
    return f"{signed(comparison['difference'])} [{low}, {high}]"


def fitted_rows(result: RunResult) -> str:
    """Which training rows the reference models fitted on beside the CNN's: 'all 84 training
    rows (the CNN fitted on 68 after undersampling)', 'the same 84 training rows as the CNN'."""
    dropped, total = discarded_rows(result)
    used = sum((result.get("class_counts_after_sampling") or {}).get("train", {}).values())
    n_train = result["reference"]["n_train"]
    if result.get("cross_validation"):  # the counts pool every fold's training rows
        cnn = f"{total - dropped} of {total} after undersampling" if dropped else f"{used or total}"
        return f"each fold's natural training rows (the CNN fitted on {cnn}, pooled over the folds)"
    if dropped:
        return (
            f"all {n_train} training rows (the CNN fitted on {total - dropped} after undersampling)"
        )
    if not used:
        return f"{n_train} training rows"
    if used != n_train:
        return f"the {n_train} natural training rows (the CNN fitted on {used} after resampling)"
    return f"the same {n_train} training rows as the CNN"


def reference_verdict(result: RunResult) -> str | None:
    """One sentence: the CNN against the best reference model on the same test rows."""
    section = result.get("reference")
    if not section or section["best"] is None:
        return None
    metric = Task.of(result).ranking_metric
    best = section["models"][section["best"]]
    comparison = best["cnn_minus_reference"][metric]
    standing, negligible = _standing(comparison)
    level = result.get("ci", {}).get("level", 0.95)
    return (
        f"Against competent models fitted on {fitted_rows(result)}, the CNN {standing}: "
        f"{METRIC_LABELS[metric]} {fmt(result['test'][metric])} vs {fmt(best['test'][metric])} "
        f"for {best['label']} (CNN - reference {signed(comparison['difference'])}, "
        f"paired {level:.0%} CI {signed(comparison['ci_low'])} to "
        f"{signed(comparison['ci_high'])} over test rows, one training{negligible}; the "
        f"reference models are below){trailing_elsewhere(section, metric, level)}."
    )


def _standing(comparison: dict[str, Any]) -> tuple[str, str]:
    """The CNN's standing against one reference (bold) and the 'negligible' clause, if any:
    a paired CI beyond 0 with a difference under TRAILS_MARGIN is negligible either way."""
    beyond = comparison["ci_high"] < 0 or comparison["ci_low"] > 0
    if not beyond:
        return "**is not detectably different from the best reference model**", ""
    direction = "trails" if comparison["ci_high"] < 0 else "beats"
    if abs(comparison["difference"]) < TRAILS_MARGIN:
        clause = f", under the {TRAILS_MARGIN:g} that matters"
        return f"**{direction} the best reference model by a negligible amount**", clause
    return f"**{direction} the best reference model beyond noise**", ""


def trailing_elsewhere(section: dict[str, Any], verdict_metric: str, level: float) -> str:
    """'; but MiniRocket decides better beyond noise: ...' for the widest paired gap below 0
    on another compared metric (balanced accuracy), where the verdict's metric saw none."""
    if any(
        model["cnn_minus_reference"][verdict_metric]["ci_high"] < 0
        for model in section["models"].values()
    ):
        return ""
    gaps = [
        (comparison["difference"], model["label"], metric, comparison)
        for model in section["models"].values()
        for metric, comparison in model["cnn_minus_reference"].items()
        if metric != verdict_metric and comparison["ci_high"] < 0
    ]
    if not gaps:
        return ""
    difference, label, metric, comparison = min(gaps, key=lambda gap: gap[0])
    return (
        f"; but {label} decides better beyond noise: {METRIC_LABELS[metric]} CNN - reference "
        f"{signed(difference)}, paired {level:.0%} CI {signed(comparison['ci_low'])} to "
        f"{signed(comparison['ci_high'])}"
    )


def signed(value: float) -> str:
    """A difference with its sign and a digit that keeps it: +0.012, -0.0004, +0.000."""
    if value and abs(value) < 0.001:
        return f"{value:+.1g}"
    return fmt(value, signed=True)


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


def skipped_text(section: dict[str, Any]) -> str:
    """'Skipped: minirocket (why).' for the configured models that could not run ('' if none)."""
    skipped = section.get("skipped") or {}
    if not skipped:
        return ""
    return "Skipped: " + "; ".join(f"{name} ({why})" for name, why in skipped.items()) + "."


def reference_models_section(result: RunResult) -> Section | None:
    """'Reference models': how they were trained, the table, and the skipped ones."""
    section = result.get("reference")
    if not section:
        return None
    if not section["models"]:
        return Section("Reference models", [skipped_text(section)])
    level = result.get("ci", {}).get("level", 0.95)
    descriptions = "; ".join(
        f"{model['label']}: {model['description']}, on {model.get('sees', 'its inputs')}"
        for model in section["models"].values()
    )
    return Section(
        "Reference models",
        [
            f"""Fitted on {fitted_rows(result)}: {section["trained_on"]}. Scored on the
same test rows as the CNN; [bracketed] {level:.0%} CIs; CNN - model is paired on those rows
(a CI that excludes 0 is a difference beyond the test-row noise of this one training; neither
model's training noise is in it).
{descriptions}. {skipped_text(section)}""".rstrip(),
            Table(reference_table(result)),
        ],
    )
