"""Shared vs dedicated: a cumulative run's per-threshold folders beside dedicated binary runs in
one sweep folder. The fast tests build run folders (metrics.json from assess() on made-up
predictions) without a model; one slow test trains a tiny cumulative and a dedicated run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn import metrics as skm

from threshold_sweep.report.tables import fmt
from threshold_sweep.sweep.shared import same_threshold, shared_sentences

from conftest import TINY, markdown_table, run_app, write_assessed_run

SPLITS = ("train", "validation", "test")
N_ROWS = {"train": 300, "validation": 200, "test": 400}
GRID = (100.0, 1000.0)


def _x(split: str) -> np.ndarray:
    """x of a split's rows: the same rows (and ids) for every run built here."""
    return np.random.default_rng(SPLITS.index(split)).lognormal(5.5, 1.2, N_ROWS[split])


def _binary_frame(split: str, threshold: float, gain: float, seed: int, ids: int = 0):
    """A split's binary predictions at `threshold`: score = sigmoid(gain * log(x / t) + noise);
    `ids` shifts the row ids (other test rows)."""
    x = _x(split)
    rng = np.random.default_rng(1000 + 17 * seed + SPLITS.index(split))
    logit = gain * np.log(x / threshold) + rng.normal(0, 1, len(x))
    score = 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "id": np.arange(len(x)) + ids,
            "x": x,
            "y_true": (x > threshold).astype(int),
            "y_score": score,
            "y_pred": (score >= 0.5).astype(int),
        }
    )


def _class_frame(split: str, seed: int) -> pd.DataFrame:
    """A split's 3-class predictions on the GRID (the cumulative run's own evaluation)."""
    x = _x(split)
    y = np.searchsorted(GRID, x, side="left")
    rng = np.random.default_rng(500 + seed + SPLITS.index(split))
    logits = rng.normal(0, 1, (len(x), 3)) + 2.0 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scores = {f"score_{i}": proba[:, i] for i in range(3)}
    return pd.DataFrame({"id": np.arange(len(x)), "x": x, "y_true": y}).assign(
        y_pred=proba.argmax(axis=1), **scores
    )


def _write(folder: Path, overrides: list[str], frames: dict, names: list[str], threshold) -> Path:
    """A finished run folder: metrics.json from assess() on `frames`, the predictions files."""
    write_assessed_run(folder, overrides, frames, names, threshold, resamples=300)
    return folder


def write_cumulative(root: Path, gains: dict[float, float], extra: tuple[str, ...] = ()) -> Path:
    """A cumulative run on GRID with one per-threshold folder per entry of `gains`."""
    parent = root / "cumulative"
    grid = f"label.threshold=[{','.join(f'{t:g}' for t in GRID)}]"
    frames = {split: _class_frame(split, 0) for split in SPLITS}
    _write(parent, [*extra, "model.head=cumulative", grid], frames, ["c0", "c1", "c2"], list(GRID))
    for threshold, gain in gains.items():
        folder = parent / "thresholds" / f"threshold={threshold:g}"
        frames = {split: _binary_frame(split, threshold, gain, 1) for split in SPLITS}
        _write(folder, [], frames, ["low", "high"], threshold)
        mark_threshold_run(folder, threshold)
    return parent


def mark_threshold_run(folder: Path, threshold: float) -> None:
    """What marks a per-threshold folder as the head's: its metrics.json `cumulative` section
    (which output, the parent), and no Hydra folder of its own."""
    result = json.loads((folder / "metrics.json").read_text())
    grid = [float(t) for t in GRID]
    result["cumulative"] = {"thresholds": grid, "output": grid.index(threshold), "parent": "../.."}
    (folder / "metrics.json").write_text(json.dumps(result))
    shutil.rmtree(folder / ".hydra")


