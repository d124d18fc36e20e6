"""The cumulative head: K sigmoid outputs P(x > t_k) on any architecture's trunk, its loss, its
fit weights and its selection metrics. Keras is imported where a model is built or compiled.

rank_consistent is CORAL (Cao, Mirjalili & Raschka 2020): one shared weight vector gives one
logit, and K ordered biases shift it, so P(x > t_1) >= ... >= P(x > t_K) holds for every row. The
biases are b_1 - cumsum(softplus(steps)), which keeps that order exact instead of hoping the
optimum has it (model.layers.OrderedBiases). independent gives each threshold its own sigmoid
unit (Dense(K)).

model.train and model.build know none of this: a run passes a `CumulativeFit` (train's
`HeadFit`), which hands build a `CumulativeHead` to attach to the builder's model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.components import target_error
from threshold_sweep.model.monitor import EPSILON
from threshold_sweep.prepare.labels import threshold_targets

HEAD_NAME = "cumulative"


def prior_logits(prevalence: np.ndarray) -> list[float]:
    """logit(P(x > t_k)) of the training rows: where CORAL's biases start, so that the
    thresholds start apart as far as the class balance puts them (Adam moves a bias by about
    the learning rate a step, too slowly to spread biases that all start at 0)."""
    p = np.clip(np.asarray(prevalence, dtype=np.float64), 1e-4, 1 - 1e-4)
    return [float(v) for v in np.log(p / (1 - p))]


def cumulative_output(
    features: Any, k: int, consistency: str, prevalence: np.ndarray | None = None
) -> Any:
    """P(x > t_k) for k = 1..K from the trunk's features (float32); CORAL's biases start at
    the logits of the training `prevalence` of x > t_k when given."""
    from keras import layers

    from threshold_sweep.model.layers import OrderedBiases

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
    import keras

    features = model.layers[-1].input
    outputs = cumulative_output(features, k, consistency, prevalence)
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, outputs, name=f"{model.name}_cumulative")


def check_cumulative_width(values: np.ndarray, path: str, k: int) -> None:
    """model.head=cumulative: the builder must give one output per threshold."""
    if values.shape[1:] != (k,):
        raise target_error(
            "model",
            path,
            f"model.head=cumulative needs {k} outputs (one per threshold), but the model's "
            f"output has shape {(None, *values.shape[1:])}",
            f"build(input_shape, n_outputs) is called with n_outputs={k}: end the model with "
            f"a layer of n_outputs units (the run replaces it with the cumulative head)",
        )


@dataclass(frozen=True)
class CumulativeHead:
    """What build_model attaches: the head's variant and the training prevalence of x > t_k."""

    consistency: str  # rank_consistent or independent
    prevalence: np.ndarray | None = None  # (K,) where CORAL's biases start

    def outputs(self, n_classes: int) -> int:
        """The builder is asked for one output per threshold: K = n_classes - 1."""
        return n_classes - 1

    def attach(self, model: Any, path: str, values: np.ndarray, k: int) -> Any:
        """The builder's model of K outputs (its probe output: `values`) with the cumulative
        head in place of its last layer."""
        check_cumulative_width(values, path, k)
        return with_cumulative_head(model, k, self.consistency, self.prevalence)


def cumulative_loss(positive: np.ndarray, negative: np.ndarray) -> Any:
    """Binary cross-entropy of every output, each threshold's classes weighted by
    `positive[k]` and `negative[k]`, averaged over the K outputs."""
    from keras import ops

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


def cumulative_selection_metrics(
    y: np.ndarray, cumulative: np.ndarray, positive_shares: np.ndarray
) -> dict[str, float]:
    """model.head=cumulative: the selection metrics of every threshold's output against
    x > t_k, averaged over the thresholds (a threshold whose validation rows hold one class
    is left out of the ROC-AUC mean). val_loss_balanced weights each threshold's classes to
    their shares of the training loss (`positive_shares`)."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    y = np.asarray(y, dtype=np.int64)
    cumulative = np.asarray(cumulative, dtype=np.float64)
    aucs, balanced, losses = [], [], []
    for k in range(cumulative.shape[1]):
        target, score = (y > k).astype(np.int64), cumulative[:, k]
        if 0 < target.sum() < len(target):
            aucs.append(roc_auc_score(target, score))
            balanced.append(balanced_accuracy_score(target, (score >= 0.5).astype(np.int64)))
        p = np.clip(score, EPSILON, 1 - EPSILON)
        share = float(positive_shares[k])
        parts = [
            (share, -np.log(p[target == 1])),
            (1 - share, -np.log(1 - p[target == 0])),
        ]
        present = [(w, v) for w, v in parts if v.size]
        total = sum(w for w, _ in present)
        losses.append(sum(w * v.mean() for w, v in present) / total)
    return {
        "val_roc_auc": float(np.mean(aucs)) if aucs else float("nan"),
        "val_balanced_accuracy": float(np.mean(balanced)) if balanced else float("nan"),
        "val_loss_balanced": float(np.mean(losses)),
    }


@dataclass(frozen=True)
class CumulativeFit:
    """model.head=cumulative: the head's variant and each threshold's class weights; how
    model.train builds, compiles and fits it (model.train.HeadFit)."""

    consistency: str  # rank_consistent or independent
    positive: np.ndarray  # (K,) weight of x > t_k rows in output k's loss
    negative: np.ndarray  # (K,) weight of x <= t_k rows

    def positive_shares(self, y_train: np.ndarray) -> np.ndarray:
        """Each threshold's positive share of its training loss, after the weights."""
        targets = threshold_targets(y_train, len(self.positive))
        positive = targets.mean(axis=0) * self.positive
        return positive / (positive + (1 - targets.mean(axis=0)) * self.negative)

    def head(self, y_train: np.ndarray) -> CumulativeHead:
        """The head build_model attaches, its biases starting at the training prevalence."""
        prevalence = threshold_targets(y_train, len(self.positive)).mean(axis=0)
        return CumulativeHead(self.consistency, prevalence)

    def compile(self, model: Any, learning_rate: float, steps: int = 1) -> None:
        """Adam and the per-threshold weighted binary cross-entropy, `steps` batches per call."""
        import keras

        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss=cumulative_loss(self.positive, self.negative),
            steps_per_execution=steps,
        )

    def targets(self, y: np.ndarray, n_classes: int) -> np.ndarray:
        """What model.fit is given: the (n, K) 0/1 targets x > t_k."""
        return threshold_targets(y, n_classes - 1).astype(np.float32)

    def selection(
        self,
        X_val: np.ndarray,
        y_val: np.ndarray,
        y_train: np.ndarray,
        batch_size: int,
        targets: np.ndarray | None = None,
    ) -> Any:
        """The selection-metrics callback: every threshold's output, averaged."""
        from threshold_sweep.model.monitor import selection_callback

        shares = self.positive_shares(y_train)
        metrics = cumulative_selection_metrics
        return selection_callback(X_val, y_val, shares, batch_size, metrics, targets)
