"""What the run page says differently for a cumulative head (model.head=cumulative): its notes,
opening lines, Threshold curve section and plots; nothing for any other head."""

from __future__ import annotations

from pathlib import Path

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.report.cumulative import (
    curve_section,
    head_sentence,
    is_cumulative_parent,
    member_sentence,
    write_curve_plots,
)
from threshold_sweep.report.document import Section


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
