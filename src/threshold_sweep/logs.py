"""A quiet terminal: log lines held back while Keras draws a progress bar, repeats printed once.

`held_logs` holds the records the console would print (the root logger's stream handlers, not
its files: the log file keeps every line, in order) while a block runs, and prints them when it
ends. Records repeated in the block (same level, logger, text; float arguments such as seconds
aside) print once, the first of them with a count, e.g. '... raise train.epochs. (at 10
thresholds)'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from threshold_sweep.preload import BACKGROUND

Key = tuple[int, str, str, tuple[str, ...]]


def from_background(record: logging.LogRecord) -> bool:
    """True for a record logged by a thread of preload.in_background (e.g. reference models)."""
    return (record.threadName or "").startswith(BACKGROUND)


def every_record(record: logging.LogRecord) -> bool:
    """True for every record."""
    return True


def console_handlers() -> list[logging.Handler]:
    """The root logger's stream handlers that are not files (the terminal; pytest's caplog)."""
    return [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler)
        and not isinstance(handler, logging.FileHandler)
    ]


class Holder(logging.Filter):
    """A handler filter that keeps the records `hold` picks instead of letting them print."""

    def __init__(self, hold: Callable[[logging.LogRecord], bool]) -> None:
        """Hold the records for which `hold(record)` is true."""
        super().__init__()
        self.hold = hold
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep a held record (False: not printed now); let every other one through."""
        if self.hold(record):
            self.records.append(record)
            return False
        return True


def repeat_key(record: logging.LogRecord) -> Key:
    """What makes two records repeats: level, logger, template and non-float arguments."""
    args = record.args if isinstance(record.args, tuple) else ()
    kept = tuple(str(arg) for arg in args if not isinstance(arg, float))
    return record.levelno, record.name, str(record.msg), kept


def counted(record: logging.LogRecord, count: int, repeats: str) -> logging.LogRecord:
    """A copy of `record` whose message ends with '(' + repeats.format(n=count) + ')'."""
    copy = logging.makeLogRecord(record.__dict__)
    copy.msg, copy.args = f"{record.getMessage()} ({repeats.format(n=count)})", None
    return copy


def once_each(records: list[logging.LogRecord], repeats: str) -> list[logging.LogRecord]:
    """The records in order, each repeat dropped and the first of several given its count."""
    groups: dict[Key, list[logging.LogRecord]] = {}
    for record in records:
        groups.setdefault(repeat_key(record), []).append(record)
    return [
        counted(group[0], len(group), repeats) if len(group) > 1 else group[0]
        for group in groups.values()
    ]


@contextmanager
def held_logs(
    hold: Callable[[logging.LogRecord], bool] = from_background, repeats: str = "{n} times"
) -> Iterator[None]:
    """Hold the console's records that `hold` picks until the block ends, then print them,
    repeats once with `repeats` (formatted with n=count) appended."""
    holders = {handler: Holder(hold) for handler in console_handlers()}
    for handler, holder in holders.items():
        handler.addFilter(holder)
    try:
        yield
    finally:
        for handler, holder in holders.items():
            handler.removeFilter(holder)
            for record in once_each(holder.records, repeats):
                handler.handle(record)
