"""What every part of the run page shares: its class limits, titles and CI wording."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.diagnostics import exact_interval
from threshold_sweep.evaluate.names import no_skill_level
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.report.tables import fmt
from threshold_sweep.thresholds import Thresholds

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
    given = Thresholds.of_record(thresholds)
    values = given.floats
    if len(values) == 1:
        return f"threshold {given.text}"
    if len(values) < LISTED_CLASSES:
        return f"thresholds {given.text}"
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


def interval_text(ci: list[float] | None) -> str:
    """'low-high' for a CI."""
    if not ci or ci[0] is None or ci[0] != ci[0]:
        return "n/a"
    return f"{fmt(ci[0])}-{fmt(ci[1])}"


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


def with_ci(result: RunResult, metric: str) -> str:
    """'0.920 (95% CI 0.897-0.940; no skill 0.500)' for a test metric."""
    level, ci = result["ci"]["level"], result["ci"]["test"].get(metric)
    no_skill = no_skill_level(metric, result["chance"]["test"])
    value = fmt(result["test"][metric])
    return f"{value} ({level:.0%} CI {interval_text(ci)}; no skill {fmt(no_skill)})"


def ci_side(ci: list[float] | None, level: float, higher_is_better: bool = True) -> int:
    """+1 when the CI lies wholly on the better side of `level`, -1 on the worse, else 0."""
    if not ci or ci[0] is None or ci[0] != ci[0]:
        return 0
    sign = 1 if higher_is_better else -1
    if ci[0] > level:
        return sign
    if ci[1] < level:
        return -sign
    return 0


def bold_lead(text: str) -> str:
    """The sentence with its words before the first colon in bold."""
    lead, _, rest = text.partition(": ")
    return f"**{lead}**: {rest}"


def capital(text: str) -> str:
    """The text with its first letter in upper case (the rest kept: column names)."""
    return text[:1].upper() + text[1:]
