"""The Keras 1D CNN (imports TensorFlow: only loaded when a model is built)."""

from __future__ import annotations

from typing import Any

import keras
from keras import layers


def build_cnn1d(input_shape: tuple[int, int], n_classes: int, cfg: Any) -> keras.Model:
    """Conv1D blocks, a global pooling, dropout, a dense layer and a sigmoid output."""
    inputs = keras.Input(shape=input_shape, name="sequence")
    hidden = inputs
    steps = input_shape[0]
    for block, filters in enumerate(cfg.filters):
        hidden = layers.Conv1D(
            int(filters),
            int(cfg.kernel_size),
            padding="same",
            activation="relu",
            name=f"conv{block + 1}",
        )(hidden)
        if cfg.pool_size > 1 and steps >= 2 * cfg.pool_size:
            hidden = layers.MaxPooling1D(int(cfg.pool_size), name=f"pool{block + 1}")(hidden)
            steps //= int(cfg.pool_size)
    pool = getattr(cfg.global_pool, "value", cfg.global_pool)
    if pool == "avg":
        hidden = layers.GlobalAveragePooling1D(name="global_pool")(hidden)
    elif pool == "max":
        hidden = layers.GlobalMaxPooling1D(name="global_pool")(hidden)
    else:
        hidden = layers.Flatten(name="flatten")(hidden)
    if cfg.dropout > 0:
        hidden = layers.Dropout(float(cfg.dropout), name="dropout")(hidden)
    if cfg.dense_units > 0:
        hidden = layers.Dense(int(cfg.dense_units), activation="relu", name="dense")(hidden)
    if n_classes == 2:
        outputs = layers.Dense(1, activation="sigmoid", name="probability", dtype="float32")(hidden)
    else:
        outputs = layers.Dense(
            n_classes, activation="softmax", name="probability", dtype="float32"
        )(hidden)
    return keras.Model(inputs, outputs, name="cnn1d")
