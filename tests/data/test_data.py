"""Data sources: the synthetic generator and the table / array loaders with their errors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from threshold_sweep.data import load_dataset
from threshold_sweep.errors import UserError

from conftest import compose_config


def synthetic(n: int = 4000, **overrides) -> SimpleNamespace:
    cfg = compose_config(f"data.n_samples={n}").data
    return load_dataset(SimpleNamespace(**{**dict(cfg), "seed": 0, **overrides}))


def test_synthetic_is_deterministic_and_shaped():
    a, b = synthetic(500), synthetic(500)
    assert a.X.shape == (500, 64, 1) and a.X.dtype == np.float32
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, synthetic(500, seed=1).x)


def test_synthetic_class_balance_matches_the_seed_question():
    data = synthetic(200_000, length=8)
    assert np.mean(data.x > 100) == pytest.approx(0.57, abs=0.01)
    assert np.mean(data.x > 1000) == pytest.approx(0.08, abs=0.01)


def test_synthetic_sequences_carry_noisy_signal_about_x():
    data = synthetic(20_000)
    bump_height = data.X[:, :, 0].max(axis=1)
    auc = roc_auc_score(data.x > 100, bump_height)
    assert 0.6 < auc < 0.97


def test_synthetic_channels():
    assert synthetic(100, channels=3).X.shape == (100, 64, 3)


def table_cfg(path: Path, **overrides):
    cfg = compose_config(
        "data=table", f"data.path={path}", *[f"data.{k}={v}" for k, v in overrides.items()]
    )
    return cfg.data


def test_table_with_other_column_names(table_csv):
    data = load_dataset(table_cfg(table_csv, target="price", id="sample_id"))
    frame = pd.read_csv(table_csv)
    assert data.X.shape == (400, 8, 1)  # sensor_0..7; text column, id and target excluded
    np.testing.assert_allclose(data.X[:, :, 0], frame[[f"sensor_{i}" for i in range(8)]], rtol=1e-6)
    np.testing.assert_array_equal(data.x, frame["price"])
    assert list(data.ids[:2]) == ["s0000", "s0001"]


def test_table_feature_list_and_parquet(table_csv, tmp_path):
    parquet = tmp_path / "prices.parquet"
    pd.read_csv(table_csv).to_parquet(parquet)
    data = load_dataset(table_cfg(parquet, target="price", features="[sensor_3,sensor_1]"))
    frame = pd.read_csv(table_csv)
    np.testing.assert_allclose(data.X[:, :, 0], frame[["sensor_3", "sensor_1"]], rtol=1e-6)
    # data.id unset: the column named sample_id (a distinct value on every row) holds the ids
    np.testing.assert_array_equal(data.ids, frame["sample_id"])
    assert data.id_column == {"column": "sample_id", "guessed": True}


def test_wide_parquet_is_read_in_the_columns_order_given(tmp_path):
    """More columns than one read group and more rows than one copy block, shuffled order."""
    rng = np.random.default_rng(3)
    names = [f"s{i}" for i in range(37)]
    frame = pd.DataFrame(rng.normal(size=(9001, 37)).astype("float32"), columns=names)
    frame["price"] = rng.random(9001) * 1000
    path = tmp_path / "wide.parquet"
    frame.to_parquet(path)
    order = list(rng.permutation(names))
    data = load_dataset(table_cfg(path, target="price", features=f"[{','.join(order)}]"))
    np.testing.assert_array_equal(data.X[:, :, 0], frame[order].to_numpy())
    assert data.X.flags.c_contiguous and data.features == order


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "content", "overrides", "message"),
    [
        ("missing.csv", None, {}, "file not found"),
        ("data.txt", "x,a\n1,2\n", {}, "unsupported file type '.txt'"),
        ("empty.csv", "", {}, "is empty"),
        ("header.csv", "x,a\n", {}, "header but no rows"),
        ("t.csv", "y,a\n1,2\n", {}, "data.target: no column 'x'"),
        ("t.csv", "x,a\n1,2\n", {"id": "key"}, "data.id: no column 'key'"),
        ("t.csv", "x,a\n1,2\n", {"features": "[a,b]"}, "data.features: no column"),
        ("t.csv", "x,a\nlots,2\n", {"features": "[a]"}, "target column(s) 'x' are not numeric"),
        ("t.csv", "x,a,b\n1,2,q\n", {"features": "[a,b]"}, "'b' are not numeric"),
        ("t.csv", "x,a\n1,\n2,3\n", {}, "column .a. has 1 missing or infinite value.s. .rows 0,"),
        (
            "t.csv",
            "x,a,b\n,1,2\n2,inf,\n3,4,5\n",
            {},
            "column 'x' has 1, column 'a' has 1, column 'b' has 1 missing or infinite value.s. "
            ".rows 0, 1, counting data rows from 0.; clean those rows, or skip them with "
            "data.on_missing=drop",
        ),
        ("t.csv", "x,a,k\n1,2,u\n2,3,u\n", {"id": "k"}, "occur more than once"),
        ("t.csv", "x,a\n1,2\n", {"features": "[x,a]"}, "contains the target"),
    ],
)
def test_table_errors(tmp_path, name, content, overrides, message):
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    with pytest.raises(
        UserError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        load_dataset(table_cfg(path, **overrides))


def arrays_cfg(path: Path, *overrides: str):
    return compose_config("data=arrays", f"data.path={path}", *overrides).data


def test_arrays_two_and_three_dimensional(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "a.npz", seqs=rng.normal(size=(50, 12)), target=rng.uniform(0, 9, 50))
    data = load_dataset(
        arrays_cfg(tmp_path / "a.npz", "data.sequences_key=seqs", "data.target_key=target")
    )
    assert data.X.shape == (50, 12, 1)
    np.savez(
        tmp_path / "b.npz",
        X=rng.normal(size=(50, 12, 2)),
        x=rng.uniform(0, 9, 50),
        id=np.arange(100, 150),
    )
    data = load_dataset(arrays_cfg(tmp_path / "b.npz", "data.id_key=id"))
    assert data.X.shape == (50, 12, 2) and data.ids[0] == 100


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"X": np.zeros((5, 4)), "y": np.zeros(5)}, "no array 'x'"),
        ({"X": np.zeros((5, 4)), "x": np.zeros(6)}, "5 sequences but 6 target values"),
        ({"X": np.zeros(5), "x": np.zeros(5)}, "expected \\(n, length\\)"),
        ({"X": np.zeros((5, 4)), "x": np.zeros((5, 2))}, "expected \\(n,\\)"),
        ({"X": np.full((5, 4), np.nan), "x": np.zeros(5)}, "20 missing or infinite"),
    ],
)
def test_arrays_errors(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserError, match=message):
        load_dataset(arrays_cfg(tmp_path / "bad.npz"))


@pytest.mark.parametrize("content", ["not a zip", ""])
def test_arrays_not_an_npz(tmp_path, content):
    path = write(tmp_path, "fake.npz", content)
    with pytest.raises(UserError, match=r"is not a valid \.npz archive"):
        load_dataset(arrays_cfg(path))


def test_table_ids_keep_leading_zeros_and_features_are_recorded(tmp_path):
    path = write(tmp_path, "ids.csv", "key,x,a,b,label\n007,1,2,3,u\n7,2,3,4,v\n0007,3,4,5,w\n")
    data = load_dataset(table_cfg(path, id="key"))
    assert list(data.ids) == ["007", "7", "0007"]
    assert data.features == ["a", "b"] and data.ignored_columns == ["label"]


def test_all_bad_columns_and_rows_are_named(tmp_path):
    path = write(tmp_path, "nan.csv", "x,a,b\n1,,3\n2,3,\n3,4,5\n")
    with pytest.raises(UserError, match=r"column 'a' has 1, column 'b' has 1 .* \(rows 0, 1,"):
        load_dataset(table_cfg(path))


def test_semicolon_csv_gets_a_hint(tmp_path):
    path = write(tmp_path, "semi.csv", "x;a\n1;2\n")
    with pytest.raises(UserError, match="looks ';'- or tab-separated"):
        load_dataset(table_cfg(path))


def test_parquet_nulls_text_ids_and_types(tmp_path):
    path = tmp_path / "p.parquet"
    pd.DataFrame(
        {
            "key": ["007", "8", "9"],
            "price": [1.0, 2.0, 3.0],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "f": [0.5, 1.5, 2.5],
            "label": ["a", "b", "c"],
        }
    ).to_parquet(path)
    with pytest.raises(
        UserError, match=r"column 'n' has 1 missing or infinite value\(s\) \(rows 1,"
    ):
        load_dataset(table_cfg(path, target="price", id="key"))
    data = load_dataset(table_cfg(path, target="price", id="key", on_missing="drop"))
    assert data.ids.tolist() == ["007", "9"] and data.features == ["n", "f"]
    assert data.X.dtype == np.float32 and data.ignored_columns == ["label"]
    with pytest.raises(
        UserError, match=r"target column\(s\) 'label' are not numeric \(e\.g\. 'a'\)"
    ):
        load_dataset(table_cfg(path, target="label", id="key"))


def test_table_group_column_is_read_as_text_and_is_no_feature(tmp_path):
    path = write(
        tmp_path,
        "visits.csv",
        "subject,x,a,b,site\n007,1,2,3,u\n007,2,3,4,u\n8,3,4,5,v\n8,4,5,6,v\n9,5,6,7,v\n",
    )
    data = load_dataset(table_cfg(path, group="subject"))
    assert list(data.groups) == ["007", "007", "8", "8", "9"] and data.group == "subject"
    assert data.features == ["a", "b"] and data.ignored_columns == ["site"]
    assert set(data.repeated_columns) == {"site"}  # for the leakage check
    ungrouped = load_dataset(table_cfg(path))
    assert ungrouped.groups is None and "subject" in ungrouped.features  # numeric: a feature


def test_table_group_cells_missing_follow_on_missing(tmp_path):
    path = write(tmp_path, "gaps.csv", "g,x,a\nu,1,2\n,2,3\nv,3,4\nv,4,5\n")
    with pytest.raises(
        UserError, match=r"column 'g' has 1 missing or infinite value\(s\) \(rows 1,.*drop"
    ):
        load_dataset(table_cfg(path, group="g"))
    data = load_dataset(table_cfg(path, group="g", on_missing="drop"))
    assert data.ids.tolist() == [0, 2, 3] and list(data.groups) == ["u", "v", "v"]
    assert data.x.tolist() == [1.0, 3.0, 4.0]


def test_parquet_group_column_keeps_its_values(tmp_path):
    path = tmp_path / "g.parquet"
    frame = pd.DataFrame({"station": [3, 3, 4, None], "x": [1.0, 2.0, 3.0, 4.0], "a": [1.0] * 4})
    frame.astype({"station": "Int64"}).to_parquet(path)
    data = load_dataset(table_cfg(path, group="station", on_missing="drop"))
    assert data.groups.tolist() == [3, 3, 4] and data.features == ["a"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"group": "subject"}, "data.group: no column 'subject' in t.csv"),
        ({"group": "x"}, "data.group=x is the target column"),
        ({"group": "g", "features": "[a,g]"}, "data.features contains the group column 'g'"),
    ],
)
def test_table_group_errors(tmp_path, overrides, message):
    path = write(tmp_path, "t.csv", "g,x,a\nu,1,2\nv,2,3\n")
    with pytest.raises(UserError, match=message):
        load_dataset(table_cfg(path, **overrides))


def test_arrays_group_key(tmp_path):
    rng = np.random.default_rng(0)
    groups = np.array([1.0, 1.0, 2.0, np.nan, 3.0])
    np.savez(tmp_path / "g.npz", X=rng.normal(size=(5, 4)), x=np.arange(5.0), g=groups)
    with pytest.raises(UserError, match=r"groups 'g' has 1 missing or infinite value\(s\)"):
        load_dataset(arrays_cfg(tmp_path / "g.npz", "data.group_key=g"))
    data = load_dataset(arrays_cfg(tmp_path / "g.npz", "data.group_key=g", "data.on_missing=drop"))
    assert data.groups.tolist() == [1.0, 1.0, 2.0, 3.0] and data.ids.tolist() == [0, 1, 2, 4]
    np.savez(tmp_path / "t.npz", X=np.zeros((3, 4)), x=np.arange(3.0), g=np.array(["a", "b", "a"]))
    assert load_dataset(arrays_cfg(tmp_path / "t.npz", "data.group_key=g")).groups.tolist() == [
        "a",
        "b",
        "a",
    ]
    with pytest.raises(UserError, match=r"data\.group_key: no array 'site'"):
        load_dataset(arrays_cfg(tmp_path / "t.npz", "data.group_key=site"))
    np.savez(tmp_path / "s.npz", X=np.zeros((3, 4)), x=np.arange(3.0), g=np.arange(4))
    with pytest.raises(UserError, match=r"'g' has shape \(4,\); expected \(3,\)"):
        load_dataset(arrays_cfg(tmp_path / "s.npz", "data.group_key=g"))


def houses(tmp_path: Path, n: int = 40, **columns) -> Path:
    """n houses: sqft and bedrooms (features), price (target) and the given columns first."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(columns)
    frame["sqft"] = rng.integers(800, 3000, n)  # distinct whole numbers, but not a counter
    frame["bedrooms"] = rng.integers(1, 5, n)
    frame["price"] = rng.uniform(1000, 5000, n)
    path = tmp_path / "houses.csv"
    frame.to_csv(path, index=False)
    return path


