"""timing.json's clock: wall and process CPU seconds per step, which add up to the total."""

from __future__ import annotations

import time

import pytest

from threshold_sweep.pipeline.record import MARKS, STEPS, Clock


def busy(seconds: float) -> None:
    """Use about `seconds` of CPU in this thread."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_each_step_has_its_wall_and_cpu_seconds_and_they_add_up():
    before = time.process_time()
    clock = Clock()
    for mark in MARKS:
        busy(0.02 if mark != "train" else 0.1)
        clock.mark(mark)
    timing = clock.seconds()
    cpu = timing["cpu_seconds"]
    assert list(cpu) == [f"{step}_seconds" for step in STEPS] + ["total_seconds"]
    assert sum(timing[f"{step}_seconds"] for step in STEPS) == pytest.approx(
        timing["total_seconds"]
    )
    assert sum(cpu[f"{step}_seconds"] for step in STEPS) == pytest.approx(cpu["total_seconds"])
    assert cpu["train_seconds"] >= 0.1 and 0.02 <= cpu["prepare_seconds"] < 0.1
    assert timing["train_seconds"] >= cpu["train_seconds"] * 0.5  # one busy thread
    assert before <= timing["cpu_before_run_seconds"] <= before + 0.01
