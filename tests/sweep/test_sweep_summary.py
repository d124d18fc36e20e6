"""The sweep summary of sweeps that do not vary the threshold, that lose jobs, or that were
resumed: groups, their order, the Runs table, the insights, the plot and the command line."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import TINY, made_once, markdown_table, run_app, run_dir

SAMPLINGS = ["undersample", "class_weight", "none"]  # not alphabetical: the sweep's order counts


@pytest.fixture(scope="session")
def sampling_sweep(tmp_path_factory) -> Path:
    """A real sweep over three samplings at the default threshold (one job each)."""
    args = ["-m", f"sampling={','.join(SAMPLINGS)}", "hydra.sweep.dir=sweep", *TINY]
    cwd, done = made_once(tmp_path_factory, "sampling", lambda cwd: run_app(args, cwd))
    assert done.returncode == 0, done.stderr
    return cwd / "sweep"


@pytest.mark.slow
def test_groups_follow_the_order_of_the_sweep_not_the_alphabet(sampling_sweep):
    runs = pd.read_csv(sampling_sweep / "summary.csv")
    jobs = {row["sampling"]: row["job"] for _, row in runs.iterrows()}
    assert jobs == {name: number for number, name in enumerate(SAMPLINGS)}  # hydra.job.num
    groups = pd.read_csv(sampling_sweep / "summary_groups.csv")
    assert groups["group"].tolist() == [f"sampling={name}" for name in SAMPLINGS]
    text = (sampling_sweep / "summary.md").read_text()
    assert markdown_table(text, "Runs")["sampling"].tolist() == SAMPLINGS
    paired = pd.read_csv(sampling_sweep / "summary_paired.csv")
    assert ("sampling=undersample", "sampling=none") in set(
        zip(paired["first_group"], paired["second_group"], strict=True)
    )
    first_last = "from sampling=undersample to sampling=none on the same test rows"
    verdicts = [line for line in text.splitlines() if "on the same test rows" in line]
    assert verdicts and all(first_last in line for line in verdicts)


@pytest.mark.slow
def test_one_prevalence_over_three_groups_is_not_called_both(sampling_sweep):
    groups = pd.read_csv(sampling_sweep / "summary_groups.csv")
    assert groups["test_prevalence"].nunique() == 1  # same test rows for every sampling
    text = (sampling_sweep / "summary.md").read_text()
    assert f"same in all 3 groups ({groups['test_prevalence'][0]:.3f})" in text
    assert "both groups" not in text


@pytest.mark.slow
def test_the_plot_shows_groups_as_categories_when_the_threshold_is_fixed(sampling_sweep):
    from threshold_sweep.sweep.collect import summarize
    from threshold_sweep.sweep.plots import MAIN_METRICS, metrics_figure

    summary = summarize(sampling_sweep)
    figure = metrics_figure(summary.groups, summary.complete, MAIN_METRICS, summary.keys)
    names = [f"sampling={name}" for name in SAMPLINGS]
    for axes in figure.axes:
        metric = axes.get_title()
        assert [tick.get_text() for tick in axes.get_xticklabels()] == names
        means = [line for line in axes.lines if line.get_marker() == "o"]
        assert len(means) == 1 and list(means[0].get_xdata()) == [0, 1, 2]
        assert list(means[0].get_ydata()) == pytest.approx(summary.groups[f"test_{metric}_mean"])
        dashed = [line for line in axes.lines if line.get_linestyle() == "--"]
        levels = summary.groups[f"chance_{metric}_mean"]
        assert [line.get_ydata()[0] for line in dashed] == pytest.approx(levels)
        for x, line in enumerate(dashed):  # a visible segment around each group
            low, high = line.get_xdata()
            assert low < x < high
        handles, labels = axes.get_legend_handles_labels()
        assert labels == ["no skill"] and len(handles[0].get_xdata()) == 2
        dots = axes.collections[-1].get_offsets()
        assert sorted(map(tuple, dots.tolist())) == sorted(
            (float(SAMPLINGS.index(row["sampling"])), row[f"test_{metric}"])
            for _, row in summary.complete.iterrows()
        )
    caption = re.findall(r"!\[(.*)\]", (sampling_sweep / "summary.md").read_text())
    assert caption == [
        "Test metrics per group (one threshold, 100)",
        "Per-epoch loss and monitored metric of every run (train solid, validation dashed), "
        "one colour per run",
    ]


@pytest.mark.slow
def test_the_plot_keeps_a_threshold_axis_when_thresholds_vary(sweep):
    from threshold_sweep.sweep.collect import summarize
    from threshold_sweep.sweep.plots import MAIN_METRICS, metrics_figure

    summary = summarize(sweep[0])
    figure = metrics_figure(summary.groups, summary.complete, MAIN_METRICS, summary.keys)
    for axes in figure.axes:
        assert axes.get_xlabel() == "threshold" and axes.get_xscale() == "log"
        (line,) = [line for line in axes.lines if line.get_marker() == "o"]
        assert list(line.get_xdata()) == [100, 1000]


@pytest.mark.slow
def test_a_failed_job_still_names_the_complete_one(sweep, tmp_path):
    from threshold_sweep.sweep.build import build_summary

    copy = tmp_path / "copy"
    shutil.copytree(sweep[0], copy)
    for seed in (0, 1):
        shutil.rmtree(run_dir(copy, 1000, seed))
    summary = build_summary(copy)
    assert (summary.completed, summary.failed) == (2, 2)  # threshold 100 complete, 1e9 failed
    assert summary.groups["group"].tolist() == ["label.threshold=100"]
    text = (copy / "summary.md").read_text()
    runs = markdown_table(text, "Runs")
    assert runs["label.threshold"].tolist() == ["100", "100"]
    assert runs["train.seed"].tolist() == ["0", "1"]
    assert markdown_table(text, "Comparable metrics").columns[-1] == "threshold=100"
    assert "At threshold=100 a no-skill model scores" in text
    assert "all runs" not in text


@pytest.mark.slow
def test_resume_leaves_the_results_and_the_command_as_they_were(sampling_sweep, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sampling_sweep, copy)
    before = pd.read_csv(copy / "summary.csv")
    args = ["-m", f"sampling={','.join(SAMPLINGS)}", *TINY, "hydra.sweep.dir=sweep"]
    done = run_app([*args, "resume=true"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("already holds a complete run of this config; skipped") == 3
    overrides = yaml.safe_load((run_dir_of(copy, "none") / ".hydra" / "overrides.yaml").read_text())
    assert "resume=True" in overrides  # Hydra rewrote the skipped job's overrides
    after = pd.read_csv(copy / "summary.csv")
    assert "resume" not in after.columns
    pd.testing.assert_frame_equal(after, before)
    assert pd.read_csv(copy / "summary_groups.csv")["group"].tolist() == [
        f"sampling={name}" for name in SAMPLINGS
    ]
    for page in ("summary.md", "index.html"):
        text = (copy / page).read_text()
        assert "resume" not in text.split("Config", 1)[1], page
    (command,) = re.findall(r"```bash\n(.*)\n```", (copy / "summary.md").read_text())
    assert command == " ".join(["threshold-sweep", *(shlex.quote(arg) for arg in args)])


def run_dir_of(sweep_dir: Path, sampling: str) -> Path:
    """The job folder of the sampling sweep for one sampling."""
    (folder,) = sweep_dir.glob(f"*sampling={sampling},*")
    return folder


def test_bookkeeping_overrides_are_not_results(tmp_path):
    from threshold_sweep.results.read import read_overrides

    (tmp_path / ".hydra").mkdir()
    overrides = [
        "label.threshold=100",
        "resume=True",
        "tracking=mlflow",
        "tracking.experiment_name=x",
        "+experiment=seed_thresholds",
        "sampling=none",
    ]
    (tmp_path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    assert read_overrides(tmp_path) == {"label.threshold": "100", "sampling": "none"}


def test_the_command_keeps_the_users_hydra_overrides(tmp_path):
    from threshold_sweep.sweep.page import sweep_command

    recorded = {
        "hydra": {
            "overrides": {
                "hydra": [
                    "hydra/launcher=local_parallel",
                    "hydra.launcher.n_jobs=2",
                    "hydra.sweep.dir=outputs/multirun/my study",
                    "hydra.mode=MULTIRUN",
                ],
                "task": ["label.threshold=100,1000", "resume=true", "tracking=mlflow"],
            }
        }
    }
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump(recorded))
    assert sweep_command(tmp_path) == (
        "threshold-sweep -m label.threshold=100,1000 tracking=mlflow "
        "hydra/launcher=local_parallel hydra.launcher.n_jobs=2 "
        "'hydra.sweep.dir=outputs/multirun/my study'"
    )


@pytest.mark.slow
def test_insights_name_runs_by_what_varies_not_by_their_folder(sweep):
    from threshold_sweep.sweep.collect import summarize

    summary = summarize(sweep[0])
    about_runs = [s for s in summary.insights if "overfit" in s or "carry warnings" in s]
    assert about_runs
    for sentence in about_runs:
        assert "threshold=" in sentence and "seed=" in sentence, sentence
        assert "label.threshold=" not in sentence, sentence  # the short name of the key
        assert "data.n_samples=" not in sentence, sentence  # constant: in folder names only


def _three_class_run(folder: Path, y: np.ndarray, proba: np.ndarray, **ci: str) -> None:
    """A minimal finished three-class run folder: predictions.csv and metrics.json (its ci
    section has `ci`'s keys too)."""
    folder.mkdir(parents=True)
    frame = pd.DataFrame({"id": np.arange(len(y)), "y_true": y, "y_pred": proba.argmax(axis=1)})
    frame.assign(**{f"score_{i}": proba[:, i] for i in range(3)}).to_csv(
        folder / "predictions.csv", index=False
    )
    result = {
        "label_names": ["a", "b", "c"],
        "ci": {"n_resamples": 300, "level": 0.95, "seed": 0, **ci},
    }
    (folder / "metrics.json").write_text(json.dumps(result))


def test_three_class_runs_on_the_same_rows_are_paired(tmp_path):
    from sklearn.metrics import roc_auc_score

    from threshold_sweep.sweep.stats import paired_comparisons

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    sharp = np.eye(3)[y] + rng.uniform(0, 1.5, (300, 3))
    vague = np.eye(3)[y] + rng.uniform(0, 4.0, (300, 3))
    for name, logits in (("lr=0.01", sharp), ("lr=0.1", vague)):
        _three_class_run(tmp_path / name, y, logits / logits.sum(axis=1, keepdims=True))
    table = pd.DataFrame({"run": ["lr=0.01", "lr=0.1"], "train.learning_rate": [0.01, 0.1]})
    paired = paired_comparisons(tmp_path, table, ["train.learning_rate"]).set_index("metric")
    assert list(paired.index) == ["roc_auc_ovr", "balanced_accuracy", "mcc"]
    proba = {
        n: pd.read_csv(tmp_path / n / "predictions.csv").filter(like="score_") for n in table.run
    }
    expected = roc_auc_score(y, proba["lr=0.1"], multi_class="ovr") - roc_auc_score(
        y, proba["lr=0.01"], multi_class="ovr"
    )
    assert paired.loc["roc_auc_ovr", "difference"] == pytest.approx(expected)
    assert paired.loc["roc_auc_ovr", "ci_high"] < 0  # the vague run ranks worse, beyond noise


def test_paired_runs_use_the_first_runs_interval_method(tmp_path):
    from threshold_sweep.evaluate.bootstrap import paired_difference
    from threshold_sweep.evaluate.resample.predictions import ClassPredictions
    from threshold_sweep.sweep.stats import paired_comparisons

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 120)
    first, second = ((np.eye(3)[y] + rng.uniform(0, spread, (120, 3))) for spread in (1.5, 3.0))
    first, second = (p / p.sum(axis=1, keepdims=True) for p in (first, second))
    table = pd.DataFrame({"run": ["a", "b"], "train.learning_rate": [0.01, 0.1]})
    found = {}
    for method in (None, "percentile", "bca"):
        root = tmp_path / str(method)
        ci = {} if method is None else {"interval_method": method}
        _three_class_run(root / "a", y, first, **ci)
        _three_class_run(root / "b", y, second, **ci)
        paired = paired_comparisons(root, table, ["train.learning_rate"]).set_index("metric")
        found[method] = paired.loc["mcc", ["ci_low", "ci_high"]].tolist()
    expected = paired_difference(
        ClassPredictions(y, first, first.argmax(axis=1)),
        ClassPredictions(y, second, second.argmax(axis=1)),
        ("mcc",),
        300,
        0.95,
        0,
        "bca",
    )["mcc"]
    assert found["bca"] == pytest.approx([expected["ci_low"], expected["ci_high"]])
    assert found[None] == found["percentile"] != found["bca"]  # files before it: percentile


