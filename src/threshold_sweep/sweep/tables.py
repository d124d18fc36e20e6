"""The sweep summary's tables as its pages show them: values with CIs, as text."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.names import (
    HEADLINE,
    MULTI_HEADLINE,
    WITHIN_PREFIX,
    ordinal_metric_names,
)
from threshold_sweep.model.reference import REFERENCE_MODELS
from threshold_sweep.report.tables import fmt


def with_ci(row: pd.Series, metric: str, prefix: str = "test_", signed: bool = False) -> str:
    """'0.912 [0.90, 0.93]' from a row holding a metric and its CI columns (`signed`: a
    difference, '+0.012 [-0.010, +0.034]')."""
    value = row.get(f"{prefix}{metric}")
    low, high = row.get(f"{prefix}{metric}_ci_low"), row.get(f"{prefix}{metric}_ci_high")
    if low is None or pd.isna(low):
        return fmt(value, signed=signed)
    return f"{fmt(value, signed=signed)} [{fmt(low, signed=signed)}, {fmt(high, signed=signed)}]"


def _ordinal_metrics(groups: pd.DataFrame) -> tuple[str, ...]:
    """The ordinal metrics the groups hold (within_<d> for every d of evaluate.within)."""
    within = sorted(
        int(column.removeprefix(f"test_{WITHIN_PREFIX}").removesuffix("_mean"))
        for column in groups
        if column.startswith(f"test_{WITHIN_PREFIX}")
        and column.removeprefix(f"test_{WITHIN_PREFIX}").removesuffix("_mean").isdigit()
    )
    return ordinal_metric_names(tuple(within), with_x=True)


def comparable_table(groups: pd.DataFrame, prevalence_dependent: Collection[str]) -> pd.DataFrame:
    """Metric rows, one column per group: mean value [mean CI] (no-skill level)."""
    rows = []
    for metric in dict.fromkeys((*HEADLINE, *MULTI_HEADLINE, *_ordinal_metrics(groups))):
        if f"test_{metric}_mean" not in groups:
            continue
        row: dict[str, Any] = {
            "metric": metric,
            "depends on prevalence": "yes" if metric in prevalence_dependent else "no",
        }
        for _, group in groups.iterrows():
            value = group[f"test_{metric}_mean"]
            low = group.get(f"test_{metric}_ci_low_mean")
            high = group.get(f"test_{metric}_ci_high_mean")
            chance = group.get(f"chance_{metric}_mean")
            text = fmt(value)
            if low is not None and pd.notna(low):
                text += f" [{fmt(low)}, {fmt(high)}]"
            if chance is not None and pd.notna(chance):
                text += f" (no skill {fmt(chance)})"
            row[group["group"]] = text
        rows.append(row)
    return pd.DataFrame(rows)


def repeats_table(groups: pd.DataFrame) -> pd.DataFrame:
    """Mean ± sd (n) of the main metrics per group."""
    rows = []
    for _, group in groups.iterrows():
        row: dict[str, Any] = {"group": group["group"], "test_prevalence": group["test_prevalence"]}
        for metric in ("accuracy", "balanced_accuracy", "f1", "mcc", "roc_auc"):
            if f"test_{metric}_mean" not in group or pd.isna(group[f"test_{metric}_mean"]):
                continue
            mean, std = group[f"test_{metric}_mean"], group[f"test_{metric}_std"]
            count = int(group[f"test_{metric}_count"])
            spread = f" ± {fmt(std)}" if pd.notna(std) else ""
            row[metric] = f"{fmt(mean)}{spread} (n={count})"
        rows.append(row)
    return pd.DataFrame(rows)


def paired_table(paired: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Readable paired differences, the runs by their short `names` where given."""
    names = names or {}
    rows = []
    for _, row in paired.iterrows():
        first, second = (names.get(row[side], row[side]) for side in ("first", "second"))
        if not row.get("metric"):
            rows.append(
                {
                    "first": first,
                    "second": second,
                    "metric": "",
                    "second - first": row["note"],
                    "CI": "",
                    "within noise": "",
                }
            )
            continue
        rows.append(
            {
                "first": first,
                "second": second,
                "metric": row["metric"],
                "second - first": fmt(row["difference"], signed=True),
                "CI": f"[{fmt(row['ci_low'], signed=True)}, {fmt(row['ci_high'], signed=True)}]",
                "within noise": "yes" if row["within_noise"] else "no",
            }
        )
    return pd.DataFrame(rows)


def reference_table(complete: pd.DataFrame, labels: list[str]) -> pd.DataFrame | None:
    """Per run: the CNN's and each reference model's ROC-AUC [CI], and CNN - best [CI]."""
    names = [
        name
        for name in REFERENCE_MODELS
        if {f"ref_{name}_test_roc_auc", f"ref_{name}_test_roc_auc_ovr"} & set(complete)
    ]
    if not names or "best_reference" not in complete:
        return None
    rows = []
    for label, (_, row) in zip(labels, complete.iterrows(), strict=True):
        metric = "roc_auc" if pd.notna(row.get("test_roc_auc")) else "roc_auc_ovr"
        best = row.get("best_reference")
        entry = {"run": label, "CNN": with_ci(row, metric)}
        for name in names:
            entry[REFERENCE_MODELS[name].label] = with_ci(row, metric, f"ref_{name}_test_")
        entry["best reference"] = REFERENCE_MODELS[best].label if best in REFERENCE_MODELS else ""
        entry["CNN - best reference"] = _difference(row, best, metric)
        rows.append(entry)
    return pd.DataFrame(rows)


def _difference(row: pd.Series, best: Any, metric: str) -> str:
    """'-0.240 [-0.300, -0.180]': CNN - the best reference, with its paired CI."""
    if not isinstance(best, str) or best not in REFERENCE_MODELS:
        return "n/a"
    key = f"cnn_minus_{best}_{metric}"
    low, high = (fmt(row.get(f"{key}_{end}"), signed=True) for end in ("ci_low", "ci_high"))
    return f"{fmt(row.get(key), signed=True)} [{low}, {high}]"
