"""Work on a spare core while the model trains (importing later stages, about a second), and
work put off until its result is needed (`Later`)."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

T = TypeVar("T")
BACKGROUND = "background: "  # the name prefix of in_background's threads

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


class Later(Generic[T]):
    """`function(*args)`, run in the thread that first asks for its result (once), not before."""

    def __init__(self, function: Callable[..., T], *args: Any) -> None:
        self._function, self._args = function, args
        self._done: list[T] = []  # the result, once computed

    def result(self) -> T:
        """Run the function on the first call; return its result."""
        if not self._done:
            self._done.append(self._function(*self._args))
        return self._done[0]


def in_background(name: str, function: Callable[..., T], *args: Any) -> Future[T]:
    """Start `function(*args)` in a daemon thread; its Future holds the result or the error.

    A daemon thread, not a ThreadPoolExecutor: after a Ctrl-C or a failed training the
    process exits without waiting for the background work to finish.
    """
    future: Future[T] = Future()

    def work() -> None:
        """Run the function, keeping what it returns or raises for the main thread."""
        future.set_running_or_notify_cancel()
        try:
            future.set_result(function(*args))
        except BaseException as error:  # re-raised in the main thread by future.result()
            future.set_exception(error)

    threading.Thread(target=work, name=BACKGROUND + name, daemon=True).start()
    return future


def background_work_alive() -> bool:
    """True while a thread started by in_background is still running (the main thread
    failed or was interrupted before it needed the result)."""
    return any(
        thread.is_alive() and thread.name.startswith(BACKGROUND) for thread in threading.enumerate()
    )
