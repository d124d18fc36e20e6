"""model=fcn and model=resnet (Wang, Yan & Oates 2017) and the global pooling choices: each
builder gives probabilities of the right shape for two and three classes, short and long
sequences, one and three channels; both run end to end from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import compose_config, run_app

# narrow variants of each model: the same layers, a fraction of the cost
SMALL = {
    "cnn1d": ("model=cnn1d", "model.filters=[4,8]", "model.dense_units=4"),
    "fcn": ("model=fcn", "model.filters=[4,8,4]"),
    "resnet": ("model=resnet", "model.filters=[4,8,8]"),
}
TINY_DATA = ("data.n_samples=600", "data.length=16", "train.epochs=2", "train.threads=1")


def built(name: str, shape: tuple[int, int], n_classes: int, *overrides: str):
    """The model the run builds for `name` (checked by build_model) and its output on 5 rows."""
    from threshold_sweep.model.build import build_model

    cfg = compose_config(*SMALL[name], *overrides)
    probe = np.random.default_rng(0).normal(size=(5, *shape)).astype("float32")
    model = build_model(cfg.model, shape, n_classes, probe)
    return model, np.asarray(model(probe, training=False), dtype=np.float64)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("shape", [(4, 1), (16, 3)])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_each_builder_gives_probabilities_for_every_shape(name, shape, n_classes):
    model, output = built(name, shape, n_classes)
    outputs = 1 if n_classes == 2 else n_classes
    assert model.output_shape == (None, outputs)
    assert output.shape == (5, outputs)
    assert ((output >= 0) & (output <= 1)).all()
    if outputs > 1:
        np.testing.assert_allclose(output.sum(axis=1), 1, atol=1e-5)
    assert model.name == name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("pool", ["avg", "max", "avg_max", "flatten", "flatten_avg_max"])
def test_every_global_pool_builds(name, pool):
    model, output = built(name, (16, 3), 3, f"model.global_pool={pool}")
    np.testing.assert_allclose(output.sum(axis=1), 1, atol=1e-5)
    pooling = {"flatten": "flatten", "avg_max": "global_avg_pool"}.get(pool, "global_pool")
    pooling = "flatten" if pool == "flatten_avg_max" else pooling
    _, steps, channels = model.get_layer(pooling).input.shape
    pooled = model.get_layer("flatten" if pool == "flatten" else "global_pool").output.shape[-1]
    widths = {"flatten": steps * channels, "avg_max": 2 * channels}
    assert pooled == {**widths, "flatten_avg_max": (steps + 2) * channels}.get(pool, channels)


@pytest.mark.slow
def test_fcn_and_resnet_have_the_papers_layers():
    fcn, _ = built("fcn", (16, 1), 2, "model.filters=[128,256,128]")
    convs = [layer for layer in fcn.layers if type(layer).__name__ == "Conv1D"]
    assert [(c.filters, c.kernel_size[0]) for c in convs] == [(128, 8), (256, 5), (128, 3)]
    assert sum(type(layer).__name__ == "BatchNormalization" for layer in fcn.layers) == 3

    resnet, _ = built("resnet", (16, 1), 2, "model.filters=[64,128,128]")
    names = {layer.name for layer in resnet.layers}
    # a 1x1 conv shortcut where the width changes (1 -> 64 -> 128), a BatchNorm where it does not
    assert {"block1_shortcut_conv", "block2_shortcut_conv"} <= names
    assert "block3_shortcut_conv" not in names and "block3_shortcut_bn" in names
    kernels = [c.kernel_size[0] for c in resnet.layers if type(c).__name__ == "Conv1D"]
    assert kernels == [8, 5, 3, 1] * 2 + [8, 5, 3]


def test_the_paper_defaults_compose():
    fcn = compose_config("model=fcn").model
    assert fcn._target_ == "threshold_sweep.model.fcn.build_fcn"
    assert list(fcn.filters) == [128, 256, 128] and list(fcn.kernel_sizes) == [8, 5, 3]
    resnet = compose_config("model=resnet").model
    assert resnet._target_ == "threshold_sweep.model.resnet.build_resnet"
    assert list(resnet.filters) == [64, 128, 128] and list(resnet.kernel_sizes) == [8, 5, 3]
    assert fcn.global_pool.value == resnet.global_pool.value == "avg"


@pytest.mark.slow
def test_fcn_and_resnet_run_end_to_end(tmp_path):
    # three blocks of 4 filters (a key both models have: Hydra composes the default model with
    # the other overrides before it expands model=fcn,resnet)
    args = ["-m", "model=fcn,resnet", "model.filters=[4,4,4]"]
    done = run_app([*args, *TINY_DATA, "hydra.sweep.dir=sweep"], tmp_path)
    assert done.returncode == 0, done.stderr
    for name in ("fcn", "resnet"):
        (folder,) = (tmp_path / "sweep").glob(f"*model={name}*")
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["status"] == "complete"
        assert metrics["training"]["epochs_run"] == 2
        assert 0 <= metrics["test"]["roc_auc"] <= 1
