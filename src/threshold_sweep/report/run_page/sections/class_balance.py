"""The Class balance section: how the rows were split and each split's class counts."""

from __future__ import annotations

from typing import Any

import pandas as pd

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import split_description, split_of
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import SPLITS
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.run_page.common import LISTED_COLUMNS, long_form
from threshold_sweep.report.run_page.head import sampling_note
from threshold_sweep.report.tables import fmt


def _counts_table(result: RunResult) -> pd.DataFrame:
    """Class counts per split before and after sampling."""
    task = Task.of(result)
    rows = []
    for split in SPLITS:
        before = result["class_counts"][split]
        after = result["class_counts_after_sampling"][split]
        row = {
            "split": split,
            **{f"{n} (natural)": before[n] for n in task.names},
            **{f"{n} (used)": after[n] for n in task.names},
        }
        if task.positive:
            row[f"{task.positive} share (natural)"] = before[task.positive] / max(
                1, sum(before.values())
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _rolling_line(result: RunResult) -> str:
    """One line on a rolling-origin run: which rows tested what."""
    cv = result["cross_validation"]
    order = split_of(result).get("order")
    return (
        f"Split: rolling-origin cross-validation on `{order}` (split=rolling): the rows in time "
        f"order were cut into {cv['folds'] + 1} blocks; fold k trained on blocks 1 to k (their "
        "latest rows validated) and tested block k + 1, so no model saw a row later than those "
        f"it tested. The {result['test']['n']} rows of blocks 2 to {cv['folds'] + 1} were tested "
        "once each and the test metrics pool them; the earliest block only trained. The "
        "counts below are summed over the folds; the Cross-validation section gives each "
        "fold's dates."
    )


def _kfold_line(result: RunResult) -> str:
    """One line on a cross-validated run: which rows tested what."""
    if split_of(result).get("method") == "rolling":
        return _rolling_line(result)
    cv = result["cross_validation"]
    repeats = cv["repeats"]
    each = " per repeat" if repeats > 1 else ""
    return (
        f"Split: {cv['folds']}-fold cross-validation"
        f"{f' repeated {repeats} times' if repeats > 1 else ''}, folds stratified on x's "
        f"quantile bins (split=kfold): every one of the {result['test']['n']} rows was tested "
        f"once{each}, by the model of the fold that held it out, and the test metrics are "
        "the first repeat's pooled out-of-fold predictions. Each fold's validation rows were "
        "taken from its training folds; the counts below are summed over the folds."
    )


def _split_line(record: dict[str, Any], result: RunResult) -> str:
    """One line on a random, grouped or k-fold split."""
    if "cross_validation" in result:
        return _kfold_line(result)
    target = result.get("target") or "x"  # a table's target column by its name
    if record.get("method") == "predefined":
        return _predefined_line(record, target)
    if record.get("group"):
        group = (result.get("data_checks") or {}).get("group") or {}
        count = f" each of its {group['n_groups']} values is in one split," if group else ""
        return (
            f"Split: {split_description(record)}:{count} whole groups mixed on {target}'s "
            "quantile bins."
        )
    return (
        f"Split: random, stratified on {target}'s quantile bins, so each split has about the "
        f"same distribution of {target}."
    )


def _predefined_line(record: dict[str, Any], target: str) -> str:
    """One line on a predefined split: the parts the data marks, and where validation came from."""
    carved = record.get("validation_carved")
    validation = (
        f"{carved:.0%} of the train part (split.validation_fraction), carved out by the split "
        f"seed and stratified on {target}'s quantile bins, as the data marks no validation rows"
        if carved is not None
        else "the rows the data marks validation"
    )
    return (
        f"Split: {split_description(record)} (split=predefined): the train and test rows are "
        f"exactly those the data marks; the validation rows are {validation}."
    )


def _ignored_text(note: dict[str, Any]) -> str:
    """One ignored column: its name, why, and the setting it could serve."""
    column, hint = note["column"], note.get("hint")
    if hint is None:
        use = ""
    elif hint.startswith("split=time"):
        use = f"; could order a time split: `{hint}`"
    else:
        use = f"; its values repeat like an entity's: `{hint}` keeps each in one split"
    return f"`{column}` ({note['reason']}{use})"


def columns_line(result: RunResult) -> str | None:
    """Where a table's row ids came from and which columns are not model inputs, why, and the
    setting each could serve (None when neither applies)."""
    checks = result.get("data_checks") or {}
    ignored, ids = checks.get("ignored_columns") or [], checks.get("id_column")
    parts = []
    if ids:
        how = "chosen by its name, as data.id was unset" if ids["guessed"] else "data.id"
        parts.append(f"Row ids: `{ids['column']}` ({how}), not a model input.")
    if ignored:
        shown = "; ".join(_ignored_text(note) for note in ignored[:LISTED_COLUMNS])
        more = len(ignored) - LISTED_COLUMNS
        rest = f"; and {more} more (`metrics.json` data_checks.ignored_columns)" if more > 0 else ""
        parts.append(f"Columns not used as features: {shown}{rest}.")
    return " ".join(parts) or None


def class_balance_section(result: RunResult) -> Section:
    """Class counts per split, natural and after sampling."""
    record = split_of(result)
    blocks: list[Any] = [] if record.get("method") == "time" else [_split_line(record, result)]
    blocks += filter(None, [columns_line(result)])
    blocks.append(
        sampling_note(result)
        or (
            "Validation and test keep their natural balance; only the training split is "
            'resampled\n("used" = after sampling).'
        )
    )
    if long_form(result):
        blocks.append(
            "Each class's rows per split are in the per-class table (Test metrics); the chart "
            "shows each class's share of every split."
        )
    else:
        blocks.append(Table(_counts_table(result)))
    if Task.of(result).binary:
        shared_by = {"time": "order", "predefined": "parts"}.get(record.get("method"), "split seed")
        blocks.append(
            f"Positive prevalence on test: **{fmt(result['prevalence']['test'])}**. Runs with the "
            f"same data and {shared_by} share these\ntest rows, whatever their threshold."
        )
    return Section("Class balance", blocks)
