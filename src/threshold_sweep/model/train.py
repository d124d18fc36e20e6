"""Keras training with early stopping on a chosen monitor, fixed seeds and a fixed thread count."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from threshold_sweep.logs import from_background, held_logs

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
    """The fitted Keras model and what training recorded.

    `best_epoch` is the epoch whose weights the model holds: the one EarlyStopping restored,
    or the last when early stopping is off. `monitor_best_epoch` is where the monitored metric
    was best (the same epoch with early stopping on).
    """

    model: Any
    epochs_run: int
    best_epoch: int
    threads: int
    monitor: str = "val_loss"
    early_stopping: bool = True
    monitor_best_epoch: int = 0
    monitor_best: float | None = None
    batch_size: int = 0
    reduce_lr_factor: float | None = None
    warmup_epochs: int = 0  # early stopping neither stops nor picks an epoch before this


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


def compile_model(model: Any, learning_rate: float, binary: bool, steps: int = 1) -> None:
    """Adam; binary or sparse categorical cross-entropy; accuracy (and AUC for two classes:
    the training rows' `auc`; its `val_auc` gives way to monitor.py's exact `val_roc_auc`);
    `steps` batches per call into TensorFlow (train.steps_per_execution)."""
    import keras

    metrics: list[Any] = ["accuracy"]
    if binary:
        metrics.append(keras.metrics.AUC(name="auc"))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        metrics=metrics,
        steps_per_execution=steps,
    )


MIN_BATCH_SIZE = 8
MIN_BATCHES_PER_EPOCH = 16
DEFAULT_PLATEAU_FACTOR = 0.5  # train.reduce_lr_on_plateau=true


def effective_batch_size(configured: int, n_train: int) -> int:
    """The configured batch size, cut so that an epoch has at least MIN_BATCHES_PER_EPOCH
    batches (but never below MIN_BATCH_SIZE rows, and always at least two batches).

    A tiny training split then still takes several optimiser steps per epoch, so that
    train.epochs and train.patience (counted in epochs) mean about as much as on large data.
    """
    size = min(int(configured), max(MIN_BATCH_SIZE, n_train // MIN_BATCHES_PER_EPOCH))
    return max(1, min(size, (n_train + 1) // 2))


def plateau_factor(setting: Any) -> float | None:
    """train.reduce_lr_on_plateau as a factor: None when off, DEFAULT_PLATEAU_FACTOR for true."""
    if setting is None or setting is False:
        return None
    if setting is True:
        return DEFAULT_PLATEAU_FACTOR
    return float(setting) if float(setting) > 0 else None


def plateau_patience(patience: int) -> int:
    """Epochs without improvement before the learning rate drops: half the stopping patience,
    so the lower rate gets a chance before early stopping ends the run."""
    return max(1, int(patience) // 2)


def warmup_epochs(min_steps: int, n_train: int, batch_size: int, epochs: int) -> int:
    """The epochs before early stopping may end training: enough passes over `n_train` rows
    in batches of `batch_size` for `min_steps` optimiser steps, at most `epochs`."""
    if min_steps <= 0:
        return 0
    batches = -(-n_train // batch_size)
    return min(int(epochs), -(-int(min_steps) // batches))


def fit_callbacks(
    train_cfg: Any,
    history_path: Path,
    tensorboard_dir: Path | None,
    extra: Sequence[Any],
    selection: Any = None,
    warmup: int = 0,
) -> list[Any]:
    """Selection metrics (first: the others read them), learning-rate reduction and early
    stopping on train.monitor (if on), CSV history, TensorBoard scalars (if asked), `extra`."""
    import keras

    from threshold_sweep.model.monitor import monitor_of

    monitor = monitor_of(train_cfg.monitor)
    callbacks: list[Any] = [selection] if selection is not None else []
    factor = plateau_factor(train_cfg.reduce_lr_on_plateau)
    if factor is not None:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor.key,
                mode=monitor.mode,
                factor=factor,
                patience=plateau_patience(train_cfg.patience),
            )
        )
    if train_cfg.early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor.key,
                mode=monitor.mode,
                patience=int(train_cfg.patience),
                restore_best_weights=True,
                start_from_epoch=warmup,
            )
        )
    # after the callbacks that add to the logs, so that history.csv has their columns
    callbacks.append(keras.callbacks.CSVLogger(str(history_path)))
    if tensorboard_dir is not None:
        from threshold_sweep.model.tensorboard import epoch_scalars

        callbacks.append(epoch_scalars(tensorboard_dir))
    callbacks.extend(extra)
    return callbacks


def early_stopping_of(callbacks: Sequence[Any]) -> Any:
    """The EarlyStopping callback among `callbacks`, or None."""
    import keras

    return next((c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)), None)


def trained(
    model: Any,
    history: dict[str, list[float]],
    threads: int,
    train_cfg: Any,
    stopper: Any = None,
    batch_size: int = 0,
    warmup: int = 0,
) -> TrainedModel:
    """The fitted model with the epochs run and the epoch whose weights it holds.

    With early stopping, that is the epoch EarlyStopping restored (`stopper.best_epoch`,
    0-based), never one of the first `warmup` epochs (the last epoch if it watched none);
    without it, the last epoch.
    """
    from threshold_sweep.model.monitor import best_epoch as best_of
    from threshold_sweep.model.monitor import monitor_of

    monitor = monitor_of(train_cfg.monitor)
    epochs_run = len(history.get("loss", []))
    values = history.get(monitor.key, [])
    watched = warmup if stopper is not None and len(values) > warmup else 0
    monitor_best_epoch = watched + best_of(values[watched:], monitor.mode) if values else epochs_run
    if stopper is not None and stopper.best is not None:
        kept = int(stopper.best_epoch) + 1
    else:
        kept = epochs_run
    return TrainedModel(
        model=model,
        epochs_run=epochs_run,
        best_epoch=kept,
        threads=threads,
        monitor=monitor.key,
        early_stopping=stopper is not None,
        monitor_best_epoch=monitor_best_epoch,
        monitor_best=float(values[monitor_best_epoch - 1]) if values else None,
        batch_size=batch_size,
        reduce_lr_factor=plateau_factor(train_cfg.reduce_lr_on_plateau),
        warmup_epochs=warmup if stopper is not None else 0,
    )


class HeadFit(Protocol):
    """How a head other than class probabilities is built, compiled and fitted (e.g. one
    sigmoid output per threshold, with per-threshold class weights in its loss)."""

    def head(self, y_train: np.ndarray) -> Any:
        """What build_model attaches to the builder's model (outputs(), attach())."""

    def compile(self, model: Any, learning_rate: float, steps: int = 1) -> None:
        """Compile `model` with the head's optimizer and loss, `steps` batches per call."""

    def targets(self, y: np.ndarray, n_classes: int) -> np.ndarray:
        """What model.fit is given for class labels `y`."""

    def selection(
        self,
        X_val: np.ndarray,
        y_val: np.ndarray,
        y_train: np.ndarray,
        batch_size: int,
        targets: np.ndarray | None = None,
    ) -> Any:
        """The selection-metrics callback (model.monitor.selection_callback; `targets`: the
        validation rows' fit targets, for Keras's validation logs)."""