def test_short_run_names_keep_only_what_varies():
    from threshold_sweep.sweep.naming import group_names, run_labels, short_keys

    folders = [
        f"data.n_samples=800,label.threshold={t},sampling={s}"
        for t, s in (("100", "none"), ("100", "undersample"), ("1000", "none"))
    ]
    runs = pd.DataFrame(
        {
            "run": folders,
            "label.threshold": ["100", "100", "1000"],
            "sampling": ["none", "undersample", "none"],
            "data.n_samples": ["800"] * 3,
        }
    )
    varying = ["label.threshold", "sampling"]
    assert run_labels(runs, varying).tolist() == [
        "threshold=100 · sampling=none",
        "threshold=100 · sampling=undersample",
        "threshold=1000 · sampling=none",
    ]
    assert run_labels(runs, varying, with_keys=False).tolist() == [
        "100 · none",
        "100 · undersample",
        "1000 · none",
    ]
    assert run_labels(runs, []).tolist() == folders  # nothing varies: the folder
    shared = run_labels(runs, ["label.threshold"]).tolist()  # two would be 'threshold=100'
    assert shared == [*folders[:2], "threshold=1000"]
    assert short_keys(["train.seed", "sampling.seed", "label.threshold"]) == {
        "train.seed": "train.seed",
        "sampling.seed": "sampling.seed",
        "label.threshold": "threshold",
    }
    missing = runs.assign(sampling=[None, "undersample", None])  # an override some runs lack
    assert run_labels(missing, varying).tolist()[1:] == [
        "threshold=100 · sampling=undersample",
        "threshold=1000",
    ]
    assert group_names(runs, ["label.threshold"]) == {
        "label.threshold=100": "threshold=100",
        "label.threshold=1000": "threshold=1000",
    }
    assert group_names(runs, []) == {"all runs": "all runs"}
    # two groups that would both be 'threshold=100' keep their labels
    lacking = runs.assign(sampling=[None, "", "none"])
    assert list(group_names(lacking, varying).values())[:2] == [
        "label.threshold=100, sampling=nan",
        "label.threshold=100, sampling=",
    ]


