"""The run folder's layout: split names and every file name a run writes, in one place.

The lowest layer beside `io` and `errors`: the stages that write a run folder and those that
read it back (results, sweep, tracking, cli, predict) all name files through it.
"""

from __future__ import annotations

SPLITS = ("train", "validation", "test")
SCHEMA_VERSION = 3  # of metrics.json; 2 lacks `reference`, 1 also lacks this field

METRICS_JSON = "metrics.json"  # written last: its presence marks a finished run
METRICS_CSV = "metrics.csv"
ERROR_TXT = "error.txt"
PREDICTIONS = {
    "test": "predictions.csv",
    "validation": "predictions_validation.csv",
    "train": "predictions_train.csv",
}
TEST_IDS = "test_ids.csv"
DATA_SUMMARY = "data_summary.json"
HISTORY = "history.csv"
MODEL = "model.keras"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"
STANDARDIZATION = "standardization.json"
TIMING = "timing.json"
REFERENCE_PREDICTIONS = "predictions_reference.csv"  # the reference models' test scores
REPEATS_PREDICTIONS = "predictions_repeats.csv"  # split=kfold: every repeat's held-out scores
FOLDS = "folds"  # split=kfold: one folder per fold (model, standardization, history)
PLOTS = "plots"
THRESHOLDS = "thresholds"  # a shared model: one binary run folder per threshold
CURVE_CSV = "thresholds.csv"  # a shared model: the threshold curve, a row per threshold
ERRORS_CSV = "errors_by_distance.csv"  # a shared model: error rate by distance from t
# A sweep folder's own files, beside one folder per job.
SUMMARY_MD = "summary.md"
INDEX_HTML = "index.html"
TENSORBOARD = "tensorboard"

# Everything a run writes besides Hydra's .hydra/ and log: cleared when a job starts again.
RUN_FILES = (
    METRICS_JSON,
    METRICS_CSV,
    ERROR_TXT,
    *PREDICTIONS.values(),
    TEST_IDS,
    DATA_SUMMARY,
    HISTORY,
    MODEL,
    REPORT_MD,
    REPORT_HTML,
    STANDARDIZATION,
    TIMING,
    REFERENCE_PREDICTIONS,
    REPEATS_PREDICTIONS,
    CURVE_CSV,
    ERRORS_CSV,
)
RUN_FOLDERS = (PLOTS, TENSORBOARD, FOLDS, THRESHOLDS)
# What a tracked run logs as artifacts (besides its plots and, optionally, its model).
TRACKED_FILES = (REPORT_MD, REPORT_HTML, METRICS_JSON, METRICS_CSV, HISTORY, DATA_SUMMARY)
