"""The fully convolutional network (FCN) of Wang, Yan & Oates (2017) (imports TensorFlow).

Z. Wang, W. Yan, T. Oates, "Time series classification from scratch with deep neural
networks: a strong baseline", IJCNN 2017: three Conv1D + BatchNorm + ReLU blocks (128, 256
and 128 filters of widths 8, 5 and 3), global average pooling and the output layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from threshold_sweep.model.cnn1d import pool_features, probability_head


def conv_bn_relu(hidden: Any, width: int, kernel_size: int, name: str) -> Any:
    """Conv1D (same padding), BatchNormalization and ReLU."""
    hidden = layers.Conv1D(width, kernel_size, padding="same", name=f"{name}_conv")(hidden)
    hidden = layers.BatchNormalization(name=f"{name}_bn")(hidden)
    return layers.Activation("relu", name=f"{name}_relu")(hidden)


def build_fcn(
    input_shape: tuple[int, int],
    n_outputs: int,
    *,
    name: str = "fcn",
    filters: Sequence[int] = (128, 256, 128),
    kernel_sizes: Sequence[int] = (8, 5, 3),
    global_pool: Any = "avg",
) -> keras.Model:
    """One Conv1D + BN + ReLU block per filter count, a global pooling, a probability output."""
    inputs = keras.Input(shape=tuple(input_shape), name="sequence")
    hidden = inputs
    for block, (width, size) in enumerate(zip(filters, kernel_sizes, strict=True)):
        hidden = conv_bn_relu(hidden, int(width), int(size), f"block{block + 1}")
    hidden = pool_features(hidden, global_pool)
    return keras.Model(inputs, probability_head(hidden, int(n_outputs)), name=name)
