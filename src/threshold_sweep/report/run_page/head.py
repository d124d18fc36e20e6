"""What the run page says differently for a cumulative head (model.head=cumulative): the head
sentence, the Threshold curve section and its plots (the parent run), the line that ties a
per-threshold run to it, and the notes on sampling and probabilities; nothing for any other
head. The run page's sections ask this module, never the head's metrics.json section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.names import metric_label
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.report.document import Bullets, Image, Section, Table
from threshold_sweep.report.tables import fmt
from threshold_sweep.report.threshold_plots import (
    plot_errors_by_distance,
    plot_near_shares,
    plot_threshold_curve,
)

CURVE_PLOTS = {
    "threshold_curve.png": "Test metrics against the threshold (band: bootstrap CI; dashed: "
    "no skill; dotted: validation ROC-AUC, which chooses the best threshold; light line, right "
    "axis: the test share of x > t)",
    "errors_by_distance.png": "Test error rate (Wilson 95% CI) and mean score against the "
    "distance of x from the threshold, every (row, threshold) pair pooled",
    "near_shares.png": "Share of test rows near each threshold, with ROC-AUC",
}
SHOWN_METRICS = ("roc_auc", "balanced_accuracy", "mcc", "f1")
VALIDATION_RANKING = "validation_roc_auc"  # the curve's column that chooses the best threshold


def is_cumulative_parent(result: RunResult) -> bool:
    """Whether the run is a cumulative head's K+1-class run (it holds the curve)."""
    return "curve" in result.get("cumulative", {})


def head_sentence(result: RunResult) -> str:
    """How a cumulative head predicts, for the parent run's opening."""
    record = result["cumulative"]
    k = len(record["thresholds"])
    variant = (
        "CORAL-style: one shared weight vector, ordered biases, so P(x > t) never rises with t"
        if record["consistency"] == "rank_consistent"
        else "one independent sigmoid unit per threshold"
    )
    return (
        f"The model has a cumulative head (`model.head=cumulative`, {record['consistency']}: "
        f"{variant}): {k} sigmoid outputs P(x > t), one per threshold, trained once. Class "
        "probabilities are differences of neighbouring outputs, each output first taken back "
        "from the 50:50 it was trained at to the training class balance (its logit minus "
        f"log(weight of x > t / weight of x <= t)){_equal_shares(record)}; the predicted "
        "class is the most probable one. Every threshold is also evaluated as its own binary "
        "run (Threshold curve)."
    )


def _equal_shares(record: dict[str, Any]) -> str:
    """', then to equal class shares (...)' when the training rebalanced, else ''."""
    if not record["weights"].get("class_shares"):
        return ""
    return (
        ", then to equal class shares (divided by the training shares, as an undersampled "
        "run's scores are), so that the large classes are not favoured"
    )


def member_sentence(result: RunResult) -> str:
    """For a per-threshold run: which shared model it is an output of, and its weights."""
    record = result["cumulative"]
    k, output = len(record["thresholds"]), int(record["output"])
    weights = record["weights"]
    names = result["label_names"]
    if weights["sampling"] == "none":
        weighting = "its classes unweighted (sampling=none)"
    else:
        weighting = (
            f"its classes weighted {weights['positive'][output]:.2f} ({names[1]}) : "
            f"{weights['negative'][output]:.2f} ({names[0]}) in the loss, which balances them "
            "50:50, instead of resampling rows (one resampling cannot balance every threshold)"
        )
    return (
        f"**Output {output + 1} of {k} of a cumulative head** trained once for every threshold "
        f"([the shared run](../../report.md)); trained on every training row, {weighting}."
    )


