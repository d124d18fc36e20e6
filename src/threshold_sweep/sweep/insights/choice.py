"""A sweep of one numeric key: the value to use, chosen on validation, and what it beats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.report.tables import fmt
from threshold_sweep.sweep.insights.pairs import backing, span_text
from threshold_sweep.sweep.naming import key_name
from threshold_sweep.sweep.pooled import EQUIVALENT, HIGHER, LOWER, NEGLIGIBLE, UNDETECTED
from threshold_sweep.sweep.stats import ranking_metric


def level_text(row: pd.Series) -> str:
    """'95% ' from a run's ci_level, '' when unknown."""
    level = row.get("ci_level")
    return f"{float(level):.0%} " if level is not None and pd.notna(level) else ""


@dataclass(frozen=True)
class Chosen:
    """The value a one-key sweep chose (best validation ranking metric): its name and test
    value with the CI's lower bound."""

    name: str  # 'learning_rate=0.01'
    test: float
    ci_low: float


def chosen_value(runs: pd.DataFrame, axis: Any) -> Chosen | None:
    """The value of a one-key sweep with the best validation ranking metric (mean over its
    runs), with its test value and CI; None for other sweeps or without test CIs."""
    if axis is None or not axis.only or runs.empty:
        return None
    metric = ranking_metric(runs)
    best = best_by_validation(means_by_value(runs, axis), metric)
    if best is None or pd.isna(best.get(f"test_{metric}_ci_low")):
        return None
    name = f"{key_name(axis.key)}={best['shown']}"
    return Chosen(name, float(best[f"test_{metric}"]), float(best[f"test_{metric}_ci_low"]))


def means_by_value(runs: pd.DataFrame, axis: Any) -> pd.DataFrame:
    """The runs' numeric columns averaged per value of the swept key, in ascending order."""
    values = pd.to_numeric(runs[axis.key], errors="coerce")
    numeric = runs.select_dtypes("number").assign(value=values, shown=runs[axis.key].astype(str))
    means = numeric.groupby("value", sort=True).mean(numeric_only=True)
    shown = numeric.groupby("value", sort=True)["shown"].first()
    return means.assign(shown=shown).reset_index()


def best_by_validation(by_value: pd.DataFrame, metric: str) -> pd.Series | None:
    """The value with the best validation `metric` (mean over its runs), None without one."""
    column = f"validation_{metric}"
    if column not in by_value or by_value[column].isna().all():
        return None
    return by_value.loc[by_value[column].idxmax()]


def _runners_up(by_value: pd.DataFrame, best: pd.Series, metric: str, name: str) -> list[str]:
    """Other values whose validation score lies inside the chosen value's validation CI."""
    low = best.get(f"validation_{metric}_ci_low")
    column = f"validation_{metric}"
    if low is None or pd.isna(low) or column not in by_value:
        return []
    close = by_value[(by_value["value"] != best["value"]) & (by_value[column] >= low)]
    if close.empty:
        return []
    listed = ", ".join(f"{row['shown']} ({fmt(row[column])})" for _, row in close.iterrows())
    return [
        f"{name}={listed} scores within the validation noise of the chosen "
        f"{fmt(best[column])} (its CI starts at {fmt(low)}), so these runs do not settle the "
        "choice between them: repeats (train.seed=0,1,2) or more validation rows would"
    ]


def _choice_caveats(
    by_value: pd.DataFrame, best: pd.Series, name: str, metric: str = "roc_auc"
) -> list[str]:
    """What to read before the chosen value: another value within its validation noise, an
    edge of the swept grid, or runs still improving at their last epoch."""
    parts = _runners_up(by_value, best, metric, name)
    if len(by_value) >= 3 and best["value"] in (by_value["value"].min(), by_value["value"].max()):
        edge = "lowest" if best["value"] == by_value["value"].min() else "highest"
        parts.append(
            f"the chosen {name}={best['shown']} is the {edge} value swept, so a value beyond the "
            "grid may do better: extend the grid before trusting the choice"
        )
    share = best.get("train_still_improving")
    if share is not None and pd.notna(share) and share > 0:
        parts.append(
            f"its runs were still improving at their last epoch ({share:.0%} of them), so the "
            "comparison is premature: raise train.epochs"
        )
    if not parts:
        return []
    return [f"**Read the choice with care**: {'; '.join(parts)}."]


def choice_verdict(runs: pd.DataFrame, axis: Any) -> list[str]:
    """For a sweep of one numeric key: the value to use, chosen by the best validation ranking
    metric (never by test), with its test value and CI."""
    if axis is None or not axis.only or runs.empty:
        return []
    metric = ranking_metric(runs)
    by_value = means_by_value(runs, axis)
    best = best_by_validation(by_value, metric)
    if best is None or len(by_value) < 2:
        return []
    name, label = key_name(axis.key), METRIC_LABELS.get(metric, metric)
    test = fmt(best[f"test_{metric}"])
    low, high = best.get(f"test_{metric}_ci_low"), best.get(f"test_{metric}_ci_high")
    if low is not None and pd.notna(low):
        test += f" ({level_text(best)}CI {fmt(low)} to {fmt(high)})"
    repeats = runs.groupby(axis.key).size().max()
    mean = f" (means over {repeats} runs per value)" if repeats > 1 else ""
    return [
        *_choice_caveats(by_value, best, name, metric),
        f"Use {name}={best['shown']}: it has the best validation {label}, "
        f"{fmt(best[f'validation_{metric}'])}{mean}; its test {label} is {test}. "
        "It is chosen on the validation rows, not on test: the value with the best test score "
        "would make that test score an optimistic estimate.",
    ]


def _against(pooled: pd.DataFrame, chosen: Chosen, metric: str) -> pd.DataFrame:
    """The pooled rows of `metric` that involve the chosen group, as other - chosen."""
    rows = pooled[pooled["metric"] == metric]
    second = rows[rows["second_group"] == chosen.name]  # there the difference is chosen - other
    first = rows[rows["first_group"] == chosen.name]
    flipped = second.assign(
        other=second["first_group"],
        difference=-second["difference"],
        ci_low=-second["ci_high"],
        ci_high=-second["ci_low"],
        tost_low=-second["tost_high"],
        tost_high=-second["tost_low"],
        verdict=second["verdict"].replace({HIGHER: LOWER, LOWER: HIGHER}),
    )
    return pd.concat([flipped, first.assign(other=first["second_group"])])


def chosen_comparison(runs: pd.DataFrame, pooled: pd.DataFrame, axis: Any) -> list[str]:
    """The chosen value of a one-key sweep against every value it was paired with on the same
    test rows: other minus chosen ranking metric, pooled over the seed pairs, judged."""
    chosen = chosen_value(runs, axis)
    if chosen is None or pooled.empty or "difference" not in pooled:
        return []
    metric = ranking_metric(runs)
    against = _against(pooled, chosen, metric)
    if against.empty:
        return []
    words = {
        HIGHER: "better beyond noise",
        LOWER: "worse beyond noise",
        NEGLIGIBLE: "negligible",
        EQUIVALENT: "equivalent within the margin",
        UNDETECTED: "no difference detected",
    }
    parts = [
        f"{row['other']} {span_text(row)}, {words[row['verdict']]}" for _, row in against.iterrows()
    ]
    label = METRIC_LABELS.get(metric, metric)
    return [
        f"Against {chosen.name} on the same test rows ({label} of the other value minus "
        f"{chosen.name}'s; {backing(against.iloc[0])}): {'; '.join(parts)}."
    ]
