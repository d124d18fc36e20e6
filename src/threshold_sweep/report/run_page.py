"""The human-readable run report of any task: report.md, report.html and the plots they show."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.chance import SKILL_DEFINITIONS
from threshold_sweep.evaluate.cutoff import cutoff_curves
from threshold_sweep.evaluate.diagnostics import (
    OVERFIT_MIN_SKILL,
    SMALL_TEST_CLASS,
    exact_interval,
    overfit_blocker,
    small_test_set,
)
from threshold_sweep.evaluate.names import (
    BASELINE_NAMES,
    PREVALENCE_DEPENDENT,
    no_skill_level,
    no_skill_source,
)
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import (
    drift_warnings,
    range_text,
    share_text,
    split_description,
    split_of,
)
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import SPLITS
from threshold_sweep.model.monitor import selected_by, training_sentence
from threshold_sweep.report.cumulative import (
    curve_section,
    head_sentence,
    is_cumulative_parent,
    member_sentence,
    write_curve_plots,
)
from threshold_sweep.report.document import (
    Bullets,
    Code,
    Document,
    Image,
    Section,
    Table,
    warnings_section,
)
from threshold_sweep.report.html import write_run_pages
from threshold_sweep.report.plots import (
    error_steps,
    plot_calibration,
    plot_class_balance,
    plot_confusion_matrix,
    plot_cutoff_curves,
    plot_error_steps,
    plot_per_class_recall,
    plot_precision_recall,
    plot_roc,
    plot_score_distributions,
    plot_training_curves,
)
from threshold_sweep.report.reference import reference_models_section, reference_verdict
from threshold_sweep.report.tables import fmt
from threshold_sweep.thresholds import threshold_text

WIDE_CLASSES = 3  # up to this many classes a table may have a column per class; above, a row
LISTED_CLASSES = 6  # up to this many classes the title and opening lines name every one
CONFUSIONS_SHOWN = 10  # the largest off-diagonal cells named in words above WIDE_CLASSES
SMALL_NAMED = 3  # the small test set's first line names this many small classes, then counts
LISTED_COLUMNS = 12  # ignored columns named in the report; metrics.json has all


def long_form(result: RunResult) -> bool:
    """Whether the run has too many classes for tables with a column per class."""
    return Task.of(result).n_classes > WIDE_CLASSES


def thresholds_title(thresholds: float | list[float]) -> str:
    """'threshold 100', 'thresholds 100,1000', or '50 thresholds from 6.72 to 2524'."""
    values = list(np.atleast_1d(thresholds))
    if len(values) == 1:
        return f"threshold {threshold_text(values)}"
    if len(values) < LISTED_CLASSES:
        return f"thresholds {threshold_text(values)}"
    return f"{len(values)} thresholds from {values[0]:g} to {values[-1]:g}"


def run_title(result: RunResult) -> str:
    """The thresholds as the user set them: 'label.bins=51 (50 thresholds from 6.72 to 2524)'."""
    title = thresholds_title(result["threshold"])
    cuts = result.get("label_cuts")
    return f"{cuts['from']} ({title})" if cuts else title


def class_intervals(thresholds: float | list[float]) -> list[str]:
    """The interval of x each class covers, lowest first: '<=a', '(a,b]', ..., '>z'."""
    edges = [f"{t:g}" for t in np.atleast_1d(thresholds)]
    inner = [f"({a},{b}]" for a, b in itertools.pairwise(edges)]
    return [f"<={edges[0]}", *inner, f">{edges[-1]}"]


def _interval(ci: list[float] | None) -> str:
    """'low-high' for a CI."""
    if not ci or ci[0] is None or ci[0] != ci[0]:
        return "n/a"
    return f"{fmt(ci[0])}-{fmt(ci[1])}"


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


def _test_table(result: RunResult) -> pd.DataFrame:
    """Test metrics beside their CI, no-skill levels, skill and the balanced view."""
    chance = result["chance"]["test"]
    rows = []
    for metric in Task.of(result).headline:
        row = {
            "metric": metric,
            "test": result["test"][metric],
            f"{result['ci']['level']:.0%} CI": _interval(result["ci"]["test"].get(metric)),
            **{BASELINE_NAMES[name]: values[metric] for name, values in chance.items()},
            "no skill (to beat)": no_skill_level(metric, chance),
            "no-skill predictor": BASELINE_NAMES[no_skill_source(metric, chance)],
        }
        for section in ("skill", "balanced_view"):
            if section in result:
                row[section.replace("_", " ")] = result[section]["test"][metric]
        row["prevalence-dependent"] = metric in PREVALENCE_DEPENDENT
        rows.append(row)
    return pd.DataFrame(rows)


def _splits_table(result: RunResult) -> pd.DataFrame:
    """Headline metrics for train, validation and test side by side."""
    metrics = Task.of(result).headline
    return pd.DataFrame([{"metric": m, **{s: result[s].get(m) for s in SPLITS}} for m in metrics])


def _per_class_table(result: RunResult) -> pd.DataFrame:
    """Precision, recall, F1 and support of every class on test."""
    return pd.DataFrame(
        [{"class": name, **values} for name, values in result["test"]["per_class"].items()]
    )


def recall_intervals(result: RunResult) -> pd.DataFrame:
    """Each class's test recall with its exact (Clopper-Pearson) CI, from the confusion matrix."""
    matrix = np.asarray(result["test"]["confusion_matrix"])
    level = result.get("ci", {}).get("level", 0.95)
    rows = []
    for index, name in enumerate(Task.of(result).names):
        hits, count = int(matrix[index, index]), int(matrix[index].sum())
        low, high = exact_interval(hits, count, level)
        rows.append(
            {"class": name, "recall": hits / count if count else np.nan, "low": low, "high": high}
        )
    return pd.DataFrame(rows).set_index("class")


