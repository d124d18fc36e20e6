"""The bad-input table: every case exits 2 with one line naming the problem and the fix, and
leaves no run folder (a sweep's job: one marked failed, error.txt and no metrics.json)."""

from __future__ import annotations

import errno
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from threshold_sweep.io import write_atomic

from conftest import HELPER_PATH, run_app, run_cli, write_failed_run


def csv(tmp: Path, text: str, name: str = "d.csv") -> str:
    (tmp / name).write_text(text)
    return str(tmp / name)


def npz(tmp: Path, **arrays: np.ndarray) -> str:
    np.savez(tmp / "d.npz", **arrays)
    return str(tmp / "d.npz")


# TensorFlow's C++ start-up lines (glog format: I0000 00:00:..., E0000 ...), not ours
TENSORFLOW_CHATTER = re.compile(r"^[IWEF]\d{4} ")
# tests/custom_models.py holds the builders the model._target_ rows name
HELPERS = {"PYTHONPATH": HELPER_PATH}
CUSTOM_TINY = ("data.n_samples=600", "data.length=16", "train.epochs=2", "train.threads=1")

GOOD_ROWS = "x,a,b\n" + "".join(f"{i},{i % 7},{i % 3}\n" for i in range(1, 200))


def grouped_rows(n_groups: int) -> str:
    """GOOD_ROWS with a column g naming n_groups groups."""
    return "x,a,b,g\n" + "".join(f"{i},{i % 7},{i % 3},s{i % n_groups}\n" for i in range(1, 200))


def dated_rows(last: str | None = None, same: int = 0) -> str:
    """GOOD_ROWS with a column date (a day each, the first `same` rows on one day), the last
    row's date replaced by `last`."""
    days = [(date(2020, 1, 1) + timedelta(days=max(i, same))).isoformat() for i in range(199)]
    if last is not None:
        days[-1] = last
    rows = "".join(f"{i},{i % 7},{i % 3},{day}\n" for i, day in enumerate(days, 1))
    return "x,a,b,date\n" + rows


TIMED = ("split=time", "data=table")
PREDEFINED = ("split=predefined", "data=table", "data.part=part")


def parted_rows(test_rows: int = 40, label: str = "test") -> str:
    """GOOD_ROWS with a column part: the first `test_rows` rows marked `label`, the rest train."""
    rows = "".join(
        f"{i},{i % 7},{i % 3},{label if i <= test_rows else 'train'}\n" for i in range(1, 200)
    )
    return "x,a,b,part\n" + rows


# x takes four values (0..3, a quarter of the rows each): ten equal-count cuts must tie
TIED_ROWS = "x,a,b\n" + "".join(f"{i % 4},{i % 7},{i % 3}\n" for i in range(1, 300))

