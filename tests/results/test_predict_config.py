"""threshold-sweep-predict reads new data with a typed data config, as a run would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from threshold_sweep.conf.choices import MissingPolicy
from threshold_sweep.conf.schema import ArraysDataConfig, TableDataConfig
from threshold_sweep.data.validate import TargetUse
from threshold_sweep.errors import UserError
from threshold_sweep.predict import data_config, load_new_data, target_use
from threshold_sweep.results.read import load_run

from conftest import compose_config


def _run_folder(folder: Path, data: dict, features: list[str] | None = None):
    """A finished run's folder as predict reads it: its saved config and data summary."""
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"data": data}))
    (folder / ".hydra" / "overrides.yaml").write_text("[]\n")
    keys = ("task", "test", "training", "ci", "chance")
    (folder / "metrics.json").write_text(json.dumps({key: {} for key in keys}))
    summary = {"features": features, "sequence_shape": [4, 1]}
    (folder / "data_summary.json").write_text(json.dumps(summary))
    return load_run(folder)


ARRAYS_RUN = {
    "_target_": "threshold_sweep.data.arrays.load_arrays",  # as a data config may carry one
    "source": "arrays",
    "path": "/elsewhere/train.npz",
    "sequences_key": "S",
    "target_key": "y",
    "id_key": "ids",
    "on_missing": "drop",
}


def test_the_runs_reader_settings_on_the_schema_with_the_users_on_top(tmp_path):
    run = _run_folder(tmp_path / "run", ARRAYS_RUN)
    cfg = data_config(run, tmp_path / "new.npz", {"id_key": None})
    assert OmegaConf.get_type(cfg) is ArraysDataConfig
    assert (cfg.source, cfg.path) == ("arrays", str(tmp_path / "new.npz"))
    assert (cfg.sequences_key, cfg.target_key, cfg.id_key) == ("S", "y", None)
    assert cfg.on_missing is MissingPolicy.error  # new data: every row is scored by default
    assert data_config(run, tmp_path / "new.npz", {"on_missing": "drop"}).on_missing is (
        MissingPolicy.drop
    )
    # a table: schema defaults, not the settings of the run's .npz
    table = data_config(run, tmp_path / "new.csv", {})
    assert OmegaConf.get_type(table) is TableDataConfig
    assert (table.target, table.features, table.id) == ("x", None, None)


def test_a_table_run_passes_on_its_feature_columns_by_name(tmp_path):
    data = {"source": "table", "path": "t.csv", "target": "price", "features": None, "id": "k"}
    run = _run_folder(tmp_path / "run", data, features=["b", "a"])
    cfg = data_config(run, tmp_path / "new.parquet", {})
    assert (cfg.target, list(cfg.features), cfg.id) == ("price", ["b", "a"], "k")


def test_a_bad_reader_setting_gets_the_error_line_of_a_run(tmp_path):
    from threshold_sweep.cli.main import config_dir
    from threshold_sweep.cli.precheck import explain

    with pytest.raises(Exception) as composing:
        compose_config("data=table", "data.path=t.csv", "data.on_missing=maybe")
    in_a_run = explain(composing.value, config_dir())
    run = _run_folder(tmp_path / "run", {**ARRAYS_RUN, "source": "table"})
    with pytest.raises(UserError) as predicting:
        data_config(run, tmp_path / "new.csv", {"on_missing": "maybe"})
    assert str(predicting.value) == in_a_run
    assert in_a_run.startswith("Invalid value 'maybe', expected one of [error, drop] (data.")
    with pytest.raises(UserError, match=r"is not a ListConfig.* \(data.features\)"):
        data_config(run, tmp_path / "new.csv", {"features": "a"})
    with pytest.raises(UserError, match=r"unknown setting\(s\) data.path for new.csv; use "):
        data_config(run, tmp_path / "new.csv", {"path": "other.csv"})


@pytest.mark.parametrize(
    ("overrides", "use"),
    [
        ({}, TargetUse.if_present),
        ({"target_key": "y"}, TargetUse.required),
        ({"target_key": None}, TargetUse.ignored),
        ({"target_key": ""}, TargetUse.ignored),
    ],
)
def test_the_target_is_read_where_present_unless_named_or_set_to_none(tmp_path, overrides, use):
    assert target_use("arrays", overrides) is use
    run = _run_folder(tmp_path / "run", ARRAYS_RUN)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "new.npz", S=rng.normal(size=(3, 4)), y=[1.0, 2.0, 3.0])
    cfg = data_config(run, tmp_path / "new.npz", {**overrides, "id_key": None})
    assert cfg.target_key == "y"  # the typed key keeps its name; the loader is told the use
    dataset = load_new_data(cfg, use)
    if use is TargetUse.ignored:
        assert np.isnan(dataset.x).all() and dataset.target is None
    else:
        np.testing.assert_array_equal(dataset.x, [1.0, 2.0, 3.0])


def _houses(path: Path, ids: np.ndarray) -> Path:
    """Houses: their ids, two features, price and the day of sale."""
    rng = np.random.default_rng(1)
    frame = {
        "id": ids,
        "sqft": rng.integers(800, 3000, len(ids)),
        "bedrooms": rng.integers(1, 5, len(ids)),
        "price": rng.uniform(1000, 5000, len(ids)),
        "sale_date": pd.date_range("2020-01-01", periods=len(ids)).strftime("%Y-%m-%d"),
    }
    pd.DataFrame(frame).to_csv(path, index=False)
    return path


def test_predict_takes_the_files_own_ids_and_never_the_id_column_as_a_feature(tmp_path, caplog):
    from threshold_sweep.predict import prediction_frame

    caplog.set_level("INFO")
    data = {"source": "table", "path": "t.csv", "target": "price", "features": None, "id": None}
    run = _run_folder(tmp_path / "run", data, features=["sqft", "bedrooms"])
    run.result.update(label_names=["low", "high"], threshold=2500.0)
    ids = np.arange(20) + 100_000
    cfg = data_config(run, _houses(tmp_path / "new.csv", ids), {})
    dataset = load_new_data(cfg, target_use("table", {}))
    assert dataset.features == ["sqft", "bedrooms"]
    assert dataset.id_column == {"column": "id", "guessed": True}
    frame = prediction_frame(run, dataset, np.linspace(0, 1, 20), 0.5)
    np.testing.assert_array_equal(frame["id"], ids.astype(str))  # not the row numbers 0..19
    assert "column 'id' holds the row ids" in caplog.text
    assert "could serve a setting" not in caplog.text  # a run's hint: predict does not split


def test_predict_numbers_the_rows_of_a_file_without_ids(tmp_path, caplog):
    data = {"source": "table", "path": "t.csv", "target": "price", "features": None, "id": None}
    run = _run_folder(tmp_path / "run", data, features=["sqft", "bedrooms"])
    path = _houses(tmp_path / "new.csv", np.zeros(20))
    pd.read_csv(path).rename(columns={"id": "note"}).to_csv(path, index=False)
    dataset = load_new_data(data_config(run, path, {}), target_use("table", {}))
    np.testing.assert_array_equal(dataset.ids, np.arange(20))
    assert dataset.id_column is None and "row ids" not in caplog.text
