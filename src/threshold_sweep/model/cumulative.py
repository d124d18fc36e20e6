"""The cumulative head: K sigmoid outputs P(x > t_k) on any architecture's trunk (imports Keras).

rank_consistent is CORAL (Cao, Mirjalili & Raschka 2020): one shared weight vector gives one
logit, and K ordered biases shift it, so P(x > t_1) >= ... >= P(x > t_K) holds for every row. The
biases are b_1 - cumsum(softplus(steps)), which keeps that order exact instead of hoping the
optimum has it. independent gives each threshold its own sigmoid unit (Dense(K)).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

EPSILON = 1e-7  # Keras's probability clipping in cross-entropy
HEAD_NAME = "cumulative"


MIN_STEP = 1e-3  # the smallest initial gap between neighbouring biases


def bias_parameters(initial: list[float] | None, k: int) -> tuple[float, np.ndarray]:
    """The first bias and the softplus-inverse steps that start the K biases at `initial`
    (non-increasing; gaps below MIN_STEP are raised to it); without `initial`, 0 and small
    equal steps."""
    if initial is None:
        return 0.0, np.full(k - 1, -2.0)
    gaps = np.maximum(-np.diff(np.asarray(initial, dtype=np.float64)), MIN_STEP)
    return float(initial[0]), np.log(np.expm1(gaps))  # softplus(steps) == gaps


def prior_logits(prevalence: np.ndarray) -> list[float]:
    """logit(P(x > t_k)) of the training rows: where CORAL's biases start, so that the
    thresholds start apart as far as the class balance puts them (Adam moves a bias by about
    the learning rate a step, too slowly to spread biases that all start at 0)."""
    p = np.clip(np.asarray(prevalence, dtype=np.float64), 1e-4, 1 - 1e-4)
    return [float(v) for v in np.log(p / (1 - p))]


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


def cumulative_output(
    features: Any, k: int, consistency: str, prevalence: np.ndarray | None = None
) -> Any:
    """P(x > t_k) for k = 1..K from the trunk's features (float32); CORAL's biases start at
    the logits of the training `prevalence` of x > t_k when given."""
    if consistency == "independent":
        return layers.Dense(k, activation="sigmoid", name=HEAD_NAME, dtype="float32")(features)
    logit = layers.Dense(1, use_bias=False, name="shared_logit", dtype="float32")(features)
    initial = None if prevalence is None else prior_logits(prevalence)
    logits = OrderedBiases(k, initial, name="ordered_biases", dtype="float32")(logit)
    return layers.Activation("sigmoid", name=HEAD_NAME, dtype="float32")(logits)


def with_cumulative_head(
    model: Any, k: int, consistency: str, prevalence: np.ndarray | None = None
) -> Any:
    """The built model with its last layer replaced by the cumulative head on that layer's
    input (the trunk's features)."""
    features = model.layers[-1].input
    outputs = cumulative_output(features, k, consistency, prevalence)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, outputs, name=f"{model.name}_cumulative")


def cumulative_loss(positive: np.ndarray, negative: np.ndarray) -> Any:
    """Binary cross-entropy of every output, each threshold's classes weighted by
    `positive[k]` and `negative[k]`, averaged over the K outputs."""
    positive_weight = ops.convert_to_tensor(np.asarray(positive, dtype=np.float32))
    negative_weight = ops.convert_to_tensor(np.asarray(negative, dtype=np.float32))

    def loss(y_true: Any, y_pred: Any) -> Any:
        p = ops.clip(ops.cast(y_pred, "float32"), EPSILON, 1.0 - EPSILON)
        y = ops.cast(y_true, "float32")
        per_output = -(
            positive_weight * y * ops.log(p) + negative_weight * (1.0 - y) * ops.log(1.0 - p)
        )
        return ops.mean(per_output, axis=-1)

    return loss