def _selection(
    X_val: np.ndarray,
    y_val: np.ndarray,
    y_train: np.ndarray,
    n_classes: int,
    class_weight: dict[int, float] | None,
    head_fit: HeadFit | None,
    batch_size: int,
    targets: np.ndarray,
) -> Any:
    """The selection-metrics callback of the head (also logging val_loss from `targets`)."""
    from threshold_sweep.model.monitor import selection_callback, training_shares

    if head_fit is not None:
        return head_fit.selection(X_val, y_val, y_train, batch_size, targets)
    shares = training_shares(y_train, n_classes, class_weight)
    return selection_callback(X_val, y_val, shares, batch_size, targets=targets)


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
    head_fit: HeadFit | None = None,
) -> TrainedModel:
    """Build the model `model_cfg._target_` names and fit it from a fresh session and seed.

    `tensorboard_dir` gets per-epoch TensorBoard scalars; `extra_callbacks` go to model.fit too;
    `head_fit` builds, compiles and fits a head other than class probabilities (its own
    weights replace `class_weight`).
    """
    threads = configure_tensorflow(train_cfg.threads)
    from threshold_sweep.model.build import build_model

    start_session(train_cfg)
    head = head_fit.head(y_train) if head_fit else None
    model = build_model(model_cfg, X_train.shape[1:], n_classes, X_train, head)
    binary = n_classes == 2 and head_fit is None
    _compile(model, train_cfg, binary, head_fit)
    batch_size = effective_batch_size(int(train_cfg.batch_size), len(X_train))
    if batch_size != int(train_cfg.batch_size):
        _log_batch_size(len(X_train), batch_size, int(train_cfg.batch_size))
    selection = _selection(
        X_val,
        y_val,
        y_train,
        n_classes,
        class_weight,
        head_fit,
        int(train_cfg.predict_batch_size),
        _fit_targets(y_val, n_classes, binary, head_fit),
    )
    warmup = _warmup(train_cfg, y_val, n_classes, len(X_train), batch_size)
    callbacks = fit_callbacks(
        train_cfg, history_path, tensorboard_dir, extra_callbacks, selection, warmup
    )
    with held_logs(from_background):  # a reference model's line never cuts a progress bar
        history = model.fit(
            X_train,
            _fit_targets(y_train, n_classes, binary, head_fit),  # validated by `selection`
            epochs=int(train_cfg.epochs),
            batch_size=batch_size,
            class_weight=class_weight if head_fit is None else None,
            callbacks=callbacks,
            verbose=keras_verbosity(train_cfg.verbose),
        )
    stopper = early_stopping_of(callbacks)
    return trained(model, history.history, threads, train_cfg, stopper, batch_size, warmup)