def id_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_a_column_named_id_holds_the_ids_and_is_no_feature(tmp_path, caplog):
    path = houses(tmp_path, id=np.arange(40) + 100_000)
    data = load_dataset(table_cfg(path, target="price"))
    assert data.features == ["sqft", "bedrooms"]
    np.testing.assert_array_equal(data.ids, (np.arange(40) + 100_000).astype(str))  # as data.id
    assert data.id_column == {"column": "id", "guessed": True}
    (warning,) = id_warnings(caplog)
    assert warning.startswith("data.id is unset: column 'id' holds the row ids")
    assert "data.features=[...]" in warning


def test_id_is_preferred_and_another_id_named_column_is_left_out(tmp_path, caplog):
    n = 40
    path = houses(tmp_path, house_id=np.arange(n) * 7, ID=np.arange(n), agentId=np.arange(n) % 5)
    data = load_dataset(table_cfg(path, target="price"))
    assert data.id_column == {"column": "ID", "guessed": True}
    assert data.features == ["sqft", "bedrooms"]
    notes = {note["column"]: note for note in data.column_notes}
    assert notes["house_id"]["reason"] == notes["agentId"]["reason"] == "its name says id"
    assert notes["agentId"]["hint"] == "data.group=agentId"  # its values repeat
    assert any("column 'house_id' is not used as a feature" in m for m in id_warnings(caplog))


