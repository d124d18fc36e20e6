"""The residual network (ResNet) of Wang, Yan & Oates (2017) (imports TensorFlow).

Three residual blocks of three Conv1D + BatchNorm layers (widths 8, 5 and 3; 64, 128 and 128
filters), ReLU between them and after the sum; the shortcut is a 1x1 Conv1D + BatchNorm where
the block changes the number of channels and a BatchNorm otherwise (as in the reference code of
Ismail Fawaz et al., "Deep learning for time series classification: a review", 2019), then
global average pooling and the output layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from threshold_sweep.model.cnn1d import pool_features, probability_head


def residual_block(hidden: Any, width: int, kernel_sizes: Sequence[int], name: str) -> Any:
    """Conv1D + BN per kernel size (ReLU between), plus the shortcut, then ReLU."""
    shortcut = hidden
    for index, size in enumerate(kernel_sizes, start=1):
        hidden = layers.Conv1D(width, int(size), padding="same", name=f"{name}_conv{index}")(hidden)
        hidden = layers.BatchNormalization(name=f"{name}_bn{index}")(hidden)
        if index < len(kernel_sizes):
            hidden = layers.Activation("relu", name=f"{name}_relu{index}")(hidden)
    if shortcut.shape[-1] != width:
        shortcut = layers.Conv1D(width, 1, padding="same", name=f"{name}_shortcut_conv")(shortcut)
    shortcut = layers.BatchNormalization(name=f"{name}_shortcut_bn")(shortcut)
    hidden = layers.Add(name=f"{name}_add")([hidden, shortcut])
    return layers.Activation("relu", name=f"{name}_relu")(hidden)


def build_resnet(
    input_shape: tuple[int, int],
    n_outputs: int,
    *,
    name: str = "resnet",
    filters: Sequence[int] = (64, 128, 128),
    kernel_sizes: Sequence[int] = (8, 5, 3),
    global_pool: Any = "avg",
) -> keras.Model:
    """One residual block per filter count, a global pooling and a probability output."""
    inputs = keras.Input(shape=tuple(input_shape), name="sequence")
    hidden = inputs
    for block, width in enumerate(filters, start=1):
        hidden = residual_block(hidden, int(width), kernel_sizes, f"block{block}")
    hidden = pool_features(hidden, global_pool)
    return keras.Model(inputs, probability_head(hidden, int(n_outputs)), name=name)
