"""The model that `model._target_` builds, checked before it is compiled (imports TensorFlow).

A builder is called as `build(input_shape, n_outputs, **the other model.* keys)` with
`input_shape = (length, channels)` and `n_outputs` 1 for two classes (the positive class's
probability) or k for k ordered classes (one probability per class), and returns an
uncompiled `keras.Model` whose output is (batch, n_outputs): sigmoid or softmax probabilities.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from threshold_sweep.components import (
    bind,
    first_line,
    locate,
    raised_at,
    source_file,
    target_error,
)
from threshold_sweep.conf.heads import HEAD_KEYS
from threshold_sweep.errors import UserError

PROBE_ROWS = 8


def n_outputs(n_classes: int) -> int:
    """1 output (the positive class's probability) for two classes, else one per class."""
    return 1 if n_classes == 2 else n_classes


def head_fix(outputs: int) -> str:
    """How a model should end to give `outputs` probabilities."""
    if outputs == 1:
        return "end it with Dense(1, activation='sigmoid') (two classes)"
    return f"end it with Dense({outputs}, activation='softmax') ({outputs} ordered classes)"


def builder_node(model_cfg: Any) -> Any:
    """model.* without the keys the run reads itself (model.head, model.head_consistency)."""
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(model_cfg, resolve=True)
    return OmegaConf.create({k: v for k, v in node.items() if k not in HEAD_KEYS})


def call_builder(model_cfg: Any, input_shape: tuple[int, int], outputs: int) -> Any:
    """Whatever the builder returns for this input shape and output count."""
    path = model_cfg._target_
    builder = bind(builder_node(model_cfg), "model")
    try:
        return builder(input_shape, outputs)
    except UserError:
        raise
    except Exception as error:  # the user's code: one line that says where in it it raised
        where = raised_at(error, source_file(locate(path)))
        raise target_error(
            "model",
            path,
            f"the builder raised {first_line(error)}{where}",
            f"fix the builder or the model.* keys; it is called as {path}({input_shape}, "
            f"{outputs}, **the other model.* keys)",
        ) from None


def probe_output(model: Any, path: str, probe: np.ndarray) -> np.ndarray:
    """The model's output on a few training rows, as float64 (UserError if it cannot run)."""
    try:
        output = model(probe, training=False)
    except Exception as error:
        raise target_error(
            "model",
            path,
            f"calling the model on a batch of shape {probe.shape} raised {first_line(error)}",
            f"the model must take inputs of shape (length, channels) = {probe.shape[1:]}",
        ) from None
    if isinstance(output, list | tuple | dict):
        raise target_error(
            "model", path, f"the model has {len(output)} outputs", "give it one output"
        )
    return np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float64)


def check_probabilities(values: np.ndarray, path: str, outputs: int, tolerance: float) -> None:
    """The output must be (batch, outputs) probabilities; softmax rows must sum to 1."""
    expected = (len(values), outputs)
    if values.shape != expected:
        shape = (None, *values.shape[1:])
        raise target_error(
            "model",
            path,
            f"the model's output has shape {shape} but must be (None, {outputs})",
            head_fix(outputs),
        )
    if not (np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1):
        raise target_error(
            "model",
            path,
            f"the model's outputs are not probabilities (from {values.min():.3g} to "
            f"{values.max():.3g} on {len(values)} training rows)",
            head_fix(outputs),
        )
    sums = values.sum(axis=1)
    if outputs > 1 and np.abs(sums - 1).max() > tolerance:
        raise target_error(
            "model",
            path,
            f"the model's {outputs} outputs do not sum to 1 (row sums {sums.min():.3g} to "
            f"{sums.max():.3g})",
            head_fix(outputs),
        )


def build_model(
    model_cfg: Any,
    input_shape: tuple[int, int],
    n_classes: int,
    probe: np.ndarray,
    head: Any = None,
) -> Any:
    """The model `model._target_` builds, checked on `probe` rows before it is compiled.

    `head`, for a head other than class probabilities (e.g. one output per threshold): it says
    how many outputs the builder is asked for (`head.outputs(n_classes)`) and replaces the
    built model's last layer (`head.attach(model, path, probe output, outputs)`); its outputs
    are then probabilities each, not summing to 1."""
    outputs = head.outputs(n_classes) if head is not None else n_outputs(n_classes)
    shape = (int(input_shape[0]), int(input_shape[1]))
    model = call_builder(model_cfg, shape, outputs)
    path = model_cfg._target_
    if not isinstance(model, keras.Model):
        raise target_error(
            "model",
            path,
            f"the builder returned a {type(model).__name__}, not a keras.Model",
            "return the (uncompiled) keras.Model it builds",
        )
    values = probe_output(model, path, probe[:PROBE_ROWS])
    if head is not None:
        model = head.attach(model, path, values, outputs)
        values = probe_output(model, path, probe[:PROBE_ROWS])
        check_probabilities(values, path, outputs, tolerance=np.inf)  # one sigmoid each, no sum
        return model
    tolerance = 1e-2 if model.compute_dtype == "float16" else 1e-4
    check_probabilities(values, path, outputs, tolerance)
    return model
