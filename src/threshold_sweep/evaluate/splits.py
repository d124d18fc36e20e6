"""How a run was split, in words, and the class-balance drift of a time split as warnings.

Reads metrics.json's `split` section (files written before it existed have none: a random
split, grouped when `data_checks.group` says so). Imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task

# per Task.kind: the headline metrics that move with the class balance alone, in words
DRIFTING_METRICS = {
    "binary": "accuracy, precision, F1, MCC, average precision",
    "multiclass": "accuracy, macro, micro and weighted F1, MCC, Cohen's kappa",
}


def split_of(result: RunResult) -> dict[str, Any]:
    """The run's split section; for older files, what their data checks tell."""
    record = result.get("split")
    if record:
        return dict(record)
    group = (result.get("data_checks") or {}).get("group") or {}
    return {"method": "random", "order": None, "group": group.get("column"), "drift": None}


def split_description(record: dict[str, Any]) -> str:
    """'time-ordered split on `date`', '5-fold cross-validation', 'grouped split on `subject`',
    'predefined split by `data.part=part`' or 'random split stratified on x'."""
    if record.get("method") == "time":
        return f"time-ordered split on `{record['order']}`"
    if record.get("method") == "predefined":
        return f"predefined split by `{record.get('part')}`"
    if record.get("method") == "rolling":
        folds = record.get("folds")
        return f"rolling-origin cross-validation on `{record['order']}` ({folds} folds)"
    if record.get("method") == "kfold":
        repeats = record.get("repeats", 1)
        grouped = f", grouped on `{record['group']}`" if record.get("group") else ""
        times = f" x {repeats} repeats" if repeats > 1 else ""
        return f"{record.get('folds')}-fold cross-validation{times}{grouped}"
    if record.get("group"):
        return f"grouped split on `{record['group']}`"
    return "random split stratified on x"


def share_text(share: float) -> str:
    """A share as a percentage: 31%, or 4.2% below 10%."""
    return f"{share:.0%}" if share >= 0.1 or share == 0 else f"{share:.1%}"


def range_text(part: dict[str, Any]) -> str:
    """'2019-01-01 to 2020-12-31' (or numbers) of one split of a time split."""
    first, last = (
        value if isinstance(value, str) else f"{value:g}" for value in (part["first"], part["last"])
    )
    return first if first == last else f"{first} to {last}"


def _balance(part: dict[str, Any], train: dict[str, Any], task: Task) -> str:
    """'31% high vs 12% in training', or every class's share for ordered classes."""
    shares, before = part["class_shares"], train["class_shares"]
    if task.binary:
        positive = list(shares)[-1]
        return f"{share_text(shares[positive])} {positive} vs {share_text(before[positive])}"
    now = ", ".join(f"{name} {share_text(share)}" for name, share in shares.items())
    return f"class shares {now} vs {' / '.join(share_text(s) for s in before.values())}"


def _p_text(p_value: float) -> str:
    """'p = 0.003' or 'p < 0.001'."""
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


CONSEQUENCE = {
    "test": (
        "metrics that depend on prevalence ({metrics}) are not comparable with the training "
        "split's, ROC-AUC and balanced accuracy are; the no-skill levels are the test split's "
        "own"
    ),
    "validation": "{chosen} at that balance, not the training one",
}
CHOSEN = {  # what the validation split chooses
    "binary": "early stopping and the tuned cutoff were chosen",
    "multiclass": "early stopping chose its epoch",
}


def drift_warnings(result: RunResult, names: tuple[str, ...] = ("test", "validation")) -> list[str]:
    """One sentence per later split (of `names`) of a time split whose class balance drifted
    from training."""
    record = split_of(result)
    drift = record.get("drift") or {}
    warnings = _rolling_drift(result) if "test" in names else []
    for name in names:
        found = drift.get(name)
        if not found or not found["drifted"]:
            continue
        part, train = record["splits"][name], record["splits"]["train"]
        task = Task.of(result)
        warnings.append(
            f"The class balance drifts over `{record['order']}`: the {name} split "
            f"({range_text(part)}) has {_balance(part, train, task)} in training "
            f"({range_text(train)}), more than sampling noise explains (chi-square "
            f"{_p_text(found['p_value'])}): "
            + CONSEQUENCE[name].format(
                metrics=DRIFTING_METRICS[task.kind], chosen=CHOSEN[task.kind]
            )
            + "."
        )
    return warnings


def _rolling_drift(result: RunResult) -> list[str]:
    """One sentence on the rolling-origin folds whose tested block's class balance drifted
    from that fold's training rows ([] for other runs or when none drifted)."""
    folds = (result.get("cross_validation") or {}).get("time") or {}
    drifted = [
        (position, fold)
        for position, fold in enumerate(folds.values(), 1)
        if ((fold.get("drift") or {}).get("test") or {}).get("drifted")
    ]
    if not drifted:
        return []
    task = Task.of(result)
    cases = "; ".join(
        f"fold {position} tests {range_text(fold['splits']['test'])} at "
        f"{_balance(fold['splits']['test'], fold['splits']['train'], task)} in its training rows "
        f"({_p_text(fold['drift']['test']['p_value'])})"
        for position, fold in drifted
    )
    return [
        f"The class balance drifts over `{split_of(result)['order']}` in {len(drifted)} of "
        f"{len(folds)} rolling folds, more than sampling noise explains (chi-square): {cases}. "
        f"The pooled metrics that depend on prevalence ({DRIFTING_METRICS[task.kind]}) mix the "
        "folds' balances; ROC-AUC and balanced accuracy compare better, and each fold's own "
        "metrics are in the Cross-validation section."
    ]