def write_dedicated(
    root: Path, threshold: float, gain: float, ids: int = 0, extra: tuple[str, ...] = ()
) -> Path:
    """A dedicated binary run at `threshold` (its config says model.head=probability)."""
    folder = root / f"t{threshold:g}{'_other' if ids else ''}"
    frames = {split: _binary_frame(split, threshold, gain, 2, ids) for split in SPLITS}
    overrides = [*extra, f"label.threshold={threshold:g}"]
    _write(folder, overrides, frames, ["low", "high"], threshold)
    config = {"model": {"head": "probability"}, "data": {"n_samples": 1000}}
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    return folder


def _sklearn_differences(cumulative: Path, dedicated: Path) -> dict[str, float]:
    """cumulative - dedicated ROC-AUC and balanced accuracy recomputed from predictions.csv."""
    c = pd.read_csv(cumulative / "predictions.csv")
    d = pd.read_csv(dedicated / "predictions.csv")
    merged = d.merge(c, on="id", suffixes=("_d", "_c"))
    assert (merged["y_true_d"] == merged["y_true_c"]).all()
    y = merged["y_true_d"]
    return {
        "roc_auc": skm.roc_auc_score(y, merged["y_score_c"])
        - skm.roc_auc_score(y, merged["y_score_d"]),
        "balanced_accuracy": skm.balanced_accuracy_score(y, merged["y_pred_c"])
        - skm.balanced_accuracy_score(y, merged["y_pred_d"]),
    }


@pytest.fixture(scope="module")
def even_sweep(tmp_path_factory) -> Path:
    """A cumulative run (grid 100, 1000) and dedicated runs at 100 and 1000 as good as it, one
    at 1000 on other test rows and one at 300 (not on the grid); its summary written."""
    from threshold_sweep.sweep.build import build_summary

    root = tmp_path_factory.mktemp("even")
    write_cumulative(root, {100.0: 3.0, 1000.0: 3.0}, extra=("data.n_samples=1000",))
    write_dedicated(root, 100.0, 3.0)
    write_dedicated(root, 1000.0, 3.0)
    write_dedicated(root, 1000.0, 3.0, ids=10_000)
    write_dedicated(root, 300.0, 3.0)
    build_summary(root)
    return root


def _shared(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "summary_shared_vs_dedicated.csv", keep_default_na=False)


@pytest.mark.slow  # no training, but run folders and their summary: ~2.5 CPU s
def test_differences_equal_sklearn_on_the_two_predictions_files_and_cis_hold_them(even_sweep):
    shared = _shared(even_sweep)
    compared = shared[shared["metric"] != ""]
    assert sorted(set(compared["dedicated"])) == ["t100", "t1000"]
    for (cumulative, dedicated), rows in compared.groupby(["cumulative", "dedicated"]):
        expected = _sklearn_differences(even_sweep / cumulative, even_sweep / dedicated)
        assert set(rows["metric"]) == set(expected)
        for _, row in rows.iterrows():
            assert float(row["difference"]) == pytest.approx(expected[row["metric"]], abs=1e-12)
            low, high = float(row["ci_low"]), float(row["ci_high"])
            assert low <= float(row["difference"]) <= high
            assert int(row["n_rows"]) == N_ROWS["test"]
            assert float(row["level"]) == 0.95
            within = str(row["within_noise"]) == "True"
            assert within == (low <= 0 <= high)
        threshold = float(rows["threshold"].iloc[0])
        assert cumulative == f"cumulative/thresholds/threshold={threshold:g}"


@pytest.mark.slow  # no training, but run folders and their summary: ~2.5 CPU s
def test_runs_on_other_rows_or_off_the_grid_are_listed_as_not_paired(even_sweep):
    notes = _shared(even_sweep).set_index("dedicated")["note"]
    assert notes["t1000_other"].startswith("different test rows (400 and 400 rows, 0 shared ids)")
    assert notes["t300"] == "no cumulative threshold at 300 (grid 100, 1000)"
    text = (even_sweep / "summary.md").read_text()
    table = markdown_table(text, "Shared vs dedicated")
    assert "no cumulative threshold at 300 (grid 100, 1000)" in set(table["cumulative - dedicated"])


