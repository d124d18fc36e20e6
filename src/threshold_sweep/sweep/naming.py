"""Short names of a sweep's runs and groups, as the tables, pages and plots show them."""

from __future__ import annotations

import pandas as pd

from threshold_sweep.report.tables import fmt
from threshold_sweep.results.read import GRID_KEYS
from threshold_sweep.shared_model import PARENT_COLUMN, RUN_NAME

PARENT = PARENT_COLUMN  # a per-threshold folder's shared-model run ('' for the other runs)
NAME_SEPARATOR = " · "
THRESHOLD_RUN_NAME = f"{RUN_NAME} t="  # run_labels' name of a shared model's threshold folder

# the keys every per-threshold folder of one shared model shares with its run
HEAD_KEYS = ("model.head", "evaluate.threshold_folders")


def group_label(row: pd.Series, keys: list[str]) -> str:
    """A readable name for a group, e.g. 'label.threshold=100, train.learning_rate=0.01'."""
    return ", ".join(f"{key}={row[key]}" for key in keys) or "all runs"


def short_keys(keys: list[str]) -> dict[str, str]:
    """Each override key by its last dotted part ('label.threshold' -> 'threshold'), or whole
    where two keys share that part (train.seed and sampling.seed)."""
    last = [key.rsplit(".", 1)[-1] for key in keys]
    return {
        key: part if last.count(part) == 1 else key for key, part in zip(keys, last, strict=True)
    }


def is_threshold_run(row: pd.Series) -> bool:
    """Whether a summary row is one threshold's folder of a shared model's run."""
    parent = row.get(PARENT)
    return isinstance(parent, str) and parent != ""


def _threshold_name(row: pd.Series) -> str:
    """A shared model's per-threshold folder by its threshold (THRESHOLD_RUN_NAME + '100')."""
    threshold = pd.to_numeric(pd.Series([row.get("threshold")]), errors="coerce").iloc[0]
    if pd.isna(threshold):
        return f"{THRESHOLD_RUN_NAME}{row.get('label.threshold')}"
    return f"{THRESHOLD_RUN_NAME}{float(threshold):g}"


def _short_name(row: pd.Series, columns: list[str], keys: dict[str, str], with_keys: bool) -> str:
    """One row's overrides `columns` as 'threshold=100 · seed=1' (or '100 · 1'); '' if none.
    A shared model's per-threshold folder is named by _threshold_name, then its other values."""
    lead = []
    if is_threshold_run(row):
        lead = [_threshold_name(row)]
        columns = [c for c in columns if c not in (*GRID_KEYS, *HEAD_KEYS)]
    if not with_keys:
        return NAME_SEPARATOR.join([*lead, *(fmt(row[c]) for c in columns)])
    parts = [f"{keys[c]}={row[c]}" for c in columns if pd.notna(row[c]) and row[c] != ""]
    return NAME_SEPARATOR.join([*lead, *parts])


def run_labels(runs: pd.DataFrame, varying: list[str], with_keys: bool = True) -> pd.Series:
    """Each run's short name: only the overrides that vary over the sweep, by their short key
    ('threshold=100 · seed=1'), or their values alone ('100 · 1') for a table whose columns
    name the keys; its folder when nothing varies or two runs would share a name. Pages show
    it in place of the folder name, which summary.csv keeps."""
    columns = [c for c in varying if c in runs]
    keys = short_keys(columns)
    names = pd.Series(
        [_short_name(row, columns, keys, with_keys) or row["run"] for _, row in runs.iterrows()],
        index=runs.index,
        dtype=str,
    )
    shared = names.duplicated(keep=False)
    return names.where(~shared, runs["run"].astype(str))


def group_names(runs: pd.DataFrame, keys: list[str]) -> dict[str, str]:
    """Each group's label (summary_groups.csv, 'label.threshold=100, sampling=none') -> the name
    the pages show, in the runs' short form ('threshold=100 · sampling=none'); the label itself
    where two groups would share a name."""
    short = short_keys(keys)
    names = {
        group_label(row, keys): _short_name(row, keys, short, True) or group_label(row, keys)
        for _, row in runs.iterrows()
    }
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}
    return {label: label if name in shared else name for label, name in names.items()}


def shown_groups(frame: pd.DataFrame, names: dict[str, str], *columns: str) -> pd.DataFrame:
    """`frame` with its group label `columns` as the pages name the groups."""
    return frame.assign(**{c: frame[c].map(lambda g: names.get(g, g)) for c in columns})


def strip_threshold(label: str, threshold: str = "label.threshold=", separator: str = ", ") -> str:
    """A group label (or short name) without its threshold part (the x axis shows it)."""
    parts = [part for part in label.split(separator) if not part.startswith(threshold)]
    return separator.join(parts) or "model"


def series_name(name: str, threshold: str) -> str:
    """A group's short name without its threshold (the x axis shows it): a shared model's
    '<RUN_NAME> t=100 · seed=1' is '<RUN_NAME> · seed=1'."""
    parts = [
        RUN_NAME if part.startswith(THRESHOLD_RUN_NAME) else part
        for part in name.split(NAME_SEPARATOR)
        if not part.startswith(threshold)
    ]
    return NAME_SEPARATOR.join(parts) or "model"


def key_name(key: str) -> str:
    """A swept key by its last dotted part ('train.learning_rate' -> 'learning_rate')."""
    return key.rsplit(".", 1)[-1]
