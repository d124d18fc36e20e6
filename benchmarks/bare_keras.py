"""The baseline a threshold-sweep run is measured against: what a user would write by hand.

Plain Keras, imbalanced-learn and scikit-learn, no threshold-sweep import: read the arrays
(`X`: rows x steps, `x`: the numeric column) from an .npz, label x > threshold, split
70/15/15 stratified on the label, standardize with the training rows' mean and sd over every
step (the tool's data.standardize=channel), undersample the training rows (imblearn
RandomUnderSampler), train the default cnn1d (Conv1D 16 and 32, kernel 5, max pooling 2, the
flattened maps beside their global average and max, dropout 0.2, dense 32, sigmoid; Adam
0.003, batch 64, binary cross-entropy with accuracy and AUC, validation each epoch) for a
fixed number of epochs (no early stopping), predict the test rows and print scikit-learn's
ROC-AUC, balanced accuracy, F1, log loss and confusion matrix.

    python benchmarks/bare_keras.py DATA.npz EPOCHS [THRESHOLD] [SEED] [STEPS_PER_EXECUTION]

STEPS_PER_EXECUTION (default 1, Keras's default) is the tuned variant: the tool runs 32
batches per call into TensorFlow (train.steps_per_execution), and so can a hand-written script.

`bench_runner.py` writes DATA.npz with threshold-sweep's own synthetic generator (the
default data at 20,000 x 128, seed 0) and times this script against the tool on it.
"""

from __future__ import annotations

import json
import sys

import keras
import numpy as np
from imblearn.under_sampling import RandomUnderSampler
from keras import layers
from sklearn import metrics
from sklearn.model_selection import train_test_split


def split(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train, validation and test row indices: 70/15/15, stratified on the label."""
    rest, test = train_test_split(np.arange(len(y)), test_size=0.15, stratify=y, random_state=seed)
    train, validation = train_test_split(
        rest, test_size=0.15 / 0.85, stratify=y[rest], random_state=seed
    )
    return train, validation, test


def cnn1d(steps: int) -> keras.Model:
    """The default cnn1d of threshold-sweep, written out in Keras."""
    inputs = keras.Input(shape=(steps, 1))
    hidden = inputs
    for filters in (16, 32):
        hidden = layers.Conv1D(filters, 5, padding="same", activation="relu")(hidden)
        hidden = layers.MaxPooling1D(2)(hidden)
    pooled = [layers.GlobalAveragePooling1D()(hidden), layers.GlobalMaxPooling1D()(hidden)]
    hidden = layers.Concatenate()([*pooled, layers.Flatten()(hidden)])
    hidden = layers.Dropout(0.2)(hidden)
    hidden = layers.Dense(32, activation="relu")(hidden)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(hidden))


def main() -> None:
    """Train, predict the test rows, print the metrics as JSON."""
    path, epochs = sys.argv[1], int(sys.argv[2])
    threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 100.0
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    arrays = np.load(path)
    X, y = arrays["X"].astype("float32")[:, :, None], (arrays["x"] > threshold).astype("int64")
    train, validation, test = split(y, seed)
    mean, sd = X[train].mean(), X[train].std()
    X = (X - mean) / (sd if sd > 0 else 1.0)
    fit, _ = RandomUnderSampler(random_state=seed).fit_resample(train[:, None], y[train])
    fit = fit[:, 0]
    keras.utils.set_random_seed(seed)
    model = cnn1d(X.shape[1])
    model.compile(
        optimizer=keras.optimizers.Adam(0.003),
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
        steps_per_execution=steps,
    )
    model.fit(
        X[fit],
        y[fit],
        validation_data=(X[validation], y[validation]),
        epochs=epochs,
        batch_size=64,
        verbose=0,
    )
    scores = model.predict(X[test], batch_size=1024, verbose=0)[:, 0]
    predicted = (scores > 0.5).astype("int64")
    print(
        json.dumps(
            {
                "roc_auc": metrics.roc_auc_score(y[test], scores),
                "balanced_accuracy": metrics.balanced_accuracy_score(y[test], predicted),
                "f1": metrics.f1_score(y[test], predicted),
                "log_loss": metrics.log_loss(y[test], scores),
                "confusion_matrix": metrics.confusion_matrix(y[test], predicted).tolist(),
            }
        )
    )


if __name__ == "__main__":
    main()