def per_class_long_table(result: RunResult) -> pd.DataFrame:
    """One row per class: its interval of x (when its name is not that), rows per split
    (train before and after sampling), and every per-class test score metrics.json holds,
    with recall's exact CI."""
    names = Task.of(result).names
    counts, used = result["class_counts"], result["class_counts_after_sampling"]
    intervals = class_intervals(result["threshold"])
    recall = recall_intervals(result)
    level = result.get("ci", {}).get("level", 0.95)
    rows = []
    for name, interval in zip(names, intervals, strict=True):
        scores = dict(result["test"]["per_class"][name])
        support = scores.pop("support", None)
        row = {"class": name, "x interval": interval}
        row |= {"train": counts["train"][name], "train used": used["train"][name]}
        row |= {"validation": counts["validation"][name], "test": counts["test"][name]}
        row |= scores
        low, high = recall.loc[name, ["low", "high"]]
        row[f"recall {level:.0%} CI (exact)"] = _interval([low, high])
        if support is not None and support != counts["test"][name]:
            row["support"] = support
        rows.append(row)
    frame = pd.DataFrame(rows)
    if list(names) == intervals:
        frame = frame.drop(columns="x interval")
    return frame


def _cutoff_table(result: RunResult) -> pd.DataFrame:
    """Test metrics at the default cutoff and at the validation-tuned one."""
    tuned = result["tuned_cutoff"]
    shown = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "mcc")
    return pd.DataFrame(
        [
            {"cutoff": f"default {result['cutoff']:g}", **{m: result["test"][m] for m in shown}},
            {
                "cutoff": f"tuned {fmt(tuned['cutoff'])} ({tuned['objective']} on validation)",
                **{m: tuned["test"][m] for m in shown},
            },
        ]
    )


def _overfit_reason(result: RunResult, metric: str, row: dict[str, Any]) -> str:
    """Why the rule flags this gap or not: the limit, the test CI, or what rules it out."""
    max_gap = result["overfitting_max_gap"]
    ci = result.get("ci", {}).get("test", {}).get(metric)
    blocker = overfit_blocker(result, metric)
    if blocker:
        return blocker
    if row["gap"] <= max_gap:
        return f"gap within evaluate.max_gap={max_gap:g}"
    if row["large"]:
        return f"gap > {max_gap:g} and train above the test CI"
    return f"gap > {max_gap:g}, but train inside the test CI ({_interval(ci)}): test-row noise"