@pytest.mark.slow  # no training, but run folders and their summary: ~2.5 CPU s
def test_the_opening_sentence_matches_the_numbers(even_sweep):
    shared = _shared(even_sweep)
    roc = shared[shared["metric"] == "roc_auc"].astype({"ci_low": float, "ci_high": float})
    assert ((roc["ci_low"] <= 0) & (roc["ci_high"] >= 0)).all()  # equally good by design
    text = (even_sweep / "summary.md").read_text()
    opening = text.split("\n\n")[1]
    assert opening.startswith(
        "Sharing the trunk costs nothing measurable: at 100 and 1000 the cumulative head's "
        "ROC-AUC is within noise of the dedicated runs'"
    )
    for _, row in roc.iterrows():
        low, high = fmt(row["ci_low"], signed=True), fmt(row["ci_high"], signed=True)
        number = fmt(float(row["difference"]), signed=True)
        assert f"{number} (95% CI {low} to {high}) at {float(row['threshold']):g}" in opening
    assert "## Shared vs dedicated" in text
    html = (even_sweep / "index.html").read_text()
    assert "Shared vs dedicated" in html and "Sharing the trunk costs nothing measurable" in html


@pytest.mark.slow  # no training, but run folders and their summary: ~2.5 CPU s
def test_per_threshold_runs_are_their_own_groups_named_by_their_threshold(even_sweep):
    from threshold_sweep.sweep.collect import summarize

    summary = summarize(even_sweep)
    names = summary.names
    assert names["cumulative/thresholds/threshold=100"] == "cumulative t=100"
    assert names["cumulative/thresholds/threshold=1000"] == "cumulative t=1000"
    table = summary.table.set_index("run")
    # inherited from the parent's overrides; the dedicated runs' from their config
    assert table.loc["cumulative/thresholds/threshold=100", "data.n_samples"] == "1000"
    assert table.loc["t100", "data.n_samples"] == "1000"
    assert table.loc["t100", "model.head"] == "probability"
    assert "data.n_samples" not in summary.varying  # the same everywhere once filled in
    groups = summary.groups
    counts = groups.set_index([groups["threshold"], groups["shared_trunk"]])["test_roc_auc_count"]
    # no head merged with the other as repeats; t1000 and t1000_other are repeats of one setting
    assert counts.loc[(100.0, True)] == counts.loc[(100.0, False)] == 1
    assert counts.loc[(1000.0, True)] == 1 and counts.loc[(1000.0, False)] == 2
    # threshold order, the multi-class cumulative run (no single threshold) last
    assert groups["threshold"].tolist()[:5] == [100, 100, 300, 1000, 1000]
    assert pd.isna(groups["threshold"].iloc[-1])
    # the first-vs-last verdict compares the dedicated runs, not one head with the other
    verdict = summary.insight_groups["Verdict"]
    ranked = [s for s in verdict if "paired difference" in s or "cannot be judged" in s]
    assert len(ranked) == 1 and "cumulative" not in ranked[0]
    assert "(head=probability · threshold=100)" in ranked[0]
    assert "(head=probability · threshold=1000)" in ranked[0]
    runs = markdown_table((even_sweep / "summary.md").read_text(), "Runs")
    assert {"cumulative t=100", "cumulative t=1000"} <= set(runs["run"])  # no report.md here


def test_a_cumulative_head_beyond_noise_worse_is_called_a_cost(tmp_path):
    from threshold_sweep.sweep.collect import summarize

    write_cumulative(tmp_path, {100.0: 0.3, 1000.0: 3.0})  # t=100: barely any signal
    write_dedicated(tmp_path, 100.0, 4.0)
    write_dedicated(tmp_path, 1000.0, 3.0)
    summary = summarize(tmp_path)
    roc = summary.shared[summary.shared["metric"] == "roc_auc"].set_index("threshold")
    assert roc.loc[100.0, "ci_high"] < 0
    expected = _sklearn_differences(
        tmp_path / "cumulative/thresholds/threshold=100", tmp_path / "t100"
    )
    assert roc.loc[100.0, "difference"] == pytest.approx(expected["roc_auc"], abs=1e-12)
    sentence = summary.insight_groups["Verdict"][0]
    assert sentence.startswith("Sharing the trunk costs ROC-AUC beyond noise at 100: ")
    assert fmt(roc.loc[100.0, "difference"], signed=True) in sentence
    if roc.loc[1000.0, "ci_low"] <= 0 <= roc.loc[1000.0, "ci_high"]:
        assert "; within noise at 1000 (" in sentence
    assert summary.insights[0] == sentence


