"""The Skill definitions section: how each metric's skill is computed."""

from __future__ import annotations

from threshold_sweep.evaluate.chance import SKILL_DEFINITIONS
from threshold_sweep.report.document import Bullets, Section


def skill_section() -> Section:
    """One line per metric: its chance-corrected skill's definition."""
    notes = [f"{metric}: {text}" for metric, text in SKILL_DEFINITIONS.items()]
    return Section("Skill definitions", [Bullets(notes)])