def _overfit_table(result: RunResult) -> pd.DataFrame:
    """Train / validation / test of the prevalence-free metrics, their gap and the rule's call."""
    rows = [
        {"metric": metric, **row, "why": _overfit_reason(result, metric, row)}
        for metric, row in result["overfitting"].items()
    ]
    return pd.DataFrame(rows).rename(
        columns={"gap": "gap (train - test)", "large": "gap too large"}
    )


def _curve_plots(
    plots: Path, result: RunResult, test: pd.DataFrame, title: str
) -> list[tuple[str, str]]:
    """ROC, precision-recall, cutoff and calibration plots of a binary run with both classes."""
    positive = Task.of(result).positive
    y_true, y_score = test["y_true"].to_numpy(), test["y_score"].to_numpy()
    plot_roc(y_true, y_score, f"ROC ({title})", plots / "roc.png", positive)
    plot_precision_recall(
        y_true, y_score, f"PR ({title})", plots / "precision_recall.png", positive
    )
    tuned = result["tuned_cutoff"]
    plot_cutoff_curves(
        cutoff_curves(y_true, y_score),
        result["cutoff"],
        tuned["cutoff"],
        tuned["objective"],
        plots / "cutoff.png",
    )
    plot_calibration(y_true, y_score, plots / "calibration.png", positive)
    return [
        ("ROC curve", "plots/roc.png"),
        ("Precision-recall", "plots/precision_recall.png"),
        ("Metrics against the cutoff", "plots/cutoff.png"),
        ("Calibration", "plots/calibration.png"),
    ]


def _plot_title(result: RunResult) -> str:
    """'threshold 100, test prevalence 0.55' (binary) or 'thresholds 100,1000, test'."""
    task = Task.of(result)
    if task.binary:
        prevalence = result["prevalence"]["test"]
        return f"threshold {threshold_text(result['threshold'])}, test prevalence {fmt(prevalence)}"
    return f"{run_title(result)}, test"


def _write_plots(
    out_dir: Path,
    result: RunResult,
    history: pd.DataFrame,
    test: pd.DataFrame,
    shared_curves: Path | None = None,
) -> list[tuple[str, str]]:
    """Draw every run plot the task has; return (caption, relative path) pairs.
    `shared_curves`: a training_curves.png drawn already for the same history, copied."""
    plots, task, title = out_dir / "plots", Task.of(result), _plot_title(result)
    y_true, y_pred = test["y_true"].to_numpy(), test["y_pred"].to_numpy()
    shown = []
    if task.binary and len(set(y_true)) == 2:
        shown += _curve_plots(plots, result, test, title)
    for normalize, name, caption in (
        (None, "confusion_matrix", "Confusion matrix (counts)"),
        ("true", "confusion_matrix_normalized", "Confusion matrix (shares of each true class)"),
    ):
        path = plots / f"{name}.png"
        plot_confusion_matrix(y_true, y_pred, list(task.names), title, path, normalize)
        shown.append((caption, f"plots/{name}.png"))
    if not task.binary:
        shown += _class_plots(plots, result, y_true, y_pred)
    if is_cumulative_parent(result):
        write_curve_plots(plots, result)  # shown in the Threshold curve section
    if task.binary:
        plot_score_distributions(
            y_true,
            test["y_score"].to_numpy(),
            list(task.names),
            result["cutoff"],
            plots / "score_distributions.png",
        )
        shown.append(("Score distributions", "plots/score_distributions.png"))
    training = result["training"]
    if shared_curves is not None:
        import shutil

        shutil.copyfile(shared_curves, plots / "training_curves.png")
    else:
        plot_training_curves(
            history,
            training["best_epoch"],
            plots / "training_curves.png",
            monitor=str(training.get("monitor", "val_loss")),
            selected_by=selected_by(training, task.n_classes),
        )
    shown.append(("Training curves", "plots/training_curves.png"))
    return shown


