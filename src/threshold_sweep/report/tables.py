"""Markdown tables for the reports (pandas + tabulate only)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def fmt(value: Any, digits: int = 4) -> str:
    """Format a number for a Markdown table ('n/a' when undefined)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return "n/a"
        if abs(value) < 0.5 * 10**-digits:
            value = 0.0  # no "-0.0000"
        return f"{value:g}" if value.is_integer() and abs(value) > 1 else f"{value:.{digits}f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame."""
    align = ("left",) + ("right",) * (len(frame.columns) - 1)
    return frame.map(fmt).to_markdown(index=False, disable_numparse=True, colalign=align)
