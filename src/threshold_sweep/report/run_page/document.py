"""The run report of any task: report.md, report.html and the plots they show, assembled from
the sections."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.splits import drift_warnings, split_of
from threshold_sweep.evaluate.task import Task
from threshold_sweep.report.document import Document, Image, Section, warnings_section
from threshold_sweep.report.html import write_run_pages
from threshold_sweep.report.reference import reference_models_section, reference_verdict
from threshold_sweep.report.run_page.common import bold_lead, run_title
from threshold_sweep.report.run_page.head import head_sections, member_lines, parent_lines
from threshold_sweep.report.run_page.sections.class_balance import class_balance_section
from threshold_sweep.report.run_page.sections.config import config_section
from threshold_sweep.report.run_page.sections.cross_validation import cross_validation_section
from threshold_sweep.report.run_page.sections.cutoff import cutoff_section
from threshold_sweep.report.run_page.sections.opening import intro, run_verdict, small_test_line
from threshold_sweep.report.run_page.sections.overfitting import overfitting_section
from threshold_sweep.report.run_page.sections.plots import plots_section, write_plots
from threshold_sweep.report.run_page.sections.skill import skill_section
from threshold_sweep.report.run_page.sections.split import split_section
from threshold_sweep.report.run_page.sections.test_metrics import test_section


def run_document(result: RunResult, plots: list[tuple[str, str]], config_yaml: str) -> Document:
    """The run report of any task as a Document (Markdown and HTML share it)."""
    title = f"Run report: {run_title(result)}"
    return Document(title, opening_lines(result), run_sections(result, plots, config_yaml))


def opening_lines(result: RunResult) -> list[str]:
    """The lines above the first section: the verdict, its caveats and what the classes are."""
    drift = [bold_lead(text) for text in drift_warnings(result, ("test",))]
    return [
        *filter(None, [small_test_line(result)]),
        *member_lines(result),
        run_verdict(result),
        *drift,
        *filter(None, [reference_verdict(result)]),
        *parent_lines(result),
        intro(result),
    ]


def run_sections(
    result: RunResult, plots: list[tuple[str, str]], config_yaml: str
) -> list[Section]:
    """Every section of the page in order; the class balance chart goes to its own section."""
    record = split_of(result)
    balance = [Image(c, p) for c, p in plots if p.endswith("class_balance.png")]
    plots = [(c, p) for c, p in plots if not p.endswith("class_balance.png")]
    balance_section = class_balance_section(result)
    balance_section.blocks += balance
    sections = [
        warnings_section(result["warnings"], "None of the checks fired."),
        *filter(None, [reference_models_section(result)]),
        *([split_section(record)] if record.get("method") == "time" else []),
        balance_section,
        *([cross_validation_section(result)] if "cross_validation" in result else []),
        *head_sections(result),
        test_section(result),
    ]
    if Task.of(result).binary:
        sections.append(cutoff_section(result))
    sections += [overfitting_section(result), plots_section(plots)]
    if "skill" in result:
        sections.append(skill_section())
    sections.append(config_section(config_yaml))
    return sections


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
    plots = write_plots(out_dir, result, history, frames["test"], shared_curves)
    document = run_document(result, plots, config_yaml)
    return write_run_pages(out_dir, document, result, index_link)
