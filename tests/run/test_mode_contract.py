"""Every run mode keeps the same run-folder contract: the files a run writes are the ones
layout names (so a re-run clears them), metrics.json holds every key a single split's has plus
the mode's own section, and the report opens the same way. A new mode adds one line to MODES."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from threshold_sweep import layout
from threshold_sweep.pipeline.modes import MODES, mode_name
from threshold_sweep.results.read import load_run

from conftest import TINY, compose_config, made_once, run_app

# each mode's tiny run, and the metrics.json section that only it writes (None: none)
MODE_RUNS = {
    "single": ([], None),
    "crossval": (["split=kfold", "split.folds=3"], "cross_validation"),
    # with its folder per threshold, which shares the contract (evaluate.threshold_folders)
    "cumulative": (
        ["model.head=cumulative", "label.threshold=[100,1000]", "evaluate.threshold_folders=true"],
        "cumulative",
    ),
}
# what a mode writes besides layout.RUN_FILES / RUN_FOLDERS: Hydra's record and the log
BOOKKEEPING = {".hydra", "threshold-sweep.log"}
SHARED_FILES = {
    layout.METRICS_JSON,
    layout.METRICS_CSV,
    *layout.PREDICTIONS.values(),
    layout.TEST_IDS,
    layout.DATA_SUMMARY,
    layout.HISTORY,
    layout.REPORT_MD,
    layout.REPORT_HTML,
    layout.TIMING,
    layout.REFERENCE_PREDICTIONS,
    layout.PLOTS,
}


def test_every_registered_mode_has_a_contract_run():
    assert set(MODES) == set(MODE_RUNS)


@pytest.mark.parametrize("mode", sorted(MODE_RUNS))
def test_each_contract_config_selects_its_mode(mode):
    assert mode_name(compose_config(*MODE_RUNS[mode][0])) == mode


def _every_mode(cwd: Path):
    """One tiny run of each mode, in <mode>/; the first that fails, else the last."""
    for mode, (args, _) in MODE_RUNS.items():
        done = run_app(
            [*args, *TINY, "evaluate.reference=[logistic]", f"hydra.run.dir={mode}"], cwd
        )
        if done.returncode != 0:
            return done
    return done


@pytest.fixture(scope="module")
def mode_runs(tmp_path_factory) -> dict[str, Path]:
    """Each mode's run folder (trained once per session)."""
    cwd, done = made_once(tmp_path_factory, "every_mode", _every_mode)
    assert done.returncode == 0, done.stderr
    return {mode: cwd / mode for mode in MODE_RUNS}


@pytest.mark.slow
def test_every_mode_writes_only_what_layout_names_and_all_it_shares(mode_runs):
    known = {*layout.RUN_FILES, *layout.RUN_FOLDERS, *BOOKKEEPING}
    for name, folder in _record_folders(mode_runs).items():
        written = {path.name for path in folder.iterdir()}
        assert written <= known, (name, written - known)  # a re-run would leave these stale
        assert layout.ERROR_TXT not in written
    for mode, folder in mode_runs.items():  # a per-threshold folder shares its run's data files
        written = {path.name for path in folder.iterdir()}
        assert written >= SHARED_FILES, (mode, SHARED_FILES - written)


BINARY_ONLY = {"balanced_view", "skill", "tuned_cutoff"}  # assess adds them for two classes
ORDERED_ONLY = {"ordinal"}  # k ordered classes: their order's metrics


def _keys_of_a_single_split(single: dict, task: str) -> set[str]:
    """metrics.json's keys of a (binary) single split's run, for a run of `task`."""
    return set(single) if task == "binary" else (set(single) - BINARY_ONLY) | ORDERED_ONLY


def _record_folders(mode_runs: dict[str, Path]) -> dict[str, Path]:
    """Every run folder of the modes, a cumulative run's per-threshold folders included."""
    folders = dict(mode_runs)
    for folder in sorted((mode_runs["cumulative"] / layout.THRESHOLDS).glob("threshold=*")):
        folders[f"cumulative {folder.name}"] = folder
    return folders


@pytest.mark.slow
def test_every_mode_records_the_single_splits_keys_and_only_its_own_section(mode_runs):
    folders = _record_folders(mode_runs)
    assert len(folders) == len(mode_runs) + 2  # the cumulative run's two thresholds
    results = {m: json.loads((f / layout.METRICS_JSON).read_text()) for m, f in folders.items()}
    single = results["single"]
    for name, result in results.items():
        section = MODE_RUNS[name.split()[0]][1]
        shared = _keys_of_a_single_split(single, result["task"])
        assert shared <= set(result), (name, shared - set(result))
        assert set(result) - shared == ({section} if section else set()), name
        assert result["status"] == "complete" and result["schema_version"] == layout.SCHEMA_VERSION
        run = load_run(folders[name])  # the reader every later stage uses takes it
        assert run.result["test"]["n"] == result["test"]["n"]


@pytest.mark.slow
def test_every_modes_report_opens_with_its_title_and_verdict_on_the_test_rows(mode_runs):
    for name, folder in _record_folders(mode_runs).items():
        lines = [line for line in (folder / layout.REPORT_MD).read_text().splitlines() if line]
        n_test = json.loads((folder / layout.METRICS_JSON).read_text())["test"]["n"]
        assert lines[0].startswith("# Run report: "), (name, lines[0])
        at = next(i for i, line in enumerate(lines) if line.startswith("**The model "))
        # before the verdict, at most: a test set too small to decide, a per-threshold
        # folder's note on the model it is one output of
        leads = ("**The test set is too small to conclude much**", "**Output ")
        assert at <= 3 and all(line.startswith(leads) for line in lines[1:at]), (name, lines[:at])
        assert (at == 1) == (name in MODE_RUNS and "too small" not in lines[1]), name
        assert f"on {n_test} test rows" in lines[at], (name, lines[at])
        assert lines[at + 1].startswith("Against competent models fitted on "), name
