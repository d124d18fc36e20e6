"""Import later stages on a spare core while the model trains (they take about a second)."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Sequence

log = logging.getLogger(__name__)


def _import_all(modules: Sequence[str]) -> None:
    """Import each module; a failure is left for the real import to report."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:
            log.debug("preloading %s failed: %s", name, error)


def preload(modules: Sequence[str]) -> threading.Thread:
    """Start importing `modules` in a daemon thread; join it before the modules are needed."""
    thread = threading.Thread(target=_import_all, args=(tuple(modules),), name="preload")
    thread.daemon = True
    thread.start()
    return thread
