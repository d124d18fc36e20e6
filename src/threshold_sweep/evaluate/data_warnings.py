"""Rules that read a run's data checks and flag data the metrics cannot be trusted on: test
rows or entities also in training, table columns read as one sequence, training rows discarded
by sampling."""

from __future__ import annotations

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import split_of

SEEN_SHARE = 0.01  # warn when at least this share of test rows also occurs in training
# Warn when sampling discarded at least this share of the training rows: below it the CNN and
# the reference models fit on nearly the same rows (the reference section gives both counts).
DISCARDED_SHARE = 0.1


def seen_test_rows(result: RunResult) -> list[str]:
    """Test rows whose features also occur, identically, in training: inflated test metrics."""
    checks = result.get("data_checks")
    if not checks or not checks["test_rows"]:
        return []
    seen, total = checks["test_rows_in_train"], checks["test_rows"]
    if seen / total < SEEN_SHARE:
        return []
    group = checks.get("group")
    if group:
        advice = (
            f"The split is grouped by `{group['column']}`, so these are rows of different "
            "groups: if one entity spans several groups, group by a column that names it, or "
            "remove the duplicates."
        )
    elif _timed(result):
        advice = (
            "Under a time split they may be known entities measured again later (fine when the "
            "model is meant for them); otherwise remove the duplicates."
        )
    else:
        advice = (
            "Remove the duplicates, or split by entity with `data.group=<column>` (arrays: "
            "`data.group_key`) so that no entity is in both splits."
        )
    return [
        f"{seen} of {total} test rows ({seen / total:.0%}) have a feature row identical to a "
        "training row: if they are the same entity (a person, sensor or item measured again), "
        f"the test metrics are optimistic. {advice}"
    ]


def _timed(result: RunResult) -> bool:
    """Whether the run's rows were split in time order (split=time or split=rolling)."""
    return split_of(result).get("method") in ("time", "rolling")


def shared_entities(result: RunResult) -> list[str]:
    """Values of id-like columns not grouped by that occur in both train and test: one line,
    naming every such column."""
    checks = result.get("data_checks") or {}
    total = checks.get("test_rows") or 0
    found = [
        shared
        for shared in checks.get("shared_values") or []
        if shared["values"] and total and shared["test_rows"] / total >= SEEN_SHARE
    ]
    if not found:
        return []
    advice = (
        "the test measures those entities later in time, not new ones (data.group cannot be "
        f"combined with split={split_of(result)['method']} yet)"
        if _timed(result)
        else "split by it with `data.group={column}`"
    )
    sides = (
        ("in a fold's training rows and its held-out rows", "held-out rows")
        if split_of(result).get("method") in ("kfold", "rolling")
        else ("in both train and test", "test rows")
    )
    if len(found) == 1:
        (shared,) = found
        return [
            f"{shared['values']} values of `{shared['column']}` appear {sides[0]} "
            f"({shared['test_rows']} {sides[1]}): if a value is one entity, "
            + advice.format(column=shared["column"])
            + "."
        ]
    each = ", ".join(
        f"{shared['values']} of `{shared['column']}` ({shared['test_rows']} {sides[1]})"
        for shared in found
    )
    return [
        f"Values of {len(found)} id-like columns appear {sides[0]}: {each}. If a column's "
        "value is one entity, " + advice.format(column="<that column>") + "."
    ]


def table_as_sequence(result: RunResult) -> list[str]:
    """Table columns fed to the CNN as the steps of one series, whatever their names: a name
    cannot show that the columns are measured along one axis (f0..f9 only count features)."""
    checks = result.get("data_checks") or {}
    columns = checks.get("sequence_columns")
    if not columns or len(columns) < 2:
        return []
    shown = ", ".join(columns[:6]) + (", ..." if len(columns) > 6 else "")
    names = (
        "Numbered names such as these do not show that (f0, f1 ... may only count features)."
        if checks.get("columns_look_like_a_series")
        else "Their names do not suggest it."
    )
    return [
        f"The CNN reads the {len(columns)} table columns ({shown}) as {len(columns)} steps of "
        "one sequence, in this order: its convolutions treat neighbouring columns as related, "
        "which holds only if they are measured along one axis (time, wavelength, position). "
        f"{names} Compare with the flattened reference models (logistic, hgb), which treat them "
        "as separate features."
    ]


def discarded_rows(result: RunResult) -> tuple[int, int]:
    """How many training rows sampling discarded, and how many there were."""
    before = sum((result.get("class_counts") or {}).get("train", {}).values())
    after = sum((result.get("class_counts_after_sampling") or {}).get("train", {}).values())
    return max(0, before - after) if after else 0, before


def discarded_training_rows(result: RunResult) -> list[str]:
    """Sampling that discarded at least DISCARDED_SHARE of the training rows."""
    dropped, total = discarded_rows(result)
    if not total or dropped / total < DISCARDED_SHARE:
        return []
    text = (
        f"Undersampling discarded {dropped / total:.0%} of the training rows ({dropped} of "
        f"{total}): the CNN fitted on {total - dropped}"
    )
    models = (result.get("reference") or {}).get("models", {})
    if models:
        text += f", while the reference models fitted on all {total} (class-weighted)"
        text += "".join(
            f"; {model['label']} on a subsample of {model['n_train']}"
            for model in models.values()
            if model.get("n_train", total) < total
        )
    advice = (
        " sampling=class_weight keeps every row and balances the classes by weights instead."
        if dropped / total >= 0.5
        else ""
    )
    return [f"{text}.{advice}"]
