"""Ctrl-C handling of the console scripts, on small scripts run in their own processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from threshold_sweep.cli.interrupt import EXIT_INTERRUPTED

SWALLOWED_CTRL_C = textwrap.dedent(
    """
    import gc, signal, sys, types, weakref
    from threshold_sweep.cli import interrupt

    def work():
        class Thing:
            pass

        def callback(_ref):
            signal.raise_signal(signal.SIGINT)  # the handler runs inside this callback
            sum(range(1000))

        thing = Thing()
        ref = weakref.ref(thing, callback)
        del thing
        gc.collect()
        for _ in range(10_000_000):
            pass
        print("the Ctrl-C was lost")

    sys.modules["fake_entry"] = types.SimpleNamespace(main=work)
    interrupt.run_interruptible("fake_entry:main")()
    """
)


def _run(script: str) -> subprocess.CompletedProcess:
    """Run a Python script with Ctrl-C handled as the console scripts do."""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )


def test_a_ctrl_c_swallowed_by_a_weakref_callback_still_interrupts():
    result = _run(SWALLOWED_CTRL_C.replace("import gc,", "import importlib, gc,"))
    assert result.returncode == EXIT_INTERRUPTED, result.stdout + result.stderr
    assert result.stderr == "interrupted (Ctrl-C)\n"
    assert "lost" not in result.stdout


def test_other_ignored_exceptions_are_still_shown():
    script = SWALLOWED_CTRL_C.replace(
        "signal.raise_signal(signal.SIGINT)  # the handler runs inside this callback",
        "raise ValueError('from a callback')",
    )
    result = _run(script)
    assert result.returncode == 0, result.stderr
    assert "Exception ignored" in result.stderr and "ValueError: from a callback" in result.stderr
    assert "lost" in result.stdout


FAILS_WHILE_WORK_RUNS = textwrap.dedent(
    """
    import atexit, sys, time, types
    from threshold_sweep.cli import interrupt
    from threshold_sweep.preload import in_background

    def work():
        atexit.register(print, "interpreter shut down")
        in_background("slow", time.sleep, 30)
        print("failing", flush=True)
        sys.exit(2)

    sys.modules["fake_entry"] = types.SimpleNamespace(main=work)
    interrupt.run_interruptible("fake_entry:main")()
    """
)


def test_a_failure_while_background_work_runs_exits_at_once_with_its_code():
    # no interpreter shutdown under the running thread (it can abort the process)
    result = _run(FAILS_WHILE_WORK_RUNS)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "failing\n"
    finished = _run(FAILS_WHILE_WORK_RUNS.replace("time.sleep, 30)", "time.sleep, 0).result()"))
    assert finished.returncode == 2
    assert finished.stdout == "failing\ninterpreter shut down\n"  # the normal shutdown


def test_a_redelivered_ctrl_c_is_dropped_once_the_command_handles_its_interruption():
    import pytest

    from threshold_sweep.cli.interrupt import Interruption

    handler = Interruption()
    with pytest.raises(KeyboardInterrupt):
        handler(2, None)  # the first Ctrl-C
    handler.redelivering = True  # it was also swallowed somewhere: a redelivery is under way
    with pytest.raises(KeyboardInterrupt):
        handler(2, None)  # delivered while the command has not caught it yet
    handler.redelivering, handler.settled = True, True
    assert handler(2, None) is None  # the command already ends with exit 130: dropped
    assert not handler.redelivering


def test_a_ctrl_c_that_broke_an_import_still_marks_the_run_unfinished(tmp_path, monkeypatch):
    import pytest
    from omegaconf import OmegaConf

    from threshold_sweep.cli import main

    # a KeyboardInterrupt inside a module's import leaves it half-initialised: importing it
    # again raises (scipy.ndimage: NameError); None in sys.modules makes any import fail
    monkeypatch.setitem(sys.modules, "threshold_sweep.pipeline.record", None)
    monkeypatch.setattr(sys, "argv", ["threshold-sweep", "label.threshold=100"])
    job = main.Job(out_dir=tmp_path, cwd=str(tmp_path), sweep_dir=None)
    with pytest.raises(SystemExit) as stopped:
        main._stop_interrupted(job, OmegaConf.create({}))
    assert stopped.value.code == EXIT_INTERRUPTED
    text = (tmp_path / "error.txt").read_text()
    assert text.startswith("interrupted (Ctrl-C) before the run finished; to run it again here:")
    assert text.rstrip().endswith("resume=true")


INTERRUPTED_AND_HANDLED = textwrap.dedent(
    """
    import atexit, signal, sys, types
    from threshold_sweep.cli import interrupt

    def work():
        atexit.register(print, "interpreter shut down")
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            print("marked unfinished", flush=True)  # as run_job does, then exit 130
        sys.exit(130)

    sys.modules["fake_entry"] = types.SimpleNamespace(main=work)
    interrupt.run_interruptible("fake_entry:main")()
    """
)


def test_an_interrupted_command_ends_at_once_without_the_interpreter_shutdown():
    # CPython 3.11 may end a process whose Ctrl-C passed through library code by SIGINT at
    # shutdown (exit -2, seen in the twenty-moments test): once interrupted, os._exit(130)
    result = _run(INTERRUPTED_AND_HANDLED)
    assert result.returncode == EXIT_INTERRUPTED, result.stderr
    assert result.stdout == "marked unfinished\n"  # no atexit: the shutdown was skipped


def test_a_ctrl_c_that_surfaces_as_a_config_error_ends_as_an_interruption(monkeypatch, capsys):
    """A Ctrl-C inside Hydra's composition can leave OmegaConf half-built and surface as
    another exception (seen in CI: "'NoneType' object has no attribute
    '_invalidate_flags_cache'"); once Ctrl-C was pressed, precheck raises KeyboardInterrupt
    (exit 130, "interrupted") instead of calling it a config error (exit 2)."""
    import signal

    import pytest

    from threshold_sweep.cli.interrupt import Interruption
    from threshold_sweep.cli.main import config_dir
    from threshold_sweep.cli.precheck import precheck
    from threshold_sweep.conf.store import register_configs

    register_configs()
    bad = ["train.epochs=many"]
    with pytest.raises(SystemExit) as refused:
        precheck(bad, config_dir())
    assert refused.value.code == 2 and "train.epochs" in capsys.readouterr().err
    pressed = Interruption()
    pressed.received = True
    monkeypatch.setattr(signal, "getsignal", lambda signum: pressed)
    with pytest.raises(KeyboardInterrupt):
        precheck(bad, config_dir())
    assert capsys.readouterr().err == ""
