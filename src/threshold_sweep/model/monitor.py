"""What early stopping watches: validation metrics computed at each epoch's end.

The model trains on the (resampled) training balance but is validated on the natural one. Keras's
`val_loss` then rewards a model for matching the natural balance, not for ranking well, and can
rise from epoch 2 while the validation ROC-AUC still improves. `SelectionMetrics` adds
prevalence-free metrics to the epoch logs (and so to history.csv) before EarlyStopping and
ReduceLROnPlateau read them. Nothing here imports TensorFlow until a callback is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from threshold_sweep.shared_model import OUTPUTS_KEY


@dataclass(frozen=True)
class Monitor:
    """A quantity early stopping can watch: its log key, direction and wording."""

    key: str
    mode: str  # "max" or "min"
    text: str  # what the report calls it


MONITORS = {
    m.key: m
    for m in (
        Monitor("val_roc_auc", "max", "validation ROC-AUC"),
        Monitor("val_balanced_accuracy", "max", "validation balanced accuracy"),
        Monitor("val_loss_balanced", "min", "validation loss at the training class balance"),
        Monitor("val_loss", "min", "validation loss"),
    )
}
# computed by SelectionMetrics; Keras computes val_loss itself
COMPUTED = ("val_roc_auc", "val_balanced_accuracy", "val_loss_balanced")
# Keras's own validation AUC (keras.metrics.AUC, 200 bins): an approximation of val_roc_auc that
# SelectionMetrics drops, so the progress bar and history.csv carry one validation ROC-AUC
REPLACED = ("val_auc",)
EPSILON = 1e-7  # Keras's probability clipping in cross-entropy


def monitor_of(name: Any) -> Monitor:
    """The Monitor a train.monitor value (enum or text) names."""
    return MONITORS[str(getattr(name, "value", name))]


def monitor_text(name: Any, n_classes: int = 2, outputs: int | None = None) -> str:
    """'validation ROC-AUC' ('... (one-vs-rest macro)' for more than two classes, '... (mean
    over the K thresholds' outputs)' for a model of K `outputs`, one per threshold)."""
    monitor = monitor_of(name)
    if outputs:
        return f"{monitor.text} (mean over the {outputs} thresholds' outputs)"
    if monitor.key == "val_roc_auc" and n_classes > 2:
        return f"{monitor.text} (one-vs-rest macro)"
    return monitor.text


def training_shares(y_train: np.ndarray, n_classes: int, class_weight: dict | None) -> np.ndarray:
    """Each class's share of the training loss: its fitted rows times its class weight."""
    counts = np.bincount(np.asarray(y_train, dtype=np.int64), minlength=n_classes).astype(float)
    if class_weight:
        counts *= np.array([float(class_weight.get(c, 1.0)) for c in range(n_classes)])
    return counts / counts.sum()


def class_probabilities(scores: np.ndarray) -> np.ndarray:
    """(n, k) class probabilities from a sigmoid column (binary) or softmax rows, as float64."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1 or scores.shape[1] == 1:
        positive = scores.reshape(-1)
        return np.column_stack([1 - positive, positive])
    return scores / scores.sum(axis=1, keepdims=True)


def selection_metrics(y: np.ndarray, scores: np.ndarray, shares: np.ndarray) -> dict[str, float]:
    """val_roc_auc (one-vs-rest macro for k > 2), val_balanced_accuracy (cutoff 0.5 or argmax)
    and val_loss_balanced (cross-entropy with each class weighted to its training share)."""
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    y = np.asarray(y, dtype=np.int64)
    proba = class_probabilities(scores)
    k = proba.shape[1]
    if k == 2:
        roc_auc = roc_auc_score(y, proba[:, 1])
        predicted = (proba[:, 1] >= 0.5).astype(np.int64)
    else:
        roc_auc = roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=range(k))
        predicted = proba.argmax(axis=1)
    row_loss = -np.log(np.clip(proba[np.arange(len(y)), y], EPSILON, 1.0))
    present = [c for c in range(k) if np.any(y == c)]
    weights = np.asarray(shares, dtype=np.float64)[present]
    balanced_loss = sum(
        w * row_loss[y == c].mean() for c, w in zip(present, weights / weights.sum(), strict=True)
    )
    return {
        "val_roc_auc": float(roc_auc),
        "val_balanced_accuracy": float(balanced_accuracy_score(y, predicted)),
        "val_loss_balanced": float(balanced_loss),
    }


def best_epoch(values: list[float], mode: str) -> int:
    """The first epoch (1-based) with the best value, as EarlyStopping (min_delta 0) picks it."""
    array = np.asarray(values, dtype=np.float64)
    return int(np.nanargmax(array) if mode == "max" else np.nanargmin(array)) + 1


def keras_validation_logs(model: Any, targets: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """val_loss by the model's compiled loss (and its regularization), and for a model
    compiled with accuracy (one label a row) val_accuracy: Keras's validation logs."""
    logs: dict[str, Any] = {"val_loss": float(model.compute_loss(y=targets, y_pred=scores))}
    if np.ndim(targets) == 1:
        hits = scores[:, 0] > 0.5 if scores.shape[1] == 1 else scores.argmax(axis=1)
        logs["val_accuracy"] = float(np.mean(hits == np.asarray(targets).astype(np.int64)))
    return logs


