"""Model builders for the tests of model=custom (on PYTHONPATH in the subprocess runs).

Each follows (or breaks on purpose) the documented convention
`build(input_shape, n_outputs, **keys) -> uncompiled keras.Model`.
"""

from __future__ import annotations

import keras
from keras import layers


def build(
    input_shape: tuple[int, int], n_outputs: int, units: int = 8, name: str = "my_model"
) -> keras.Model:
    """A small conv model whose layers have names of its own: my_conv, my_dense, my_out."""
    inputs = keras.Input(shape=input_shape, name="my_input")
    hidden = layers.Conv1D(units, 3, padding="same", activation="relu", name="my_conv")(inputs)
    hidden = layers.GlobalMaxPooling1D(name="my_pool")(hidden)
    hidden = layers.Dense(units, activation="relu", name="my_dense")(hidden)
    activation = "sigmoid" if n_outputs == 1 else "softmax"
    outputs = layers.Dense(n_outputs, activation=activation, name="my_out")(hidden)
    return keras.Model(inputs, outputs, name=name)


def raises(input_shape: tuple[int, int], n_outputs: int, **keys: object) -> keras.Model:
    """A builder with a bug."""
    raise ValueError(f"units must be even, got {keys.get('units')}")


def not_a_model(input_shape: tuple[int, int], n_outputs: int) -> object:
    """Forgets to return the model."""
    build(input_shape, n_outputs)
    return None


def two_outputs(input_shape: tuple[int, int], n_outputs: int) -> keras.Model:
    """A softmax over two units where one sigmoid unit is expected."""
    inputs = keras.Input(shape=input_shape)
    hidden = layers.GlobalAveragePooling1D()(inputs)
    return keras.Model(inputs, layers.Dense(n_outputs + 1, activation="softmax")(hidden))


def logits(input_shape: tuple[int, int], n_outputs: int) -> keras.Model:
    """The right shape, but no sigmoid: scores, not probabilities."""
    inputs = keras.Input(shape=input_shape)
    hidden = layers.Flatten()(inputs)
    dense = layers.Dense(n_outputs, kernel_initializer="ones", bias_initializer="ones")
    return keras.Model(inputs, dense(hidden))


NOT_CALLABLE = 3


def prior_bias(
    input_shape: tuple[int, int], n_outputs: int, prevalence: float = 0.1, **cnn: object
) -> keras.Model:
    """The built-in CNN (keys `cnn` as model.*) whose sigmoid output starts at `prevalence`
    (output bias log(p / (1 - p))), the initialisation often advised for an imbalanced target:
    it starts calibrated to the natural class balance, not to a 50:50 training split."""
    import math

    from threshold_sweep.model.cnn1d import build_cnn1d

    # the case was built with global average pooling (cnn1d flattened by default since)
    model = build_cnn1d(input_shape, n_outputs, **{"global_pool": "avg", **cnn})
    model.get_layer("probability").bias.assign([math.log(prevalence / (1 - prevalence))])
    return model
