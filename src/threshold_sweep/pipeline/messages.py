"""The run's log lines: class counts before and after sampling, features, split, headline."""

from __future__ import annotations

import logging
from pathlib import Path

from threshold_sweep import layout
from threshold_sweep.conf.schema import SplitConfig
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.prepare import PreparedData
from threshold_sweep.thresholds import Thresholds

log = logging.getLogger(__name__)


def log_prepared(data: PreparedData, sampling: str, split_cfg: SplitConfig) -> None:
    """The class counts before and after sampling, and the features used."""
    log.info(
        "%s: %d rows; %s",
        _thresholds_logged(data.thresholds),
        len(data.dataset),
        class_counts_text(data.counts_before, data.counts_after["train"], sampling),
    )
    if data.dataset.features:
        log.info(
            "features (%d, in sequence order): %s; ignored columns: %s",
            len(data.dataset.features),
            ", ".join(data.dataset.features),
            ", ".join(data.dataset.ignored_columns) or "none",
        )
    group = data.checks["group"]
    if group is not None:
        fractions, groups = data.split.fractions(), group["groups"]
        log.info(
            "split by %s (%d groups, each in one split): train %.1f%%, validation %.1f%%, "
            "test %.1f%% of the rows (split.validation_fraction=%g, split.test_fraction=%g); "
            "groups %d / %d / %d",
            group["column"],
            group["n_groups"],
            *(100 * fractions[name] for name in ("train", "validation", "test")),
            split_cfg.validation_fraction,
            split_cfg.test_fraction,
            *(groups[name] for name in ("train", "validation", "test")),
        )
    if data.split_record["method"] == "time":
        _log_time_split(data)
    if data.split_record["method"] == "predefined":
        _log_predefined_split(data)


LOGGED_CLASSES = 6  # above this many classes the log gives the count range, not every class


def _thresholds_logged(thresholds: list[float]) -> str:
    """'threshold 100', or '50 thresholds from 6.66 to 2557' above LOGGED_CLASSES classes."""
    if len(thresholds) < LOGGED_CLASSES:
        return f"threshold {Thresholds.of_record(thresholds).text}"
    return f"{len(thresholds)} thresholds from {thresholds[0]:g} to {thresholds[-1]:g}"


SHORT_NAMES = 40  # class names longer than this in all are not spelled out in the log line


def _counts_logged(counts: dict[str, int]) -> str:
    """'1256 / 1544', or '20 to 27 rows a class' above LOGGED_CLASSES classes."""
    values = list(counts.values())
    if len(values) <= LOGGED_CLASSES:
        return " / ".join(str(value) for value in values)
    return f"{min(values)} to {max(values)} rows a class"


def _classes_logged(names: list[str]) -> str:
    """'low / high', '5 classes, lowest x first' when the names are long, or '51 classes'."""
    if len(names) > LOGGED_CLASSES:
        return f"{len(names)} classes"
    if len(" / ".join(names)) <= SHORT_NAMES:
        return " / ".join(names)
    return f"{len(names)} classes, lowest x first"


def class_counts_text(before: dict[str, dict[str, int]], after: dict[str, int], how: str) -> str:
    """One short line of class counts: 'class counts low / high: train 1256 / 1544;
    validation 270 / 330; test 270 / 330; training rows after undersample: 1256 / 1256'."""
    splits = "; ".join(f"{split} {_counts_logged(counts)}" for split, counts in before.items())
    sampled = (
        f"training rows as they are (sampling {how})"
        if after == before.get("train")
        else f"training rows after {how}: {_counts_logged(after)}"
    )
    return f"class counts {_classes_logged(list(after))}: {splits}; {sampled}"


def _log_time_split(data: PreparedData) -> None:
    """Each split's order range, rows and class shares."""
    record = data.split_record
    parts = [
        f"{name} {part['first']} to {part['last']} ({part['rows']} rows, "
        + ", ".join(f"{label} {share:.1%}" for label, share in part["class_shares"].items())
        + ")"
        for name, part in record["splits"].items()
    ]
    log.info("time-ordered split on %s: %s", record["order"], "; ".join(parts))


def _log_predefined_split(data: PreparedData) -> None:
    """The parts' rows, and where the validation rows came from."""
    record = data.split_record
    carved = record.get("validation_carved")
    source = f"{carved:g} of the train part, stratified on x" if carved is not None else "as marked"
    split = data.split
    log.info(
        "predefined split by %s: train %d, validation %d (%s), test %d rows",
        record["part"],
        len(split.train),
        len(split.validation),
        source,
        len(split.test),
    )


def log_headline(result: RunResult, out_dir: Path) -> None:
    """One line of test metrics and the report to open."""
    test = result["test"]
    log.info(
        "test: ROC-AUC %.3f, balanced accuracy %.3f, accuracy %.3f -> open %s (or read %s)",
        test[Task.of(result).ranking_metric],
        test["balanced_accuracy"],
        test["accuracy"],
        out_dir / layout.REPORT_HTML,
        out_dir / layout.REPORT_MD,
    )
