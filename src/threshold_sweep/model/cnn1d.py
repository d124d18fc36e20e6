"""The Keras 1D CNN (imports TensorFlow: only loaded when a model is built)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers


def _conv_blocks(
    hidden: Any, steps: int, filters: Sequence[int], kernel_size: int, pool_size: int
) -> Any:
    """One Conv1D per entry of `filters`, each followed by pooling while the sequence allows."""
    for block, width in enumerate(filters):
        hidden = layers.Conv1D(
            int(width), int(kernel_size), padding="same", activation="relu", name=f"conv{block + 1}"
        )(hidden)
        if pool_size > 1 and steps >= 2 * pool_size:
            hidden = layers.MaxPooling1D(int(pool_size), name=f"pool{block + 1}")(hidden)
            steps //= int(pool_size)
    return hidden


def pool_features(hidden: Any, global_pool: Any) -> Any:
    """Average, max, both (concatenated), flatten (keeps position), or flatten beside average
    and max (flatten_avg_max), of the feature maps."""
    pool = getattr(global_pool, "value", global_pool)
    if pool == "avg":
        return layers.GlobalAveragePooling1D(name="global_pool")(hidden)
    if pool == "max":
        return layers.GlobalMaxPooling1D(name="global_pool")(hidden)
    if pool in ("avg_max", "flatten_avg_max"):
        average = layers.GlobalAveragePooling1D(name="global_avg_pool")(hidden)
        maximum = layers.GlobalMaxPooling1D(name="global_max_pool")(hidden)
        pooled = [average, maximum]
        if pool == "flatten_avg_max":
            pooled.append(layers.Flatten(name="flatten")(hidden))
        return layers.Concatenate(name="global_pool")(pooled)
    return layers.Flatten(name="flatten")(hidden)


def probability_head(hidden: Any, n_outputs: int) -> Any:
    """Dense(1, sigmoid) for two classes, Dense(k, softmax) for k ordered classes (float32)."""
    activation = "sigmoid" if n_outputs == 1 else "softmax"
    return layers.Dense(n_outputs, activation=activation, name="probability", dtype="float32")(
        hidden
    )


def build_cnn1d(
    input_shape: tuple[int, int],
    n_outputs: int,
    *,
    name: str = "cnn1d",
    filters: Sequence[int] = (16, 32),
    kernel_size: int = 5,
    pool_size: int = 2,
    global_pool: Any = "flatten",
    dropout: float = 0.2,
    dense_units: int = 32,
) -> keras.Model:
    """Conv1D blocks, a global pooling, dropout, a dense layer and a probability output."""
    inputs = keras.Input(shape=tuple(input_shape), name="sequence")
    hidden = _conv_blocks(inputs, int(input_shape[0]), filters, kernel_size, pool_size)
    hidden = pool_features(hidden, global_pool)
    if dropout > 0:
        hidden = layers.Dropout(float(dropout), name="dropout")(hidden)
    if dense_units > 0:
        hidden = layers.Dense(int(dense_units), activation="relu", name="dense")(hidden)
    return keras.Model(inputs, probability_head(hidden, int(n_outputs)), name=name)
