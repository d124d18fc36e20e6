"""Typed (structured) configs for every stage: dataclasses only (their choices: conf.choices).

Imports nothing of the project but conf.choices (which imports nothing): `--help` reads each
key's meaning from these docstrings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import II, MISSING

from threshold_sweep.conf.choices import (
    CutoffObjective,
    FeatureTransform,
    GlobalPool,
    Head,
    HeadConsistency,
    IntervalMethod,
    MissingPolicy,
    OrdinalPrediction,
    ReferenceName,
    SamplingStrategy,
    SplitMethod,
    Standardization,
    TrackingBackend,
    TrainMonitor,
)


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
        standardize: the training statistics that scale the features: step (a mean and scale
            per step and channel, for a table's columns) or channel (one per channel over every
            step, keeps a series' shape) (the default here: the steps are a series)
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
    standardize: Standardization = Standardization.channel


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
        part: column naming each row's part for split=predefined: train, test or validation
        on_missing: rows with a missing or infinite target, feature or order, or no group or
            part: error or drop
        transform: elementwise, before standardization: none, log1p (counts, values > -1) or
            asinh (heavy tails of any sign)
        standardize: the training statistics that scale the features: step (a mean and scale
            per step and channel, for a table's columns) or channel (one per channel over every
            step, keeps a series' shape) (the default here: the columns are
            features in their own units)
    """

    _target_: str = "threshold_sweep.data.table_data"
    source: str = "table"
    path: str = MISSING
    target: str = "x"
    features: list[str] | None = None
    id: str | None = None
    group: str | None = None
    order: str | None = None
    part: str | None = None
    on_missing: MissingPolicy = MissingPolicy.error
    transform: FeatureTransform = FeatureTransform.none
    standardize: Standardization = Standardization.step


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
        part_key: the string array naming each row's part for split=predefined, shape (n,):
            train, test or validation
        on_missing: rows with a missing or infinite target, feature or order, or no group or
            part: error or drop
        transform: elementwise, before standardization: none, log1p (counts, values > -1) or
            asinh (heavy tails of any sign)
        standardize: the training statistics that scale the features: step (a mean and scale
            per step and channel, for a table's columns) or channel (one per channel over every
            step, keeps a series' shape) (the default here: the array holds series;
            use step for a table of features)
    """

    _target_: str = "threshold_sweep.data.arrays_data"
    source: str = "arrays"
    path: str = MISSING
    sequences_key: str = "X"
    target_key: str = "x"
    id_key: str | None = None
    group_key: str | None = None
    order: str | None = None
    part_key: str | None = None
    on_missing: MissingPolicy = MissingPolicy.error
    transform: FeatureTransform = FeatureTransform.none
    standardize: Standardization = Standardization.channel


@dataclass
class LabelConfig:
    """How x becomes classes: x > threshold is the positive class (the last name).

    A sorted list of k thresholds gives k+1 ordered classes; label.bins or label.quantiles
    cut x at quantiles of the training rows instead (label.threshold then stays unset).

    Attributes:
        threshold: x > threshold is the positive class; a sorted list gives ordered classes;
            null: 100 unless label.bins or label.quantiles
        names: class names, lowest first; null = [low, high], or intervals for a list
        min_per_split: rows each class needs in train, validation and test, or the run stops
        bins: K equal-count ordered classes, cut at quantiles of the training rows' x (>= 2)
        quantiles: cut x at these quantiles of the training rows, e.g. [0.25,0.5] (in (0, 1))
    """

    threshold: Any = None  # null: thresholds.DEFAULT_THRESHOLD unless bins or quantiles
    names: list[str] | None = None
    min_per_split: int = 5
    bins: int | None = None
    quantiles: list[float] | None = None


@dataclass
class SplitConfig:
    """One train/validation/test split, stratified on quantile bins of x (split=default), or
    in time order (split=time: the earliest rows train, the latest test), or repeated k-fold
    cross-validation (split=kfold: every row tested once per repeat), or rolling-origin
    cross-validation in time order (split=rolling: each fold trains on all earlier rows), or
    the parts the data names (split=predefined: data.part / data.part_key).

    With data.group (data.group_key) whole groups are split and the fractions are met as
    nearly as the groups allow.

    Attributes:
        method: random (seeded, stratified on x), time (by data.order, earliest rows first)
            or kfold (repeated k-fold, stratified on x, every row held out once per repeat)
            or rolling (by data.order: each fold tests the block after all it trained on)
            or predefined (the data's train / validation / test parts)
        validation_fraction: share of rows for validation (early stopping, tuned cutoff);
            split=predefined: share of the train part, when the data marks no validation rows
        test_fraction: share of rows for test (the reported metrics); sum of both < 1; not
            for predefined (the data marks its test rows)
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


@dataclass
class ModelConfig:
    """A Keras 1D CNN: conv blocks, pooling, dropout, a dense layer, a probability output.

    Attributes:
        _target_: the builder: build(input_shape, n_outputs, **the other model.* keys)
        name: the Keras model's name
        filters: one Conv1D block per entry, with that many filters (> 0)
        kernel_size: convolution width (> 0)
        pool_size: MaxPooling1D size after each block, while the sequence allows (1 = none)
        global_pool: reduction before the dense head: avg, max, avg_max, flatten (keeps
            position) or flatten_avg_max (all three, concatenated)
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
    global_pool: GlobalPool = GlobalPool.flatten_avg_max
    dropout: float = 0.2
    dense_units: int = 32
    head: Head = Head.probability
    head_consistency: HeadConsistency = HeadConsistency.rank_consistent


@dataclass
class FCNConfig:
    """The fully convolutional network of Wang, Yan & Oates (2017): Conv1D+BN+ReLU blocks.

    Attributes:
        _target_: the builder: build(input_shape, n_outputs, **the other model.* keys)
        name: the Keras model's name
        filters: one Conv1D + BatchNorm + ReLU block per entry, with that many filters (> 0)
        kernel_sizes: convolution width of each block, one per entry of filters (> 0)
        global_pool: how feature maps are reduced: avg (the paper's), max, avg_max, flatten or
            flatten_avg_max
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
        global_pool: how feature maps are reduced: avg (the paper's), max, avg_max, flatten or
            flatten_avg_max
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
        min_steps: with a small validation split (train.warmup_validation_rows), optimiser
            steps before early stopping may stop training or pick an epoch: a tiny training
            split (few batches an epoch) trains more epochs, up to train.epochs; 0 = off
        warmup_validation_rows: train.min_steps applies when the validation split holds fewer
            rows than this of some class (its metric too coarse to pick an epoch early)
        monitor: what early stopping and the kept weights follow: val_roc_auc,
            val_balanced_accuracy, val_loss_balanced (loss at the training balance), val_loss
        reduce_lr_on_plateau: false, true (= factor 0.5) or a factor in (0, 1) for the learning
            rate when the monitor stalls
        seed: Keras seed for weights and shuffling (op determinism on)
        threads: TensorFlow threads; 0 = this job's share of the cores
        verbose: auto = bar in a terminal, one line per epoch otherwise; or 0, 1, 2
        predict_batch_size: rows per batch when the model scores the three splits
        steps_per_execution: batches run per call into TensorFlow (Keras's compile option):
            the same weights, less Python per batch; 1 = a call (and batch callbacks) per batch
        mixed_precision: true = Keras mixed_float16 (meant for GPUs; slower on a CPU)
        tensorboard: true = per-epoch scalars in <run folder>/tensorboard/
    """

    epochs: int = 200
    batch_size: int = 64
    learning_rate: float = 0.003
    early_stopping: bool = True
    patience: int = 4
    min_steps: int = 500
    warmup_validation_rows: int = 30
    monitor: TrainMonitor = TrainMonitor.val_roc_auc
    reduce_lr_on_plateau: Any = False
    seed: int = II("seed")
    threads: int = 0
    verbose: str = "auto"
    predict_batch_size: int = 1024
    steps_per_execution: int = 32
    mixed_precision: bool = False
    tensorboard: bool = False


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
        reference: models fitted on the same rows to compare with: logistic, hgb, minirocket
            (aeon, the `series` extra; skipped on sequences under 9 steps); [] for none
        within: k >= 3 classes: report within_<d>, the share predicted at most d classes off
        ordinal_prediction: k >= 3: the class ordinal metrics read: argmax or expected (rounded)
        compare_thresholds: model.head=cumulative: grid thresholds compared pairwise on the
            same test rows (null: the first, the best by ROC-AUC and the last)
        threshold_folders: model.head=cumulative: also write every threshold as its own binary
            run folder under thresholds/ (report, predictions, metrics; each costs about a
            dedicated run's evaluation); false: thresholds.csv and p_above_<t> columns only
    """

    cutoff: float = 0.5
    tune_objective: CutoffObjective = CutoffObjective.f1
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    max_gap: float = 0.05
    equivalence_margin: float = 0.02
    min_class_rows: int = 30
    reference: list[ReferenceName] = field(
        default_factory=lambda: [
            ReferenceName.logistic,
            ReferenceName.hgb,
            ReferenceName.minirocket,
        ]
    )
    within: list[int] = field(default_factory=lambda: [1])
    ordinal_prediction: OrdinalPrediction = OrdinalPrediction.argmax
    compare_thresholds: list[float] | None = None
    threshold_folders: bool = False


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
