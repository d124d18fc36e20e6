"""The CLI keeps no module state: a sweep's failures are read from its run folders."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from threshold_sweep.cli.callbacks import failed_jobs
from threshold_sweep.cli.main import config_dir
from threshold_sweep.conf.store import register_configs


def _job(sweep_dir: Path, name: str, error: str | None, age: float = 0.0) -> Path:
    """A job folder, failed (error.txt written `age` seconds ago) or complete."""
    folder = sweep_dir / name
    folder.mkdir(parents=True)
    if error is None:
        (folder / "metrics.json").write_text("{}")
        return folder
    (folder / "error.txt").write_text(error + "\n")
    stamp = time.time() - age
    os.utime(folder / "error.txt", (stamp, stamp))
    return folder


def _started(folder: Path, age: float = 0.0) -> Path:
    """Hydra's record of a job that started `age` seconds ago."""
    (folder / ".hydra").mkdir(parents=True, exist_ok=True)
    (folder / ".hydra" / "config.yaml").write_text("seed: 0\n")
    stamp = time.time() - age
    os.utime(folder / ".hydra" / "config.yaml", (stamp, stamp))
    return folder


def test_failed_jobs_are_the_error_files_written_since_the_sweep_started(tmp_path):
    _started(_job(tmp_path, "label.threshold=1e9", "an earlier sweep's failure", age=3600), 3600)
    now = _started(_job(tmp_path, "label.threshold=2e9", "this sweep's failure"))
    _started(_job(tmp_path, "label.threshold=100", None))  # complete (or skipped by resume)
    _started(_job(tmp_path, "label.threshold=300", None), 3600)
    disk_full = _started(tmp_path / "label.threshold=1000")  # no error.txt, no metrics.json
    (tmp_path / ".sweep_progress").mkdir()
    assert failed_jobs(tmp_path, time.time() - 60) == sorted([now.resolve(), disk_full.resolve()])
    assert len(failed_jobs(tmp_path, 0.0)) == 3
    assert failed_jobs(tmp_path, time.time() + 60) == []


def _sweep_config(sweep_dir: Path) -> DictConfig:
    """The composed multirun config with Hydra's node, as the callbacks receive it."""
    register_configs()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(
            "config",
            overrides=[f"hydra.sweep.dir={sweep_dir}", "label.threshold=1e9"],
            return_hydra_config=True,
        )


@pytest.mark.parametrize("fail", [True, False])
def test_sweep_callbacks_summarise_every_job_then_exit_1_if_one_failed(tmp_path, capsys, fail):
    from hydra._internal.callbacks import Callbacks  # the order Hydra calls them in

    sweep_dir = tmp_path / "sweep"
    cfg = _sweep_config(sweep_dir)
    callbacks = Callbacks(cfg)
    _job(sweep_dir, "earlier", "an earlier sweep's failure", age=3600)
    callbacks.on_multirun_start(config=cfg, config_name="config")
    reason = "label.threshold=1e9 leaves too few rows" if fail else None
    _job(sweep_dir, "label.threshold=1e9", reason)
    if fail:
        with pytest.raises(SystemExit) as stop:
            callbacks.on_multirun_end(config=cfg, config_name="config")
        assert stop.value.code == 1
        assert capsys.readouterr().err.splitlines()[-1] == (
            "1 run(s) failed; see error.txt in each"
        )
    else:
        callbacks.on_multirun_end(config=cfg, config_name="config")  # the earlier one: no exit
    # every end hook ran before the exit: the summary is written and progress is cleaned up
    summary = (sweep_dir / "summary.md").read_text()
    assert "too few rows" in summary if fail else "too few rows" not in summary
    assert not (sweep_dir / ".sweep_progress").exists()


def test_the_help_shortcut_still_fits_hydra(monkeypatch):
    """The private method we replace for --help exists, is still what get_help calls, and
    scans the config groups unless replaced; our help template shows no group listing."""
    import inspect

    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import get_args_parser
    from omegaconf import OmegaConf

    from threshold_sweep.cli import main

    params = inspect.signature(Hydra.format_config_groups).parameters
    assert list(params) == ["self", "predicate", "compact"]
    assert params["compact"].default is True
    assert "self.format_config_groups(" in inspect.getsource(Hydra.get_help)

    hydra = object.__new__(Hydra)  # no config loader: a scan of the groups would fail
    monkeypatch.setattr(hydra, "list_all_config_groups", _no_scan, raising=False)
    help_cfg = OmegaConf.create({"template": "[$APP_CONFIG_GROUPS|$HYDRA_CONFIG_GROUPS]$CONFIG"})
    page = OmegaConf.create({"label": {"threshold": 100}})

    def help_text() -> str:
        return Hydra.get_help(hydra, help_cfg, page, get_args_parser(), resolve=False)

    with pytest.raises(AssertionError, match="scanned"):
        help_text()  # Hydra's own method lists the groups for every help page
    monkeypatch.setattr(Hydra, "format_config_groups", Hydra.format_config_groups)  # restored
    main.skip_hydra_config_group_listing()
    assert Hydra.format_config_groups is main._no_config_groups
    assert help_text() == "[|]label:\n  threshold: 100\n"

    help_node = _sweep_config(Path("sweep")).hydra.help
    template = OmegaConf.to_container(help_node, resolve=False)["template"]  # as written
    assert "Config groups" in template and "${ts_config_keys:}" in template
    assert "$APP_CONFIG_GROUPS" not in template and "$HYDRA_CONFIG_GROUPS" not in template


def _no_scan(*args: object, **kwargs: object) -> list[str]:
    """A config-group scan that must not happen."""
    raise AssertionError("scanned the config groups")