CASES = {
    "missing file": (lambda t: ["data=table", "data.path=nope.csv"], "file not found"),
    "unsupported suffix": (
        lambda t: ["data=table", "data.path=" + csv(t, "x\n1\n", "d.xlsx")],
        "unsupported file type '.xlsx'",
    ),
    "empty file": (lambda t: ["data=table", "data.path=" + csv(t, "")], "is empty"),
    "header only": (lambda t: ["data=table", "data.path=" + csv(t, "x,a\n")], "header but no rows"),
    "missing target": (
        lambda t: ["data=table", "data.path=" + csv(t, GOOD_ROWS), "data.target=price"],
        "data.target: no column 'price'",
    ),
    "missing feature": (
        lambda t: ["data=table", "data.path=" + csv(t, GOOD_ROWS), "data.features=[a,zz]"],
        "data.features: no column(s) 'zz'",
    ),
    "missing id": (
        lambda t: ["data=table", "data.path=" + csv(t, GOOD_ROWS), "data.id=key"],
        "data.id: no column 'key'",
    ),
    "missing group column": (
        lambda t: ["data=table", "data.path=" + csv(t, GOOD_ROWS), "data.group=subject"],
        "data.group: no column 'subject' in d.csv (columns: x, a, b); set data.group=<one of",
    ),
    "one group": (
        lambda t: ["data=table", "data.path=" + csv(t, grouped_rows(1)), "data.group=g"],
        "data.group=g: all 199 rows have the same value 's0', one group that cannot be split",
    ),
    "too few groups": (
        lambda t: ["data=table", "data.path=" + csv(t, grouped_rows(2)), "data.group=g"],
        "data.group=g: 2 groups are too few for train, validation and test (each group goes",
    ),
    "npz without group key": (
        lambda t: [
            "data=arrays",
            "data.path=" + npz(t, X=np.zeros((9, 4)), x=np.ones(9)),
            "data.group_key=subject",
        ],
        "data.group_key: no array 'subject' in d.npz (arrays: X, x)",
    ),
    "time split without an order": (
        lambda t: ["split=time"],
        "split=time needs data.order: set data.order=<column> (a table's column, or an .npz "
        "array of shape (n,)) of dates, timestamps or numbers (data=synthetic has no order",
    ),
    "time split of a table without an order": (
        lambda t: [*TIMED, "data.path=" + csv(t, dated_rows())],
        "split=time needs data.order: set data.order=<column>",
    ),
    "missing order column": (
        lambda t: [*TIMED, "data.path=" + csv(t, dated_rows()), "data.order=when"],
        "data.order: no column 'when' in d.csv (columns: x, a, b, date); set data.order=<one of",
    ),
    "missing order value": (
        lambda t: [*TIMED, "data.path=" + csv(t, dated_rows("")), "data.order=date"],
        "d.csv: order column 'date' (data.order) has 1 missing or infinite value(s) (rows 198, "
        "counting data rows from 0); clean those rows, or skip them with data.on_missing=drop",
    ),
    "order value that is no date": (
        lambda t: [*TIMED, "data.path=" + csv(t, dated_rows("soon")), "data.order=date"],
        "data.order=date: 'soon' (row 198, counting data rows from 0) is not a date, a time or "
        "a number",
    ),
    "time split with groups": (
        lambda t: [*TIMED, "data.path=" + csv(t, dated_rows()), "data.order=date", "data.group=b"],
        "split=time cannot be combined with data.group=b yet",
    ),
    "order ties that swallow a split": (
        lambda t: [*TIMED, "data.path=" + csv(t, dated_rows(same=195)), "data.order=date"],
        "split=time with data.order=date: rows with the same order value stay in one split, and "
        "the ties leave a split too small (rows per split: {'train': 196, 'validation': 1, "
        "'test': 2})",
    ),
    "rolling split without an order": (
        lambda t: ["split=rolling"],
        "split=rolling needs data.order: set data.order=<column>",
    ),
    "rolling split with groups": (
        lambda t: [
            "split=rolling",
            "data=table",
            "data.path=" + csv(t, dated_rows()),
            "data.order=date",
            "data.group=b",
        ],
        "split=rolling cannot be combined with data.group=b yet",
    ),
    "rolling split with repeats": (
        lambda t: [
            "split=rolling",
            "data=table",
            "data.path=" + csv(t, dated_rows()),
            "data.order=date",
            "split.repeats=3",
        ],
        "split.repeats=3: split=rolling has one order, so one repeat; set split.repeats=1",
    ),
    "rolling split with ties that swallow a fold": (
        lambda t: [
            "split=rolling",
            "data=table",
            "data.path=" + csv(t, dated_rows(same=150)),
            "data.order=date",
        ],
        "split=rolling with data.order=date: fold 1 gets too few rows",
    ),
    "time split too small, rolling suggested": (
        lambda t: [
            *TIMED,
            "data.path=" + csv(t, dated_rows()),
            "data.order=date",
            "data.target=a",
            "data.features=[x,b]",
            "label.threshold=3",
            "label.min_per_split=14",
        ],
        "or cross-validate in time order, which tests more rows: split=rolling (5 folds, 166 of "
        "199 rows tested",
    ),
    "predefined split without a part column": (
        lambda t: ["split=predefined", "data=table", "data.path=" + csv(t, parted_rows())],
        "split=predefined needs data.part: set data.part=<name> (a column of train / test",
    ),
    "predefined split without a part array": (
        lambda t: ["split=predefined", "data=arrays", "data.path=d.npz"],
        "split=predefined needs data.part_key: set data.part_key=<name> (an .npz string array",
    ),
    "unknown part label": (
        lambda t: [*PREDEFINED, "data.path=" + csv(t, parted_rows(label=" tst"))],
        "data.part=part: unknown part value(s) 'tst' (40 rows); each row's part must be train, "
        "test or validation",
    ),
    "empty test part": (
        lambda t: [*PREDEFINED, "data.path=" + csv(t, parted_rows(0))],
        "data.part=part: no row is marked test (rows: train 199, validation 0, test 0)",
    ),
    "test part too small": (
        lambda t: [*PREDEFINED, "data.path=" + csv(t, parted_rows(1))],
        "data.part=part: every split needs at least 2 rows (rows: train 168, validation 30, "
        "test 1)",
    ),
    "predefined validation fraction of 0": (
        lambda t: [
            *PREDEFINED,
            "data.path=" + csv(t, parted_rows()),
            "split.validation_fraction=0",
        ],
        "split.validation_fraction=0 must be between 0 and 1 (exclusive) for split=predefined",
    ),
    "predefined validation fraction above 1": (
        lambda t: [
            *PREDEFINED,
            "data.path=" + csv(t, parted_rows()),
            "split.validation_fraction=1.2",
        ],
        "split.validation_fraction=1.2 must be between 0 and 1 (exclusive) for split=predefined",
    ),
    "predefined split with groups": (
        lambda t: [*PREDEFINED, "data.path=" + csv(t, parted_rows()), "data.group=b"],
        "split=predefined cannot be combined with data.group=b",
    ),
    "predefined test part short of a class": (
        lambda t: [*PREDEFINED, "data.path=" + csv(t, parted_rows()), "label.threshold=60"],
        "; or mark more rows of the short split in data.part=part",
    ),
    "non-numeric target": (
        lambda t: ["data=table", "data.path=" + csv(t, "x,a\n$1,2\n")],
        "target column(s) 'x' are not numeric",
    ),
    "non-numeric feature": (
        lambda t: ["data=table", "data.path=" + csv(t, "x,a\n1,q\n"), "data.features=[a]"],
        "feature column(s) 'a'",
    ),
    "NaN cell": (
        lambda t: ["data=table", "data.path=" + csv(t, GOOD_ROWS + "5,,1\n")],
        "column 'a' has 1 missing or infinite value(s) (rows 199,",
    ),
    "duplicate ids": (
        lambda t: ["data=table", "data.path=" + csv(t, "k,x,a\nu,1,2\nu,2,3\n"), "data.id=k"],
        "occur more than once",
    ),
    "npz without key": (
        lambda t: ["data=arrays", "data.path=" + npz(t, X=np.zeros((9, 4)))],
        "data.target_key: no array 'x'",
    ),
    "npz wrong rank": (
        lambda t: ["data=arrays", "data.path=" + npz(t, X=np.zeros(9), x=np.ones(9))],
        "expected (n, length) or (n, length, channels)",
    ),
    "npz length mismatch": (
        lambda t: ["data=arrays", "data.path=" + npz(t, X=np.zeros((9, 4)), x=np.ones(8))],
        "9 sequences but 8 target values",
    ),
    "threshold outside x": (lambda t: ["label.threshold=1e9"], "outside the range of x"),
    "threshold outside a table's target": (
        lambda t: [
            "data=table",
            "data.path=" + csv(t, "price" + GOOD_ROWS[1:]),
            "data.target=price",
            "label.threshold=1e9",
        ],
        "outside the range of price [1, 199]",
    ),
    "too few per split of a table's target": (
        lambda t: [
            "data=table",
            "data.path=" + csv(t, "price" + GOOD_ROWS[1:]),
            "data.target=price",
            "label.threshold=197",
        ],
        "move the threshold toward the median of price",
    ),
    "only a row counter besides the target": (
        lambda t: [
            "data=table",
            "data.path=" + csv(t, "x,row\n" + "".join(f"{i},{i}\n" for i in range(1, 99))),
        ],
        "no numeric feature columns besides target 'x' (id-like, so left out: row)",
    ),
    "too few per split": (
        lambda t: ["label.threshold=5000", "data.n_samples=300"],
        "leaves too few rows",
    ),
    "too few per split, enough for k folds": (
        lambda t: ["label.threshold=2000", "data.n_samples=300"],
        "or cross-validate, which tests every row: split=kfold (5 folds of about",
    ),
    "one fold": (lambda t: ["split=kfold", "split.folds=1"], "split.folds=1 must be at least 2"),
    "no repeats": (
        lambda t: ["split=kfold", "split.repeats=0"],
        "split.repeats=0 must be at least 1",
    ),
    "more folds than the rows allow": (
        lambda t: ["split=kfold", "split.folds=200", "data.n_samples=300"],
        "split.folds=200 is too many for 300 rows",
    ),
    "more folds than groups": (
        lambda t: [
            "split=kfold",
            "split.folds=10",
            "data=table",
            "data.group=g",
            "data.path=" + csv(t, grouped_rows(6)),
        ],
        "split.folds=10 needs at least 10 groups, but the data has 6",
    ),
    "one bin": (lambda t: ["label.bins=1"], "label.bins=1 must be at least 2"),
    "bins not an integer": (
        lambda t: ["label.bins=2.5"],
        "Value '2.5' of type 'float' could not be converted to Integer (label.bins)",
    ),
    "quantile outside (0, 1)": (
        lambda t: ["label.quantiles=[0.5,1]"],
        "label.quantiles=[0.5,1] must be quantiles strictly between 0 and 1",
    ),
    "quantile of zero": (
        lambda t: ["label.quantiles=[0,0.5]"],
        "label.quantiles=[0,0.5] must be quantiles strictly between 0 and 1",
    ),
    "unsorted quantiles": (
        lambda t: ["label.quantiles=[0.7,0.3]"],
        "label.quantiles=[0.7,0.3] must be strictly increasing without repeats, e.g. "
        "label.quantiles=[0.3,0.7]",
    ),
    "repeated quantiles": (
        lambda t: ["label.quantiles=[0.5,0.5]"],
        "label.quantiles=[0.5,0.5] must be strictly increasing without repeats",
    ),
    "bins with quantiles": (
        lambda t: ["label.bins=4", "label.quantiles=[0.5]"],
        "label.bins=4 and label.quantiles=[0.5] both set the cuts; give one of them",
    ),
    "bins with an explicit threshold": (
        lambda t: ["label.bins=4", "label.threshold=100"],
        "label.bins=4 and label.threshold=100 both set the classes",
    ),
    "quantiles with a threshold list": (
        lambda t: ["label.quantiles=[0.5]", "label.threshold=[10,100]"],
        "label.quantiles=[0.5] and label.threshold=[10,100] both set the classes",
    ),
    "bins tied on integer x": (
        lambda t: ["data=table", "label.bins=10", "data.path=" + csv(t, TIED_ROWS)],
        "label.bins=10: the cuts at quantiles 0.1 and 0.2 both fall on x=0 (tied values: ",
    ),
    "more bins than the rows allow": (
        lambda t: ["label.bins=100", "data.n_samples=300"],
        "label.bins=100 leaves too few rows (",
    ),
    "unsorted thresholds": (lambda t: ["label.threshold=[1000,100]"], "strictly increasing"),
    "duplicate thresholds": (lambda t: ["label.threshold=[100,100]"], "strictly increasing"),
    "fraction <= 0": (lambda t: ["split.test_fraction=0"], "split.test_fraction=0.0 must be"),
    "fractions sum >= 1": (
        lambda t: ["split.test_fraction=0.6", "split.validation_fraction=0.4"],
        "leaves no training rows",
    ),
    "unknown sampling": (lambda t: ["sampling=smote"], "sampling=smote: no such option"),
    "unknown model": (
        lambda t: ["model=lstm"],
        "model=lstm: no such option (did you mean custom?); choose one of: cnn1d, custom, fcn, "
        "resnet",
    ),
    "fcn filter <= 0": (
        lambda t: ["model=fcn", "model.filters=[128,0,128]"],
        "model.filters=[128, 0, 128] must be a non-empty list of positive integers, "
        "e.g. model.filters=[128,256,128]",
    ),
    "fcn kernel sizes not one per block": (
        lambda t: ["model=fcn", "model.kernel_sizes=[8,5]"],
        "model.kernel_sizes=[8, 5] has 2 entries but model.filters=[128, 256, 128] has 3: "
        "give one kernel size per block",
    ),
    "fcn with a cnn1d key": (
        lambda t: ["model=fcn", "model.kernel_size=3"],
        "unknown config key model.kernel_size (did you mean model.kernel_sizes?)",
    ),
    "resnet without blocks": (
        lambda t: ["model=resnet", "model.filters=[]"],
        "model.filters=[] must be a non-empty list of positive integers, e.g. "
        "model.filters=[64,128,128]",
    ),
    "resnet kernel size <= 0": (
        lambda t: ["model=resnet", "model.kernel_sizes=[8,-1,3]"],
        "model.kernel_sizes=[8, -1, 3] must be a non-empty list of positive integers",
    ),
    "unknown global pool": (
        lambda t: ["model=resnet", "model.global_pool=mean"],
        "Invalid value 'mean', expected one of [avg, max, avg_max, flatten, flatten_avg_max] "
        "(model.global_pool)",
    ),
    "unknown model in a sweep": (
        lambda t: ["-m", "model=cnn1d,fcnn"],
        "model=fcnn: no such option (did you mean fcn?)",
    ),
    "sweep with a key one swept model lacks": (
        lambda t: ["-m", "model=cnn1d,fcn", "model.dropout=0.1"],
        "in the jobs with model=fcn: unknown config key model.dropout; valid keys here:",
    ),
    "sweep with a key the default model lacks": (
        lambda t: ["-m", "model=fcn,resnet", "model.kernel_sizes=[5,3]"],
        "model.kernel_sizes is not a key of model=cnn1d, which Hydra composes with the other "
        "overrides before it expands the sweep model=fcn,resnet: write ++model.kernel_sizes=[5,3]",
    ),
    "cumulative head with one threshold": (
        lambda t: ["model.head=cumulative", "label.threshold=100"],
        "model.head=cumulative needs two or more thresholds, and label.threshold=100 is one",
    ),
    "cumulative threshold without rows on one side": (
        lambda t: ["model.head=cumulative", "label.threshold=[100,5000]"],
        "label.threshold=100,5000 leaves too few rows (",
    ),
    "cumulative head with one quantile": (
        lambda t: ["model.head=cumulative", "label.quantiles=[0.5]"],
        "model.head=cumulative needs two or more thresholds, and label.quantiles=[0.5] gives one",
    ),
    "head consistency without a cumulative head": (
        lambda t: ["model.head_consistency=independent"],
        "model.head_consistency=independent applies to model.head=cumulative only",
    ),
    "unknown head": (
        lambda t: ["model.head=ordinal"],
        "Invalid value 'ordinal', expected one of [probability, cumulative] (model.head)",
    ),
    "unknown head consistency": (
        lambda t: ["model.head_consistency=coral"],
        "expected one of [rank_consistent, independent] (model.head_consistency)",
    ),
    "unknown head of a custom model": (
        lambda t: ["model=custom", "model._target_=custom_models.build", "model.head=ordinal"],
        "model.head=ordinal is not one of probability, cumulative",
    ),
    "cumulative head with k-fold": (
        lambda t: ["model.head=cumulative", "label.bins=4", "split=kfold"],
        "model.head=cumulative cannot be combined with split=kfold yet",
    ),
    "compare_thresholds without a cumulative head": (
        lambda t: ["evaluate.compare_thresholds=[100,1000]"],
        "evaluate.compare_thresholds=[100.0, 1000.0] compares the thresholds of one "
        "model.head=cumulative run: add model.head=cumulative",
    ),
    "threshold_folders without a cumulative head": (
        lambda t: ["evaluate.threshold_folders=true"],
        "evaluate.threshold_folders=true writes the threshold folders of one "
        "model.head=cumulative run: add model.head=cumulative, or drop the key",
    ),
    "threshold_folders not a boolean": (
        lambda t: ["model.head=cumulative", "label.bins=4", "evaluate.threshold_folders=maybe"],
        "evaluate.threshold_folders",
    ),
    "compare_thresholds with one threshold": (
        lambda t: ["model.head=cumulative", "label.bins=4", "evaluate.compare_thresholds=[5]"],
        "evaluate.compare_thresholds=[5.0] must list two or more different thresholds",
    ),
    "compare_thresholds outside the grid": (
        lambda t: [
            "model.head=cumulative",
            "label.threshold=[100,300,1000]",
            "evaluate.compare_thresholds=[100,500]",
        ],
        "evaluate.compare_thresholds=[100.0, 500.0]: 500 is not a threshold of the grid "
        "(100, 300, 1000); pick thresholds of the grid",
    ),
    "custom model of the wrong width for a cumulative head": (
        lambda t: [
            "model=custom",
            "model._target_=custom_models.two_outputs",
            "model.head=cumulative",
            "label.threshold=[100,1000]",
            *CUSTOM_TINY,
        ],
        "model.head=cumulative needs 2 outputs (one per threshold), but the model's output has "
        "shape (None, 3)",
    ),
    "unknown data source": (lambda t: ["data=sql"], "data=sql: no such option"),
    "unknown key": (lambda t: ["train.epoch=3"], "did you mean train.epochs?"),
    "negative seed": (lambda t: ["seed=-1"], "seed=-1 must be a non-negative integer"),
    "negative train seed": (lambda t: ["train.seed=-3"], "train.seed=-3 must be"),
    "epochs <= 0": (lambda t: ["train.epochs=0"], "train.epochs=0 must be > 0"),
    "batch size <= 0": (lambda t: ["train.batch_size=0"], "train.batch_size=0 must be > 0"),
    "min steps < 0": (lambda t: ["train.min_steps=-1"], "train.min_steps=-1 must be >= 0"),
    "steps per execution <= 0": (
        lambda t: ["train.steps_per_execution=0"],
        "train.steps_per_execution=0 must be > 0",
    ),
    "steps per execution not a number": (
        lambda t: ["train.steps_per_execution=all"],
        "train.steps_per_execution",
    ),
    "min steps not a number": (lambda t: ["train.min_steps=many"], "train.min_steps"),
    "warm-up rows < 0": (
        lambda t: ["train.warmup_validation_rows=-5"],
        "train.warmup_validation_rows=-5 must be >= 0",
    ),
    "learning rate <= 0": (lambda t: ["train.learning_rate=-1"], "train.learning_rate=-1.0"),
    "unknown monitor": (
        lambda t: ["train.monitor=val_auc"],
        "Invalid value 'val_auc', expected one of [val_roc_auc, val_balanced_accuracy, "
        "val_loss_balanced, val_loss] (train.monitor)",
    ),
    "negative plateau factor": (
        lambda t: ["train.reduce_lr_on_plateau=-0.5"],
        "train.reduce_lr_on_plateau=-0.5 must be false, true or a factor between 0 and 1",
    ),
    "plateau factor >= 1": (
        lambda t: ["train.reduce_lr_on_plateau=2"],
        "train.reduce_lr_on_plateau=2 must be false, true or a factor between 0 and 1",
    ),
    "plateau factor not a number": (
        lambda t: ["train.reduce_lr_on_plateau=often"],
        "train.reduce_lr_on_plateau=often must be false, true or a factor between 0 and 1",
    ),
    "model target not on the path": (
        lambda t: ["model=custom", "model._target_=no_such_pkg.build"],
        "model._target_=no_such_pkg.build: no module named 'no_such_pkg' on the Python path",
    ),
    "model target is a module": (
        lambda t: ["model=custom", "model._target_=custom_models"],
        "model._target_=custom_models: not a dotted path to a function",
    ),
    "model target misspelt": (
        lambda t: ["model=custom", "model._target_=custom_models.biuld", *CUSTOM_TINY],
        "custom_models has no attribute 'biuld'; did you mean custom_models.build?",
    ),
    "model target not callable": (
        lambda t: ["model=custom", "model._target_=custom_models.NOT_CALLABLE", *CUSTOM_TINY],
        "custom_models.NOT_CALLABLE is of type int, not a function",
    ),
    "model target without a value": (
        lambda t: ["model=custom", *CUSTOM_TINY],
        "model._target_ is required for this config",
    ),
    "builder raises": (
        lambda t: ["model=custom", "model._target_=custom_models.raises", "model.units=3"],
        "the builder raised ValueError: units must be even, got 3 at ",
    ),
    "builder returns no model": (
        lambda t: ["model=custom", "model._target_=custom_models.not_a_model", *CUSTOM_TINY],
        "the builder returned a NoneType, not a keras.Model",
    ),
    "model with a wrong output shape": (
        lambda t: ["model=custom", "model._target_=custom_models.two_outputs", *CUSTOM_TINY],
        "output has shape (None, 2) but must be (None, 1); end it with Dense(1, activation=",
    ),
    "model without probabilities": (
        lambda t: ["model=custom", "model._target_=custom_models.logits", *CUSTOM_TINY],
        "the model's outputs are not probabilities",
    ),
    "builtin model with a bad target": (
        lambda t: ["model._target_=threshold_sweep.model.cnn1d.no_such_builder", *CUSTOM_TINY],
        "model._target_=threshold_sweep.model.cnn1d.no_such_builder: threshold_sweep.model",
    ),
    "data target not on the path": (
        lambda t: ["data._target_=no_such_pkg.load"],
        "data._target_=no_such_pkg.load: no module named 'no_such_pkg'",
    ),
    "sampling target is a module": (
        lambda t: ["sampling._target_=threshold_sweep.prepare.sampling"],
        "sampling._target_=threshold_sweep.prepare.sampling: threshold_sweep.prepare.sampling "
        "is a module, not a function in it",
    ),
    "unknown reference model": (
        lambda t: ["evaluate.reference=[logistic,xgboost]"],
        "Invalid value 'xgboost', expected one of [logistic, hgb, minirocket] "
        "(evaluate.reference[1])",
    ),
    "reference model named twice": (
        lambda t: ["evaluate.reference=[hgb,hgb]"],
        "evaluate.reference=['hgb', 'hgb'] names a model twice; list each once",
    ),
    "within empty": (
        lambda t: ["evaluate.within=[]"],
        "evaluate.within=[] must be a non-empty list of positive integers (class steps)",
    ),
    "within not positive": (
        lambda t: ["evaluate.within=[0,1]"],
        "evaluate.within=[0, 1] must be a non-empty list of positive integers",
    ),
    "within not an integer": (
        lambda t: ["evaluate.within=[1.5]"],
        "Value '1.5' of type 'float' could not be converted to Integer (evaluate.within[0])",
    ),
    "within unsorted": (
        lambda t: ["evaluate.within=[2,1]"],
        "evaluate.within=[2, 1] must be increasing without repeats, e.g. evaluate.within=[1, 2]",
    ),
    "within repeated": (
        lambda t: ["evaluate.within=[1,1]"],
        "evaluate.within=[1, 1] must be increasing without repeats, e.g. evaluate.within=[1]",
    ),
    "equivalence margin of zero": (
        lambda t: ["evaluate.equivalence_margin=0"],
        "evaluate.equivalence_margin=0.0 must be between 0 and 0.5 (a difference in ROC-AUC",
    ),
    "equivalence margin too wide": (
        lambda t: ["evaluate.equivalence_margin=0.7"],
        "evaluate.equivalence_margin=0.7 must be between 0 and 0.5",
    ),
    "equivalence margin not a number": (
        lambda t: ["evaluate.equivalence_margin=small"],
        "Value 'small' of type 'str' could not be converted to Float",
    ),
    "unknown ordinal prediction": (
        lambda t: ["evaluate.ordinal_prediction=mean"],
        "Invalid value 'mean', expected one of [argmax, expected] (evaluate.ordinal_prediction)",
    ),
    "unknown standardization": (
        lambda t: ["data.standardize=row"],
        "Invalid value 'row', expected one of [step, channel] (data.standardize)",
    ),
    "unknown transform": (
        lambda t: ["data.transform=sqrt"],
        "Invalid value 'sqrt', expected one of [none, log1p, asinh] (data.transform)",
    ),
    "log1p of values <= -1": (
        lambda t: ["data.transform=log1p", "data.n_samples=200"],
        "data.transform=log1p needs every feature value > -1, but",
    ),
    "output not writable": (
        lambda t: ["hydra.run.dir=" + csv(t, "x") + "/run"],
        "cannot write the output folder",
    ),
}


