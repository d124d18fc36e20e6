"""Typed (structured) configs for every stage, registered with Hydra's ConfigStore."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING

from threshold_sweep.thresholds import DEFAULT_THRESHOLD


class FeatureTransform(str, Enum):
    """An elementwise transform of the feature values before standardization."""

    none = "none"
    log1p = "log1p"
    asinh = "asinh"


@dataclass
class SyntheticDataConfig:
    """Embedded default data: noisy sequences whose shape carries log10(x).

    Attributes:
        _target_: the loader, called with the other data.* keys; returns a Dataset
        source: the kind of data (synthetic, table or arrays), kept in the run's config
        n_samples: rows to generate (>= 10)
        length: steps per sequence (>= 4)
        channels: channels per step (>= 1), each with its own white noise on the same bump
        log10_mean: mean of log10(x) ~ Normal; 2.11 makes x > 100 ~57 % and x > 1000 ~8 %
        log10_sd: standard deviation of log10(x) (> 0)
        signal_noise: noise on the latent log10(x) the bump encodes (>= 0; keeps ROC-AUC < 1)
        noise: white noise on every step (>= 0)
        seed: the generator's seed (follows the top-level seed unless set)
        transform: elementwise, before standardization: none, log1p (counts, values > -1) or
            asinh (heavy tails of any sign)
    """

    _target_: str = "threshold_sweep.data.synthetic_data"
    source: str = "synthetic"
    n_samples: int = 4000
    length: int = 64
    channels: int = 1
    log10_mean: float = 2.11
    log10_sd: float = 0.63
    signal_noise: float = 0.5
    noise: float = 0.5
    seed: int = II("seed")
    transform: FeatureTransform = FeatureTransform.none


class MissingPolicy(str, Enum):
    """What to do with rows whose target or features are missing or infinite."""

    error = "error"
    drop = "drop"


@dataclass
class TableDataConfig:
    """A CSV or Parquet file: one row per sample, the feature columns form the sequence.

    Attributes:
        _target_: the loader, called with the other data.* keys; returns a Dataset
        source: the kind of data (synthetic, table or arrays), kept in the run's config
        path: required: the .csv, .parquet or .pq file, relative to where you run
        target: the numeric column the threshold is applied to
        features: the sequence's columns, in order; null = every numeric one but target, id,
            group, order and id-like ones (named id / *_id, or numbering the rows)
        id: id column (unique, read as text: 007 stays 007); null = a column named id or *_id
            with a distinct value on every row, else the row number
        group: column naming each row's entity (subject, station), its rows kept in one split
        order: column of dates, timestamps or numbers that orders the rows for split=time
        on_missing: rows with a missing or infinite target, feature or order, or no group:
            error or drop
        transform: elementwise, before standardization: none, log1p (counts, values > -1) or
            asinh (heavy tails of any sign)
    """

    _target_: str = "threshold_sweep.data.table_data"
    source: str = "table"
    path: str = MISSING
    target: str = "x"
    features: list[str] | None = None
    id: str | None = None
    group: str | None = None
    order: str | None = None
    on_missing: MissingPolicy = MissingPolicy.error
    transform: FeatureTransform = FeatureTransform.none


@dataclass
class ArraysDataConfig:
    """An .npz file with a sequence array and a target vector.

    Attributes:
        _target_: the loader, called with the other data.* keys; returns a Dataset
        source: the kind of data (synthetic, table or arrays), kept in the run's config
        path: required: the .npz file (read without pickle), relative to where you run
        sequences_key: the array of sequences, shape (n, length) or (n, length, channels)
        target_key: the array of x, shape (n,)
        id_key: the array of row ids, shape (n,), unique; null = the row number
        group_key: the array naming each row's entity, shape (n,), its rows kept in one split
        order: the array of dates, timestamps or numbers, shape (n,), that orders the rows for
            split=time
        on_missing: rows with a missing or infinite target, feature or order, or no group:
            error or drop
        transform: elementwise, before standardization: none, log1p (counts, values > -1) or
            asinh (heavy tails of any sign)
    """

    _target_: str = "threshold_sweep.data.arrays_data"
    source: str = "arrays"
    path: str = MISSING
    sequences_key: str = "X"
    target_key: str = "x"
    id_key: str | None = None
    group_key: str | None = None
    order: str | None = None
    on_missing: MissingPolicy = MissingPolicy.error
    transform: FeatureTransform = FeatureTransform.none


@dataclass
class LabelConfig:
    """How x becomes classes: x > threshold is the positive class (the last name).

    A sorted list of k thresholds gives k+1 ordered classes; label.bins or label.quantiles
    cut x at quantiles of the training rows instead (label.threshold then stays unset).

    Attributes:
        threshold: x > threshold is the positive class; a sorted list gives ordered classes
        names: class names, lowest first; null = [low, high], or intervals for a list
        min_per_split: rows each class needs in train, validation and test, or the run stops
        bins: K equal-count ordered classes, cut at quantiles of the training rows' x (>= 2)
        quantiles: cut x at these quantiles of the training rows, e.g. [0.25,0.5] (in (0, 1))
    """

    threshold: Any = DEFAULT_THRESHOLD
    names: list[str] | None = None
    min_per_split: int = 5
    bins: int | None = None
    quantiles: list[float] | None = None


class SplitMethod(str, Enum):
    """How the rows are dealt to train, validation and test."""

    random = "random"
    time = "time"
    kfold = "kfold"
    rolling = "rolling"


@dataclass
class SplitConfig:
    """One train/validation/test split, stratified on quantile bins of x (split=default), or
    in time order (split=time: the earliest rows train, the latest test), or repeated k-fold
    cross-validation (split=kfold: every row tested once per repeat), or rolling-origin
    cross-validation in time order (split=rolling: each fold trains on all earlier rows).

    With data.group (data.group_key) whole groups are split and the fractions are met as
    nearly as the groups allow.

    Attributes:
        method: random (seeded, stratified on x), time (by data.order, earliest rows first)
            or kfold (repeated k-fold, stratified on x, every row held out once per repeat)
            or rolling (by data.order: each fold tests the block after all it trained on)
        validation_fraction: share of rows for validation (early stopping, tuned cutoff)
        test_fraction: share of rows for test (the reported metrics); sum of both < 1
        n_bins: x's quantile bins to stratify on (1 = none; fewer for tiny data; not for time)
        seed: the split's seed (follows the top-level seed unless set; not for time)
        folds: split=kfold's folds per repeat (at least 2; 5 or 10 are usual), split=rolling's
            tested blocks
        repeats: split=kfold's repeats, each with its own shuffle of the folds
    """

    method: SplitMethod = SplitMethod.random
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    n_bins: int = 10
    seed: int = II("seed")
    folds: int = 5
    repeats: int = 1


class SamplingStrategy(str, Enum):
    """How the training split is rebalanced."""

    undersample = "undersample"
    oversample = "oversample"
    class_weight = "class_weight"
    none = "none"


@dataclass
class SamplingConfig:
    """Rebalancing of the training split (validation and test keep their balance).

    Attributes:
        _target_: the rebalancer, called with the training rows and their labels
        strategy: undersample, oversample, class_weight (weighted loss) or none
        seed: the under- or oversampler's seed (follows train.seed unless set)
    """

    _target_: str = "threshold_sweep.prepare.sampling.sample_training_rows"
    strategy: SamplingStrategy = SamplingStrategy.undersample
    seed: int = II("train.seed")


class GlobalPool(str, Enum):
    """How the conv feature maps are reduced before the dense head."""

    avg = "avg"
    max = "max"
    avg_max = "avg_max"
    flatten = "flatten"


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


HEAD_KEYS = ("head", "head_consistency")  # model.* keys the run reads, not the builder


@dataclass
class ModelConfig:
    """A Keras 1D CNN: conv blocks, pooling, dropout, a dense layer, a probability output.

    Attributes:
        _target_: the builder: build(input_shape, n_outputs, **the other model.* keys)
        name: the Keras model's name
        filters: one Conv1D block per entry, with that many filters (> 0)
        kernel_size: convolution width (> 0)
        pool_size: MaxPooling1D size after each block, while the sequence allows (1 = none)
        global_pool: reduction before the dense head: avg, max, avg_max or flatten (keeps position)
        dropout: dropout rate before the dense layer, in [0, 1)
        dense_units: dense ReLU layer before the sigmoid/softmax output (0 = none)
        head: probability (class probabilities) or cumulative (P(x > t) per threshold)
        head_consistency: cumulative head: rank_consistent (CORAL) or independent
    """

    _target_: str = "threshold_sweep.model.cnn1d.build_cnn1d"
    name: str = "cnn1d"
    filters: list[int] = field(default_factory=lambda: [16, 32])
    kernel_size: int = 5
    pool_size: int = 2
    global_pool: GlobalPool = GlobalPool.flatten
    dropout: float = 0.2
    dense_units: int = 32
    head: Head = Head.probability
    head_consistency: HeadConsistency = HeadConsistency.rank_consistent


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


@dataclass
class FCNConfig:
    """The fully convolutional network of Wang, Yan & Oates (2017): Conv1D+BN+ReLU blocks.

    Attributes:
        _target_: the builder: build(input_shape, n_outputs, **the other model.* keys)
        name: the Keras model's name
        filters: one Conv1D + BatchNorm + ReLU block per entry, with that many filters (> 0)
        kernel_sizes: convolution width of each block, one per entry of filters (> 0)
        global_pool: how feature maps are reduced: avg (the paper's), max, avg_max or flatten
        head: probability (class probabilities) or cumulative (P(x > t) per threshold)
        head_consistency: cumulative head: rank_consistent (CORAL) or independent
    """

    _target_: str = "threshold_sweep.model.fcn.build_fcn"
    name: str = "fcn"
    filters: list[int] = field(default_factory=lambda: [128, 256, 128])
    kernel_sizes: list[int] = field(default_factory=lambda: [8, 5, 3])
    global_pool: GlobalPool = GlobalPool.avg
    head: Head = Head.probability
    head_consistency: HeadConsistency = HeadConsistency.rank_consistent


@dataclass
class ResNetConfig:
    """The residual network of Wang, Yan & Oates (2017): residual blocks of Conv1D+BN layers.

    Attributes:
        _target_: the builder: build(input_shape, n_outputs, **the other model.* keys)
        name: the Keras model's name
        filters: one residual block per entry, with that many filters in each conv (> 0)
        kernel_sizes: the convolution widths inside every block, one conv each (> 0)
        global_pool: how feature maps are reduced: avg (the paper's), max, avg_max or flatten
        head: probability (class probabilities) or cumulative (P(x > t) per threshold)
        head_consistency: cumulative head: rank_consistent (CORAL) or independent
    """

    _target_: str = "threshold_sweep.model.resnet.build_resnet"
    name: str = "resnet"
    filters: list[int] = field(default_factory=lambda: [64, 128, 128])
    kernel_sizes: list[int] = field(default_factory=lambda: [8, 5, 3])
    global_pool: GlobalPool = GlobalPool.avg
    head: Head = Head.probability
    head_consistency: HeadConsistency = HeadConsistency.rank_consistent


@dataclass
class TrainConfig:
    """Keras training: budget, optimiser, early stopping, seed and threads.

    Attributes:
        epochs: most passes over the training rows; early stopping may end sooner
        batch_size: rows per gradient step (smaller for tiny training splits; logged)
        learning_rate: Adam's learning rate
        early_stopping: stop once the monitor stops improving; keep the best epoch's weights
        patience: epochs without a better monitor value before early stopping
        monitor: what early stopping and the kept weights follow: val_roc_auc,
            val_balanced_accuracy, val_loss_balanced (loss at the training balance), val_loss
        reduce_lr_on_plateau: false, true (= factor 0.5) or a factor in (0, 1) for the learning
            rate when the monitor stalls
        seed: Keras seed for weights and shuffling (op determinism on)
        threads: TensorFlow threads; 0 = this job's share of the cores
        verbose: auto = bar in a terminal, one line per epoch otherwise; or 0, 1, 2
        predict_batch_size: rows per batch when the model scores the three splits
        mixed_precision: true = Keras mixed_float16 (meant for GPUs; slower on a CPU)
        tensorboard: true = per-epoch scalars in <run folder>/tensorboard/
    """

    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 0.003
    early_stopping: bool = True
    patience: int = 4
    monitor: TrainMonitor = TrainMonitor.val_roc_auc
    reduce_lr_on_plateau: Any = False
    seed: int = II("seed")
    threads: int = 0
    verbose: str = "auto"
    predict_batch_size: int = 1024
    mixed_precision: bool = False
    tensorboard: bool = False


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


@dataclass
class BootstrapConfig:
    """Stratified bootstrap confidence intervals on the test split.

    Attributes:
        resamples: resamples of the test rows, drawn within each class (>= 10)
        level: confidence level of every interval, in (0, 1)
        seed: the bootstrap's seed (follows the top-level seed unless set)
        method: percentile, bca (bias-corrected, accelerated) or auto (bca; paired: percentile)
    """

    resamples: int = 1000
    level: float = 0.95
    seed: int = II("seed")
    method: IntervalMethod = IntervalMethod.auto


class ReferenceName(str, Enum):
    """The scikit-learn reference models a run can fit beside the CNN."""

    logistic = "logistic"
    hgb = "hgb"


@dataclass
class EvaluateConfig:
    """How scores become predictions and what is reported.

    Attributes:
        cutoff: two classes: positive when its score >= cutoff, in (0, 1)
        tune_objective: cutoff tuned on validation for: f1, balanced_accuracy, youden
        bootstrap: confidence intervals of the test metrics
        max_gap: warn above this train - test gap (ROC-AUC, balanced accuracy)
        equivalence_margin: a sweep calls two settings equivalent only when the CI of their
            difference lies within +-margin (two one-sided tests), and a difference beyond
            noise but inside it negligible; in the metric's units (ROC-AUC, balanced accuracy)
        min_class_rows: warn when a test class has fewer rows than this
        reference: models fitted on the same rows to compare with: logistic, hgb; [] for none
        within: k >= 3 classes: report within_<d>, the share predicted at most d classes off
        ordinal_prediction: k >= 3: the class ordinal metrics read: argmax or expected (rounded)
        compare_thresholds: model.head=cumulative: grid thresholds compared pairwise on the
            same test rows (null: the first, the best by ROC-AUC and the last)
    """

    cutoff: float = 0.5
    tune_objective: CutoffObjective = CutoffObjective.f1
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    max_gap: float = 0.05
    equivalence_margin: float = 0.02
    min_class_rows: int = 30
    reference: list[ReferenceName] = field(
        default_factory=lambda: [ReferenceName.logistic, ReferenceName.hgb]
    )
    within: list[int] = field(default_factory=lambda: [1])
    ordinal_prediction: OrdinalPrediction = OrdinalPrediction.argmax
    compare_thresholds: list[float] | None = None


class TrackingBackend(str, Enum):
    """Where runs are tracked besides their folders."""

    none = "none"
    mlflow = "mlflow"


@dataclass
class TrackingConfig:
    """Experiment tracking: tracking=mlflow logs every run (a child run per sweep job).

    Attributes:
        backend: none (run folders only) or mlflow (runs logged to MLflow too)
        tracking_uri: null = outputs/mlflow.db (SQLite); x.db, a folder, http://host
        artifact_location: new experiments' artifacts; null = next to a SQLite database
        experiment_name: the MLflow experiment runs go to (created if new)
        run_name: a job's run name; null = its folder name; may interpolate keys
        log_model: log model.keras as an artifact under model/
    """

    backend: TrackingBackend = TrackingBackend.none
    tracking_uri: str | None = None
    artifact_location: str | None = None
    experiment_name: str = "threshold-sweep"
    run_name: str | None = None
    log_model: bool = True


@dataclass
class Config:
    """The whole experiment; `data` and `model` are one of their options' schemas.

    Attributes:
        seed: the seed data, split, train (so sampling) and bootstrap follow unless set
        resume: skip jobs whose folder holds a complete run of the same resolved config
        data: where the rows come from: data=synthetic, table or arrays
        label: how x becomes classes
        split: the train/validation/test split every threshold shares
        sampling: rebalancing of the training split
        model: the Keras model's builder (model._target_) and its keyword arguments (model.*)
        train: Keras training
        evaluate: predictions, intervals and warnings
        tracking: experiment tracking besides the run folders
    """

    seed: int = 0
    resume: bool = False
    data: Any = MISSING
    label: LabelConfig = field(default_factory=LabelConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    model: Any = MISSING
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


def register_configs() -> None:
    """Register the schemas that the YAML files in configs/ extend."""
    store = ConfigStore.instance()
    store.store(name="base_config", node=Config)
    store.store(group="schema/data", name="synthetic", node=SyntheticDataConfig)
    store.store(group="schema/data", name="table", node=TableDataConfig)
    store.store(group="schema/data", name="arrays", node=ArraysDataConfig)
    store.store(group="schema/model", name="cnn1d", node=ModelConfig)
    store.store(group="schema/model", name="fcn", node=FCNConfig)
    store.store(group="schema/model", name="resnet", node=ResNetConfig)
    store.store(group="schema/model", name="custom", node=custom_model_schema())


def custom_model_schema() -> Any:
    """model=custom: `_target_` names the builder; any other key is one of its arguments."""
    from omegaconf import OmegaConf

    node = OmegaConf.create({"_target_": MISSING})
    OmegaConf.set_struct(node, False)  # model.units=64 works without a leading +
    return node


def _check_known_keys(cfg: Any) -> None:
    """Reject keys that no schema declares (Hydra lets `+key=value` add them)."""
    import difflib
    from dataclasses import fields, is_dataclass

    from omegaconf import DictConfig, OmegaConf

    from threshold_sweep.errors import UserError

    def walk(node: Any, prefix: str) -> None:
        schema = OmegaConf.get_type(node)
        if not (isinstance(node, DictConfig) and is_dataclass(schema)):
            return
        known = [f.name for f in fields(schema)]
        for key in node:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = (
                    f"did you mean {prefix}{close[0]}?"
                    if close
                    else (f"valid keys: {', '.join(prefix + k for k in known)}")
                )
                raise UserError(f"unknown config key {prefix}{key}: {hint}")
            if not OmegaConf.is_missing(node, key):
                walk(node[key], f"{prefix}{key}.")

    walk(cfg, "")


def _check_missing(cfg: Any) -> None:
    """Name the first required key that has no value."""
    from omegaconf import OmegaConf

    from threshold_sweep.errors import UserError

    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        first = missing[0]
        raise UserError(
            f"{first} is required for this config and has no value: add {first}=... "
            "to the command line"
        )


def _require(bounds: dict[str, tuple[Any, float, bool]], message: str) -> None:
    """Raise `message` (with key, value, low) for the first value below (or at) its bound."""
    from threshold_sweep.errors import UserError

    for key, (value, low, strict) in bounds.items():
        if value < low or (strict and value == low):
            raise UserError(message.format(key=key, value=value, low=low))


def _check_budgets(cfg: Any) -> None:
    """Epochs, batch sizes, learning rate and class minimum must be positive."""
    positive = {
        "train.epochs": cfg.train.epochs,
        "train.batch_size": cfg.train.batch_size,
        "train.learning_rate": cfg.train.learning_rate,
        "train.predict_batch_size": cfg.train.predict_batch_size,
        "label.min_per_split": cfg.label.min_per_split,
    }
    _require({k: (v, 0, True) for k, v in positive.items()}, "{key}={value} must be > 0")


def _check_seeds(cfg: Any) -> None:
    """Every seed must be a non-negative integer."""
    seeds = {
        "seed": cfg.seed,
        "train.seed": cfg.train.seed,
        "split.seed": cfg.split.seed,
        "sampling.seed": cfg.sampling.seed,
        "evaluate.bootstrap.seed": cfg.evaluate.bootstrap.seed,
    }
    if "seed" in cfg.data:
        seeds["data.seed"] = cfg.data.seed
    _require(
        {k: (v, 0, False) for k, v in seeds.items()},
        "{key}={value} must be a non-negative integer, e.g. {key}=0",
    )


def _check_counts(cfg: Any) -> None:
    """Patience, threads, bins and class rows have lower bounds."""
    _require(
        {
            "train.patience": (cfg.train.patience, 0, False),
            "train.threads": (cfg.train.threads, 0, False),
        },
        "{key}={value} must be >= 0 (train.threads=0 means all cores)",
    )
    _require(
        {
            "split.n_bins": (cfg.split.n_bins, 1, False),
            "evaluate.min_class_rows": (cfg.evaluate.min_class_rows, 0, False),
        },
        "{key}={value} must be >= {low}",
    )


def _check_cnn1d(model: Any) -> None:
    """The built-in CNN's sizes, filters and dropout (other builders check their own keys)."""
    from omegaconf import OmegaConf

    from threshold_sweep.errors import UserError

    if OmegaConf.get_type(model) is not ModelConfig:
        return
    _require({"model.kernel_size": (model.kernel_size, 0, True)}, "{key}={value} must be > 0")
    _require(
        {
            "model.pool_size": (model.pool_size, 1, False),
            "model.dense_units": (model.dense_units, 0, False),
        },
        "{key}={value} must be >= {low}",
    )
    if not model.filters or any(f <= 0 for f in model.filters):
        raise UserError(f"model.filters={list(model.filters)} must be positive integers")
    if not 0 <= model.dropout < 1:
        raise UserError(f"model.dropout={model.dropout} must be in [0, 1)")


def _check_positive_list(key: str, values: Any, example: str) -> None:
    """`values` must be a non-empty list of positive integers (UserError with an example)."""
    from threshold_sweep.errors import UserError

    if not values or any(value <= 0 for value in values):
        raise UserError(
            f"{key}={list(values)} must be a non-empty list of positive integers, "
            f"e.g. {key}={example}"
        )


def _check_fcn_resnet(model: Any) -> None:
    """FCN and ResNet: positive filters and kernel sizes; FCN needs one kernel size per block."""
    from omegaconf import OmegaConf

    from threshold_sweep.errors import UserError

    schema = OmegaConf.get_type(model)
    if schema not in (FCNConfig, ResNetConfig):
        return
    defaults = schema()
    for key in ("filters", "kernel_sizes"):
        example = ",".join(str(v) for v in getattr(defaults, key))
        _check_positive_list(f"model.{key}", model[key], f"[{example}]")
    if schema is FCNConfig and len(model.kernel_sizes) != len(model.filters):
        raise UserError(
            f"model.kernel_sizes={list(model.kernel_sizes)} has {len(model.kernel_sizes)} "
            f"entries but model.filters={list(model.filters)} has {len(model.filters)}: "
            "give one kernel size per block"
        )


def _check_evaluate(evaluate: Any) -> None:
    """Bootstrap resamples and level, and the decision cutoff."""
    from threshold_sweep.errors import UserError

    if evaluate.bootstrap.resamples < 10:
        raise UserError(
            f"evaluate.bootstrap.resamples={evaluate.bootstrap.resamples} must be >= 10 "
            "(1000 is usual)"
        )
    if not 0 < evaluate.bootstrap.level < 1:
        raise UserError(
            f"evaluate.bootstrap.level={evaluate.bootstrap.level} must be between 0 and 1, "
            "e.g. 0.95"
        )
    if not 0 < evaluate.cutoff < 1:
        raise UserError(f"evaluate.cutoff={evaluate.cutoff} must be between 0 and 1")
    if not 0 < evaluate.equivalence_margin < 0.5:
        raise UserError(
            f"evaluate.equivalence_margin={evaluate.equivalence_margin} must be between 0 and "
            "0.5 (a difference in ROC-AUC or balanced accuracy), e.g. 0.02"
        )
    names = [getattr(name, "value", name) for name in evaluate.reference]
    if len(set(names)) < len(names):
        raise UserError(f"evaluate.reference={names} names a model twice; list each once")
    _check_within(list(evaluate.within))


def _check_within(within: list[int]) -> None:
    """evaluate.within: a non-empty, increasing list of positive class distances."""
    from threshold_sweep.errors import UserError

    if not within or any(d <= 0 for d in within):
        raise UserError(
            f"evaluate.within={within} must be a non-empty list of positive integers (class "
            "steps), e.g. evaluate.within=[1,2]"
        )
    if any(b <= a for a, b in itertools.pairwise(within)):
        raise UserError(
            f"evaluate.within={within} must be increasing without repeats, "
            f"e.g. evaluate.within={sorted(set(within))}"
        )


def _check_plateau(train: Any) -> None:
    """train.reduce_lr_on_plateau is a bool or a factor in (0, 1)."""
    from threshold_sweep.errors import UserError

    value = train.reduce_lr_on_plateau
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int | float) and 0 <= value < 1:
        return
    raise UserError(
        f"train.reduce_lr_on_plateau={value} must be false, true or a factor between 0 and 1 "
        "(the learning rate is multiplied by it), e.g. train.reduce_lr_on_plateau=0.5"
    )


def _check_labels_and_verbosity(cfg: Any) -> None:
    """Thresholds and class names agree; train.verbose is one Keras knows."""
    from threshold_sweep.errors import UserError
    from threshold_sweep.prepare.labels import class_names, quantile_levels
    from threshold_sweep.thresholds import parse_thresholds

    levels = quantile_levels(cfg.label, DEFAULT_THRESHOLD)  # label.bins / label.quantiles
    class_names(
        parse_thresholds(cfg.label.threshold) if levels is None else levels, cfg.label.names
    )
    if str(cfg.train.verbose) not in ("auto", "0", "1", "2"):
        raise UserError(f"train.verbose={cfg.train.verbose} must be auto, 0, 1 or 2")


def model_head(model: Any) -> tuple[str, str]:
    """model.head and model.head_consistency as text (a custom model's may be absent)."""
    head = model.get("head", Head.probability)
    consistency = model.get("head_consistency", HeadConsistency.rank_consistent)
    return str(getattr(head, "value", head)), str(getattr(consistency, "value", consistency))


def _check_head(cfg: Any) -> None:
    """model.head names a head; a cumulative head needs two or more thresholds."""
    from threshold_sweep.errors import UserError
    from threshold_sweep.prepare.labels import quantile_levels, quantile_setting
    from threshold_sweep.thresholds import parse_thresholds

    head, consistency = model_head(cfg.model)
    heads = [h.value for h in Head]
    if head not in heads:
        raise UserError(f"model.head={head} is not one of {', '.join(heads)}")
    consistencies = [c.value for c in HeadConsistency]
    if consistency not in consistencies:
        raise UserError(
            f"model.head_consistency={consistency} is not one of {', '.join(consistencies)}"
        )
    compare = cfg.evaluate.get("compare_thresholds")
    if head != Head.cumulative.value:
        if consistency != HeadConsistency.rank_consistent.value:
            raise UserError(
                f"model.head_consistency={consistency} applies to model.head=cumulative only: "
                "add model.head=cumulative (with a threshold grid), or drop the key"
            )
        if compare is not None:
            raise UserError(
                f"evaluate.compare_thresholds={list(compare)} compares the thresholds of one "
                "model.head=cumulative run: add model.head=cumulative, or drop the key (a sweep "
                "of dedicated runs compares its thresholds in the sweep summary)"
            )
        return
    if compare is not None and (len(compare) < 2 or len(set(compare)) < len(compare)):
        raise UserError(
            f"evaluate.compare_thresholds={list(compare)} must list two or more different "
            "thresholds of the grid, e.g. evaluate.compare_thresholds=[100,1000]"
        )
    method = str(getattr(cfg.split.method, "value", cfg.split.method))
    if method in (SplitMethod.kfold.value, SplitMethod.rolling.value):
        raise UserError(
            f"model.head=cumulative cannot be combined with split={method} yet: use "
            "split=default or split=time, or drop model.head=cumulative"
        )
    levels = quantile_levels(cfg.label, DEFAULT_THRESHOLD)
    count = len(parse_thresholds(cfg.label.threshold) if levels is None else levels)
    if count < 2:
        given = (
            f"label.threshold={cfg.label.threshold} is one"
            if levels is None
            else f"{quantile_setting(cfg.label.get('bins'), cfg.label.get('quantiles'))} gives one"
        )
        raise UserError(
            f"model.head=cumulative needs two or more thresholds, and {given}: give a grid "
            "(label.threshold=[100,300,1000], label.bins=20 or label.quantiles=[0.25,0.5,0.75]), "
            "or drop model.head=cumulative"
        )


def _check_split(cfg: Any) -> None:
    """split=time and split=rolling need data.order and no grouping (not combined yet)."""
    from threshold_sweep.errors import UserError

    method = getattr(cfg.split.method, "value", cfg.split.method)
    if method not in (SplitMethod.time.value, SplitMethod.rolling.value):
        return
    if cfg.data.get("order") is None:
        source = cfg.data.get("source", "synthetic")
        has_none = (
            f" (data={source} has no order: use data=table or data=arrays)"
            if "order" not in cfg.data
            else ""
        )
        raise UserError(
            f"split={method} needs data.order: set data.order=<column> (a table's column, or an "
            f".npz array of shape (n,)) of dates, timestamps or numbers{has_none}, or use "
            "split=default"
        )
    group_key = "group_key" if "group_key" in cfg.data else "group"
    if cfg.data.get(group_key) is not None:
        raise UserError(
            f"split={method} cannot be combined with data.{group_key}={cfg.data[group_key]} yet: "
            f"leave data.{group_key} unset for a time-ordered split, or use "
            f"split={'default' if method == 'time' else 'kfold'} for a grouped one"
        )


COMPONENTS = ("data", "sampling", "model")


def check_targets(cfg: Any) -> None:
    """Each component's `_target_` must be findable on the Python path (nothing is imported)."""
    from omegaconf import OmegaConf

    from threshold_sweep.components import TargetError, check_target, target_error

    for key in COMPONENTS:
        node = cfg.get(key)
        if node is None or "_target_" not in node or OmegaConf.is_missing(node, "_target_"):
            continue
        try:
            check_target(node._target_)
        except TargetError as error:
            raise target_error(key, node._target_, error.problem, error.fix) from None


def validate_config(cfg: Any) -> None:
    """Reject values that type checks cannot: budgets, sizes, label names and targets."""
    _check_known_keys(cfg)
    _check_missing(cfg)
    _check_budgets(cfg)
    _check_seeds(cfg)
    _check_counts(cfg)
    _check_plateau(cfg.train)
    _check_cnn1d(cfg.model)
    _check_fcn_resnet(cfg.model)
    _check_evaluate(cfg.evaluate)
    _check_labels_and_verbosity(cfg)
    _check_head(cfg)
    _check_split(cfg)
    check_targets(cfg)