def _compile(model: Any, train_cfg: Any, binary: bool, head_fit: HeadFit | None) -> None:
    """Compile with the class-probability loss, or with the head's own."""
    steps = int(train_cfg.steps_per_execution)
    if head_fit is None:
        compile_model(model, float(train_cfg.learning_rate), binary, steps)
    else:
        head_fit.compile(model, float(train_cfg.learning_rate), steps)


def fewest_class_rows(y: np.ndarray, n_classes: int) -> int:
    """The row count of the rarest of the `n_classes` classes in `y`."""
    return int(np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes).min())


def _warmup(
    train_cfg: Any, y_val: np.ndarray, n_classes: int, n_train: int, batch_size: int
) -> int:
    """Epochs before early stopping may act: train.min_steps' worth when the validation split
    is too small to pick an epoch (fewer than train.warmup_validation_rows rows of a class;
    its metric then saturates in the first epochs), else 0."""
    fewest = fewest_class_rows(y_val, n_classes)
    if not train_cfg.early_stopping or fewest >= int(train_cfg.warmup_validation_rows):
        return 0
    warmup = warmup_epochs(int(train_cfg.min_steps), n_train, batch_size, int(train_cfg.epochs))
    if warmup > 1:
        log.info(
            "the validation split holds %d rows of its rarest class (fewer than "
            "train.warmup_validation_rows=%d), too few to pick an epoch early: early stopping "
            "waits %d epochs of %d training rows in batches of %d (train.min_steps=%d)",
            fewest,
            int(train_cfg.warmup_validation_rows),
            warmup,
            n_train,
            batch_size,
            int(train_cfg.min_steps),
        )
    return warmup


def _log_batch_size(n_train: int, batch_size: int, configured: int) -> None:
    """Say why the batch size differs from train.batch_size."""
    log.info(
        "%d training rows: batch size %d instead of train.batch_size=%d, so that an epoch "
        "has %d batches, not %d",
        n_train,
        batch_size,
        configured,
        -(-n_train // batch_size),
        -(-n_train // configured),
    )


def _fit_targets(
    y: np.ndarray, n_classes: int, binary: bool, head_fit: HeadFit | None
) -> np.ndarray:
    """What model.fit is given: 0/1 floats, class indices, or the head's own targets."""
    if head_fit is not None:
        return head_fit.targets(y, n_classes)
    return y.astype(np.float32) if binary else y


def predict_scores(model: Any, X: np.ndarray, batch_size: int) -> np.ndarray:
    """Positive-class probabilities (binary), class probabilities or, from a model with one
    output per threshold, the (n, K) P(x > t_k), as float64."""
    scores = model.predict(X, batch_size=int(batch_size), verbose=0)
    scores = np.asarray(scores, dtype=np.float64)
    return scores[:, 0] if scores.shape[1] == 1 else scores
