"""Runs of different data, labels or splits are not one sweep: the report refuses to compare
them (unless --force), naming what differs; keys a sweep varied are its settings."""

from __future__ import annotations

from pathlib import Path

from threshold_sweep.results.read import find_run_dirs, mixed_data, run_origin

from conftest import run_app, write_failed_run

SYNTHETIC = {"_target_": "threshold_sweep.data.synthetic_data", "n_samples": 600, "length": 16}
TABLE = {"_target_": "threshold_sweep.data.table_data", "path": "a.csv", "target": "x"}


def report(root: Path, *extra: str):
    """threshold-sweep-report ROOT, in this process."""
    return run_app([str(root), *extra], root, module="threshold_sweep.cli.report")


def test_the_report_refuses_runs_of_different_data_in_one_line(tmp_path):
    runs = tmp_path / "runs"
    for name in ("s1", "s2"):
        write_failed_run(runs / name, SYNTHETIC, ["label.threshold=100"])
    for name in ("t1", "t2", "t3"):
        write_failed_run(runs / name, TABLE, ["data=table", "data.path=a.csv"])
    done = report(runs)
    assert done.returncode == 2
    assert done.stderr == (
        "error: runs of different data: data.path=a.csv (3 runs) vs synthetic (2 runs); pass "
        "--force to summarize them anyway\n"
    )
    assert not (runs / "summary.md").exists()
    forced = report(runs, "--force")
    assert forced.returncode == 1, forced.stderr  # every run failed, summarized all the same
    assert "0 complete, 5 failed" in forced.stdout and (runs / "summary.md").exists()


def test_a_different_split_or_target_is_named(tmp_path):
    write_failed_run(tmp_path / "random", TABLE)
    write_failed_run(tmp_path / "kfold", TABLE, split="kfold")
    assert mixed_data(find_run_dirs(tmp_path)) == (
        "runs of different splits: split=kfold (1 run) vs split=random (1 run)"
    )
    write_failed_run(tmp_path / "price", {**TABLE, "target": "price"})
    assert mixed_data(find_run_dirs(tmp_path)) == (
        "runs of different labels and splits: data.target=x, split=kfold (1 run) vs "
        "data.target=price, split=random (1 run) vs data.target=x, split=random (1 run)"
    )


def test_thresholds_seeds_and_swept_data_keys_are_settings_not_different_data(tmp_path):
    for threshold in (100, 1000):  # single runs at two thresholds and seeds: a manual sweep
        data = {**SYNTHETIC, "seed": threshold}
        write_failed_run(tmp_path / f"t{threshold}", data, [f"label.threshold={threshold}"])
    sweep = tmp_path / "sizes"  # a sweep over data.n_samples varies the data on purpose
    for n in (600, 1200):
        data = {**SYNTHETIC, "n_samples": n}
        write_failed_run(sweep / f"data.n_samples={n}", data, [f"data.n_samples={n}"], "MULTIRUN")
    runs = find_run_dirs(tmp_path)
    assert len(runs) == 4 and mixed_data(runs) == ""
    assert run_origin(sweep / "data.n_samples=600") == sweep
    assert run_origin(tmp_path / "t100") == tmp_path / "t100"


def test_long_group_names_leave_the_sweep_plot_room(recwarn):
    from matplotlib.figure import Figure

    from threshold_sweep.sweep.plots import _tick_text

    names = [f"path=/home/me/projects/house-prices/raw/houses_export_{i}.csv" for i in range(5)]
    ticks = [_tick_text(name) for name in names]
    assert ticks[0] == "…raw/houses_export_0.csv" and len(set(ticks)) == 5  # the end differs
    assert _tick_text("threshold=100 · sampling=none · seed=1") == (
        "threshold=100 ·\nsampling=none · seed=1"
    )
    figure = Figure(figsize=(13.2, 7.4))  # the summary plot's six panels
    for axes in figure.subplots(2, 3).flat:
        axes.set_xticks(range(5), ticks, rotation=20, ha="right")
    figure.tight_layout()  # the untrimmed names: "Tight layout not applied" (a UserWarning)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
