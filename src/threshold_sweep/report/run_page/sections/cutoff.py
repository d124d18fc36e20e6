"""The Decision cutoff section of a binary run: the default and the validation-tuned cutoff."""

from __future__ import annotations

import pandas as pd

from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.report.document import Section, Table
from threshold_sweep.report.tables import fmt


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


def cutoff_section(result: RunResult) -> Section:
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