def test_seeds_pair_only_with_the_same_seed(tmp_path):
    from threshold_sweep.sweep.collect import summarize

    write_cumulative(tmp_path, {100.0: 3.0, 1000.0: 3.0}, extra=("train.seed=0",))
    write_dedicated(tmp_path, 100.0, 3.0, extra=("train.seed=1",))
    shared = summarize(tmp_path).shared
    assert shared["note"].tolist() == ["no cumulative run with train.seed=1 at 100: not paired"]


@pytest.mark.slow  # no training, but run folders and their summary: ~2.5 CPU s
def test_without_a_cumulative_run_there_is_no_section(tmp_path):
    from threshold_sweep.sweep.build import build_summary

    write_dedicated(tmp_path, 100.0, 3.0)
    write_dedicated(tmp_path, 1000.0, 3.0)
    summary = build_summary(tmp_path)
    assert summary.shared.empty
    assert not (tmp_path / "summary_shared_vs_dedicated.csv").exists()
    assert "Shared vs dedicated" not in (tmp_path / "summary.md").read_text()


def test_thresholds_match_within_a_relative_1e9():
    assert same_threshold(100.0, 100.0 * (1 + 1e-12))
    assert same_threshold(0.0, 0.0)
    assert not same_threshold(100.0, 100.001)
    assert shared_sentences(pd.DataFrame()) == []