def _curve_frame(curve: pd.DataFrame) -> pd.DataFrame:
    """The curve's shown columns: value [CI] (no skill) per metric."""
    rows = []
    for _, row in curve.iterrows():
        shown: dict[str, Any] = {
            "threshold": f"{row['threshold']:g}",
            "test share x > t": fmt(row["prevalence"]),
            "rows near t": fmt(row["near_share"]),
        }
        for metric in SHOWN_METRICS:
            shown[metric_label(metric)] = (
                f"{fmt(row[metric])} [{fmt(row[f'{metric}_ci_low'])}, "
                f"{fmt(row[f'{metric}_ci_high'])}] ({fmt(row[f'chance_{metric}'])})"
            )
        if VALIDATION_RANKING in row:  # runs written before the choice moved lack it
            shown[f"validation {metric_label('roc_auc')}"] = fmt(row[VALIDATION_RANKING])
        if "n_warnings" in row:  # runs that wrote a folder per threshold
            shown["warnings"] = int(row["n_warnings"])
        rows.append(shown)
    return pd.DataFrame(rows)


def _violations_text(record: dict[str, Any]) -> str:
    """Rank violations of the test rows' outputs, in words."""
    test = record["rank_violations"]["test"]
    if not test["rows"]:
        by = "by construction" if record["consistency"] == "rank_consistent" else "on these rows"
        return f"Rank violations (P(x > t_k) < P(x > t_(k+1))): none on the test rows ({by})."
    return (
        f"Rank violations (P(x > t_k) < P(x > t_(k+1))): {test['rows']} test rows "
        f"({test['share_rows']:.1%}), {test['pairs']} adjacent pairs, the largest "
        f"{test['largest']:.3f}; class probabilities clip them to 0. "
        "`model.head_consistency=rank_consistent` rules them out."
    )


def curve_section(result: RunResult) -> Section:
    """Every threshold's test metrics from the one model: sentences, table, plots."""
    record = result["cumulative"]
    curve = pd.DataFrame(record["curve"])
    intro = (
        "Each threshold's output evaluated as a dedicated run is: test value [bootstrap CI] "
        f"(no-skill level at its prevalence); {_where_text(curve)} "
        "`rows near t`: the share of test rows within "
        f"{record['near_width']:.3g}{' decades' if record['log_x'] else ''} of the threshold."
        f"{_chosen_text(record)}"
    )
    table = Table(_curve_frame(curve))
    if "run" in curve:  # a folder per threshold (evaluate.threshold_folders=true)
        folders = curve["run"].tolist()
        table = Table(
            _curve_frame(curve),
            links={"threshold": [f"{f}/report.html" for f in folders]},
            markdown_links={"threshold": [f"{f}/report.md" for f in folders]},
        )
    blocks: list[Any] = [Bullets([*record["sentences"], _violations_text(record)]), intro, table]
    compared = record.get("compared") or []
    if compared:
        neighbours = (
            "; [`thresholds/index.html`](thresholds/index.html) compares neighbouring ones"
            if "run" in curve
            else ""
        )
        blocks += [
            "Chosen thresholds compared on the same test rows (paired bootstrap, second - "
            "first; `evaluate.compare_thresholds`, by default the first, the best on validation "
            f"and the last{neighbours}):",
            Table(_compared_frame(compared)),
        ]
    blocks += [Image(caption, f"plots/{name}") for name, caption in CURVE_PLOTS.items()]
    return Section("Threshold curve", blocks)


def _where_text(curve: pd.DataFrame) -> str:
    """Where each threshold's numbers are: its run folder, or thresholds.csv and the scores."""
    if "run" in curve:
        return (
            "the threshold links to its run folder, which holds its predictions, cutoff "
            f"tuning, reference models and report (`{len(curve)}` folders under `thresholds/`, "
            "read by `threshold-sweep-report`)."
        )
    return (
        "every headline metric with its CI and no-skill level is in `thresholds.csv` (all "
        "thresholds on one set of resamples, drawn within the K+1 classes), and each "
        "threshold's score P(x > t) is the `p_above_<t>` column of the predictions files, "
        "beside x (`evaluate.threshold_folders=true` also writes a run folder per threshold)."
    )


