"""Markdown tables for the reports (pandas + tabulate only), and the one number format."""

from __future__ import annotations

import numbers
from typing import Any

import pandas as pd

DIGITS = 3  # decimals of every number a page or report shows (metrics, CIs, prevalences)


def fmt(value: Any, digits: int = DIGITS, signed: bool = False) -> str:
    """Format a number for a report: `digits` decimals, whole numbers above 1 without them,
    'n/a' when undefined; `signed` always shows the sign (a difference: +0.012, -0.012, +0.000),
    and a difference too small for `digits` gets two significant digits (+0.00040, -4.2e-05)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        value = float(value)  # numpy floats of any width format alike
    if isinstance(value, float):
        if value != value:
            return "n/a"
        sign = "+" if signed else ""
        if abs(value) < 0.5 * 10**-digits:
            if signed and value != 0:  # a difference keeps its sign and size: +0.00040
                return f"{value:+#.2g}" if abs(value) >= 1e-4 else f"{value:+.1e}"
            value = 0.0  # no "-0.000"
        if value.is_integer() and abs(value) > 1:
            return f"{value:{sign}g}"
        return f"{value:{sign}.{digits}f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame."""
    align = ("left",) + ("right",) * (len(frame.columns) - 1)
    return frame.map(fmt).to_markdown(index=False, disable_numparse=True, colalign=align)
