"""Ctrl-C at any moment ends a command with exit 130 and one line, never a traceback (once the
command's work is done, a Ctrl-C is ignored and it exits as it finished).

The console scripts start here, before anything heavy is imported, so that an interruption
during the imports is caught too. The first Ctrl-C raises KeyboardInterrupt where the program
is; an error that follows it (TensorFlow may turn the interruption into a SystemError inside
its C++ code) still counts as the interruption. A Ctrl-C that lands in code whose exceptions
Python ignores (a weakref callback, `__del__`) is delivered again once that code has returned.
A second Ctrl-C stops the process at once.
"""

from __future__ import annotations

import _thread
import atexit
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

EXIT_INTERRUPTED = 130
REDELIVERY_DELAY = 0.05  # seconds


class Interruption:
    """The SIGINT handler: remembers the first Ctrl-C and raises it; a second one exits."""

    def __init__(self) -> None:
        self.received = False
        self.redelivering = False
        self.settled = False  # the command handles the interruption: redeliver nothing more

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        """Raise KeyboardInterrupt the first time; exit 130 at once the second time."""
        if self.settled and self.redelivering:  # a redelivery that lands while the command ends
            self.redelivering = False
            return
        if self.redelivering:
            self.redelivering = False
            raise KeyboardInterrupt
        if self.received:
            os.write(2, b"interrupted again: stopped at once\n")
            os._exit(EXIT_INTERRUPTED)
        self.received = True
        raise KeyboardInterrupt

    def redeliver(self) -> None:
        """Raise the Ctrl-C again in the main thread, once the code that swallowed it is done.

        The new signal comes from another thread a moment later, so that the handler does not
        run inside the unraisable hook, which swallows exceptions too.
        """
        self.redelivering = True
        threading.Timer(REDELIVERY_DELAY, _thread.interrupt_main, (signal.SIGINT,)).start()


def _unraisable_hook(
    handler: Interruption, previous: Callable[[object], object]
) -> Callable[[object], object]:
    """A sys.unraisablehook redelivering a swallowed Ctrl-C, and passing anything else on."""

    def hook(unraisable: object) -> None:
        """Redeliver our KeyboardInterrupt; show other ignored exceptions as Python does."""
        if isinstance(getattr(unraisable, "exc_value", None), KeyboardInterrupt):
            handler.redeliver()
        else:
            previous(unraisable)

    return hook


def install_handler() -> None:
    """Handle Ctrl-C with an Interruption, unless the shell told this process to ignore it."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        handler = Interruption()
        signal.signal(signal.SIGINT, handler)
        sys.unraisablehook = _unraisable_hook(handler, sys.unraisablehook)


def was_interrupted() -> bool:
    """True once Ctrl-C has been pressed in this process."""
    handler = signal.getsignal(signal.SIGINT)
    return isinstance(handler, Interruption) and handler.received


def settle() -> None:
    """The command has caught its interruption: a redelivery still under way (a Ctrl-C that
    was also swallowed somewhere, e.g. in TensorFlow's code) must not raise again while it
    ends; seen in CI once as exit -2 after the one-line message."""
    handler = signal.getsignal(signal.SIGINT)
    if isinstance(handler, Interruption):
        handler.settled = True


def run_interruptible(entry: str) -> Callable[[], NoReturn]:
    """A console script calling `module:function`, which ends with exit 130 on Ctrl-C."""

    def script() -> NoReturn:
        install_handler()
        try:
            module_name, function_name = entry.split(":")
            code = getattr(importlib.import_module(module_name), function_name)()
        except SystemExit as exit_request:
            if was_interrupted():
                settle()
            code = exit_request.code
        except KeyboardInterrupt:
            settle()
            code = _interrupted_code()
        except Exception:
            if not was_interrupted():
                raise
            settle()
            code = _interrupted_code()
        _exit(code)

    return script


def _interrupted_code() -> int:
    """Say that the command was interrupted; the exit code for it."""
    sys.stderr.write("interrupted (Ctrl-C)\n")
    return EXIT_INTERRUPTED


def _exit(code: object) -> NoReturn:
    """Exit with `code` through the interpreter's normal shutdown, Ctrl-C ignored from here.

    Everything is written by now. Without this, a Ctrl-C while the interpreter tears down
    TensorFlow's threads would kill the process (by the signal, with no message) after a
    complete run; ignoring it lets the run end as it finished. Launchers' worker pools
    (joblib/loky) are shut down by the normal shutdown, so it is not skipped while a thread
    or child process is left to join, unless background work is still running (see
    _exit_now). Otherwise the exit handlers run and the process ends without the teardown
    (see _nothing_to_join).
    """
    interrupted = was_interrupted()  # read before SIG_IGN replaces the handler it asks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from threshold_sweep.preload import background_work_alive

    if background_work_alive() or interrupted:
        # interrupted: CPython 3.11 may still end the process by SIGINT (exit -2, seen in CI
        # after the one-line message) when the Ctrl-C passed through code it ran for a
        # library (its "unhandled KeyboardInterrupt" flag stays set though the interruption
        # was caught); everything is written, so exit at once with 130
        _exit_now(code)
    if _nothing_to_join():
        atexit._run_exitfuncs()  # what the normal shutdown would run: logging, MLflow, temp files
        _exit_now(code)
    raise SystemExit(code)


def _nothing_to_join() -> bool:
    """True when no thread but daemons and no child process is left: the interpreter's own
    teardown then only frees memory and unloads modules, about 2 CPU s after TensorFlow was
    imported (1.7 s for a bare Keras script; docs/benchmarks.md), which ending at once spares."""
    import multiprocessing

    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    return all(t.daemon for t in others) and not multiprocessing.active_children()


def _exit_now(code: object) -> NoReturn:
    """Exit at once, as SystemExit(code) would end: the process failed or was interrupted while
    a background thread (the reference models' fit) still runs in native code, and tearing the
    interpreter down under it can abort the process ("terminate called without an active
    exception", exit -6, seen in CI once); everything of the run is written by now."""
    import logging

    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    status = code if isinstance(code, int) else (0 if code is None else 1)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


main = run_interruptible("threshold_sweep.cli.main:main")
report_main = run_interruptible("threshold_sweep.cli.report:main")
predict_main = run_interruptible("threshold_sweep.cli.predict:main")
