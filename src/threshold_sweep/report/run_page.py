"""The human-readable run report: report.md and the plots it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from threshold_sweep.evaluate.chance import SKILL_DEFINITIONS
from threshold_sweep.evaluate.cutoff import cutoff_curves
from threshold_sweep.evaluate.metrics import HEADLINE, PREVALENCE_DEPENDENT
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
    plot_calibration,
    plot_confusion_matrix,
    plot_cutoff_curves,
    plot_precision_recall,
    plot_roc,
    plot_score_distributions,
    plot_training_curves,
)

SPLITS = ("train", "validation", "test")


def _interval(ci: list[float] | None) -> str:
    """'low-high' for a CI."""
    if not ci or ci[0] is None or ci[0] != ci[0]:
        return "n/a"
    return f"{ci[0]:.3f}-{ci[1]:.3f}"


def _counts_table(result: dict[str, Any]) -> pd.DataFrame:
    """Class counts per split before and after sampling."""
    names = result["label_names"]
    rows = []
    for split in SPLITS:
        before = result["class_counts"][split]
        after = result["class_counts_after_sampling"][split]
        rows.append(
            {
                "split": split,
                **{f"{n} (natural)": before[n] for n in names},
                **{f"{n} (used)": after[n] for n in names},
                f"{names[-1]} share (natural)": before[names[-1]] / max(1, sum(before.values())),
            }
        )
    return pd.DataFrame(rows)


def _test_table(result: dict[str, Any]) -> pd.DataFrame:
    """Test metrics beside their CI, no-skill levels, skill and the balanced view."""
    chance = result["chance"]["test"]
    rows = []
    for metric in HEADLINE:
        rows.append(
            {
                "metric": metric,
                "test": result["test"][metric],
                f"{result['ci']['level']:.0%} CI": _interval(result["ci"]["test"].get(metric)),
                "majority": chance["majority"][metric],
                "always positive": chance["always_positive"][metric],
                "random": chance["random"][metric],
                "random at model's rate": chance["rate_matched"][metric],
                "skill": result["skill"]["test"][metric],
                "balanced view": result["balanced_view"]["test"][metric],
                "prevalence-dependent": metric in PREVALENCE_DEPENDENT,
            }
        )
    return pd.DataFrame(rows)


def _splits_table(result: dict[str, Any]) -> pd.DataFrame:
    """Headline metrics for train, validation and test side by side."""
    return pd.DataFrame([{"metric": m, **{s: result[s].get(m) for s in SPLITS}} for m in HEADLINE])


def _cutoff_table(result: dict[str, Any]) -> pd.DataFrame:
    """Test metrics at the default cutoff and at the validation-tuned one."""
    tuned = result["tuned_cutoff"]
    shown = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "mcc")
    return pd.DataFrame(
        [
            {"cutoff": f"default {result['cutoff']:g}", **{m: result["test"][m] for m in shown}},
            {
                "cutoff": f"tuned {tuned['cutoff']:.4f} ({tuned['objective']} on validation)",
                **{m: tuned["test"][m] for m in shown},
            },
        ]
    )


def _overfit_table(result: dict[str, Any]) -> pd.DataFrame:
    """Train / validation / test of the prevalence-free metrics and their gap."""
    return pd.DataFrame(
        [{"metric": metric, **row} for metric, row in result["overfitting"].items()]
    ).rename(columns={"gap": "gap (train - test)", "large": "gap too large"})


def _write_plots(
    out_dir: Path, result: dict[str, Any], history: pd.DataFrame, test: pd.DataFrame
) -> list[tuple[str, str]]:
    """Draw every run plot; return (caption, relative path) pairs."""
    plots = out_dir / "plots"
    names = result["label_names"]
    y_true = test["y_true"].to_numpy()
    y_score = test["y_score"].to_numpy()
    y_pred = test["y_pred"].to_numpy()
    title = f"threshold {result['threshold']:g}, test prevalence {result['prevalence']['test']:.2f}"
    shown = []
    if len(set(y_true)) == 2:
        plot_roc(y_true, y_score, f"ROC ({title})", plots / "roc.png", names[-1])
        plot_precision_recall(
            y_true, y_score, f"PR ({title})", plots / "precision_recall.png", names[-1]
        )
        plot_cutoff_curves(
            cutoff_curves(y_true, y_score),
            result["cutoff"],
            result["tuned_cutoff"]["cutoff"],
            result["tuned_cutoff"]["objective"],
            plots / "cutoff.png",
        )
        plot_calibration(y_true, y_score, plots / "calibration.png", names[-1])
        shown += [
            ("ROC curve", "plots/roc.png"),
            ("Precision-recall", "plots/precision_recall.png"),
            ("Metrics against the cutoff", "plots/cutoff.png"),
            ("Calibration", "plots/calibration.png"),
        ]
    plot_confusion_matrix(
        y_true, y_pred, names, f"Confusion ({title})", plots / "confusion_matrix.png"
    )
    plot_score_distributions(
        y_true, y_score, names, result["cutoff"], plots / "score_distributions.png"
    )
    plot_training_curves(history, result["training"]["best_epoch"], plots / "training_curves.png")
    shown += [
        ("Confusion matrix", "plots/confusion_matrix.png"),
        ("Score distributions", "plots/score_distributions.png"),
        ("Training curves", "plots/training_curves.png"),
    ]
    return shown


def run_document(
    result: dict[str, Any], plots: list[tuple[str, str]], config_yaml: str
) -> Document:
    """The run report of a binary run as a Document (Markdown and HTML share it)."""
    names = result["label_names"]
    p = result["prevalence"]["test"]
    test = result["test"]
    (tn, fp), (fn, tp) = test["confusion_matrix"]
    training = result["training"]
    skill_notes = [f"{metric}: {text}" for metric, text in SKILL_DEFINITIONS.items()]
    intro = (
        f"`{result.get('target', 'x')} > {result['threshold']:g}` is **{names[-1]}** (positive "
        f"class); otherwise **{names[0]}**. (`predictions.csv` calls this column `x`.)\n"
        f"Decision cutoff on the predicted probability of {names[-1]}: {result['cutoff']:g}."
    )
    sections = [
        warnings_section(result["warnings"], "None of the checks fired."),
        Section(
            "Class balance",
            [
                "Validation and test keep their natural balance; only the training split is "
                'resampled\n("used" = after sampling).',
                Table(_counts_table(result)),
                f"Positive prevalence on test: **{p:.4f}**. Runs with the same data and split "
                "seed share these\ntest rows, whatever their threshold.",
            ],
        ),
        Section(
            "Test metrics and what no skill would score",
            [
                f"""No-skill predictors at this prevalence ({p:.4f}), scored by the same