@pytest.mark.slow
def test_a_trained_cumulative_run_beside_a_dedicated_run(tmp_path):
    small = [*TINY, "data.n_samples=800", "evaluate.reference=[]"]
    grid = ["label.threshold=[100,1000]", "evaluate.threshold_folders=true"]
    cumulative = ["model.head=cumulative", *grid, "hydra.run.dir=s/cum"]
    for args in (cumulative, ["label.threshold=100", "hydra.run.dir=s/t100"]):
        done = run_app([*small, *args], tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
    report = run_app(["s"], tmp_path, module="threshold_sweep.cli.report")
    assert report.returncode == 0, report.stderr[-2000:]
    root = tmp_path / "s"
    shared = _shared(root)
    assert shared["metric"].tolist() == ["roc_auc", "balanced_accuracy"]
    assert set(shared["cumulative"]) == {"cum/thresholds/threshold=100"}
    expected = _sklearn_differences(root / "cum/thresholds/threshold=100", root / "t100")
    for _, row in shared.iterrows():
        assert float(row["difference"]) == pytest.approx(expected[row["metric"]], abs=1e-12)
        assert float(row["ci_low"]) <= float(row["difference"]) <= float(row["ci_high"])
    text = (root / "summary.md").read_text()
    table = markdown_table(text, "Shared vs dedicated")
    assert table["cumulative"].tolist() == ["cumulative t=100"] * 2
    assert table["cumulative - dedicated"].tolist() == [
        fmt(float(value), signed=True) for value in shared["difference"]
    ]
    assert "Sharing the trunk costs" in text.split("\n\n")[1]


def test_the_plot_names_the_cumulative_series_without_its_threshold():
    from threshold_sweep.sweep.naming import series_name

    assert series_name("cumulative t=100", "threshold=") == "cumulative"
    assert series_name("cumulative t=100 · seed=1", "threshold=") == "cumulative · seed=1"
    assert series_name("head=probability · threshold=100", "threshold=") == "head=probability"


def write_cumulative_scores(root: Path, folders: tuple[float, ...]) -> Path:
    """A cumulative run on GRID whose predictions.csv holds P(x > t) of each threshold
    (p_above_<t>, as a trained one writes them), with per-threshold folders for `folders` only,
    each built from its p_above column as the run writes it (evaluate.threshold_folders)."""
    parent = root / "cumulative"
    frames = {split: _class_frame(split, 0) for split in SPLITS}
    for frame in frames.values():
        proba = frame[["score_0", "score_1", "score_2"]].to_numpy()
        for k, threshold in enumerate(GRID):
            frame[f"p_above_{threshold:g}"] = proba[:, k + 1 :].sum(axis=1)
    grid = f"label.threshold=[{','.join(f'{t:g}' for t in GRID)}]"
    _write(parent, ["model.head=cumulative", grid], frames, ["c0", "c1", "c2"], list(GRID))
    result = json.loads((parent / "metrics.json").read_text())
    result["cumulative"] = {"head": "cumulative", "thresholds": list(GRID), "cutoff": 0.5}
    (parent / "metrics.json").write_text(json.dumps(result))
    for threshold in folders:
        k = GRID.index(threshold)
        binary = {}
        for split, frame in frames.items():
            score = frame[f"p_above_{threshold:g}"]
            binary[split] = pd.DataFrame(
                {
                    "id": frame["id"],
                    "x": frame["x"],
                    "y_true": (frame["y_true"] > k).astype(int),
                    "y_score": score,
                    "y_pred": (score >= 0.5).astype(int),
                }
            )
        folder = parent / "thresholds" / f"threshold={threshold:g}"
        _write(folder, [], binary, ["low", "high"], threshold)
        mark_threshold_run(folder, threshold)
    return parent


def _shared_table(root: Path) -> pd.DataFrame:
    """summarize's shared-vs-dedicated table of the runs under `root`."""
    from threshold_sweep.sweep.collect import collect_runs
    from threshold_sweep.sweep.shared import shared_vs_dedicated

    runs = collect_runs(root)
    complete = runs[runs["status"] == "complete"].reset_index(drop=True)
    table = shared_vs_dedicated(root, complete)
    return table.sort_values(["dedicated", "metric"]).reset_index(drop=True)


@pytest.mark.slow  # no training, but two layouts of run folders: ~3 CPU s each
@pytest.mark.parametrize("folders", [(100.0,), ()], ids=["one folder", "no folders"])
def test_without_threshold_folders_the_p_above_columns_give_the_same_rows(tmp_path, folders):
    tables = {}
    for layout, written in (("folders", GRID), ("other", folders)):
        root = tmp_path / layout
        write_cumulative_scores(root, written)
        write_dedicated(root, 100.0, 3.0)
        write_dedicated(root, 1000.0, 3.0)
        write_dedicated(root, 300.0, 3.0)
        tables[layout] = _shared_table(root)
    with_folders, other = tables["folders"], tables["other"]
    compared = other[other["metric"] != ""]
    assert set(compared["dedicated"]) == {"t100", "t1000"} and len(compared) == 4
    pd.testing.assert_frame_equal(
        with_folders.drop(columns="cumulative"), other.drop(columns="cumulative"), check_exact=True
    )
    named = dict(zip(other["dedicated"], other["cumulative"], strict=False))
    for threshold in GRID:
        folder = f"cumulative/thresholds/threshold={threshold:g}"
        assert named[f"t{threshold:g}"] == (folder if threshold in folders else "cumulative")
    assert other.set_index("dedicated").loc["t300", "note"] == (
        "no cumulative threshold at 300 (grid 100, 1000)"
    )
    parent = pd.read_csv(tmp_path / "other" / "cumulative" / "predictions.csv")
    for _, row in compared[compared["metric"] == "roc_auc"].iterrows():
        k = GRID.index(row["threshold"])
        score = parent[f"p_above_{row['threshold']:g}"]
        expected = skm.roc_auc_score(parent["y_true"] > k, score)
        assert row["cumulative_value"] == pytest.approx(expected, abs=1e-12)
