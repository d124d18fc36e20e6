"""Shared vs dedicated: a cumulative run's per-threshold folder against the dedicated binary run
at the same threshold, a paired bootstrap of cumulative - dedicated on their shared test rows.
A cumulative run without that folder (evaluate.threshold_folders=false) is paired from the
p_above_<t> column of its predictions.csv, which holds the same scores as the folder would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from threshold_sweep.evaluate.bootstrap import PERCENTILE, paired_difference
from threshold_sweep.evaluate.names import METRIC_LABELS
from threshold_sweep.evaluate.resample.predictions import weighted_predictions
from threshold_sweep.evaluate.task import Task
from threshold_sweep.layout import METRICS_JSON, PREDICTIONS
from threshold_sweep.report.tables import fmt
from threshold_sweep.shared_model import PARENT_COLUMN, above_column, head_section

SHARED_METRICS = ("roc_auc", "balanced_accuracy")
SIDES = ("cumulative", "dedicated")  # the table's run columns: the shared model's, the other
SHARED_INTRO = (
    "The cumulative head trains one network for every threshold; a dedicated run trains one "
    "per threshold. Per dedicated binary run at a threshold of the cumulative grid: "
    "cumulative - dedicated on their shared test rows, resampled jointly (paired bootstrap "
    "with the dedicated run's CI settings; also in summary_shared_vs_dedicated.csv). A CI "
    "below 0: sharing the trunk costs that metric beyond noise. Balanced accuracy is at "
    "the fixed cutoff."
)
RELATIVE_TOLERANCE = 1e-9  # two thresholds are the same within this relative difference
SEED_KEYS = ("train.seed", "sampling.seed")
COLUMNS = (
    "threshold",
    "cumulative",
    "dedicated",
    "metric",
    "cumulative_value",
    "dedicated_value",
    "difference",
    "ci_low",
    "ci_high",
    "within_noise",
    "level",
    "n_rows",
    "note",
)


def same_threshold(a: float, b: float) -> bool:
    """Whether two thresholds are equal within RELATIVE_TOLERANCE of the larger magnitude."""
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b))


def _threshold_runs(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The complete binary runs split into cumulative per-threshold folders and dedicated runs."""
    if PARENT_COLUMN not in runs or "threshold" not in runs:
        return runs.iloc[0:0], runs.iloc[0:0]
    binary = runs[pd.to_numeric(runs["threshold"], errors="coerce").notna()]
    shared = binary[PARENT_COLUMN].fillna("").astype(str) != ""
    return binary[shared], binary[~shared]


def _without_folders(root: Path, runs: pd.DataFrame, folders: pd.DataFrame) -> pd.DataFrame:
    """Each threshold of every cumulative run's grid that has no per-threshold folder among
    `folders`: the run, the threshold, its output (the grid position) and the run's other
    columns (its seed)."""
    rows = []
    several = runs[pd.to_numeric(runs["threshold"], errors="coerce").isna()]  # a grid, not one
    for _, run in several.iterrows():
        section = head_section(_result(root / run["run"]))
        if not section or "output" in section:
            continue
        own = folders[folders[PARENT_COLUMN].astype(str) == str(run["run"])]["threshold"]
        for k, threshold in enumerate(section["thresholds"]):
            if not any(same_threshold(float(t), float(threshold)) for t in own):
                rows.append({**run.to_dict(), "threshold": float(threshold), "output": k})
    return pd.DataFrame(rows, columns=[*runs.columns, "output"])


def _result(run_dir: Path) -> dict[str, Any]:
    """A run's metrics.json."""
    return json.loads((run_dir / METRICS_JSON).read_text())


def _test_predictions(run_dir: Path) -> pd.DataFrame:
    """A run folder's test predictions, ids as text."""
    return pd.read_csv(run_dir / PREDICTIONS["test"], dtype={"id": str})


def _load(root: Path, side: pd.Series) -> tuple[pd.DataFrame, dict[str, float]]:
    """A side's test predictions (ids as text) and test metrics: a run folder's own, or for a
    cumulative run's output (`side["output"]` set), its threshold's binary predictions from the
    p_above_<t> column and their metrics, as its per-threshold folder holds them."""
    run_dir = root / side["run"]
    if pd.isna(side.get("output", np.nan)):
        return _test_predictions(run_dir), _result(run_dir)["test"]
    from threshold_sweep.results.read import load_run

    run = load_run(run_dir)
    frame, section = run.threshold_scores("test"), head_section(run.result)
    score = frame[above_column(float(side["threshold"]))].to_numpy()
    labels = Task.of_count(2)
    y_true = (frame["y_true"].to_numpy() > int(side["output"])).astype(np.int64)
    y_pred = labels.predicted_classes(score, float(section["cutoff"]))
    predictions = pd.DataFrame(
        {"id": frame["id"], "y_true": y_true, "y_score": score, "y_pred": y_pred}
    )
    every_row = np.ones((1, len(predictions)))  # each row once: the metrics on all test rows
    values = _predictions(predictions, labels).metrics(every_row)
    return predictions, {metric: float(value[0]) for metric, value in values.items()}


