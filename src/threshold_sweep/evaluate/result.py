"""The sections of metrics.json as types: what the run builds and every reader reads.

TypedDicts, not classes, because metrics.json is the contract: users' scripts read the file,
and the run writes exactly these dictionaries (`schema_version` 3; version 2 files lack only
`reference`, version 1 files also lack `schema_version`). Some keys exist for one task only:
binary runs have a cutoff, skill, a tuned cutoff and the balanced view; multi-class runs have
class shares instead of a prevalence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NotRequired, TypedDict

if TYPE_CHECKING:  # the prepare stage imports scikit-learn; readers of results must not
    from threshold_sweep.prepare.balance import SplitRecord
    from threshold_sweep.prepare.checks import DataChecks

Interval = list[float]  # [low, high]
Scores = dict[str, float]  # metric name -> value


class ClassScores(TypedDict, total=False):
    """Per-class precision, recall, F1 and support (and one-vs-rest ROC-AUC for k > 2)."""

    precision: float
    recall: float
    f1: float
    support: int
    roc_auc_ovr: float  # k > 2


class SplitMetrics(TypedDict, total=False):
    """One split's metrics: the task's headline metrics by name, plus these keys."""

    n: int
    prevalence: float  # binary: share of the positive class
    predicted_positive_rate: float  # binary
    class_shares: dict[str, float]  # k > 2: share of every class
    roc_auc_ovr_weighted: float  # k > 2
    confusion_matrix: list[list[int]]
    per_class: dict[str, ClassScores]


class Training(TypedDict, total=False):
    """How training went (files written before train.monitor existed lack the last keys)."""

    epochs_run: int
    best_epoch: int  # the epoch whose weights the model keeps (the last without early stopping)
    threads: int
    seed: int
    max_epochs: int
    monitor: str  # train.monitor: the validation metric that chose best_epoch
    early_stopping: bool
    monitor_best_epoch: int  # where the monitor was best (= best_epoch with early stopping)
    monitor_best: float | None  # the monitor's value there (per epoch: history.csv)
    batch_size: int  # the batch size used (train.batch_size, cut for a tiny training split)
    reduce_lr_on_plateau: float | None  # the learning-rate factor, None when off


class Chance(TypedDict):
    """The no-skill predictors' test metrics, and what each predictor does."""

    test: dict[str, Scores]
    baselines: dict[str, str]


class Bootstrap(TypedDict):
    """Bootstrap CIs of the test metrics: `method` describes them in words, `interval_method`
    is evaluate.bootstrap.method (percentile, bca or auto: bca here, percentile for paired
    differences); files written before the choice lack it, and their CIs are percentile."""

    level: float
    n_resamples: int
    seed: int
    method: str
    interval_method: NotRequired[str]
    test: dict[str, Interval]


class TunedCutoff(TypedDict):
    """The cutoff chosen on validation and the test metrics at it (binary)."""

    objective: str
    cutoff: float
    validation_value: float
    chosen_on: str
    test: Scores


class TestView(TypedDict, total=False):
    """A per-metric view of the test split (skill, balanced view)."""

    method: str
    test: Scores


class Gap(TypedDict):
    """Train, validation and test of one metric, the train - test gap and the flag."""

    train: float
    validation: float
    test: float
    gap: float
    large: bool


class Comparison(TypedDict):
    """A paired bootstrap difference on the same test rows, with its CI."""

    difference: float
    ci_low: float
    ci_high: float
    within_noise: bool


class ReferenceModelResult(TypedDict):
    """One reference model's test metrics, their CIs, and CNN minus it per compared metric."""

    label: str
    description: str
    sees: str  # how it read the training rows (and its subsample, if it took one)
    n_train: int  # the rows it fitted on (the section's n_train unless it subsampled)
    test: Scores
    ci: dict[str, Interval]
    cnn_minus_reference: dict[str, Comparison]


class ReferenceSection(TypedDict):
    """The reference models fitted beside the CNN, and the best of them on the ranking metric."""

    trained_on: str
    n_train: int  # the training split's rows
    compared_on: list[str]
    models: dict[str, ReferenceModelResult]
    best: str | None
    cnn_trails_best: bool
    skipped: NotRequired[dict[str, str]]  # configured models that could not run, and why


class Calibration(TypedDict):
    """The test probabilities' Brier score and log loss: raw, at the natural class balance
    (the prediction files' `columns`, written when the training shifted the balance) and of
    the constant prior; beta and the minority class for a binary shifted run."""

    method: str
    brier: str  # how the Brier score is scaled (binary [0, 1], k classes [0, 2])
    prior_shift: bool
    natural_prior: dict[str, float]  # the training split's class shares before sampling
    training_prior: dict[str, float]  # the shares trained at (after sampling, weighted)
    columns: list[str]  # p_natural, or p_natural_<i> per class; none without a shift
    test: dict[str, Scores]  # raw, prior and (with columns) natural: brier, log_loss
    minority_class: NotRequired[str]
    beta: NotRequired[float]


class RunResult(TypedDict, total=False):
    """metrics.json: what ran, every split's metrics and the assessment of the test split."""

    schema_version: int
    status: str
    config_sha256: str
    task: str  # "binary" or "multiclass"
    target: str | None
    threshold: float | list[float]
    label_names: list[str]
    positive_class: str | None
    cutoff: float | None
    prevalence: dict[str, float | dict[str, float]]
    class_counts: dict[str, dict[str, int]]
    class_counts_after_sampling: dict[str, dict[str, int]]
    data_checks: DataChecks
    split: SplitRecord  # how the rows were split; files written before it existed lack it
    training: Training
    train: SplitMetrics
    validation: SplitMetrics
    test: SplitMetrics
    calibration: Calibration  # files written before it lack it
    chance: Chance
    skill: TestView
    tuned_cutoff: TunedCutoff
    balanced_view: TestView
    ci: Bootstrap
    overfitting: dict[str, Gap]
    overfitting_max_gap: float
    reference: ReferenceSection
    diagnostics: dict[str, bool]  # which diagnostic rules fired
    warnings: list[str]
