"""Importing TensorFlow quietly: no C++ start-up log on the terminal unless the user asks for it.

TensorFlow (2.21) writes an INFO block to file descriptor 2 while it is imported, before its
logging reads TF_CPP_MIN_LOG_LEVEL (tensorflow/tensorflow#100442), and ERROR lines such as
`failed call to cuInit` on every CPU-only machine. So, unless TF_CPP_MIN_LOG_LEVEL is set by
the user: the level becomes 3 before the import, and what the import writes to descriptor 2 is
held back and replayed without TensorFlow's log lines (Python warnings and anything else stay).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
QUIET_LEVEL = "3"
# an absl/glog line: severity letter, MMDD, time, thread, file:line]
_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d{2}:\d{2}:\d+\.\d+\s+\d+ [^ \]]+:\d+\]")
_FEATURE_LINE = "To enable the following instructions:"
_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"


def import_tensorflow() -> ModuleType:
    """`import tensorflow`, without its C++ start-up log unless TF_CPP_MIN_LOG_LEVEL is set."""
    if "tensorflow" in sys.modules or LOG_LEVEL_VARIABLE in os.environ:
        import tensorflow

        return tensorflow
    os.environ[LOG_LEVEL_VARIABLE] = QUIET_LEVEL
    with _without_log_lines_on_stderr():
        import tensorflow
    return tensorflow


def tensorflow_log_removed(text: str) -> str:
    """`text` without TensorFlow's C++ log lines, their continuation lines and the absl banner."""
    kept: list[str] = []
    in_log_record = False
    for line in text.splitlines(keepends=True):
        continues = in_log_record and line[:1].isspace()
        in_log_record = continues or _is_log_start(line)
        if not in_log_record:
            kept.append(line)
    return "".join(kept)


def _is_log_start(line: str) -> bool:
    """A TensorFlow log line, the absl banner, or the CPU feature guard's second line."""
    text = line.rstrip("\n")
    return bool(_LOG_LINE.match(text)) or text == _BANNER or text.startswith(_FEATURE_LINE)


@contextlib.contextmanager
def _without_log_lines_on_stderr() -> Iterator[None]:
    """Hold back what is written to descriptor 2 in the block, then replay it filtered."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = tensorflow_log_removed(held.read().decode(errors="replace"))
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()
