"""The command line: help without TensorFlow, and one-line errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from threshold_sweep.cli.main import Job, resume_command

from conftest import imports_tensorflow, run_app, run_cli


@pytest.mark.parametrize(
    "argv",
    [
        ["threshold-sweep", "--help"],
        ["threshold-sweep", "data=table", "--help"],
        ["threshold-sweep", "--cfg", "job"],
    ],
)
def test_help_and_cfg_do_not_import_tensorflow(argv, tmp_path):
    out = imports_tensorflow(argv, cwd=tmp_path)
    assert out.strip().endswith("NO_TF")
    assert "label" in out and "sampling" in out


def test_help_lists_groups_and_examples(tmp_path):
    done = run_app(["--help", "train.epochs=7"], tmp_path)
    assert done.returncode == 0
    for text in (
        "sampling: undersample (default), class_weight, none, oversample",
        "tracking: none (default), mlflow",
        "+experiment: seed_pitch_lr, seed_thresholds, seed_thresholds_repeats",
        "-m label.threshold=100,1000",
        "threshold-sweep-report",
        "label.threshold = null",  # the current config, overrides applied (null: 100)
        "train.epochs = 7",
    ):
        assert text in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "label.threshold=1,2", "train.epchs=3"], "did you mean train.epochs?"),
        (["data=table", "data.pth=x.csv"], "unknown config key data.pth (did you mean data.path?)"),
        (["train.epochs=many"], "Value 'many' of type 'str' could not be converted to Integer"),
        (["data=tabel"], "data=tabel: no such option (did you mean table?)"),
        (["data=tabel", "--help"], "data=tabel: no such option (did you mean table?)"),
        (["train.epchs=3", "-h"], "did you mean train.epochs?"),
        (["sampling.strategy=smote"], "expected one of [undersample, oversample, class_weight"),
        (["label.threshold=[100,"], "cannot parse an override"),
        (["--cfg", "job", "-m", "label.threshold=1,2"], "--cfg and -m cannot be combined: use one"),
        (["--info", "--multirun"], "--info and -m cannot be combined: use one"),
    ],
)
def test_config_errors_stop_before_any_work(args, message, tmp_path):
    done = run_app(args, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert not (tmp_path / "outputs").exists()


def test_report_command_errors(tmp_path):
    done = run_app([str(tmp_path / "missing")], tmp_path, module="threshold_sweep.cli.report")
    assert done.returncode == 2 and "is not a directory" in done.stderr
    done = run_app([str(tmp_path)], tmp_path, module="threshold_sweep.cli.report")
    assert done.returncode == 2 and "no runs under" in done.stderr


def _failed_run_folder(root: Path) -> Path:
    """A sweep folder holding one failed run: enough for the report command, no training."""
    run = root / "sweep" / "label.threshold=5"
    run.mkdir(parents=True)
    (run / "error.txt").write_text("label.threshold=5 is outside the range of x\n")
    return root / "sweep"


@pytest.mark.slow  # a new process (webbrowser reads BROWSER once per process): ~2 CPU s
def test_report_open_uses_the_browser_variable(tmp_path):
    sweep = _failed_run_folder(tmp_path)
    record = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{record}"\n')
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser)}
    done = subprocess.run(
        [sys.executable, "-m", "threshold_sweep.cli.report", str(sweep), "--open"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the one run failed
    assert record.read_text() == (sweep / "index.html").resolve().as_uri()
    assert "failed to run" not in done.stdout and "no web browser" not in done.stdout


@pytest.mark.parametrize("failure", ["false", "error"])
def test_report_open_without_a_browser_says_where_the_page_is(
    failure, tmp_path, monkeypatch, capsys
):
    import webbrowser

    from threshold_sweep.cli import report as report_cli

    def no_browser(url: str) -> bool:
        if failure == "error":
            raise webbrowser.Error("could not locate runnable browser")
        return False

    monkeypatch.setattr(webbrowser, "open", no_browser)
    sweep = _failed_run_folder(tmp_path)
    assert report_cli.main([str(sweep), "--open"]) == 1
    lines = capsys.readouterr().out.splitlines()
    page = (sweep / "index.html").resolve()
    assert lines[-1] == f"no web browser available; open {page} yourself"


def test_report_open_on_a_run_folder_opens_its_report(tmp_path, monkeypatch):
    import webbrowser

    from threshold_sweep.cli import report as report_cli

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    run = tmp_path / "run"
    run.mkdir()
    (run / "error.txt").write_text("boom\n")
    (run / "report.html").write_text("<!DOCTYPE html><title>r</title>")
    assert report_cli.main([str(run), "--open"]) == 1
    assert opened == [(run / "report.html").resolve().as_uri()]
    assert sorted(p.name for p in run.iterdir()) == ["error.txt", "report.html"]  # no summary


def test_other_commands_print_their_version(capsys):
    from threshold_sweep import __version__
    from threshold_sweep.cli import predict as predict_cli
    from threshold_sweep.cli import report as report_cli

    for main, prog in (
        (report_cli.main, "threshold-sweep-report"),
        (predict_cli.main, "threshold-sweep-predict"),
    ):
        with pytest.raises(SystemExit) as stop:
            main(["--version"])
        assert stop.value.code == 0
        assert capsys.readouterr().out.strip() == f"{prog} {__version__}"


def test_unknown_key_added_with_plus_is_rejected(tmp_path):
    done = run_app(["+label.thresold=5"], tmp_path)
    assert done.returncode == 2
    assert "unknown config key label.thresold: did you mean label.threshold?" in done.stderr


@pytest.mark.parametrize("key", ["hydra.run.dir", "hydra.sweep.dir"])
def test_unwritable_output_folder_is_one_line(key, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    args = (["-m", "label.threshold=100,1000"] if "sweep" in key else []) + [f"{key}={blocker}/x"]
    done = run_app(args, tmp_path)
    assert done.returncode == 2
    assert f"cannot write the output folder {blocker}/x ({key})" in done.stderr
    assert "Traceback" not in done.stderr


def test_rerun_into_a_used_folder_drops_stale_results(tmp_path):
    folder = tmp_path / "reused"
    (folder / "plots").mkdir(parents=True)
    (folder / "tensorboard" / "train").mkdir(parents=True)
    (folder / "metrics.json").write_text("{}")
    (folder / "plots" / "roc.png").write_text("old")
    (folder / "tensorboard" / "train" / "events.out.tfevents.1").write_text("old")
    done = run_app([f"hydra.run.dir={folder}", "label.threshold=1e9"], tmp_path)
    assert done.returncode == 2
    assert not (folder / "metrics.json").exists() and not (folder / "plots").exists()
    assert not (folder / "tensorboard").exists()
    assert "outside the range" in (folder / "error.txt").read_text()
    assert oct((folder / "error.txt").stat().st_mode & 0o777) != oct(0o600)


def test_a_config_error_leaves_no_run_folder_for_a_report_to_count(tmp_path):
    done = run_app(["label.threshold=1e9", "data.n_samples=300"], tmp_path)
    assert done.returncode == 2 and "outside the range of x" in done.stderr
    assert "Logging error" not in done.stderr  # the log file closed before its folder went
    assert list(tmp_path.iterdir()) == []  # not even outputs/runs/, made for that run
    (tmp_path / "outputs" / "runs" / "other").mkdir(parents=True)  # another run's, say
    done = run_app(["label.threshold=1e9", "data.n_samples=300"], tmp_path)
    assert done.returncode == 2 and list((tmp_path / "outputs" / "runs").iterdir()) == [
        tmp_path / "outputs" / "runs" / "other"
    ]
    report = run_app(["outputs"], tmp_path, module="threshold_sweep.cli.report")
    assert report.returncode == 2 and "no runs under" in report.stderr


def test_version_is_ours(tmp_path):
    from threshold_sweep import __version__

    done = run_cli(["--version"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip().startswith(f"threshold-sweep {__version__} (Hydra 1.3")


@pytest.mark.parametrize(
    ("args", "sweep_dir", "expected"),
    [
        (
            ["label.threshold=250", "hydra.run.dir=old", "resume=false"],
            None,
            "threshold-sweep label.threshold=250 hydra.run.dir=/r/run resume=true",
        ),
        (
            ["-m", "label.threshold=100,1000", "model.filters=[4]"],
            Path("/r/sweep"),
            "threshold-sweep -m label.threshold=100,1000 'model.filters=[4]' "
            "hydra.sweep.dir=/r/sweep resume=true",
        ),
    ],
)
def test_the_resume_hint_names_the_folder_of_a_run_or_a_sweep(args, sweep_dir, expected):
    job = Job(out_dir=Path("/r/run"), cwd="/r", sweep_dir=sweep_dir)
    assert resume_command(args, job) == expected