def _class_plots(
    plots: Path, result: RunResult, y_true: np.ndarray, y_pred: np.ndarray
) -> list[tuple[str, str]]:
    """Class balance, recall per class and error steps of a run of k >= 3 ordered classes."""
    names = list(Task.of(result).names)
    series = {
        "train (natural)": result["class_counts"]["train"],
        "train (used, after sampling)": result["class_counts_after_sampling"]["train"],
        "validation": result["class_counts"]["validation"],
        "test": result["class_counts"]["test"],
    }
    counts = pd.DataFrame({label: [c[n] for n in names] for label, c in series.items()}, names)
    plot_class_balance(counts / counts.sum().clip(lower=1), plots / "class_balance.png")
    chance = result["chance"]["test"]
    plot_per_class_recall(
        recall_intervals(result),
        no_skill_level("balanced_accuracy", chance),
        result["test"]["balanced_accuracy"],
        plots / "per_class_recall.png",
    )
    plot_error_steps(error_steps(y_true, y_pred, len(names)), plots / "error_steps.png")
    return [
        ("Class balance per split", "plots/class_balance.png"),
        ("Recall per class", "plots/per_class_recall.png"),
        ("Errors in class steps", "plots/error_steps.png"),
    ]


def _with_ci(result: RunResult, metric: str) -> str:
    """'0.920 (95% CI 0.897-0.940; no skill 0.500)' for a test metric."""
    level, ci = result["ci"]["level"], result["ci"]["test"].get(metric)
    no_skill = no_skill_level(metric, result["chance"]["test"])
    return (
        f"{fmt(result['test'][metric])} ({level:.0%} CI {_interval(ci)}; no skill {fmt(no_skill)})"
    )


