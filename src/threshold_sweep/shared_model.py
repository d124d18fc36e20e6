"""A model with one output per threshold (model.head=cumulative) as the code that reads run
folders meets it: the names it writes (metrics.json's section, the training key, the sweep
summary's column, the pages' run names) and what readers say about its folders.

One place for them, so that results/, sweep/, tracking/, predict and the model's monitor ask
generic questions (is this folder one threshold's run of a shared model? does the run's model
have one output per threshold?). Imports only conf.choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from threshold_sweep.conf.choices import Head

HEAD = Head.cumulative.value  # model.head's value of the head
SECTION = "cumulative"  # metrics.json: its section (head, grid, weights, curve; or output, parent)
OUTPUTS_KEY = "cumulative_outputs"  # metrics.json training.<key>: K, the model's outputs
PARENT_COLUMN = "cumulative_parent"  # sweep summary: a per-threshold folder's run ('' otherwise)
RUN_NAME = "cumulative"  # the pages' name of its per-threshold folders: 'cumulative t=100'
SHARED_RUN = f"model.head={HEAD} run"
ABOVE_PREFIX = "p_above_"  # the predictions files' column of P(x > t) of each threshold

PREDICT_EXAMPLES = """\
  threshold-sweep-predict CUMULATIVE_RUN --data new.npz --threshold 1000      # P(x > 1000)
  threshold-sweep-predict CUMULATIVE_RUN --data new.npz --threshold 100,1000  # p_above_* only
"""
PREDICT_NOTE = """\
A model.head=cumulative run writes its K+1 class scores and P(x > t) for every threshold
(p_above_<t>); --threshold picks thresholds of its grid.
"""
THRESHOLD_HELP = f"model.head={HEAD} runs: score at threshold T of the run's grid only "


def section_of(result: Mapping[str, Any]) -> Any:
    """metrics.json's section of the shared model, as written (None when absent)."""
    return result.get(SECTION)


def head_section(result: Mapping[str, Any]) -> dict[str, Any]:
    """The section when it names the head (the run's own folder or one threshold's), else {}."""
    section = section_of(result)
    return section if isinstance(section, dict) and section.get("head") == HEAD else {}


def above_column(threshold: float) -> str:
    """'p_above_100': the predictions files' column of P(x > threshold)."""
    return f"{ABOVE_PREFIX}{threshold:g}"


def member_folder(path: Path | str) -> str:
    """'<path> is one threshold's folder of a cumulative run' (the start of a message)."""
    return f"{path} is one threshold's folder of a cumulative run"


def not_a_shared_run(what: str, path: Path | str, setting: str, verb: str = "load") -> str:
    """The message for asking a run with one threshold setting for its threshold grid (`verb`:
    what the reader does with the right folder, 'load' in Python, 'give' on a command line)."""
    return (
        f"{what}: {path} is not a {SHARED_RUN} (it has one threshold setting, {setting}); "
        f"{verb} a {SHARED_RUN}'s folder"
    )