def selection_callback(
    X_val: np.ndarray,
    y_val: np.ndarray,
    shares: Any,
    batch_size: int,
    metrics: Callable[[np.ndarray, np.ndarray, Any], dict[str, float]] = selection_metrics,
    targets: np.ndarray | None = None,
) -> Any:
    """A Keras callback that adds the selection metrics (`metrics(y, scores, shares)`) to
    each epoch's logs and drops the REPLACED ones (it runs before the progress bar, History,
    CSVLogger and tracking callbacks, which then see one validation ROC-AUC: val_roc_auc).

    Given the validation `targets` as model.fit takes them, it also logs what Keras's own
    validation pass would (`keras_validation_logs`) from the same predictions, so that fit
    needs no validation_data: that pass predicted the same rows a second time (on 20,000 x
    128, 10 epochs: 2.5 of the bare script's 22 CPU s).
    """
    import keras

    class SelectionMetrics(keras.callbacks.Callback):
        """Predict the validation rows at each epoch's end, log COMPUTED metrics and drop
        REPLACED ones."""

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if logs is None:
                return
            # predict_on_batch per chunk: model.predict costs ~0.1 s a call in set-up alone
            step = int(batch_size)
            chunks = [
                self.model.predict_on_batch(X_val[start : start + step])
                for start in range(0, len(X_val), step)
            ]
            scores = np.concatenate(chunks)
            if targets is not None:
                logs.update(keras_validation_logs(self.model, targets, scores))
            logs.update(metrics(y_val, scores, shares))
            for key in REPLACED:
                logs.pop(key, None)

    return SelectionMetrics()


def selected_by(training: dict[str, Any], n_classes: int = 2) -> str:
    """Why the model holds its weights: 'best validation ROC-AUC' or 'last epoch'.

    Runs written before train.monitor existed chose by validation loss.
    """
    if not training.get("early_stopping", True):
        return "last epoch"
    monitor = training.get("monitor", "val_loss")
    return f"best {monitor_text(monitor, n_classes, training.get(OUTPUTS_KEY))}"


def training_sentence(training: dict[str, Any], n_classes: int = 2) -> str:
    """How training went and which epoch's weights the model keeps, as one or two sentences."""
    monitor = str(training.get("monitor", "val_loss"))
    text = monitor_text(monitor, n_classes, training.get(OUTPUTS_KEY))
    run = f"{training['epochs_run']} of at most {training.get('max_epochs', '?')} epochs run"
    if training.get("early_stopping", True):
        chosen = (
            f"{run}, best {text} at epoch {training['best_epoch']} (train.monitor={monitor}); "
            "the model keeps that epoch's weights"
        )
    else:
        chosen = (
            f"{run} with early stopping off: the model keeps the last epoch's weights "
            f"(epoch {training['best_epoch']}); the best {text} was at epoch "
            f"{training.get('monitor_best_epoch', '?')}"
        )
    warmup = training.get("warmup_epochs", 0)
    if warmup and training.get("early_stopping", True):
        chosen += (
            f"; early stopping watched only from epoch {warmup + 1} on "
            f"(train.min_steps={training.get('min_steps')} optimiser steps)"
        )
    factor = training.get("reduce_lr_on_plateau")
    if factor:
        chosen += f"; learning rate multiplied by {factor:g} whenever the {text} stalled"
    batch = f"batch size {training['batch_size']}, " if training.get("batch_size") else ""
    return (
        f"Training: {chosen}. {batch.capitalize()}seed {training['seed']}, "
        f"{training['threads']} TensorFlow thread(s)."
    )
