"""Keras training with early stopping, fixed seeds and a fixed thread count."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


class _NoRetracingWarning(logging.Filter):
    """Drop TensorFlow's retracing warning: every job of a sweep builds (and traces) a new model
    in the same process, which is expected, not the mistake the warning suspects."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def configure_tensorflow(threads: int) -> int:
    """Fix TensorFlow's thread pools (once per process) and return the count in force."""
    import tensorflow as tf

    tf_logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _NoRetracingWarning) for f in tf_logger.filters):
        tf_logger.addFilter(_NoRetracingWarning())

    wanted = int(threads) if threads and threads > 0 else (os.cpu_count() or 1)
    current = tf.config.threading.get_intra_op_parallelism_threads()
    if current == wanted:
        return wanted
    try:
        tf.config.threading.set_intra_op_parallelism_threads(wanted)
        tf.config.threading.set_inter_op_parallelism_threads(wanted)
    except RuntimeError:
        # The runtime is already initialised in this process (a sweep in one process).
        if current not in (0, wanted):
            log.warning(
                "TensorFlow already runs with %d threads; train.threads=%d ignored", current, wanted
            )
        return current or wanted
    return wanted


def keras_verbosity(setting: Any) -> int:
    """Progress bar in a terminal, one line per epoch otherwise, unless set to 0/1/2."""
    if str(setting) == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(setting)


@dataclass
class TrainedModel:
    """The fitted Keras model and what training recorded."""

    model: Any
    epochs_run: int
    best_epoch: int
    threads: int


def train_model(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    n_classes: int,
    class_weight: dict[int, float] | None,
    model_cfg: Any,
    train_cfg: Any,
    history_path: Path,
    tensorboard_dir: Path | None = None,
    extra_callbacks: Sequence[Any] = (),
) -> TrainedModel:
    """Build and fit the CNN from a cleared session and a fresh seed; log history to CSV.

    `tensorboard_dir` gets per-epoch TensorBoard scalars; `extra_callbacks` go to model.fit too.
    """
    threads = configure_tensorflow(train_cfg.threads)
    import keras
    import tensorflow as tf

    from threshold_sweep.model.cnn1d import build_cnn1d

    keras.backend.clear_session()
    # float16 compute with float32 weights pays off on GPUs; reset for every job of a process
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if train_cfg.mixed_precision else "float32"
    )
    keras.utils.set_random_seed(int(train_cfg.seed))
    tf.config.experimental.enable_op_determinism()
    model = build_cnn1d(X_train.shape[1:], n_classes, model_cfg)
    binary = n_classes == 2
    metrics: list[Any] = ["accuracy"]
    if binary:
        metrics.append(keras.metrics.AUC(name="auc"))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(train_cfg.learning_rate)),
        loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        metrics=metrics,
    )
    callbacks: list[Any] = [keras.callbacks.CSVLogger(str(history_path))]
    early = None
    if train_cfg.early_stopping:
        early = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=int(train_cfg.patience), restore_best_weights=True
        )
        callbacks.append(early)
    if tensorboard_dir is not None:
        from threshold_sweep.model.tensorboard import epoch_scalars

        callbacks.append(epoch_scalars(tensorboard_dir))
    callbacks.extend(extra_callbacks)
    history = model.fit(
        X_train,
        y_train.astype(np.float32) if binary else y_train,
        validation_data=(X_val, y_val.astype(np.float32) if binary else y_val),
        epochs=int(train_cfg.epochs),
        batch_size=int(train_cfg.batch_size),
        class_weight=class_weight,
        callbacks=callbacks,
        verbose=keras_verbosity(train_cfg.verbose),
    )
    epochs_run = len(history.history.get("loss", []))
    val_loss = history.history.get("val_loss", [])
    best_epoch = int(np.argmin(val_loss)) + 1 if val_loss else epochs_run
    return TrainedModel(model=model, epochs_run=epochs_run, best_epoch=best_epoch, threads=threads)


def predict_scores(model: Any, X: np.ndarray, batch_size: int) -> np.ndarray:
    """Positive-class probabilities (binary) or class probabilities, as float64."""
    scores = model.predict(X, batch_size=int(batch_size), verbose=0)
    scores = np.asarray(scores, dtype=np.float64)
    return scores[:, 0] if scores.shape[1] == 1 else scores