def test_a_repeated_id_column_is_no_row_id_but_could_group(tmp_path):
    path = houses(tmp_path, customer_id=[f"c{i % 8}" for i in range(40)])
    data = load_dataset(table_cfg(path, target="price"))
    assert data.id_column is None
    np.testing.assert_array_equal(data.ids, np.arange(40))
    assert data.column_notes == [
        {"column": "customer_id", "reason": "not numeric", "hint": "data.group=customer_id"}
    ]


def test_a_row_counter_is_no_feature(tmp_path, caplog):
    path = houses(tmp_path)
    pd.read_csv(path).to_csv(path)  # pandas' index: a column 'Unnamed: 0' holding 0..39
    data = load_dataset(table_cfg(path, target="price"))
    assert data.features == ["sqft", "bedrooms"] and data.id_column is None
    (warning,) = id_warnings(caplog)
    assert warning.startswith("column 'Unnamed: 0' is not used as a feature: a different whole")


@pytest.mark.parametrize(
    "overrides",
    [
        {"id": "id"},  # said so: no warning
        {"features": "[id,sqft,bedrooms]"},  # listed: a model input, as asked
    ],
)
def test_an_id_the_user_configured_is_used_silently(tmp_path, caplog, overrides):
    path = houses(tmp_path, id=np.arange(40) + 5)
    data = load_dataset(table_cfg(path, target="price", **overrides))
    assert not id_warnings(caplog)
    listed = "features" in overrides
    assert ("id" in data.features) is listed
    assert data.id_column == (None if listed else {"column": "id", "guessed": False})


