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


def start_session(train_cfg: Any) -> None:
    """A cleared Keras session with the precision policy, the seed and op determinism."""
    import keras
    import tensorflow as tf

    keras.backend.clear_session()
    # float16 compute with float32 weights pays off on GPUs; reset for every job of a process
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if train_cfg.mixed_precision else "float32"
    )
    keras.utils.set_random_seed(int(train_cfg.seed))
    tf.config.experimental.enable_op_determinism()


def compile_model(model: Any, learning_rate: float, binary: bool) -> None:
    """Adam; binary or sparse categorical cross-entropy; accuracy (and AUC for two classes)."""
    import keras

    metrics: list[Any] = ["accuracy"]
    if binary:
        metrics.append(keras.metrics.AUC(name="auc"))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        metrics=metrics,
    )


def fit_callbacks(
    train_cfg: Any, history_path: Path, tensorboard_dir: Path | None, extra: Sequence[Any]
) -> list[Any]:
    """CSV history, early stopping (if on), TensorBoard scalars (if asked) and `extra`."""
    import keras

    callbacks: list[Any] = [keras.callbacks.CSVLogger(str(history_path))]
    if train_cfg.early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=int(train_cfg.patience), restore_best_weights=True
            )
        )
    if tensorboard_dir is not None:
        from threshold_sweep.model.tensorboard import epoch_scalars

        callbacks.append(epoch_scalars(tensorboard_dir))
    callbacks.extend(extra)
    return callbacks


def trained(model: Any, history: dict[str, list[float]], threads: int) -> TrainedModel:
    """The fitted model with the epochs run and the best (lowest validation loss) epoch."""
    epochs_run = len(history.get("loss", []))
    val_loss = history.get("val_loss", [])
    best_epoch = int(np.argmin(val_loss)) + 1 if val_loss else epochs_run
    return TrainedModel(model=model, epochs_run=epochs_run, best_epoch=best_epoch, threads=threads)


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
    """Build the model `model_cfg._target_` names and fit it from a fresh session and seed.

    `tensorboard_dir` gets per-epoch TensorBoard scalars; `extra_callbacks` go to model.fit too.
    """
    threads = configure_tensorflow(train_cfg.threads)
    from threshold_sweep.model.build import build_model

    start_session(train_cfg)
    model = build_model(model_cfg, X_train.shape[1:], n_classes, X_train)
    binary = n_classes == 2
    compile_model(model, float(train_cfg.learning_rate), binary)
    history = model.fit(
        X_train,
        y_train.astype(np.float32) if binary else y_train,
        validation_data=(X_val, y_val.astype(np.float32) if binary else y_val),
        epochs=int(train_cfg.epochs),
        batch_size=int(train_cfg.batch_size),
        class_weight=class_weight,
        callbacks=fit_callbacks(train_cfg, history_path, tensorboard_dir, extra_callbacks),
        verbose=keras_verbosity(train_cfg.verbose),
    )
    return trained(model, history.history, threads)


def predict_scores(model: Any, X: np.ndarray, batch_size: int) -> np.ndarray:
    """Positive-class probabilities (binary) or class probabilities, as float64."""
    scores = model.predict(X, batch_size=int(batch_size), verbose=0)
    scores = np.asarray(scores, dtype=np.float64)
    return scores[:, 0] if scores.shape[1] == 1 else scores