scikit-learn functions: **majority** always predicts the majority class, **always positive**
always predicts {names[-1]}, **random** predicts {names[-1]} at random with probability
{p:.4f}, **random at model's rate** predicts it at random as often as the model does
({test["predicted_positive_rate"]:.4f}); both random columns are exact expected values.
All of them score every row with the class prior, so their ROC-AUC is 0.5 and their average
precision equals the prevalence. **Skill** is the chance-corrected value (0 = no skill,
1 = perfect; definitions below). **Balanced view**: {result["balanced_view"]["method"]}.
**Prevalence-dependent** metrics change with the class balance alone; compare thresholds on
the others, or on skill. CIs: {result["ci"]["method"]}, {result["ci"]["n_resamples"]}
resamples.""",
                Table(_test_table(result)),
                f"""Test confusion matrix (rows true, columns predicted):
{names[0]}→{names[0]} {tn}, {names[0]}→{names[-1]} {fp},
{names[-1]}→{names[0]} {fn}, {names[-1]}→{names[-1]} {tp}.""",
            ],
        ),
        Section(
            "Decision cutoff",
            [
                f"""The tuned cutoff was chosen on the validation split (maximising
{result["tuned_cutoff"]["objective"]}, validation value
{result["tuned_cutoff"]["validation_value"]:.4f}); the test split never picks it.""",
                Table(_cutoff_table(result)),
            ],
        ),
        Section(
            "Train, validation and test (overfitting)",
            [
                f"""Train = the rows the model was fitted on (after sampling, so compare
prevalence-free metrics). A gap (train - test) above
evaluate.max_gap = {result["overfitting_max_gap"]:g} is flagged.""",
                Table(_overfit_table(result)),
                "All headline metrics per split:",
                Table(_splits_table(result)),
                f"""Training: {training["epochs_run"]} epochs run, best validation loss at epoch
{training["best_epoch"]}, seed {training["seed"]}, {training["threads"]} TensorFlow thread(s).
A model trained on a resampled split predicts probabilities for that split's balance; the
calibration plot shows how far they are from the natural test balance.""",
            ],
        ),
        Section("Plots", [Image(caption, path) for caption, path in plots]),
        Section("Skill definitions", [Bullets(skill_notes)]),
        Section("Config", [Code(config_yaml, "yaml")]),
    ]
    return Document(f"Run report: threshold {result['threshold']:g}", [intro], sections)


def write_run_report(
    out_dir: Path,
    result: dict[str, Any],
    history: pd.DataFrame,
    frames: dict[str, pd.DataFrame],
    config_yaml: str,
    index_link: str | None = None,
) -> Path:
    """Write the plots, report.html and report.md for one run."""
    plots = _write_plots(out_dir, result, history, frames["test"])
    document = run_document(result, plots, config_yaml)
    return write_run_pages(out_dir, document, result, index_link)
