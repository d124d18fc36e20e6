"""`threshold-sweep-report RUN --threshold T`: a cumulative run's threshold folder written after
the run, from its files. The slow tests train three runs on the same rows once (a cumulative run
with its threshold folders, the same run without them, a dedicated binary run at its middle
threshold) and check the rebuilt folders against the ones the run wrote; the fast ones check the
one-line errors on made-up run folders."""

from __future__ import annotations

import errno
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn import metrics as skm

from conftest import TINY, made_once, run_app, run_cli

REPORT = "threshold_sweep.cli.report"
CUMULATIVE = [
    *TINY,
    "data.n_samples=1500",
    "model.head=cumulative",
    "label.bins=4",
    "evaluate.reference=[logistic]",
]
FILES = (
    "predictions.csv",
    "predictions_validation.csv",
    "predictions_train.csv",
    "predictions_reference.csv",
)
LOG_PREFIX = re.compile(r"^\[[^]]*\]\[[A-Z]+\] ")  # Hydra's '[time][LEVEL] ' before a message


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def threshold_runs(tmp_path_factory) -> Path:
    """runs/folders (evaluate.threshold_folders=true), runs/plain (the same run without them)
    and runs/dedicated (a binary run at the middle threshold), with each run's stderr."""

    def make(cwd: Path):
        for name, extra in (("folders", ["evaluate.threshold_folders=true"]), ("plain", [])):
            done = run_app([*CUMULATIVE, *extra, f"hydra.run.dir=runs/{name}"], cwd)
            (cwd / f"{name}.stderr").write_text(done.stderr)
            if done.returncode:
                return done
        middle = read_json(cwd / "runs/plain/metrics.json")["cumulative"]["thresholds"][1]
        dedicated = [*TINY, "data.n_samples=1500", f"label.threshold={middle!r}"]
        return run_app([*dedicated, "evaluate.reference=[]", "hydra.run.dir=runs/dedicated"], cwd)

    root, done = made_once(tmp_path_factory, "threshold_runs", make)
    assert done.returncode == 0, done.stderr[-3000:]
    return root / "runs"


def grid(run: Path) -> list[float]:
    return read_json(run / "metrics.json")["cumulative"]["thresholds"]


def plain_copy(threshold_runs: Path, tmp_path: Path, name: str = "plain") -> Path:
    """A copy of one of the trained runs, to write into."""
    return Path(shutil.copytree(threshold_runs / name, tmp_path / name))


def without_fingerprint(result: dict) -> dict:
    """metrics.json without config_sha256 (the two runs' configs differ in threshold_folders)."""
    return {key: value for key, value in result.items() if key != "config_sha256"}


def messages(stderr: str) -> list[str]:
    """The logged messages of a command's stderr, without Hydra's time and level prefix and
    without -X importtime's lines."""
    lines = [line for line in stderr.splitlines() if not line.startswith("import time:")]
    return [LOG_PREFIX.sub("", line) for line in lines if line.strip()]


@pytest.mark.slow
def test_the_folder_written_later_equals_the_one_the_run_wrote(threshold_runs, tmp_path):
    run = plain_copy(threshold_runs, tmp_path)
    t = grid(run)[1]
    done = run_app([str(run), "--threshold", f"{t:g}"], tmp_path, module=REPORT)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = run / "thresholds" / f"threshold={t:g}"
    assert done.stdout.splitlines() == [f"threshold={t:g} -> {folder / 'report.html'}"]
    written = threshold_runs / "folders" / "thresholds" / f"threshold={t:g}"
    rebuilt, expected = read_json(folder / "metrics.json"), read_json(written / "metrics.json")
    assert rebuilt["test"]["roc_auc"] == expected["test"]["roc_auc"]
    assert rebuilt["ci"]["test"]["roc_auc"] == expected["ci"]["test"]["roc_auc"]
    assert rebuilt["class_counts"] == expected["class_counts"]
    assert rebuilt["test"]["confusion_matrix"] == expected["test"]["confusion_matrix"]
    assert rebuilt["reference"]["models"] == expected["reference"]["models"]
    assert without_fingerprint(rebuilt) == without_fingerprint(expected)
    # the config was composed again exactly: the fingerprint the run recorded for itself
    assert rebuilt["config_sha256"] == read_json(run / "metrics.json")["config_sha256"]
    for name in FILES:
        pd.testing.assert_frame_equal(
            pd.read_csv(folder / name), pd.read_csv(written / name), check_exact=True
        )
    test = pd.read_csv(folder / "predictions.csv")
    parent = pd.read_csv(run / "predictions.csv")
    assert test["y_score"].tolist() == parent[f"p_above_{t:g}"].tolist()
    same = "threshold_folders: true"
    assert (folder / "report.md").read_text() == (written / "report.md").read_text().replace(
        same, "threshold_folders: false"
    )
    assert (folder / "report.html").exists() and (folder / "plots" / "roc.png").exists()
    assert not list(folder.parent.glob(".threshold=*"))  # no folder left half-written


