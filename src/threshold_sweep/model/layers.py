"""Custom Keras layers a saved model may hold (imports Keras): loading a run's model imports
this module so that safe mode finds them by their registered names."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

MIN_STEP = 1e-3  # the smallest initial gap between neighbouring biases


def bias_parameters(initial: list[float] | None, k: int) -> tuple[float, np.ndarray]:
    """The first bias and the softplus-inverse steps that start the K biases at `initial`
    (non-increasing; gaps below MIN_STEP are raised to it); without `initial`, 0 and small
    equal steps."""
    if initial is None:
        return 0.0, np.full(k - 1, -2.0)
    gaps = np.maximum(-np.diff(np.asarray(initial, dtype=np.float64)), MIN_STEP)
    return float(initial[0]), np.log(np.expm1(gaps))  # softplus(steps) == gaps


@keras.saving.register_keras_serializable(package="threshold_sweep")
class OrderedBiases(layers.Layer):
    """K logits from one: logit + b_k with b_1 >= b_2 >= ... >= b_K (CORAL's biases, in order)."""

    def __init__(self, k: int, initial: list[float] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.k = int(k)
        self.initial = None if initial is None else [float(b) for b in initial]

    def build(self, input_shape: Any) -> None:
        """The first bias and the K-1 softplus steps down from it, starting at `initial`."""
        first, steps = bias_parameters(self.initial, self.k)
        self.first = self.add_weight(
            shape=(1,), initializer=keras.initializers.Constant(first), name="first"
        )
        self.steps = self.add_weight(
            shape=(self.k - 1,), initializer=keras.initializers.Constant(steps), name="steps"
        )

    def call(self, logit: Any) -> Any:
        """(batch, 1) shared logits -> (batch, K) ordered logits."""
        drops = ops.cumsum(ops.softplus(self.steps))
        biases = ops.concatenate([self.first, self.first - drops])
        return logit + biases

    def get_config(self) -> dict[str, Any]:
        """The layer's config, with K, for saving."""
        return {**super().get_config(), "k": self.k, "initial": self.initial}