def _predictions(frame: pd.DataFrame, task: Task) -> Any:
    """One run's weighted predictions from its test predictions."""
    return weighted_predictions(*task.arrays(frame), **task.ordinal_inputs(frame))


def _seed_column(runs: pd.DataFrame) -> str | None:
    """The training seed column whose value must match for two runs to be compared."""
    return next((key for key in SEED_KEYS if key in runs and runs[key].notna().any()), None)


def _unpaired(dedicated: pd.Series, note: str, cumulative: str = "") -> dict[str, Any]:
    """A row saying why a dedicated run is not compared."""
    return {
        "threshold": float(dedicated["threshold"]),
        "cumulative": cumulative,
        "dedicated": dedicated["run"],
        "metric": "",
        "note": note,
    }


def _unpaired_note(pred_c: pd.DataFrame, pred_d: pd.DataFrame) -> str | None:
    """Why two runs' test predictions cannot be paired (other rows), None when they can."""
    ids_c, ids_d = set(pred_c["id"]), set(pred_d["id"])
    if len(pred_c) == len(pred_d) and ids_c == ids_d:
        return None
    common = len(ids_c & ids_d)
    return (
        f"different test rows ({len(pred_c)} and {len(pred_d)} rows, {common} shared ids): "
        "not paired; the same data and split seed give the same test rows"
    )


def _sides(merged: pd.DataFrame, task: Task) -> dict[str, Any]:
    """Each run's weighted predictions from the two runs' merged predictions (_d, _c)."""
    return {
        suffix: _predictions(
            merged[[c for c in merged if c.endswith(suffix)]].rename(
                columns=lambda c, s=suffix: c.removesuffix(s)
            ),
            task,
        )
        for suffix in ("_d", "_c")
    }


def _compare(root: Path, cumulative: pd.Series, dedicated: pd.Series) -> list[dict[str, Any]]:
    """cumulative - dedicated of SHARED_METRICS on their shared test rows (paired bootstrap with
    the dedicated run's CI settings), or one row saying why they are not paired."""
    pred_c, test_c = _load(root, cumulative)
    pred_d, result_d = _test_predictions(root / dedicated["run"]), _result(root / dedicated["run"])
    base = {
        "threshold": float(dedicated["threshold"]),
        "cumulative": cumulative["run"],
        "dedicated": dedicated["run"],
    }
    note = _unpaired_note(pred_c, pred_d)
    if note is not None:
        return [{**base, "metric": "", "note": note}]
    merged = pred_d.merge(pred_c, on="id", suffixes=("_d", "_c"))
    if not np.array_equal(merged["y_true_d"].to_numpy(), merged["y_true_c"].to_numpy()):
        return [{**base, "metric": "", "note": "the test rows' labels differ: not paired"}]
    sides = _sides(merged, Task.of(result_d))
    ci = result_d["ci"]
    differences = paired_difference(
        sides["_d"],
        sides["_c"],
        SHARED_METRICS,
        int(ci["n_resamples"]),
        float(ci["level"]),
        int(ci["seed"]),
        ci.get("interval_method", PERCENTILE),
    )
    return [
        {
            **base,
            "metric": metric,
            "cumulative_value": float(test_c[metric]),
            "dedicated_value": float(result_d["test"][metric]),
            **values,
            "level": float(ci["level"]),
            "n_rows": len(merged),
            "note": "",
        }
        for metric, values in differences.items()
    ]


def shared_vs_dedicated(root: Path, runs: pd.DataFrame) -> pd.DataFrame:
    """Per dedicated binary run with a cumulative per-threshold folder, or a cumulative run
    without one, at its threshold (and the same training seed, where one is swept):
    cumulative - dedicated ROC-AUC and balanced accuracy with their paired CIs; a note row when
    not paired. Empty without both kinds."""
    folders, dedicated = _threshold_runs(runs)
    if dedicated.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    parts = [part for part in (folders, _without_folders(root, runs, folders)) if not part.empty]
    if not parts:
        return pd.DataFrame(columns=list(COLUMNS))
    cumulative = pd.concat(parts, ignore_index=True)
    seed = _seed_column(runs)
    rows: list[dict[str, Any]] = []
    for _, run in dedicated.iterrows():
        threshold = float(run["threshold"])
        matches = cumulative[[same_threshold(float(t), threshold) for t in cumulative["threshold"]]]
        if matches.empty:
            grid = ", ".join(sorted({fmt(float(t)) for t in cumulative["threshold"]}))
            rows.append(_unpaired(run, f"no cumulative threshold at {threshold:g} (grid {grid})"))
            continue
        if seed is not None:
            same = matches[matches[seed].astype(str) == str(run[seed])]
            if same.empty:
                note = f"no cumulative run with {seed}={run[seed]} at {threshold:g}: not paired"
                rows.append(_unpaired(run, note))
                continue
            matches = same
        for _, match in matches.iterrows():
            rows += _compare(root, match, run)
    return pd.DataFrame(rows).reindex(columns=list(COLUMNS)).astype({"n_rows": "Int64"})