@pytest.mark.slow
def test_every_threshold_in_a_new_process_without_tensorflow(threshold_runs, tmp_path):
    run = plain_copy(threshold_runs, tmp_path)
    env = {"PYTHONPROFILEIMPORTTIME": "1"}  # -X importtime: every module the command imported
    done = run_cli([str(run), "--threshold", "all"], tmp_path, module=REPORT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "threshold_sweep.pipeline.threshold_folders" in imported
    assert not {"tensorflow", "keras"} & set(imported)
    thresholds = grid(run)
    for t in thresholds:
        folder = run / "thresholds" / f"threshold={t:g}"
        written = threshold_runs / "folders" / "thresholds" / f"threshold={t:g}"
        assert without_fingerprint(read_json(folder / "metrics.json")) == without_fingerprint(
            read_json(written / "metrics.json")
        )
    summary = pd.read_csv(run / "thresholds" / "summary.csv")
    assert sorted(summary["threshold"]) == pytest.approx(thresholds)
    assert (run / "thresholds" / "index.html").exists()
    # a warning every threshold's evaluation gives prints once, with the count the run's own
    # threshold folders gave it
    counted = [m for m in messages(read_stderr(threshold_runs, "folders")) if "thresholds)" in m]
    assert counted, "the trained runs gave no warning at every threshold: nothing to compare"
    shown = Counter(messages(done.stderr))
    for message in counted:
        assert shown[message] == 1, message
        assert message.endswith(f"(at {len(thresholds)} thresholds)")
        assert shown[message.rsplit(" (at ", 1)[0]] == 0


def read_stderr(threshold_runs: Path, name: str) -> str:
    return (threshold_runs.parent / f"{name}.stderr").read_text()


@pytest.mark.slow
def test_a_run_without_folders_logs_no_message_once_per_threshold(threshold_runs):
    plain = Counter(messages(read_stderr(threshold_runs, "plain")))
    assert plain, "the run logged nothing"
    assert max(plain.values()) == 1, plain.most_common(3)
    assert not [m for m in plain if m.endswith("thresholds)")]
    # the same run with its folders logs per-threshold ones, with their count: this run has
    # none of them, not even once (it evaluates no threshold as a binary run)
    folders = messages(read_stderr(threshold_runs, "folders"))
    counted = [m.rsplit(" (at ", 1)[0] for m in folders if m.endswith("thresholds)")]
    assert counted and not set(counted) & set(plain)


@pytest.mark.slow
def test_shared_vs_dedicated_is_the_same_with_and_without_folders(threshold_runs, tmp_path):
    from threshold_sweep.sweep.collect import collect_runs
    from threshold_sweep.sweep.shared import shared_vs_dedicated

    tables = {}
    for name in ("folders", "plain"):
        root = tmp_path / name
        plain_copy(threshold_runs, root, name)
        plain_copy(threshold_runs, root, "dedicated")
        runs = collect_runs(root)
        tables[name] = shared_vs_dedicated(root, runs[runs["status"] == "complete"])
    t = grid(threshold_runs / "plain")[1]
    assert tables["folders"]["cumulative"].tolist() == [f"folders/thresholds/threshold={t:g}"] * 2
    assert tables["plain"]["cumulative"].tolist() == ["plain"] * 2
    assert tables["plain"]["metric"].tolist() == ["roc_auc", "balanced_accuracy"]
    pd.testing.assert_frame_equal(
        tables["folders"].drop(columns="cumulative"),
        tables["plain"].drop(columns="cumulative"),
        check_exact=True,
    )
    parent = pd.read_csv(threshold_runs / "plain" / "predictions.csv")
    roc = tables["plain"].iloc[0]
    expected = skm.roc_auc_score(parent["y_true"] > 1, parent[f"p_above_{t:g}"])
    assert roc["cumulative_value"] == pytest.approx(expected, abs=1e-12)
    assert roc["n_rows"] == len(parent) and roc["ci_low"] <= roc["difference"] <= roc["ci_high"]


@pytest.mark.slow
def test_other_data_since_the_run_is_refused(threshold_runs, tmp_path):
    run = plain_copy(threshold_runs, tmp_path)
    config = run / ".hydra" / "config.yaml"
    saved = yaml.safe_load(config.read_text())
    saved["data"]["n_samples"] = 1400
    config.write_text(yaml.safe_dump(saved))
    done = run_app([str(run), "--threshold", "all"], tmp_path, module=REPORT)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: --threshold: the train rows of {run} are not those its config gives now "
        "(1050 rows written, 980 prepared): the data changed since the run; run it again with "
        "evaluate.threshold_folders=true"
    ]
    assert "config_sha256 differs" in done.stderr  # said before the rows are compared
    assert "Traceback" not in done.stderr and not (run / "thresholds").exists()


