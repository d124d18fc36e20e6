"""The pooled paired comparisons of two groups, read either way round and put in words."""

from __future__ import annotations

import pandas as pd

from threshold_sweep.report.tables import fmt
from threshold_sweep.sweep.pooled import HIGHER, LOWER


def span_text(row: pd.Series) -> str:
    """The pooled difference with its CI: '+0.030 (95% CI +0.004 to +0.056)'; across k-fold
    folds the mean of the folds' differences, which the pooled values need not match."""
    low, high = fmt(row["ci_low"], signed=True), fmt(row["ci_high"], signed=True)
    folds = row.get("folds", 0)
    mean = f", the mean of {int(folds)} held-out folds' differences" if folds else ""
    return f"{fmt(row['difference'], signed=True)} ({row['level']:.0%} CI {low} to {high}{mean})"


def backing(row: pd.Series) -> str:
    """How many trainings back a pooled difference and which noise its CI covers."""
    pairs = int(row["seed_pairs"])
    if row.get("folds", 0):
        return (
            f"each row tested once by its fold's model, over {int(row['folds'])} held-out folds "
            f"of {pairs} training seed(s) per setting (corrected resampled t, Nadeau & Bengio "
            "2003): the CI covers test-row and training noise"
        )
    if pairs > 1:
        return (
            f"pooled over {pairs} trainings per setting (training seeds, one split): the CI covers "
            "test-row and training-seed noise"
        )
    return (
        "one training per setting: the CI covers test-row noise only; training noise was not "
        "measured (add train.seed=0,1,2 to the sweep to measure it)"
    )


def oriented(pooled: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """The pooled rows from group `first` to group `last`: as stored, or flipped (last - first
    negated, the verdict's direction swapped) when stored the other way round."""
    if pooled.empty or "difference" not in pooled:
        return pooled.iloc[0:0]
    stored = pooled[(pooled["first_group"] == first) & (pooled["second_group"] == last)]
    if not stored.empty:
        return stored
    back = pooled[(pooled["first_group"] == last) & (pooled["second_group"] == first)]
    return back.assign(
        first_group=first,
        second_group=last,
        difference=-back["difference"],
        ci_low=-back["ci_high"],
        ci_high=-back["ci_low"],
        tost_low=-back["tost_high"],
        tost_high=-back["tost_low"],
        verdict=back["verdict"].replace({HIGHER: LOWER, LOWER: HIGHER}),
        near_first=back.get("near_second"),
        near_second=back.get("near_first"),
    )


def pair_rows(pooled: pd.DataFrame, first: pd.Series, last: pd.Series, metric: str) -> pd.DataFrame:
    """The pooled result of `metric` from the first to the last group (no rows or one)."""
    rows = oriented(pooled, first["group"], last["group"])
    return rows[rows["metric"] == metric] if not rows.empty else rows