# Cases found only once the builder's module (and so TensorFlow) is imported: several seconds
# each, so they run with the slow tier; the others stop before TensorFlow loads.
NEEDS_TENSORFLOW = {
    "model target misspelt",
    "model target not callable",
    "builder raises",
    "builder returns no model",
    "model with a wrong output shape",
    "model without probabilities",
    "builtin model with a bad target",
    "custom model of the wrong width for a cumulative head",
}


# One case per stage goes through the real command line (a new process, as a user runs it);
# the others call the same entry point in this process: the same validation, the same output.
THROUGH_THE_COMMAND_LINE = {
    "missing file",  # data
    "time split without an order",  # split (order)
    "threshold outside x",  # labels
    "unknown sampling",  # sampling
    "builder raises",  # model (its builder imports TensorFlow)
    "epochs <= 0",  # train
    "unknown reference model",  # evaluate
    "output not writable",  # output
}


def _marks(case: str) -> tuple[pytest.MarkDecorator, ...]:
    """A case that imports TensorFlow (a builder's module) or starts a process (about 3 CPU
    seconds: Python, pandas, scikit-learn and Hydra) runs with the slow tier."""
    slow = case in NEEDS_TENSORFLOW or case in THROUGH_THE_COMMAND_LINE
    return (pytest.mark.slow,) if slow else ()