@pytest.mark.slow
def test_a_failed_write_leaves_nothing_half_written(threshold_runs, tmp_path, monkeypatch):
    from threshold_sweep.pipeline.modes import cumulative

    def full_disk(folder: Path, *args) -> None:
        (folder / "predictions.csv").write_text("id\n")
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "report.md"))

    monkeypatch.setattr(cumulative, "write_threshold_run", full_disk)
    fresh = plain_copy(threshold_runs, tmp_path / "fresh")
    done = run_app([str(fresh), "--threshold", "all"], tmp_path, module=REPORT)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("error: cannot write ")
    assert "No space left on device" in done.stderr.splitlines()[-1]
    assert not (fresh / "thresholds").exists()
    # a run that has its folders keeps them as they were
    older = plain_copy(threshold_runs, tmp_path / "older", "folders")
    before = {p: p.read_bytes() for p in (older / "thresholds").rglob("*") if p.is_file()}
    done = run_app([str(older), "--threshold", "all"], tmp_path, module=REPORT)
    assert done.returncode == 2
    after = {p: p.read_bytes() for p in (older / "thresholds").rglob("*") if p.is_file()}
    assert after == before


# Made-up run folders: the errors come before anything is prepared or written.


def made_up_run(folder: Path, result: dict, hydra: bool = True) -> Path:
    """A run folder holding `result` as metrics.json (and a .hydra folder)."""
    if hydra:
        (folder / ".hydra").mkdir(parents=True)
    folder.mkdir(parents=True, exist_ok=True)
    basics = {"task": "binary", "test": {}, "training": {}, "ci": {}, "chance": {}}
    (folder / "metrics.json").write_text(json.dumps(basics | result))
    return folder


def cumulative_run(folder: Path) -> Path:
    section = {"head": "cumulative", "thresholds": [100.0, 1000.0], "cutoff": 0.5}
    return made_up_run(folder, {"threshold": [100.0, 1000.0], "cumulative": section})


def refused(tmp_path: Path, run: Path, *args: str) -> str:
    """The command's one stderr line, after checking the exit code and that nothing was
    written."""
    done = run_app([str(run), *args], tmp_path, module=REPORT)
    assert done.returncode == 2 and done.stdout == ""
    assert not (run / "thresholds").exists()
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_threshold_off_the_grid_lists_the_grid(tmp_path):
    run = cumulative_run(tmp_path / "cum")
    assert refused(tmp_path, run, "--threshold", "500") == (
        "error: --threshold 500: not one of the run's 2 thresholds (100, 1000); give one of them"
    )
    assert refused(tmp_path, run, "--threshold", "100", "--threshold", "high") == (
        "error: --threshold 'high' is not a number; give one of the run's thresholds: 100, 1000"
    )


def test_a_run_with_one_threshold_setting_is_not_a_cumulative_run(tmp_path):
    run = made_up_run(tmp_path / "t100", {"threshold": 100.0})
    assert refused(tmp_path, run, "--threshold", "100") == (
        f"error: --threshold: {run} is not a model.head=cumulative run (it has one threshold "
        "setting, label.threshold=100); give a model.head=cumulative run's folder"
    )


def test_one_thresholds_folder_names_its_run(tmp_path):
    parent = cumulative_run(tmp_path / "cum")
    section = {"head": "cumulative", "thresholds": [100.0, 1000.0], "output": 0, "parent": "../.."}
    folder = made_up_run(parent / "thresholds" / "threshold=100", {"cumulative": section}, False)
    assert refused(tmp_path, folder, "--threshold", "100") == (
        f"error: --threshold: {folder} is one threshold's folder of a cumulative run; give its "
        f"run folder {parent.resolve()}"
    )


def test_an_unfinished_or_failed_run_is_refused(tmp_path):
    unfinished = tmp_path / "unfinished"
    (unfinished / ".hydra").mkdir(parents=True)
    assert refused(tmp_path, unfinished, "--threshold", "100") == (
        f"error: --threshold: {unfinished} holds an unfinished run (no metrics.json: it was "
        "killed, or is still running); give it once it has finished, or finish it with "
        "resume=true"
    )
    failed = tmp_path / "failed"
    (failed / ".hydra").mkdir(parents=True)
    (failed / "error.txt").write_text("UserError: label.threshold=5 leaves too few rows\n")
    assert refused(tmp_path, failed, "--threshold", "all") == (
        f"error: {failed} holds a failed run: UserError: label.threshold=5 leaves too few rows"
    )
    missing = tmp_path / "missing"
    assert refused(tmp_path, missing, "--threshold", "100") == (
        f"error: {missing} is not a directory; give the folder of a model.head=cumulative run"
    )