def test_summary_md_links_the_short_names_to_each_runs_report_md():
    from threshold_sweep.report.document import Table, block_markdown

    frame = pd.DataFrame({"run": ["filters=[4] · seed=0", "seed=1"], "mcc": [0.51234, 0.5]})
    links = [f"{name}/report.html" for name in ("model.filters=[4] a", "b")]
    table = Table(frame, links={"run": links}, markdown_links={"run": ["a b/report.md", None]})
    lines = block_markdown(table).splitlines()
    assert lines[2].startswith(r"| [filters=\[4\] · seed=0](a%20b/report.md) |")
    assert lines[2].endswith("0.512 |") and lines[3].startswith("| seed=1 ")  # no link: text


def test_the_reference_table_shows_each_model_and_the_cnn_minus_the_best():
    from threshold_sweep.sweep.tables import reference_table

    complete = pd.DataFrame(
        [
            {
                "test_roc_auc": 0.70,
                "test_roc_auc_ci_low": 0.6,
                "test_roc_auc_ci_high": 0.8,
                "ref_logistic_test_roc_auc": 0.94,
                "ref_hgb_test_roc_auc": 0.90,
                "best_reference": "logistic",
                "cnn_minus_logistic_roc_auc": -0.24,
                "cnn_minus_logistic_roc_auc_ci_low": -0.3,
                "cnn_minus_logistic_roc_auc_ci_high": -0.18,
            }
        ]
    )
    (row,) = reference_table(complete, ["threshold=100"]).to_dict("records")
    assert row["run"] == "threshold=100" and row["CNN"] == "0.700 [0.600, 0.800]"
    assert row["logistic regression"] == "0.940" and row["gradient-boosted trees"] == "0.900"
    assert row["CNN - best reference"] == "-0.240 [-0.300, -0.180]"
    assert row["best reference"] == "logistic regression"
    assert reference_table(complete.drop(columns=["best_reference"]), ["a"]) is None
