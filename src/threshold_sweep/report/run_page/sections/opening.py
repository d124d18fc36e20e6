"""The page's opening lines: what the run shows, whether its test set is too small, and what
its classes are."""

from __future__ import annotations

import numpy as np

from threshold_sweep.evaluate.diagnostics import SMALL_TEST_CLASS, small_test_set
from threshold_sweep.evaluate.names import no_skill_level
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import split_of
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import SPLITS
from threshold_sweep.report.run_page.common import (
    LISTED_CLASSES,
    SMALL_NAMED,
    ci_side,
    interval_text,
    with_ci,
)
from threshold_sweep.report.run_page.head import head_intro
from threshold_sweep.report.tables import fmt
from threshold_sweep.thresholds import Thresholds


def best_constant(result: RunResult) -> tuple[str, float | None]:
    """The best constant guess on the test rows and its MAE in class steps: the median class
    of ordered classes (least MAE), the majority class of two (no MAE)."""
    names = Task.of(result).names
    counts = np.asarray(result["test"]["confusion_matrix"]).sum(axis=1)
    if len(names) == 2:
        return names[int(np.argmax(counts))], None
    steps = np.abs(np.subtract.outer(np.arange(len(names)), np.arange(len(names))))
    mae = counts @ steps / max(1, counts.sum())
    best = int(np.argmin(mae))
    return names[best], float(mae[best])


def _decision_checks(result: RunResult) -> list[tuple[str, int, str]]:
    """Each decision measure against the best constant guess: (name, side, text)."""
    task, test, level = Task.of(result), result["test"], result["ci"]["level"]
    cis = result["ci"]["test"]
    chance = no_skill_level("balanced_accuracy", result["chance"]["test"])
    checks = [
        (
            "balanced accuracy",
            ci_side(cis.get("balanced_accuracy"), chance),
            f"balanced accuracy {with_ci(result, 'balanced_accuracy')}",
        )
    ]
    constant, constant_mae = best_constant(result)
    if task.binary or test.get("mae_classes") is None or test.get("qwk") is None:
        return checks
    checks.append(
        (
            "MAE",
            ci_side(cis.get("mae_classes"), constant_mae, higher_is_better=False),
            f"MAE {fmt(test['mae_classes'])} class steps ({level:.0%} CI "
            f"{interval_text(cis.get('mae_classes'))}; always '{constant}' {fmt(constant_mae)})",
        )
    )
    checks.append(
        (
            "QWK",
            ci_side(cis.get("qwk"), 0.0),
            f"QWK {fmt(test['qwk'])} ({level:.0%} CI {interval_text(cis.get('qwk'))}; constant 0)",
        )
    )
    return checks


def _decision_phrase(checks: list[tuple[str, int, str]], constant: str) -> tuple[str, int]:
    """'decides better than always answering 'x'' (or no better, worse, mixed) and its sign."""
    better = [name for name, side, _ in checks if side > 0]
    worse = [name for name, side, _ in checks if side < 0]
    guess = f"always answering '{constant}'"
    if len(better) == len(checks):
        return f"decides better than {guess} (by {' and '.join(better)})", 1
    if not better and not worse:
        return f"decides no better than {guess}", 0
    if not better:
        return f"decides worse than {guess} (by {' and '.join(worse)})", -1
    rest = " and ".join(name for name, side, _ in checks if side <= 0)
    return f"decides better than {guess} by {' and '.join(better)} but not by {rest}", 0


def _ranking_phrase(result: RunResult) -> tuple[str, int]:
    """'ranks the test rows better than chance' (or not detectably, or worse) and its sign."""
    side = ci_side(result["ci"]["test"].get(Task.of(result).ranking_metric), 0.5)
    phrases = {
        1: "ranks the test rows better than chance",
        0: "does not rank the test rows detectably better than chance",
        -1: "ranks the test rows worse than chance",
    }
    return phrases[side], side


def noise_scope(result: RunResult) -> str:
    """What the CIs cover: test-row noise of one training (or of the folds' models)."""
    cv = result.get("cross_validation")
    if cv:
        return (
            f"The CIs cover the noise of the held-out rows, scored by {cv['folds']} fold models; "
            "training noise is not in them (the Cross-validation section shows the folds' spread)."
        )
    return (
        "The CIs cover test-row noise for this one training only: training noise was not "
        "measured (repeat with `-m train.seed=0,1,2` to measure it)."
    )


