"""Hydra callback: rebuild the sweep summary when a multirun ends."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)

# Failed runs seen by the last multirun in this process; read by the CLI for its exit code.
FAILED_RUNS: list[str] = []


class SweepSummaryCallback(Callback):
    """Write summary.csv / summary.md / summary_metrics.png into the sweep folder."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Build the summary from the run folders, including failed ones."""
        from threshold_sweep.sweep import build_summary

        sweep_dir = Path(config.hydra.sweep.dir)
        summary = build_summary(sweep_dir)
        FAILED_RUNS.clear()
        if summary.failed:
            failed = summary.table[summary.table["status"] == "failed"]
            FAILED_RUNS.extend(failed["run"].tolist())
        log.info(
            "sweep summary: %d complete, %d failed -> %s",
            summary.completed,
            summary.failed,
            sweep_dir / "summary.md",
        )