@pytest.mark.parametrize("case", [pytest.param(case, marks=_marks(case)) for case in CASES])
def test_bad_input(case, tmp_path):
    make_args, message = CASES[case]
    run = run_cli if case in THROUGH_THE_COMMAND_LINE else run_app
    done = run(make_args(tmp_path), tmp_path, env=HELPERS)
    assert done.returncode == 2, done.stderr
    errors = [
        line
        for line in done.stderr.splitlines()
        if "error" in line.lower() and not TENSORFLOW_CHATTER.match(line)
    ]
    assert len(errors) == 1 and message in errors[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    runs = tmp_path / "outputs" / "runs"  # a single run's new folder goes: no report counts it
    assert not (runs.exists() and any(runs.iterdir())), list(runs.iterdir())
    sweeps = tmp_path / "outputs" / "multirun"  # a sweep's job keeps error.txt for its summary
    for folder in sweeps.glob("*/*") if sweeps.exists() else []:
        assert (folder / "error.txt").exists() and not (folder / "metrics.json").exists()


SYNTHETIC = {"_target_": "threshold_sweep.data.synthetic_data", "n_samples": 600}
TABLE = {"_target_": "threshold_sweep.data.table_data", "path": "a.csv", "target": "x"}


def mixed_runs(tmp: Path) -> list[str]:
    """A folder holding runs of two different data sources, as the report's argument."""
    write_failed_run(tmp / "runs" / "s", SYNTHETIC, ["label.threshold=100"])
    write_failed_run(tmp / "runs" / "t", TABLE, ["data=table", "data.path=a.csv"])
    return [str(tmp / "runs")]


# The other commands' refusals: (module, arguments, the one error line's text)
OTHER_COMMANDS = {
    "report of runs of different data": (
        "threshold_sweep.cli.report",
        mixed_runs,
        "runs of different data: synthetic (1 run) vs data.path=a.csv (1 run); pass --force",
    ),
    "report of a folder without runs": (
        "threshold_sweep.cli.report",
        lambda t: [str(t)],
        "(no metrics.json or error.txt found); give a folder written by threshold-sweep",
    ),
}


@pytest.mark.parametrize("case", list(OTHER_COMMANDS))
def test_other_commands_refuse_in_one_line(case, tmp_path):
    module, make_args, message = OTHER_COMMANDS[case]
    done = run_app(make_args(tmp_path), tmp_path, module=module)
    assert done.returncode == 2, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert line.startswith("error:") and message in line, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not list(tmp_path.rglob("summary.md"))  # nothing half-written


def test_the_command_line_sample_names_cases_of_the_table():
    unknown = THROUGH_THE_COMMAND_LINE - set(CASES)
    assert not unknown, f"renamed or removed cases: {sorted(unknown)}"


def test_failed_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "metrics.json"

    def disk_full(tmp: Path) -> None:
        tmp.write_text("{half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, disk_full)
    assert list(tmp_path.iterdir()) == []