def _thresholds_text(values: list[float]) -> str:
    """'100', '100 and 1000', '100, 300 and 1000'."""
    shown = list(dict.fromkeys(f"{value:g}" for value in values))
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"


def _difference_text(row: pd.Series) -> str:
    """'+0.003 (95% CI -0.021 to +0.027) at 100'."""
    low, high = fmt(row["ci_low"], signed=True), fmt(row["ci_high"], signed=True)
    level = f"{row['level']:.0%} " if pd.notna(row.get("level")) else ""
    return (
        f"{fmt(row['difference'], signed=True)} ({level}CI {low} to {high}) at {row['threshold']:g}"
    )


def _buckets(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The compared rows by where their CI lies: below 0, above 0, or around it."""
    return {
        "lower": rows[rows["ci_high"] < 0],
        "higher": rows[rows["ci_low"] > 0],
        "within": rows[(rows["ci_low"] <= 0) & (rows["ci_high"] >= 0)],
    }


def _listing(rows: pd.DataFrame) -> str:
    """The differences of some compared rows, '; '-separated."""
    return "; ".join(_difference_text(row) for _, row in rows.iterrows())


def shared_sentences(shared: pd.DataFrame) -> list[str]:
    """The verdict on sharing the trunk (ROC-AUC), then balanced accuracy's; [] when no
    dedicated run was paired with a cumulative threshold."""
    if shared is None or shared.empty:
        return []
    compared = shared[shared["metric"].isin(SHARED_METRICS)]
    roc = compared[compared["metric"] == "roc_auc"]
    if roc.empty:
        return []
    found = _buckets(roc)
    label = METRIC_LABELS.get("roc_auc", "roc_auc")
    if found["lower"].empty:
        where = _thresholds_text(roc["threshold"].tolist())
        if found["higher"].empty:
            return [
                f"Sharing the trunk costs nothing measurable: at {where} the cumulative head's "
                f"{label} is within noise of the dedicated runs' (differences cumulative - "
                f"dedicated {_listing(roc)}).",
                *_balanced_sentence(compared),
            ]
        text = (
            f"Sharing the trunk costs nothing measurable: the cumulative head's {label} is "
            f"higher than the dedicated runs' beyond noise at "
            f"{_thresholds_text(found['higher']['threshold'].tolist())} "
            f"({_listing(found['higher'])})"
        )
    else:
        text = (
            f"Sharing the trunk costs {label} beyond noise at "
            f"{_thresholds_text(found['lower']['threshold'].tolist())}: the cumulative head "
            f"trails the dedicated runs there (differences cumulative - dedicated "
            f"{_listing(found['lower'])})"
        )
        if not found["higher"].empty:
            text += (
                f"; it is higher beyond noise at "
                f"{_thresholds_text(found['higher']['threshold'].tolist())} "
                f"({_listing(found['higher'])})"
            )
    if not found["within"].empty:
        text += (
            f"; within noise at {_thresholds_text(found['within']['threshold'].tolist())} "
            f"({_listing(found['within'])})"
        )
    return [text + ".", *_balanced_sentence(compared)]


def _balanced_sentence(compared: pd.DataFrame) -> list[str]:
    """Balanced accuracy (at the fixed cutoff) cumulative - dedicated, in one sentence."""
    rows = compared[compared["metric"] == "balanced_accuracy"]
    if rows.empty:
        return []
    found = _buckets(rows)
    parts = [
        f"{word} beyond noise at {_thresholds_text(found[key]['threshold'].tolist())} "
        f"({_listing(found[key])})"
        for key, word in (("lower", "lower"), ("higher", "higher"))
        if not found[key].empty
    ]
    if not found["within"].empty:
        parts.append(
            f"within noise at {_thresholds_text(found['within']['threshold'].tolist())} "
            f"({_listing(found['within'])})"
        )
    return [
        "Balanced accuracy at the fixed cutoff, cumulative - dedicated: " + "; ".join(parts) + "."
    ]


def shared_table(shared: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The comparisons as the pages show them: runs by short name, values and CI as text."""
    rows = []
    for _, row in shared.iterrows():
        entry = {
            "threshold": fmt(float(row["threshold"])),
            "cumulative": names.get(row["cumulative"], row["cumulative"]) or "",
            "dedicated": names.get(row["dedicated"], row["dedicated"]),
        }
        if not row.get("metric"):
            rows.append(
                {
                    **entry,
                    "metric": "",
                    "cumulative value": "",
                    "dedicated value": "",
                    "cumulative - dedicated": row["note"],
                    "CI": "",
                    "within noise": "",
                }
            )
            continue
        low, high = fmt(row["ci_low"], signed=True), fmt(row["ci_high"], signed=True)
        rows.append(
            {
                **entry,
                "metric": METRIC_LABELS.get(row["metric"], row["metric"]),
                "cumulative value": fmt(row["cumulative_value"]),
                "dedicated value": fmt(row["dedicated_value"]),
                "cumulative - dedicated": fmt(row["difference"], signed=True),
                "CI": f"[{low}, {high}]",
                "within noise": "yes" if row["within_noise"] else "no",
            }
        )
    return pd.DataFrame(rows)
