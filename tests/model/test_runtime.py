"""TensorFlow is imported quietly: its C++ log is filtered, everything else on stderr stays."""

from __future__ import annotations

import re

import pytest

from threshold_sweep.model.runtime import tensorflow_log_removed

TENSORFLOW_START_UP = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796169652.304132    7287 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1796169652.778887    7287 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
    "E0000 00:00:1796169657.662833    7287 cuda_platform.cc:52] failed call to cuInit: UNKNOWN\n"
)
ABSL_LINE = re.compile(r"^[IWEF]\d{4} \d{2}:\d{2}:\d+\.\d+\s+\d+ \S+:\d+\]", re.MULTILINE)


def test_the_start_up_block_is_removed_and_other_lines_stay():
    warning = "/x/keras.py:12: UserWarning: do not pass an input_shape\n  warnings.warn(\n"
    text = "before\n" + TENSORFLOW_START_UP + warning + "after\n"
    assert tensorflow_log_removed(text) == "before\n" + warning + "after\n"


def test_a_text_without_log_lines_is_unchanged():
    text = "Traceback (most recent call last):\n  File 'x.py', line 1\nValueError: bad\n"
    assert tensorflow_log_removed(text) == text


@pytest.mark.slow
def test_a_run_prints_no_tensorflow_log_lines(two_processes):
    _, done = two_processes  # a run of the real command: TensorFlow imported in its process
    assert not ABSL_LINE.findall(done.stderr), done.stderr[:2000]
    assert "absl::InitializeLog" not in done.stderr
    assert "[INFO]" in done.stderr  # our own log still reaches the terminal