def _side(ci: list[float] | None, level: float, higher_is_better: bool = True) -> int:
    """+1 when the CI lies wholly on the better side of `level`, -1 on the worse, else 0."""
    if not ci or ci[0] is None or ci[0] != ci[0]:
        return 0
    sign = 1 if higher_is_better else -1
    if ci[0] > level:
        return sign
    if ci[1] < level:
        return -sign
    return 0


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
            _side(cis.get("balanced_accuracy"), chance),
            f"balanced accuracy {_with_ci(result, 'balanced_accuracy')}",
        )
    ]
    constant, constant_mae = best_constant(result)
    if task.binary or test.get("mae_classes") is None or test.get("qwk") is None:
        return checks
    checks.append(
        (
            "MAE",
            _side(cis.get("mae_classes"), constant_mae, higher_is_better=False),
            f"MAE {fmt(test['mae_classes'])} class steps ({level:.0%} CI "
            f"{_interval(cis.get('mae_classes'))}; always '{constant}' {fmt(constant_mae)})",
        )
    )
    checks.append(
        (
            "QWK",
            _side(cis.get("qwk"), 0.0),
            f"QWK {fmt(test['qwk'])} ({level:.0%} CI {_interval(cis.get('qwk'))}; constant 0)",
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
    side = _side(result["ci"]["test"].get(Task.of(result).ranking_metric), 0.5)
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
        f"{name} {_with_ci(result, task.ranking_metric)}; its decisions: {decisions}. "
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


def _intro(result: RunResult) -> str:
    """What the classes are (and, for a binary run, the decision cutoff)."""
    task, target = Task.of(result), result.get("target", "x")
    if task.binary:
        return (
            f"`{target} > {threshold_text(result['threshold'])}` is **{task.positive}** "
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
    if is_cumulative_parent(result):
        return f"{classes} {head_sentence(result)}"
    return f"{classes} The model has a softmax head; the\npredicted class is the most probable one."


def _split_table(record: dict[str, Any]) -> pd.DataFrame:
    """A time split's rows, order range, class shares and drift test against training."""
    rows = []
    for name, part in record["splits"].items():
        shares = part["class_shares"]
        shown = [list(shares)[-1]] if part.get("prevalence") is not None else list(shares)
        drift = (record.get("drift") or {}).get(name)
        test = ""
        if drift:
            verdict = "drifts" if drift["drifted"] else "within noise"
            test = f"p = {drift['p_value']:.2g}: {verdict}"
        rows.append(
            {
                "split": name,
                "rows": part["rows"],
                f"first {record['order']}": part["first"],
                f"last {record['order']}": part["last"],
                **{f"{label} share": share_text(shares[label]) for label in shown},
                "class balance vs train": test,
            }
        )
    return pd.DataFrame(rows)


def _split_section(record: dict[str, Any]) -> Section:
    """A time split: what it did, and each split's order range and class balance."""
    return Section(
        "Split",
        [
            f"""{_capital(split_description(record))}: the earliest rows train, the next validate,
the latest test (split=time: no seed and no stratification; rows with the same
`{record["order"]}` stay in one split). Over time the class balance may drift: each later
split's class counts are compared with training's by a {record["drift_test"]}, and
p < {record["drift_alpha"]:g} means a drift beyond sampling noise.""",
            Table(_split_table(record)),
        ],
    )


def _bold_lead(text: str) -> str:
    """The sentence with its words before the first colon in bold."""
    lead, _, rest = text.partition(": ")
    return f"**{lead}**: {rest}"


def _capital(text: str) -> str:
    """The text with its first letter in upper case (the rest kept: column names)."""
    return text[:1].upper() + text[1:]


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


def _cross_validation_section(result: RunResult) -> Section:
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


def _split_line(record: dict[str, Any], result: RunResult) -> str:
    """One line on a random, grouped or k-fold split."""
    if "cross_validation" in result:
        return _kfold_line(result)
    target = result.get("target") or "x"  # a table's target column by its name
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


def _class_balance_section(result: RunResult) -> Section:
    """Class counts per split, natural and after sampling."""
    record = split_of(result)
    blocks: list[Any] = [] if record.get("method") == "time" else [_split_line(record, result)]
    blocks += filter(None, [columns_line(result)])
    if "cumulative" in result:
        blocks.append(
            "Every split keeps its natural balance: the cumulative head trains on every "
            "training row and balances each threshold's two classes by weights in the loss "
            '(`metrics.json` cumulative.weights), so "used" = natural.'
        )
    else:
        blocks.append(
            "Validation and test keep their natural balance; only the training split is "
            'resampled\n("used" = after sampling).'
        )
    if long_form(result):
        blocks.append(
            "Each class's rows per split are in the per-class table (Test metrics); the chart "
            "shows each class's share of every split."
        )
    else:
        blocks.append(Table(_counts_table(result)))
    if Task.of(result).binary:
        shared_by = "order" if record.get("method") == "time" else "split seed"
        blocks.append(
            f"Positive prevalence on test: **{fmt(result['prevalence']['test'])}**. Runs with the "
            f"same data and {shared_by} share these\ntest rows, whatever their threshold."
        )
    return Section("Class balance", blocks)


def _binary_test_notes(result: RunResult) -> str:
    """How to read the binary test table: its baselines, skill and balanced view."""
    names, p = result["label_names"], result["prevalence"]["test"]
    rate = result["test"]["predicted_positive_rate"]
    return f"""No-skill predictors at this prevalence ({fmt(p)}), scored by the same
scikit-learn functions: **majority** always predicts the majority class, **always positive**
always predicts {names[-1]}, **random** predicts {names[-1]} at random with probability
{fmt(p)}, **random at model's rate** predicts it at random as often as the model does
({fmt(rate)}); both random columns are exact expected values.
All of them score every row with the class prior, so their ROC-AUC is {fmt(0.5)} and their average
precision equals the prevalence. **Skill** is the chance-corrected value (0 = no skill,
1 = perfect; definitions below): accuracy, F1 and macro F1 share one skill value by
definition (each equals Cohen's kappa, as each is measured against random guessing at the
model's own positive rate), and so do precision and specificity. **No skill (to beat)** is the
best of the predictors for that metric, named beside it; every page uses this one value.
**Balanced view**: {result["balanced_view"]["method"]}.
**Prevalence-dependent** metrics change with the class balance alone; compare thresholds on
the others, or on skill."""


def _multiclass_test_notes(result: RunResult) -> str:
    """How to read the multi-class test table: averages and baselines."""
    weighted = fmt(result["test"]["roc_auc_ovr_weighted"])
    return f"""Averages: **macro** = unweighted mean over classes, **weighted** = weighted by
class support, **micro** pools all rows; for single-label multi-class data micro-F1 equals accuracy.
ROC-AUC is one-vs-rest, macro-averaged (weighted: {weighted}).
No-skill levels: **majority** always predicts the most frequent test class, **random** predicts
each class with its test share (expected value); both score rows with the class shares.
**Prevalence-dependent** metrics change with the class balance alone.{_ordinal_note(result)}"""


def _ordinal_note(result: RunResult) -> str:
    """One sentence on the ordinal metrics of ordered classes (empty for files without them)."""
    ordinal = result.get("ordinal")
    if not ordinal:
        return ""
    return f"""
**Ordinal** (how far off, on the {ordinal["prediction"]} class): **mae_classes** mean
|predicted - true| in class steps, **within_d** share at most d classes off, **qwk**
quadratic-weighted Cohen's kappa, **spearman** rank correlation of true and predicted class,
**mae_x** mean distance of the true x from the predicted class's interval (units of x)."""


def _confusion_text(result: RunResult) -> str:
    """The test confusion matrix in words (rows true, columns predicted); above WIDE_CLASSES
    classes its largest off-diagonal cells only."""
    names, matrix = result["label_names"], result["test"]["confusion_matrix"]
    if long_form(result):
        counts = np.asarray(matrix)
        off = counts * (1 - np.eye(len(names), dtype=counts.dtype))
        order = np.argsort(-off, axis=None, kind="stable")[:CONFUSIONS_SHOWN]
        cells = [
            f"{names[i]}→{names[j]} {off[i, j]}"
            for i, j in zip(*np.unravel_index(order, off.shape), strict=True)
            if off[i, j] > 0
        ]
        right = int(np.trace(counts))
        text = "no row is misclassified" if not cells else "the largest mistakes (true→predicted): "
        return (
            f"Test confusion matrix ({len(names)} x {len(names)}: the heatmaps under Plots, "
            f"the counts in metrics.json, test.confusion_matrix): {right} of {counts.sum()} "
            f"rows on the diagonal; {text}" + ", ".join(cells) + "."
        )
    cells = [
        f"{true}→{pred} {matrix[i][j]}"
        for i, true in enumerate(names)
        for j, pred in enumerate(names)
    ]
    return "Test confusion matrix (rows true, columns predicted):\n" + ",\n".join(cells) + "."


def _per_class_note(result: RunResult) -> str:
    """What the long per-class table holds."""
    return (
        "Per class (one row each): rows per split (train before and after sampling), then the "
        "test scores; recall's exact CI (Clopper-Pearson) shows how rough a small class's "
        "numbers are."
    )


def _test_section(result: RunResult) -> Section:
    """Test metrics beside their no-skill levels and CIs, per class, and the confusion."""
    task, ci = Task.of(result), result["ci"]
    notes = _binary_test_notes(result) if task.binary else _multiclass_test_notes(result)
    return Section(
        "Test metrics and what no skill would score",
        [
            f"{notes} CIs: {ci['method']}, {ci['n_resamples']} resamples.",
            Table(_test_table(result)),
            "Per class:" if not long_form(result) else _per_class_note(result),
            Table(
                per_class_long_table(result) if long_form(result) else _per_class_table(result),
                sortable=long_form(result),
            ),
            _confusion_text(result),
        ],
    )


def _cutoff_section(result: RunResult) -> Section:
    """The default and the validation-tuned cutoff side by side (binary runs)."""
    tuned = result["tuned_cutoff"]
    return Section(
        "Decision cutoff",
        [
            f"""The tuned cutoff was chosen on the validation split (maximising
{tuned["objective"]}, validation value
{fmt(tuned["validation_value"])}); the test split never picks it.""",
            Table(_cutoff_table(result)),
        ],
    )


def _overfitting_section(result: RunResult) -> Section:
    """Train, validation and test values, their gap, and how training went."""
    training = result["training"]
    return Section(
        "Train, validation and test (overfitting)",
        [
            f"""Train = the rows the model was fitted on (after any resampling, so compare
prevalence-free metrics). The rule: a gap (train - test) is flagged only when it is above
evaluate.max_gap = {result["overfitting_max_gap"]:g} **and** the train value lies above the
test value's CI (so test-row noise alone never flags it) **and** the train value is well above
chance (at least {OVERFIT_MIN_SKILL:.0%} of the way from chance to perfect); never when the
model is near chance on its own training rows (underfitting) or keeps its epoch-1 weights
(it learned nothing after epoch 1). The last column says which applied.""",
            Table(_overfit_table(result)),
            "All headline metrics per split:",
            Table(_splits_table(result)),
            f"{training_sentence(training, Task.of(result).n_classes)}\n{_balance_note(result)}",
        ],
    )


def _balance_note(result: RunResult) -> str:
    """At which class balance the model's probabilities are, and where to see it."""
    if "cumulative" in result:
        how = (
            "A cumulative head's outputs are trained at 50:50 per threshold (by weights, not "
            "by resampling), so they are probabilities for that balance"
        )
    else:
        how = "A model trained on a resampled split predicts probabilities for that split's balance"
    if Task.of(result).binary:
        return f"{how}; the calibration plot shows how far they are from the natural test balance."
    return f"{how} (ordered classes get no calibration plot)."


def compact_lists(config_yaml: str) -> str:
    """The config YAML with every list of more than LISTED_CLASSES numbers or strings written
    inline, wrapped at 100 characters (50 thresholds take 5 lines, not 50)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """Writes long lists of scalars in flow style."""

    def represent_list(dumper: yaml.SafeDumper, items: list) -> yaml.Node:
        flow = len(items) > LISTED_CLASSES and not any(isinstance(i, dict | list) for i in items)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)

    Dumper.add_representer(list, represent_list)
    try:
        data = yaml.safe_load(config_yaml)
    except yaml.YAMLError:
        return config_yaml
    if not isinstance(data, dict) or not _has_long_list(data):
        return config_yaml
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)


def _has_long_list(data: Any) -> bool:
    """Whether a loaded config holds a list longer than LISTED_CLASSES anywhere."""
    if isinstance(data, dict):
        return any(_has_long_list(value) for value in data.values())
    if isinstance(data, list):
        return len(data) > LISTED_CLASSES or any(_has_long_list(item) for item in data)
    return False


def run_document(result: RunResult, plots: list[tuple[str, str]], config_yaml: str) -> Document:
    """The run report of any task as a Document (Markdown and HTML share it)."""
    task = Task.of(result)
    parent = is_cumulative_parent(result)
    record = split_of(result)
    balance = [Image(c, p) for c, p in plots if p.endswith("class_balance.png")]
    plots = [(c, p) for c, p in plots if not p.endswith("class_balance.png")]
    balance_section = _class_balance_section(result)
    balance_section.blocks += balance
    sections = [
        warnings_section(result["warnings"], "None of the checks fired."),
        *filter(None, [reference_models_section(result)]),
        *([_split_section(record)] if record.get("method") == "time" else []),
        balance_section,
        *([_cross_validation_section(result)] if "cross_validation" in result else []),
        *([curve_section(result)] if parent else []),
        _test_section(result),
    ]
    if task.binary:
        sections.append(_cutoff_section(result))
    sections += [_overfitting_section(result), Section("Plots", [Image(c, p) for c, p in plots])]
    if "skill" in result:
        notes = [f"{metric}: {text}" for metric, text in SKILL_DEFINITIONS.items()]
        sections.append(Section("Skill definitions", [Bullets(notes)]))
    sections.append(Section("Config", [Code(compact_lists(config_yaml), "yaml")]))
    title = f"Run report: {run_title(result)}"
    drift = [_bold_lead(text) for text in drift_warnings(result, ("test",))]
    member = "cumulative" in result and not parent
    opening = [
        *filter(None, [small_test_line(result)]),
        *([member_sentence(result)] if member else []),
        run_verdict(result),
        *drift,
        *filter(None, [reference_verdict(result)]),
        *([result["cumulative"]["sentences"][0]] if parent else []),
        _intro(result),
    ]
    return Document(title, opening, sections)


def write_run_report(
    out_dir: Path,
    result: RunResult,
    history: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    config_yaml: str,
    index_link: str | None = None,
    shared_curves: Path | None = None,
) -> Path:
    """Write the plots, report.html and report.md for one run (`shared_curves`: a
    training_curves.png of the same training, copied instead of drawn again)."""
    plots = _write_plots(out_dir, result, history, frames["test"], shared_curves)
    document = run_document(result, plots, config_yaml)
    return write_run_pages(out_dir, document, result, index_link)
