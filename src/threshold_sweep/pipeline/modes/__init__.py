"""The run modes: one split, k folds, one head for every threshold; one registry line each."""

from __future__ import annotations

from typing import Any

from threshold_sweep.conf.heads import model_head
from threshold_sweep.pipeline.modes.base import Mode
from threshold_sweep.pipeline.modes.crossval import CrossValidated
from threshold_sweep.pipeline.modes.cumulative import Cumulative
from threshold_sweep.pipeline.modes.single import SingleSplit
from threshold_sweep.prepare import split_method

MODES: dict[str, type] = {
    "single": SingleSplit,
    "crossval": CrossValidated,
    "cumulative": Cumulative,
}


def mode_name(cfg: Any) -> str:
    """The mode a config asks for: the model's head first, then split.method."""
    if model_head(cfg.model)[0] == "cumulative":
        return "cumulative"
    return "crossval" if split_method(cfg) in ("kfold", "rolling") else "single"


def select_mode(cfg: Any) -> Mode:
    """The run mode of a config."""
    return MODES[mode_name(cfg)]()
