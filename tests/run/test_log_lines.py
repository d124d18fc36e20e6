"""A quiet terminal: class counts on one short line, background lines held while Keras draws a
progress bar, and repeated lines printed once with a count."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace

import pytest

from threshold_sweep.logs import every_record, from_background, held_logs
from threshold_sweep.pipeline.messages import class_counts_text, log_prepared
from threshold_sweep.preload import BACKGROUND

log = logging.getLogger("threshold_sweep.test")

BINARY = {
    "train": {"low": 1256, "high": 1544},
    "validation": {"low": 270, "high": 330},
    "test": {"low": 270, "high": 330},
}


def test_binary_class_counts_are_one_short_line():
    text = class_counts_text(BINARY, {"low": 1256, "high": 1256}, "undersample")
    assert text == (
        "class counts low / high: train 1256 / 1544; validation 270 / 330; test 270 / 330; "
        "training rows after undersample: 1256 / 1256"
    )


def test_long_class_names_are_not_repeated_per_split():
    names = ["<=38.3952", "(38.3952,84.0875]", "(84.0875,177.978]", "(177.978,438.122]"]
    names.append(">438.122")
    before = {split: dict.fromkeys(names, 84) for split in ("train", "validation", "test")}
    text = class_counts_text(before, dict.fromkeys(names, 84), "none")
    assert text.startswith("class counts 5 classes, lowest x first: train 84 / 84 / 84 / 84 / 84;")
    assert text.endswith("training rows as they are (sampling none)")
    assert "38.3952" not in text and len(text) < 200


def test_many_classes_give_the_range_of_rows_a_class():
    before = {"train": {str(k): 20 + k % 8 for k in range(51)}}
    text = class_counts_text(before, {str(k): 20 for k in range(51)}, "undersample")
    assert text == (
        "class counts 51 classes: train 20 to 27 rows a class; "
        "training rows after undersample: 20 to 20 rows a class"
    )


class Rows(list):
    """A stand-in dataset: its length and its (no) feature columns."""

    features: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()


def test_the_first_log_line_of_a_run_holds_no_python_dict(caplog):
    data = SimpleNamespace(
        thresholds=[100.0],
        dataset=Rows([0] * 3000),
        counts_before=BINARY,
        counts_after={"train": {"low": 1256, "high": 1256}},
        checks={"group": None},
        split_record={"method": "random"},
    )
    with caplog.at_level(logging.INFO, logger="threshold_sweep"):
        log_prepared(data, "undersample", split_cfg=None)  # no group: the split is not read
    (line,) = caplog.messages
    assert line.startswith("threshold 100: 3000 rows; class counts low / high: train 1256 / 1544;")
    assert "{" not in line and len(line) < 160


def log_in_background(message: str, *args: object) -> None:
    """Log from a thread named like preload.in_background's, and wait for it."""
    thread = threading.Thread(target=log.info, args=(message, *args), name=BACKGROUND + "test")
    thread.start()
    thread.join()


def test_background_lines_wait_until_the_block_ends(caplog):
    caplog.set_level(logging.INFO)
    with held_logs(from_background):
        log.info("Epoch 1/2")
        log_in_background("reference hgb: fitted on %d rows in %.1f s", 420, 1.8)
        log.info("Epoch 2/2")
        assert caplog.messages == ["Epoch 1/2", "Epoch 2/2"]
    assert caplog.messages == [
        "Epoch 1/2",
        "Epoch 2/2",
        "reference hgb: fitted on 420 rows in 1.8 s",
    ]
    log_in_background("after the block")
    assert caplog.messages[-1] == "after the block"


def test_repeated_lines_print_once_with_their_count(caplog):
    caplog.set_level(logging.INFO)
    rising = "Validation ROC-AUC was still rising at the last of 2 epochs: raise train.epochs."
    with held_logs(every_record, "at {n} thresholds"):
        for seconds in (0.1, 0.2, 0.1):
            log.warning("%s", rising)
            log.info("reference logistic: fitted on %d rows in %.1f s", 1400, seconds)
        log.warning("Small test classes at threshold %g", 600)
    assert caplog.messages == [
        f"{rising} (at 3 thresholds)",
        "reference logistic: fitted on 1400 rows in 0.1 s (at 3 thresholds)",
        "Small test classes at threshold 600",
    ]
    assert [record.levelname for record in caplog.records] == ["WARNING", "INFO", "WARNING"]


def test_held_lines_still_print_when_the_block_fails(caplog):
    caplog.set_level(logging.INFO)
    with pytest.raises(RuntimeError), held_logs(every_record):
        log.info("before the error")
        raise RuntimeError("training failed")
    assert caplog.messages == ["before the error"]
