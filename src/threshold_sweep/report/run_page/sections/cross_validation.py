"""The Cross-validation section: the spread of the held-out folds' metrics."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import range_text, share_text
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.tables import fmt


def _rolling_table(cv: dict[str, Any]) -> pd.DataFrame:
    """Per rolling fold: the order range of its parts, its test rows and class balance, drift."""
    rows = []
    for name, fold in cv["time"].items():
        parts = fold["splits"]
        drift = (fold.get("drift") or {}).get("test") or {}
        rows.append(
            {
                "fold": name,
                "trained on": range_text(parts["train"]),
                "validated on": range_text(parts["validation"]),
                "tested on": range_text(parts["test"]),
                "test rows": parts["test"]["rows"],
                "test class shares": ", ".join(
                    f"{c} {share_text(s)}" for c, s in parts["test"]["class_shares"].items()
                ),
                "drift p (test vs train)": fmt(drift.get("p_value")),
            }
        )
    return pd.DataFrame(rows)


def cross_validation_section(result: RunResult) -> Section:
    """Each held-out fold's metrics (and each repeat's), as mean, sd, min and max."""
    cv = result["cross_validation"]
    rows = [
        {"over": f"{len(cv['fold_names'])} held-out folds", "metric": name, **_spread_cells(spread)}
        for name, spread in cv["per_fold"].items()
    ]
    if cv["repeats"] > 1:
        rows += [
            {"over": f"{cv['repeats']} repeats (pooled)", "metric": name, **_spread_cells(spread)}
            for name, spread in cv["per_repeat"].items()
        ]
    size = round(sum(cv["held_out_rows"]) / len(cv["held_out_rows"]))
    if "time" in cv:
        blocks: list[Any] = [
            f"""The headline test metrics pool every fold's tested block; the spread below is
each block's own (about {size} rows each). Later folds train on more rows than earlier ones,
so a trend down the folds mixes more training data with a later, possibly drifted period.
The pooled ROC-AUC ranks rows scored by different fold models together: when it sits well
below the folds' mean, their scores are on different scales (typical under drift), and the
per-fold values describe how well each model ranks the rows of one period.""",
            Table(pd.DataFrame(rows)),
            "Which rows each fold trained on and tested (the drift test compares the tested "
            "block's class counts with its training rows'):",
            Table(_rolling_table(cv)),
        ]
    else:
        blocks = [
            f"""The headline test metrics pool every fold's held-out rows; the spread below is
each held-out fold's own (about {size} rows each). A fold's model trains on
{cv["folds"] - 1}/{cv["folds"]} of the rows, so these numbers estimate a model trained on that
much data.""",
            Table(pd.DataFrame(rows)),
        ]
    return Section("Cross-validation", blocks)


def _spread_cells(spread: dict[str, Any]) -> dict[str, str]:
    """mean, sd, min and max of a metric's spread, as table cells."""
    return {key: fmt(spread[key]) for key in ("mean", "sd", "min", "max")}