def _chosen_text(record: dict[str, Any]) -> str:
    """How the best threshold was chosen: on validation, reported on test (older runs: '')."""
    best = record.get("best", {})
    if best.get("chosen_on") != "validation":
        return ""
    text = (
        f" The best threshold, {best['best']:g}, is chosen on the validation rows (the highest "
        f"validation ROC-AUC) and reported on the test rows, so that its test value is not "
        "the maximum of many noisy test values"
    )
    if best.get("test_argmax") is not None and best["test_argmax"] != best["best"]:
        text += f" (the test rows alone would have picked {best['test_argmax']:g})"
    return text + "."


def _compared_frame(compared: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per pair: each metric's difference [CI] and whether it is within noise."""
    frame = pd.DataFrame(compared)
    rows = []
    for (first, second), pair in frame.groupby(["first", "second"], sort=False):
        row: dict[str, Any] = {"first": f"{first:g}", "second": f"{second:g}"}
        for _, entry in pair.iterrows():
            text = (
                f"{fmt(entry['difference'], signed=True)} [{fmt(entry['ci_low'], signed=True)}, "
                f"{fmt(entry['ci_high'], signed=True)}]"
            )
            noise = "within noise" if entry["within_noise"] else "beyond noise"
            row[metric_label(entry["metric"])] = f"{text} {noise}"
        rows.append(row)
    return pd.DataFrame(rows)


def write_curve_plots(plots: Path, result: RunResult) -> None:
    """threshold_curve.png, errors_by_distance.png and near_shares.png of the parent run."""
    record = result["cumulative"]
    curve = pd.DataFrame(record["curve"])
    log = bool(record["log_x"])
    title = f"{len(curve)} thresholds from one cumulative head (test)"
    plot_threshold_curve(curve, SHOWN_METRICS, plots / "threshold_curve.png", log, title)
    errors = pd.DataFrame(record["errors_by_distance"])
    plot_errors_by_distance(errors, plots / "errors_by_distance.png", log, record["near_width"])
    plot_near_shares(
        curve["threshold"].to_numpy(),
        curve["near_share"].to_numpy(),
        curve["roc_auc"].to_numpy(),
        plots / "near_shares.png",
        log,
        metric_label("roc_auc"),
    )


def sampling_note(result: RunResult) -> str | None:
    """The Class balance section's note on sampling for a cumulative head (None otherwise)."""
    if "cumulative" not in result:
        return None
    return (
        "Every split keeps its natural balance: the cumulative head trains on every "
        "training row and balances each threshold's two classes by weights in the loss "
        '(`metrics.json` cumulative.weights), so "used" = natural.'
    )


def probability_note(result: RunResult) -> str | None:
    """At which balance a cumulative head's probabilities are (None for other heads)."""
    if "cumulative" not in result:
        return None
    return (
        "A cumulative head's outputs are trained at 50:50 per threshold (by weights, not "
        "by resampling), so they are probabilities for that balance"
    )


def head_intro(result: RunResult) -> str | None:
    """How a cumulative parent run's head predicts a class (None for other runs)."""
    return head_sentence(result) if is_cumulative_parent(result) else None


def head_sections(result: RunResult) -> list[Section]:
    """The Threshold curve section of a cumulative parent run (none for other runs)."""
    return [curve_section(result)] if is_cumulative_parent(result) else []


def member_lines(result: RunResult) -> list[str]:
    """The opening line of one threshold's run under a cumulative parent (none otherwise)."""
    member = "cumulative" in result and not is_cumulative_parent(result)
    return [member_sentence(result)] if member else []


def parent_lines(result: RunResult) -> list[str]:
    """The threshold curve's first sentence in a cumulative parent's opening (none otherwise)."""
    return [result["cumulative"]["sentences"][0]] if is_cumulative_parent(result) else []


def write_head_plots(plots: Path, result: RunResult) -> None:
    """Draw a cumulative parent's curve plots (shown in its Threshold curve section)."""
    if is_cumulative_parent(result):
        write_curve_plots(plots, result)