def run_verdict(result: RunResult) -> str:
    """What this run shows, in its first lines: ranking skill against chance and decision
    skill against the best constant guess, with what the CIs cover."""
    task, test = Task.of(result), result["test"]
    ranking, rank_sign = _ranking_phrase(result)
    checks = _decision_checks(result)
    decision, decide_sign = _decision_phrase(checks, best_constant(result)[0])
    joint = "and" if (rank_sign > 0) == (decide_sign > 0) else "but"
    balance = (
        f"{result['prevalence']['test']:.1%} '{task.positive}'"
        if task.binary
        else f"{task.n_classes} ordered classes"
    )
    name = "ROC-AUC" if task.binary else "one-vs-rest ROC-AUC"
    decisions = ", ".join(text for _, _, text in checks)
    warnings = len(result["warnings"])
    return (
        f"**The model {ranking} {joint} {decision}**: on {test['n']} test rows ({balance}), "
        f"{name} {with_ci(result, task.ranking_metric)}; its decisions: {decisions}. "
        f"{noise_scope(result)} Compare every metric below with its no-skill level and with "
        "the reference models"
        + (f", and read the {warnings} warning(s) first." if warnings else ".")
    )


def small_test_line(result: RunResult) -> str | None:
    """The first line of a run whose smallest test class has fewer than SMALL_TEST_CLASS rows:
    too small to conclude much, and what to run instead."""
    if not small_test_set(result):
        return None
    names = Task.of(result).names
    counts = np.asarray(result["test"]["confusion_matrix"]).sum(axis=1)
    small = [f"{int(c)} '{n}'" for n, c in zip(names, counts, strict=True) if c < SMALL_TEST_CLASS]
    shown = ", ".join(small[:SMALL_NAMED])
    if len(small) > SMALL_NAMED:
        shown += f" and {len(small) - SMALL_NAMED} more classes"
    method = split_of(result).get("method")
    if method in ("kfold", "rolling"):
        advice = "every row is already tested once: only more data narrows the intervals."
    elif method == "predefined":
        advice = (
            f"the test rows are those `{split_of(result).get('part')}` marks: more rows marked "
            "test narrow the intervals (`split=kfold` would test every row once)."
        )
    else:
        total = {n: sum(result["class_counts"][s][n] for s in SPLITS) for n in names}
        smallest = min(total, key=total.get)
        split = "split=rolling" if method == "time" else "split=kfold"
        advice = (
            f"`{split}` tests every row once ({total[smallest]} '{smallest}' rows instead of "
            f"{int(counts[names.index(smallest)])}); more data helps too."
        )
    return (
        f"**The test set is too small to conclude much**: {result['test']['n']} test rows, with "
        f"only {shown} (fewer than {SMALL_TEST_CLASS} in a class), so every interval "
        f"below is wide and the per-class numbers are rough. {advice}"
    )


def intro(result: RunResult) -> str:
    """What the classes are (and, for a binary run, the decision cutoff)."""
    task, target = Task.of(result), result.get("target", "x")
    if task.binary:
        threshold = Thresholds.of_record(result["threshold"]).text
        return (
            f"`{target} > {threshold}` is **{task.positive}** "
            f"(positive class); otherwise **{task.names[0]}**. (`predictions.csv` calls this "
            f"column `x`.)\nDecision cutoff on the predicted probability of {task.positive}: "
            f"{result['cutoff']:g}."
        )
    if task.n_classes <= LISTED_CLASSES:
        listed = ": " + ", ".join(f"**{n}**" for n in task.names)
    else:
        listed = (
            f", from **{task.names[0]}** to **{task.names[-1]}** (every class with its interval "
            "in the per-class table)"
        )
    classes = (
        f"{task.n_classes} ordered classes of `{target}`{listed}\n"
        "(class i = the value exceeds i of the thresholds)."
    )
    head = head_intro(result)
    if head:
        return f"{classes} {head}"
    return f"{classes} The model has a softmax head; the\npredicted class is the most probable one."
