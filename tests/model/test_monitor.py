"""train.monitor: the selection metrics equal scikit-learn's, the batch size adapts to tiny
training splits, and on a constructed imbalanced case validation loss keeps epoch 1 while the
default monitor keeps a later, better epoch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm

from threshold_sweep.model.monitor import (
    MONITORS,
    best_epoch,
    selection_metrics,
    training_sentence,
    training_shares,
)
from threshold_sweep.model.train import effective_batch_size, plateau_factor, warmup_epochs

from conftest import compose_config


def scores_of(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Noisy class probabilities (one column for two classes) that rank y better than chance."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1, (len(y), k)) + 1.2 * np.eye(k)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return proba[:, 1:] if k == 2 else proba


@pytest.mark.parametrize("k", [2, 3])
def test_selection_metrics_equal_sklearn(k):
    rng = np.random.default_rng(k)
    y = rng.choice(k, 500, p=[0.8, 0.2] if k == 2 else [0.7, 0.2, 0.1])
    scores = scores_of(y, k, seed=k)
    shares = np.full(k, 1 / k)  # trained at equal class counts (undersampled)
    got = selection_metrics(y, scores, shares)
    proba = np.column_stack([1 - scores[:, 0], scores[:, 0]]) if k == 2 else scores
    if k == 2:
        assert got["val_roc_auc"] == pytest.approx(skm.roc_auc_score(y, scores[:, 0]))
        predicted = (scores[:, 0] >= 0.5).astype(int)
    else:
        macro = skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
        assert got["val_roc_auc"] == pytest.approx(macro)
        predicted = proba.argmax(axis=1)
    assert got["val_balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, predicted))
    # every validation row weighted so that the classes get their training shares
    natural = np.bincount(y, minlength=k) / len(y)
    weights = (shares / natural)[y]
    balanced = skm.log_loss(y, proba, sample_weight=weights, labels=range(k))
    assert got["val_loss_balanced"] == pytest.approx(balanced)
    # at the natural shares it is the plain validation loss
    plain = selection_metrics(y, scores, natural)["val_loss_balanced"]
    assert plain == pytest.approx(skm.log_loss(y, proba, labels=range(k)))


def test_training_shares_count_rows_and_class_weights():
    y = np.array([0] * 90 + [1] * 10)
    assert training_shares(y, 2, None) == pytest.approx([0.9, 0.1])
    assert training_shares(y, 2, {0: 100 / 180, 1: 100 / 20}) == pytest.approx([0.5, 0.5])


def test_best_epoch_follows_the_mode_and_keeps_the_first_tie():
    assert best_epoch([0.7, 0.8, 0.8, 0.6], "max") == 2
    assert best_epoch([0.7, 0.5, 0.5, 0.6], "min") == 2
    assert {m.key: m.mode for m in MONITORS.values()} == {
        "val_roc_auc": "max",
        "val_balanced_accuracy": "max",
        "val_loss_balanced": "min",
        "val_loss": "min",
    }


def test_batch_size_leaves_several_batches_for_tiny_training_splits():
    assert effective_batch_size(64, 10_000) == 64  # untouched unless the split is small
    assert effective_batch_size(64, 1024) == 64
    assert effective_batch_size(64, 448) == 28  # 16 batches, not 7
    assert effective_batch_size(64, 42) == 8  # 6 batches, not 1; never below 8 rows
    assert effective_batch_size(64, 10) == 5  # two batches, however tiny the split
    assert effective_batch_size(4, 100) == 4  # never above the configured size


def test_warmup_takes_min_steps_optimiser_steps_within_the_epoch_budget():
    assert warmup_epochs(500, 42, 8, 1000) == 84  # 6 batches an epoch: 84 epochs = 504 steps
    assert warmup_epochs(500, 2800, 64, 1000) == 12  # 44 batches: 12 epochs = 528 steps
    assert warmup_epochs(500, 100_000, 64, 1000) == 1  # one epoch already takes 1563 steps
    assert warmup_epochs(500, 42, 8, 30) == 30  # never beyond train.epochs
    assert warmup_epochs(0, 42, 8, 30) == 0  # off


def test_plateau_factor():
    assert plateau_factor(False) is None and plateau_factor(0) is None
    assert plateau_factor(True) == 0.5 and plateau_factor(0.2) == 0.2


def test_default_monitor_is_prevalence_free():
    train = compose_config().train
    assert train.monitor.value == "val_roc_auc" and train.early_stopping


def test_training_sentence_names_the_metric_that_chose_the_epoch():
    training = {
        "epochs_run": 9,
        "max_epochs": 30,
        "best_epoch": 5,
        "seed": 0,
        "threads": 1,
        "monitor": "val_roc_auc",
        "early_stopping": True,
        "monitor_best_epoch": 5,
        "batch_size": 64,
    }
    sentence = training_sentence(training)
    assert "best validation ROC-AUC at epoch 5 (train.monitor=val_roc_auc)" in sentence
    assert "validation loss" not in sentence
    assert "one-vs-rest macro" in training_sentence(training, n_classes=3)
    off = training_sentence({**training, "early_stopping": False, "best_epoch": 9})
    assert "early stopping off: the model keeps the last epoch's weights (epoch 9)" in off
    assert "the best validation ROC-AUC was at epoch 5" in off
    warm = training_sentence({**training, "warmup_epochs": 84, "min_steps": 500})
    assert "early stopping watched only from epoch 85 on (train.min_steps=500" in warm
    assert "watched only" not in sentence
    old = {k: training[k] for k in ("epochs_run", "best_epoch", "seed", "threads")}
    assert "best validation loss at epoch 5" in training_sentence(old)  # older metrics.json


# The constructed case: x imbalanced 90:10 at the threshold (the synthetic x's 90th
# percentile), undersampled training (50:50), and a model that starts calibrated to the
# natural balance (output bias at the prevalence, tests/custom_models.prior_bias). Training at
# 50:50 moves its scores towards the training balance: validation loss at the natural balance
# rises from epoch 2 while the validation ROC-AUC improves for several epochs.
IMBALANCED = (
    "seed=1",
    "data.n_samples=2000",
    "data.length=16",
    "label.threshold=826",
    "model=custom",
    "model._target_=custom_models.prior_bias",
    "model.filters=[4]",
    "model.dense_units=4",
    "train.batch_size=16",
    "train.epochs=10",
    "train.min_steps=0",  # early stopping watches from epoch 1 (its 30 positive validation rows)
    "train.threads=1",
    "train.verbose=0",
    "evaluate.bootstrap.resamples=100",
)


@pytest.mark.slow
def test_validation_loss_keeps_epoch_one_where_the_default_monitor_keeps_a_better_epoch(
    tmp_path, caplog
):
    import pandas as pd

    from threshold_sweep.pipeline.runner import run_experiment

    runs = {}
    for monitor in ("val_loss", "val_roc_auc"):
        cfg = compose_config(*IMBALANCED, f"train.monitor={monitor}")
        with caplog.at_level("WARNING"):
            runs[monitor] = run_experiment(cfg, tmp_path / monitor)
        runs[monitor]["log"] = caplog.text
        caplog.clear()
    old, new = runs["val_loss"], runs["val_roc_auc"]
    assert old["prevalence"]["validation"] == pytest.approx(0.1, abs=0.02)
    history = pd.read_csv(tmp_path / "val_loss" / "history.csv")
    # the premise: validation loss rises from epoch 2 while validation ROC-AUC improves
    assert (history["val_loss"].diff().iloc[1:5] > 0).all()
    assert history["val_roc_auc"].iloc[4] > history["val_roc_auc"].iloc[0] + 0.1

    assert old["training"]["best_epoch"] == 1 and old["training"]["monitor"] == "val_loss"
    assert new["training"]["best_epoch"] > 1 and new["training"]["monitor"] == "val_roc_auc"
    assert new["test"]["roc_auc"] > old["test"]["roc_auc"] + 0.05
    kept = new["training"]["best_epoch"]
    assert new["training"]["monitor_best"] == pytest.approx(
        pd.read_csv(tmp_path / "val_roc_auc" / "history.csv")["val_roc_auc"].max()
    )

    # the warning fires for the old setting only, in metrics, report and log
    (warning,) = [w for w in old["warnings"] if "best at epoch 1" in w]
    assert "use train.monitor=val_roc_auc" in warning
    assert warning in old["log"]
    assert warning.split(":")[0] in (tmp_path / "val_loss" / "report.md").read_text()
    assert not any("best at epoch 1" in w for w in new["warnings"])
    report = (tmp_path / "val_roc_auc" / "report.md").read_text()
    assert f"best validation ROC-AUC at epoch {kept} (train.monitor=val_roc_auc)" in report


@pytest.mark.slow  # imports Keras
def test_the_selection_callback_leaves_one_validation_roc_auc_in_the_logs():
    """Keras's binned val_auc is dropped: the progress bar and history.csv show val_roc_auc,
    which early stopping follows, and no second, slightly different validation ROC-AUC."""
    from types import SimpleNamespace

    from threshold_sweep.model.monitor import selection_callback

    y = np.array([0, 1] * 20)
    scores = scores_of(y, 2, seed=3)
    callback = selection_callback(np.zeros((40, 1)), y, np.array([0.5, 0.5]), batch_size=16)
    chunks = iter(np.array_split(scores, [16, 32]))
    callback.set_model(SimpleNamespace(predict_on_batch=lambda batch: next(chunks)))
    logs = {"loss": 0.5, "auc": 0.8, "val_loss": 0.6, "val_auc": 0.7}
    callback.on_epoch_end(0, logs)
    assert "val_auc" not in logs and {"auc", "val_loss", "val_balanced_accuracy"} <= set(logs)
    assert logs["val_roc_auc"] == pytest.approx(skm.roc_auc_score(y, scores[:, 0]))


@pytest.mark.slow
def test_early_stopping_neither_stops_nor_picks_an_epoch_before_the_warm_up(tmp_path):
    """Rows of pure noise: with patience 0 early stopping ends training at the first epoch
    that does not improve; with train.min_steps it watches only after the warm-up, whose
    epochs take at least min_steps optimiser steps (24 rows in batches of 8: 3 an epoch)."""
    from threshold_sweep.model.train import train_model

    rng = np.random.default_rng(0)
    X, X_val = rng.normal(size=(24, 8, 1)), rng.normal(size=(12, 8, 1))
    y, y_val = np.arange(24) % 2, np.arange(12) % 2
    model = compose_config("model.filters=[2]", "model.dense_units=2").model
    runs = {}
    for min_steps in (0, 20):  # 20 steps: a warm-up of 7 epochs
        train = compose_config(
            "train.epochs=12",
            "train.patience=0",
            "train.threads=1",
            "train.verbose=0",
            f"train.min_steps={min_steps}",
            "train.batch_size=8",
        ).train
        history = tmp_path / f"history{min_steps}.csv"
        runs[min_steps] = train_model(X, y, X_val, y_val, 2, None, model, train, history)
    off, warm = runs[0], runs[20]
    assert off.warmup_epochs == 0 and off.epochs_run < 12
    assert warm.warmup_epochs == warmup_epochs(20, 24, 8, 12) == 7
    assert warm.epochs_run >= 8 and warm.best_epoch >= 8  # watched from epoch 8 on
    assert warm.monitor_best_epoch >= 8


@pytest.mark.slow
def test_steps_per_execution_changes_no_weight_and_no_history_value(tmp_path):
    """train.steps_per_execution=32 (the default) runs several batches per call into
    TensorFlow: the same epochs, history and weights as a call per batch, here with an epoch of
    13 batches (not a multiple of 5) and early stopping on."""
    from threshold_sweep.model.train import train_model

    rng = np.random.default_rng(1)
    X, X_val = rng.normal(size=(200, 12, 1)), rng.normal(size=(60, 12, 1))
    y, y_val = (X[:, :4, 0].sum(axis=1) > 0).astype(int), (X_val[:, :4, 0].sum(axis=1) > 0)
    model = compose_config("model.filters=[4]", "model.dense_units=4").model
    runs = {}
    for steps in (1, 5, 32):
        train = compose_config(
            "train.epochs=6",
            "train.threads=1",
            "train.verbose=0",
            "train.batch_size=16",
            f"train.steps_per_execution={steps}",
        ).train
        history = tmp_path / f"history{steps}.csv"
        trained = train_model(X, y, X_val, y_val.astype(int), 2, None, model, train, history)
        runs[steps] = (trained, history.read_text(), trained.model.get_weights())
    one, *others = runs.values()
    assert one[0].epochs_run >= 2
    for trained, history, weights in others:
        assert history == one[1]
        assert (trained.epochs_run, trained.best_epoch) == (one[0].epochs_run, one[0].best_epoch)
        assert all(np.array_equal(a, b) for a, b in zip(weights, one[2], strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_validation_logs_are_what_keras_own_validation_pass_gives(tmp_path, n_classes):
    """model.fit gets no validation_data: the selection callback logs val_loss and
    val_accuracy from its one prediction of the validation rows. They equal Keras's own
    evaluation of those rows (as fit with validation_data logged them), to float32 rounding."""
    from threshold_sweep.model.monitor import keras_validation_logs
    from threshold_sweep.model.train import train_model

    rng = np.random.default_rng(2)
    X, X_val = rng.normal(size=(150, 12, 1)), rng.normal(size=(70, 12, 1))
    y, y_val = np.arange(150) % n_classes, np.arange(70) % n_classes
    model = compose_config("model.filters=[4]", "model.dense_units=4").model
    settings = ("train.epochs=2", "train.threads=1", "train.verbose=0")
    settings += ("train.early_stopping=false",)
    train = compose_config(*settings).train
    history = tmp_path / "history.csv"
    trained = train_model(X, y, X_val, y_val, n_classes, None, model, train, history)
    targets = y_val.astype(np.float32) if n_classes == 2 else y_val
    keras = trained.model.evaluate(X_val, targets, batch_size=16, verbose=0, return_dict=True)
    scores = trained.model.predict(X_val, verbose=0)
    mine = keras_validation_logs(trained.model, targets, scores)
    assert mine["val_loss"] == pytest.approx(keras["loss"], rel=1e-5)
    assert mine["val_accuracy"] == pytest.approx(keras["accuracy"], abs=1e-6)
    logged = pd.read_csv(history)
    assert {"val_loss", "val_accuracy", "val_roc_auc"} <= set(logged.columns)
    assert logged["val_loss"].iloc[-1] == pytest.approx(mine["val_loss"], rel=1e-5)
