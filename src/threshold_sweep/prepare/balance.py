"""The split as data_summary.json and metrics.json record it: how it was made, each split's
rows, order range and class shares, and, for a time split, whether the class balance of the
later splits drifts from the training split's beyond sampling noise."""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from threshold_sweep.data.order import order_text, whole_days
from threshold_sweep.prepare.split import Split

DRIFT_ALPHA = 0.01  # a later split's class balance drifts when the test's p-value is below this
DRIFT_TEST = "Pearson chi-square test of homogeneity (for two classes: two-proportion z-test)"


class SplitPart(TypedDict):
    """One split: its rows, its first and last order value (time splits) and class shares."""

    rows: int
    first: str | float | int | None
    last: str | float | int | None
    class_shares: dict[str, float]
    prevalence: float | None  # two classes: the positive (last) class's share


class Drift(TypedDict):
    """A later split's class counts against the training split's."""

    compared_with: str
    statistic: float
    p_value: float
    drifted: bool


class SplitRecord(TypedDict):
    """How the rows were split and what each split holds."""

    method: str  # random, time or predefined (split.method)
    order: str | None  # data.order of a time split
    group: str | None  # data.group / data.group_key of a grouped split
    part: str | None  # data.part / data.part_key of a predefined split
    validation_carved: float | None  # predefined: the train part's share carved to validate
    stratified: bool  # on x's quantile bins (random splits)
    splits: dict[str, SplitPart]
    drift: dict[str, Drift] | None  # time splits: validation and test against train
    drift_test: str | None
    drift_alpha: float | None


def class_shares(counts: dict[str, int]) -> dict[str, float]:
    """Each class's share of the split's rows (0 for an empty split)."""
    total = sum(counts.values())
    return {name: count / total if total else 0.0 for name, count in counts.items()}


def balance_drift(train: dict[str, int], later: dict[str, int], alpha: float) -> Drift:
    """Whether `later`'s class shares differ from `train`'s more than sampling noise explains.

    Pearson's chi-square test of homogeneity on the 2 x k table of class counts (without
    Yates's correction: for two classes it is exactly the two-sided two-proportion z-test with
    the pooled proportion, and for ordered classes it compares every class share at once). Its
    null hypothesis is that both splits were drawn from one class balance, which is what a
    random split guarantees and a time split does not. `alpha` is 0.01 rather than 0.05
    because every run tests two splits and a sweep repeats the test at every threshold: a
    warning should mean drift, not one chance in twenty.
    """
    from scipy.stats import chi2_contingency  # only time splits test; scikit-learn loads it too

    table = np.array([[train[name] for name in train], [later[name] for name in train]])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return {"compared_with": "train", "statistic": 0.0, "p_value": 1.0, "drifted": False}
    statistic, p_value, _, _ = chi2_contingency(table, correction=False)
    return {
        "compared_with": "train",
        "statistic": float(statistic),
        "p_value": float(p_value),
        "drifted": bool(p_value < alpha),
    }


def _part(
    rows: np.ndarray, counts: dict[str, int], order: np.ndarray | None, days: bool
) -> SplitPart:
    """One split's record: rows, first and last order value, class shares."""
    shares = class_shares(counts)
    values = order[rows] if order is not None and len(rows) else None
    return {
        "rows": len(rows),
        "first": order_text(values.min(), days) if values is not None else None,
        "last": order_text(values.max(), days) if values is not None else None,
        "class_shares": shares,
        "prevalence": shares[list(shares)[-1]] if len(shares) == 2 else None,
    }


def split_record(
    method: str,
    split: Split,
    counts: dict[str, dict[str, int]],
    order: np.ndarray | None = None,
    order_name: str | None = None,
    group: str | None = None,
    part: str | None = None,
    carved: float | None = None,
) -> SplitRecord:
    """The record of a split from its rows and natural class counts per split (`order` of a
    time split gives the ranges and the drift tests; `group` names a grouped split's column,
    `part` a predefined split's, `carved` the share of its train part carved to validate)."""
    predefined = method == "predefined"
    timed = method in ("time", "rolling")  # rolling: one fold's ranges and drift
    shown = order if timed else None
    days = whole_days(order) if shown is not None else False
    drift = (
        {
            name: balance_drift(counts["train"], counts[name], DRIFT_ALPHA)
            for name in ("validation", "test")
        }
        if timed
        else None
    )
    return {
        "method": method,
        "order": order_name if timed else None,
        "group": group,
        "part": part if predefined else None,
        "validation_carved": carved if predefined else None,
        "stratified": not timed and not predefined,
        "splits": {name: _part(rows, counts[name], shown, days) for name, rows in split.items()},
        "drift": drift,
        "drift_test": DRIFT_TEST if timed else None,
        "drift_alpha": DRIFT_ALPHA if timed else None,
    }
