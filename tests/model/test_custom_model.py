"""model=custom: a builder from a module of the user's runs end to end from the command line;
its problems are found early (the module without importing TensorFlow) and leave no model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from threshold_sweep.components import TargetError, check_target, locate

from conftest import HELPER_PATH, compose_config, run_app

HELPERS = {"PYTHONPATH": HELPER_PATH}
TINY_DATA = ("data.n_samples=600", "data.length=16", "train.epochs=2", "train.threads=1")


def keras_config(model_file: Path) -> dict:
    """The model's architecture as saved in model.keras (a zip holding config.json)."""
    with zipfile.ZipFile(model_file) as archive:
        return json.loads(archive.read("config.json"))


def layer_configs(saved: dict) -> dict[str, dict]:
    """Layer name -> its config, from a saved functional model."""
    return {layer["config"]["name"]: layer["config"] for layer in saved["config"]["layers"]}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("labels", "n_outputs", "task"),
    [((), 1, "binary"), (("label.threshold=[100,1000]", "label.min_per_split=3"), 3, "multiclass")],
)
def test_custom_builder_runs_end_to_end(labels, n_outputs, task, tmp_path):
    args = [
        "model=custom",
        "model._target_=custom_models.build",
        "model.units=6",  # the builder's own argument, no leading +
        "model.name=my_model",
        *labels,
        *TINY_DATA,
        "hydra.run.dir=run",
    ]
    done = run_app(args, tmp_path, env=HELPERS)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "complete" and metrics["task"] == task
    assert metrics["training"]["epochs_run"] == 2
    saved = keras_config(run / "model.keras")
    assert saved["config"]["name"] == "my_model"
    layers = layer_configs(saved)
    assert {"my_input", "my_conv", "my_pool", "my_dense", "my_out"} <= set(layers)
    assert layers["my_input"]["batch_shape"] == [None, 16, 1]
    assert layers["my_conv"]["filters"] == 6 and layers["my_dense"]["units"] == 6
    assert layers["my_out"]["units"] == n_outputs
    assert layers["my_out"]["activation"] == ("sigmoid" if n_outputs == 1 else "softmax")
    config = (run / ".hydra" / "config.yaml").read_text()
    assert "_target_: custom_models.build" in config and "units: 6" in config


@pytest.mark.slow
def test_a_failing_builder_leaves_no_run_folder(tmp_path):
    args = ["model=custom", "model._target_=custom_models.two_outputs", *TINY_DATA]
    done = run_app([*args, "hydra.run.dir=run"], tmp_path, env=HELPERS)
    assert done.returncode == 2
    (error,) = [line for line in done.stderr.splitlines() if "error: " in line]
    assert "error: model._target_=custom_models.two_outputs: the model's output has" in error
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()  # a config error: nothing a report could count


def test_cfg_job_with_a_custom_builder_imports_no_tensorflow(tmp_path):
    argv = ["threshold-sweep", "--cfg", "job", "model=custom", "model._target_=custom_models.build"]
    code = (
        f"import sys; sys.argv = {argv!r}\n"
        "from threshold_sweep.cli.main import main\n"
        "main()\n"
        "print('TF' if 'tensorflow' in sys.modules or 'keras' in sys.modules else 'NO_TF')\n"
    )
    env = {**os.environ, **HELPERS}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "_target_: custom_models.build" in done.stdout
    assert done.stdout.strip().endswith("NO_TF")


def test_custom_model_keys_pass_through_the_schema():
    cfg = compose_config("model=custom", "model._target_=a.b", "model.units=64", "model.act=relu")
    assert dict(cfg.model) == {"_target_": "a.b", "units": 64, "act": "relu"}


def test_the_builtin_model_data_and_sampler_are_named_by_target():
    cfg = compose_config()
    assert cfg.model._target_ == "threshold_sweep.model.cnn1d.build_cnn1d"
    assert cfg.data._target_ == "threshold_sweep.data.synthetic_data"
    assert cfg.sampling._target_ == "threshold_sweep.prepare.sampling.sample_training_rows"
    for group in ("data=table", "data=arrays"):
        source = group.split("=")[1]
        target = compose_config(group, "data.path=x").data._target_
        assert target == f"threshold_sweep.data.{source}_data"


def test_the_sampler_is_bound_from_the_config():
    import numpy as np

    from threshold_sweep.components import bind

    cfg = compose_config("sampling=oversample", "train.seed=4")
    sampler = bind(cfg.sampling, "sampling")
    assert sampler.keywords["seed"] == 4
    y = np.array([0] * 8 + [1] * 2)
    rows = sampler(np.arange(10), y)
    assert np.bincount(y[rows.indices]).tolist() == [8, 8]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("no_such_pkg.build", "no module named 'no_such_pkg' on the Python path"),
        ("build", "not a dotted path to a function"),
        ("threshold_sweep.1x", "not a dotted path to a function"),
        ("threshold_sweep.model.cnn1d", "is a module, not a function in it"),
    ],
)
def test_check_target_finds_problems_without_importing(path, problem):
    with pytest.raises(TargetError, match=problem):
        check_target(path)


def test_check_target_runs_no_module(tmp_path):
    (tmp_path / "loud").mkdir()
    (tmp_path / "loud" / "__init__.py").write_text("raise RuntimeError('imported!')\n")
    (tmp_path / "loud" / "models.py").write_text("raise RuntimeError('imported!')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        check_target("loud.models.build")  # found by its folders, never run
        with pytest.raises(TargetError, match="importing loud failed: RuntimeError: imported!"):
            locate("loud.models.build")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("loud", None)


def test_locate_reports_a_missing_dependency_of_the_module(tmp_path):
    (tmp_path / "needs_dep.py").write_text("import not_installed_dep\n\ndef build(): ...\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(TargetError) as caught:
            locate("needs_dep.build")
    finally:
        sys.path.remove(str(tmp_path))
    assert "importing needs_dep failed: ModuleNotFoundError" in caught.value.problem
    assert (
        "needs_dep.py:1" in caught.value.problem and caught.value.fix == "install what it imports"
    )
