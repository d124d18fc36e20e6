"""Load runs and sweeps as pandas DataFrames, e.g. in a notebook.

    from threshold_sweep.api import load_run, load_sweep

    sweep = load_sweep("outputs/multirun/2026-11-22_10-00-00")
    sweep.runs                          # one row per run, as summary.csv
    sweep.metrics.query("split == 'test'")   # every run's metrics with CIs, long format
    run = sweep.run("label.threshold=1000")
    run.predictions, run.history, run.config
    run.threshold_curve                 # one output per threshold: a row per threshold
    run.threshold_run(1000)             # ... and one threshold's folder as a Run

The tables are the ones `threshold-sweep-report` writes, computed by the same code; loading
writes nothing. Neither TensorFlow nor scikit-learn is imported.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from threshold_sweep.errors import UserError
from threshold_sweep.results.read import Run, load_run, read_overrides

__all__ = ["Run", "Sweep", "load_run", "load_sweep"]


@dataclass
class Sweep:
    """A folder of runs: the summary tables and each finished run."""

    path: Path
    runs: pd.DataFrame
    groups: pd.DataFrame | None
    paired: pd.DataFrame | None
    insights: list[str]

    @cached_property
    def finished(self) -> dict[str, Run]:
        """Every complete run, keyed by its folder relative to the sweep."""
        complete = self.runs[self.runs["status"] == "complete"]
        return {name: load_run(self.path / name) for name in complete["run"]}

    def run(self, name: str) -> Run:
        """One complete run by its folder name or by some of its overrides ('train.seed=1')."""
        if name in self.finished:
            return self.finished[name]
        pairs = re.findall(r"([^=,]+)=(\[[^\]]*\]|[^,]*)", name)
        wanted = {key.strip(): value for key, value in pairs}
        if len(wanted) < len(pairs):
            raise UserError(f"{name!r} names a key twice; give each override once")

        def matches(overrides: dict[str, str]) -> bool:
            return bool(wanted) and all(overrides.get(k) == v for k, v in wanted.items())

        found = [key for key, run in self.finished.items() if matches(run.overrides)]
        if len(found) == 1:
            return self.finished[found[0]]
        if found:
            raise UserError(
                f"{name!r} matches {len(found)} runs: {', '.join(found)}; add an override"
            )
        failed = self.runs[self.runs["status"] != "complete"]
        for _, row in failed.iterrows():
            if matches(read_overrides(self.path / row["run"])):
                raise UserError(f"{row['run']} did not finish: {row['error']}")
        known = ", ".join(self.finished) or "none"
        raise UserError(f"{name!r} matches no complete run; complete runs: {known}")

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """Every complete run's metrics (long format) with its folder and overrides; an
        override whose key names a column of the metrics (`split=kfold` and the `split`
        column) is the column '<key> (override)'."""
        frames, own = [], pd.Index([])
        for name, run in self.finished.items():
            frame, own = run.metrics.copy(), run.metrics.columns
            for key, value in reversed(list(run.overrides.items())):
                frame.insert(0, override_column(key, own), value)
            frame.insert(0, "run", name)
            frames.append(frame)
        if not frames:
            return pd.DataFrame()
        columns = [override_column(key, own) for key in self.override_keys]
        return numeric_overrides(pd.concat(frames, ignore_index=True), columns)

    @property
    def override_keys(self) -> list[str]:
        """The config keys set on the command line of some run (columns of `runs`)."""
        from threshold_sweep.sweep.collect import override_columns

        return override_columns(self.runs)


def override_column(key: str, metric_columns: pd.Index) -> str:
    """The metrics table's column of an override: its key, or '<key> (override)' when a
    metrics column already has that name."""
    return f"{key} (override)" if key in metric_columns else key


def numeric_overrides(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Override columns whose every value is a number become numeric (sorting, plotting)."""
    frame = frame.copy()
    for key in keys:
        if key in frame:
            with contextlib.suppress(TypeError, ValueError):  # text, lists: kept as written
                frame[key] = pd.to_numeric(frame[key])
    return frame


def load_sweep(path: str | Path) -> Sweep:
    """Every run under `path` with the sweep's summary tables (nothing is written)."""
    from threshold_sweep.sweep.collect import summarize

    root = Path(path)
    if not root.is_dir():
        raise UserError(f"{root} is not a directory; give a folder of runs")
    summary = summarize(root)
    if summary.table.empty:
        raise UserError(
            f"no runs under {root} (no metrics.json or error.txt found); "
            "give a folder written by threshold-sweep"
        )
    from threshold_sweep.sweep.collect import override_columns

    return Sweep(
        path=root,
        runs=numeric_overrides(summary.table, override_columns(summary.table)),
        groups=summary.groups,
        paired=summary.paired,
        insights=summary.insights or [],
    )
