"""The allowed values of the configs' choice keys (enums); imports nothing of the project."""

from __future__ import annotations

from enum import Enum


class FeatureTransform(str, Enum):
    """An elementwise transform of the feature values before standardization."""

    none = "none"
    log1p = "log1p"
    asinh = "asinh"


class Standardization(str, Enum):
    """Which training statistics standardize the features: per step, or per channel."""

    step = "step"  # a mean and scale per step and channel: a table's columns are features
    channel = "channel"  # one per channel over every step: keeps a series' shape


class MissingPolicy(str, Enum):
    """What to do with rows whose target or features are missing or infinite."""

    error = "error"
    drop = "drop"


class SplitMethod(str, Enum):
    """How the rows are dealt to train, validation and test."""

    random = "random"
    time = "time"
    kfold = "kfold"
    rolling = "rolling"
    predefined = "predefined"


class SamplingStrategy(str, Enum):
    """How the training split is rebalanced."""

    undersample = "undersample"
    oversample = "oversample"
    class_weight = "class_weight"
    none = "none"


class GlobalPool(str, Enum):
    """How the conv feature maps are reduced before the dense head."""

    avg = "avg"
    max = "max"
    avg_max = "avg_max"
    flatten = "flatten"
    flatten_avg_max = "flatten_avg_max"  # position (flatten) and shift-free (avg, max) features


class Head(str, Enum):
    """The model's output: class probabilities (sigmoid for 2 classes, softmax for k), or
    cumulative: one sigmoid P(x > t_k) per threshold, every threshold from one training."""

    probability = "probability"
    cumulative = "cumulative"


class HeadConsistency(str, Enum):
    """model.head=cumulative: rank_consistent (CORAL: one shared weight vector, ordered
    per-threshold biases, so P(x > t_k) never rises with k) or independent (one sigmoid unit
    per threshold; rank violations are possible and counted)."""

    rank_consistent = "rank_consistent"
    independent = "independent"


class TrainMonitor(str, Enum):
    """What early stopping (and learning-rate reduction) watches on the validation split.

    val_roc_auc (one-vs-rest macro for ordered classes) and val_balanced_accuracy (cutoff 0.5,
    argmax for ordered classes) do not depend on the class balance; val_loss_balanced is the
    validation loss with each class weighted to its share of the training loss; val_loss is
    the validation loss at the natural balance, which punishes a model trained at another one.
    """

    val_roc_auc = "val_roc_auc"
    val_balanced_accuracy = "val_balanced_accuracy"
    val_loss_balanced = "val_loss_balanced"
    val_loss = "val_loss"


class CutoffObjective(str, Enum):
    """What the validation-tuned cutoff maximises."""

    f1 = "f1"
    balanced_accuracy = "balanced_accuracy"
    youden = "youden"


class OrdinalPrediction(str, Enum):
    """Which class the ordinal metrics of k >= 3 classes read per row."""

    argmax = "argmax"
    expected = "expected"


class IntervalMethod(str, Enum):
    """How a bootstrap CI is read from the resampled values."""

    percentile = "percentile"
    bca = "bca"
    auto = "auto"


class ReferenceName(str, Enum):
    """The reference models a run can fit beside the CNN (minirocket: with aeon installed)."""

    logistic = "logistic"
    hgb = "hgb"
    minirocket = "minirocket"


class TrackingBackend(str, Enum):
    """Where runs are tracked besides their folders."""

    none = "none"
    mlflow = "mlflow"