def test_plain_numbers_stay_features_and_no_column_is_noted(tmp_path, caplog):
    data = load_dataset(table_cfg(houses(tmp_path), target="price"))
    assert data.features == ["sqft", "bedrooms"] and data.column_notes == []
    assert data.id_column is None and not id_warnings(caplog)
    few = load_dataset(table_cfg(houses(tmp_path, n=9, n_rooms=range(9)), target="price"))
    assert few.features[0] == "n_rooms"  # 9 rows: a counter says too little


def test_counts_rows():
    from threshold_sweep.data.columns import counts_rows

    assert counts_rows(np.arange(12)) and counts_rows(np.random.default_rng(0).permutation(12))
    assert counts_rows(np.array([3, 9, 40, 41, 77, 78, 90, 91, 95, 99]))  # rises row by row
    assert not counts_rows(np.array([3, 9, 40, 41, 77, 78, 90, 91, 99, 95]))  # gaps, unsorted
    assert not counts_rows(np.arange(9)) and not counts_rows(np.arange(12.0))


def test_ignored_columns_say_which_setting_they_could_serve(tmp_path, caplog):
    caplog.set_level("INFO")
    days = pd.date_range("2020-01-01", periods=40).strftime("%Y-%m-%d")
    path = houses(tmp_path, sale_date=days, note=["a", "b"] * 20)
    data = load_dataset(table_cfg(path, target="price"))
    assert data.column_notes == [
        {"column": "sale_date", "reason": "not numeric", "hint": "split=time data.order=sale_date"},
        {"column": "note", "reason": "not numeric", "hint": None},  # two values: no entity
    ]
    assert "sale_date -> split=time data.order=sale_date" in caplog.text
    ordered = load_dataset(table_cfg(path, target="price", order="sale_date"))
    assert ordered.column_notes == [{"column": "note", "reason": "not numeric", "hint": None}]


def test_a_guessed_id_column_of_a_csv_keeps_its_text(tmp_path):
    path = houses(tmp_path, n=12, id=[f"{i:03d}" for i in range(12)])
    assert pd.read_csv(path)["id"].iloc[7] == 7  # as pandas alone would read it
    data = load_dataset(table_cfg(path, target="price"))
    assert data.ids[7] == "007" and data.features == ["sqft", "bedrooms"]
