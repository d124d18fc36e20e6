"""Predefined splits (split=predefined, data.part / data.part_key): the train and test rows are
exactly those the data marks, validation rows are the marked ones or a seeded, x-stratified
share of the train part."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from threshold_sweep.conf.validate import validate_config
from threshold_sweep.errors import UserError
from threshold_sweep.pipeline.record import config_fingerprint
from threshold_sweep.prepare import prepare, prepare_folds
from threshold_sweep.prepare.split import quantile_bins, split_rows

from conftest import compose_config


def part_cfg(validation: float = 0.15, seed: int = 0, n_bins: int = 10) -> SimpleNamespace:
    return SimpleNamespace(
        method="predefined", validation_fraction=validation, n_bins=n_bins, seed=seed
    )


def marked(n: int = 400, test_every: int = 4, validation_every: int = 0) -> np.ndarray:
    """Every `test_every`-th row test, every `validation_every`-th validation, the rest train,
    in mixed case and spaces as a hand-made file has them."""
    parts = np.array([" Train ", "train", "TRAIN"] * n, dtype=object)[:n]
    parts[::test_every] = " Test"
    if validation_every:
        parts[1::validation_every] = "Validation "
    return parts.astype(str)


def predefined(x: np.ndarray, parts: np.ndarray, cfg: SimpleNamespace | None = None):
    return split_rows(x, cfg or part_cfg(), parts=parts, part_setting="data.part=part")


def test_the_test_rows_are_exactly_the_marked_ones():
    x = np.random.default_rng(0).lognormal(4, 1, 400)
    parts = marked()
    split = predefined(x, parts)
    assert np.array_equal(split.test, np.arange(0, 400, 4))
    everything = np.concatenate([split.train, split.validation, split.test])
    assert np.array_equal(np.sort(everything), np.arange(400))
    assert not set(split.validation) & set(split.test)
    assert set(split.train) | set(split.validation) == set(np.flatnonzero(parts != " Test"))


def test_marked_validation_rows_are_used_as_they_are():
    x = np.arange(400.0)
    parts = marked(validation_every=10)
    split = predefined(x, parts)
    assert np.array_equal(split.validation, np.flatnonzero(parts == "Validation "))
    assert np.array_equal(split.test, np.flatnonzero(parts == " Test"))
    assert np.array_equal(
        split.train, np.flatnonzero(np.char.lower(np.char.strip(parts)) == "train")
    )


@pytest.mark.parametrize("fraction", [0.1, 0.15, 0.3])
def test_carved_validation_is_its_share_of_the_train_part_stratified_on_x(fraction):
    x = np.random.default_rng(1).lognormal(4, 1, 400)
    split = predefined(x, marked(), part_cfg(fraction))
    train_part = np.setdiff1d(np.arange(400), np.arange(0, 400, 4))
    assert len(split.validation) == round(fraction * len(train_part))
    assert np.array_equal(np.sort(np.concatenate([split.train, split.validation])), train_part)
    # stratified: each of x's quantile bins within the train part gives its share
    n_bins = min(10, len(split.validation) // 2)
    bins = quantile_bins(x[train_part], n_bins)
    carved = np.isin(train_part, split.validation)
    per_bin = np.bincount(bins[carved], minlength=n_bins)
    assert per_bin.max() - per_bin.min() <= 1


def test_the_carved_validation_follows_the_split_seed():
    x = np.random.default_rng(2).lognormal(4, 1, 400)
    first = predefined(x, marked(), part_cfg(seed=3))
    again = predefined(x, marked(), part_cfg(seed=3))
    other = predefined(x, marked(), part_cfg(seed=4))
    assert np.array_equal(first.validation, again.validation)
    assert not np.array_equal(first.validation, other.validation)
    assert np.array_equal(first.test, other.test)  # the seed never moves a test row


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (
            ["train"] * 20 + ["tst"] * 3 + ["x"],
            "unknown part value(s) 'tst' (3 rows), 'x' (1 rows)",
        ),
        (["train"] * 24, "no row is marked test (rows: train 24, validation 0, test 0)"),
        (["test"] * 24, "no row is marked train"),
        (
            ["train"] * 23 + ["test"],
            "every split needs at least 2 rows (rows: train 20, validation 3, test 1)",
        ),
        (["train"] * 2 + ["test"] * 22, "the 2 rows marked train are too few to carve"),
    ],
)
def test_bad_parts_are_one_line(parts, message):
    with pytest.raises(UserError, match=r"^data\.part=part: ") as error:
        predefined(np.arange(float(len(parts))), np.array(parts))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_predefined_split_needs_parts_and_no_groups():
    x = np.arange(40.0)
    with pytest.raises(
        UserError, match=r"set data\.part=<column> \(data=table\) or data\.part_key"
    ):
        split_rows(x, part_cfg())
    with pytest.raises(UserError, match=r"cannot be combined with data\.group=g"):
        split_rows(
            x, part_cfg(), groups=np.arange(40) % 5, group_setting="data.group=g", parts=marked(40)
        )


@pytest.mark.parametrize("fraction", [0, 1.2])
def test_the_validation_fraction_is_a_share_in_between_0_and_1(fraction):
    with pytest.raises(
        UserError, match=r"must be between 0 and 1 \(exclusive\) for split=predefined"
    ):
        predefined(np.arange(40.0), marked(40), part_cfg(fraction))


def parts_table(path, n: int = 300, validation: bool = False, seed: int = 7):
    """A CSV of features t0..t7, target x (log10 x ~ N(2, 0.4)) and a column `part`: every
    fourth row ' Test', every tenth (of the others) 'validation' when asked, the rest 'Train'."""
    rng = np.random.default_rng(seed)
    log_x = rng.normal(2.0, 0.4, n)
    frame = pd.DataFrame(rng.normal(0, 1, (n, 8)) + log_x[:, None] - 2.0)
    frame.columns = [f"t{i}" for i in range(8)]
    frame["x"] = 10**log_x
    part = np.array(["Train"] * n, dtype=object)
    if validation:
        part[1::10] = "validation"
    part[::4] = " Test"
    frame["part"] = part
    frame.to_csv(path, index=False)
    return frame


def prepared(path, *overrides: str):
    cfg = compose_config(
        "data=table", f"data.path={path}", "split=predefined", "data.part=part", *overrides
    )
    validate_config(cfg)
    return prepare(cfg)


@pytest.mark.parametrize(
    "label", [["label.threshold=100"], ["label.threshold=[50,150]"], ["label.bins=3"]]
)
def test_a_table_part_column_fixes_the_test_rows_for_every_label(tmp_path, label):
    frame = parts_table(tmp_path / "p.csv")
    data = prepared(tmp_path / "p.csv", *label)
    marked_test = np.flatnonzero(frame["part"].str.strip() == "Test")
    assert np.array_equal(data.dataset.ids[data.split.test], marked_test)
    assert "part" not in data.dataset.features and "part" not in data.dataset.ignored_columns
    assert data.dataset.features == [f"t{i}" for i in range(8)]
    record = data.split_record
    assert record["method"] == "predefined" and record["part"] == "data.part=part"
    assert record["validation_carved"] == 0.15 and not record["stratified"]
    n_train_part = len(frame) - len(marked_test)
    assert len(data.split.validation) == round(0.15 * n_train_part)
    assert data.checks is not None  # the leakage and duplicate checks ran
    if data.label_cuts is not None:  # label.bins: the cuts are the training rows' quantiles
        cuts = [cut["value"] for cut in data.label_cuts["cuts"]]
        expected = np.quantile(data.dataset.x[data.split.train], [1 / 3, 2 / 3])
        assert cuts == pytest.approx(expected)


def test_marked_validation_rows_are_recorded_as_the_datas(tmp_path):
    frame = parts_table(tmp_path / "p.csv", validation=True)
    data = prepared(tmp_path / "p.csv")
    assert np.array_equal(data.split.validation, np.flatnonzero(frame["part"] == "validation"))
    assert data.split_record["validation_carved"] is None


def test_a_part_column_with_another_split_is_ignored_with_a_warning(tmp_path, caplog):
    frame = parts_table(tmp_path / "p.csv")
    cfg = compose_config("data=table", f"data.path={tmp_path / 'p.csv'}", "data.part=part")
    with caplog.at_level(logging.WARNING):
        data = prepare(cfg)
    assert "data.part=part names the rows' parts only for split=predefined" in caplog.text
    assert len(data.split.test) == round(0.15 * len(frame)) and data.split_record["part"] is None


def test_a_part_column_with_kfold_is_ignored_with_a_warning(tmp_path, caplog):
    parts_table(tmp_path / "p.csv")
    cfg = compose_config(
        "data=table", f"data.path={tmp_path / 'p.csv'}", "data.part=part", "split=kfold"
    )
    with caplog.at_level(logging.WARNING):
        folds = prepare_folds(cfg)
    assert "names the rows' parts only for split=predefined; split.method=kfold" in caplog.text
    assert len(folds) == 5


def test_an_empty_part_cell_follows_on_missing(tmp_path):
    frame = parts_table(tmp_path / "p.csv")
    frame.loc[5, "part"] = None
    frame.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(UserError, match=r"part column 'part' \(data\.part\) has 1 missing"):
        prepared(tmp_path / "p.csv")
    data = prepared(tmp_path / "p.csv", "data.on_missing=drop")
    assert len(data.dataset) == len(frame) - 1 and 5 not in data.dataset.ids


def test_an_npz_part_array_names_the_parts(tmp_path):
    rng = np.random.default_rng(0)
    parts = np.where(np.arange(120) % 3 == 0, "test", "train")
    np.savez(
        tmp_path / "a.npz", X=rng.normal(size=(120, 8)), x=rng.lognormal(4, 1, 120), part=parts
    )
    cfg = compose_config(
        "data=arrays",
        f"data.path={tmp_path / 'a.npz'}",
        "split=predefined",
        "data.part_key=part",
        "label.threshold=50",
    )
    data = prepare(cfg)
    assert np.array_equal(data.split.test, np.flatnonzero(parts == "test"))
    assert data.split_record["part"] == "data.part_key=part"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["split=predefined"], "split=predefined needs data.part: set data.part=<name> (a table"),
        (
            ["split=predefined", "data=table", "data.path=t.csv"],
            "split=predefined needs data.part: set data.part=<name> (a column of train",
        ),
        (
            ["split=predefined", "data=arrays", "data.path=t.npz"],
            "split=predefined needs data.part_key: set data.part_key=<name> (an .npz string",
        ),
        (
            ["split=predefined", "data=table", "data.path=t.csv", "data.part=p", "data.group=g"],
            "split=predefined cannot be combined with data.group=g",
        ),
    ],
)
def test_a_predefined_split_config_names_what_it_lacks(overrides, message):
    with pytest.raises(UserError) as error:
        validate_config(compose_config(*overrides))
    assert message in str(error.value)


def test_unset_part_keys_keep_old_fingerprints():
    cfg = compose_config("data=table", "data.path=t.csv")
    plain = OmegaConf.to_container(cfg)
    del plain["data"]["part"]
    assert config_fingerprint(cfg) == config_fingerprint(OmegaConf.create(plain))


def test_the_report_describes_a_predefined_split_not_a_stratified_random_one(tmp_path):
    from threshold_sweep.evaluate.splits import split_description
    from threshold_sweep.report.run_page.sections.class_balance import _split_line
    from threshold_sweep.results.rows import split_columns

    parts_table(tmp_path / "p.csv")
    record = dict(prepared(tmp_path / "p.csv").split_record)
    assert split_description(record) == "predefined split by `data.part=part`"
    line = _split_line(record, {"split": record})
    assert "split=predefined" in line and "15% of the train part" in line
    assert "random" not in line
    marked = {**record, "validation_carved": None}
    assert "the rows the data marks validation" in _split_line(marked, {"split": marked})
    columns = split_columns({"split": record})
    assert columns["split_method"] == "predefined" and columns["split_part"] == "data.part=part"


def test_the_random_split_is_scikit_learns_two_stratified_draws():
    """split=default's rows, computed independently: test drawn from all rows, then
    validation from the rest in the order train_test_split left them (as before the carve
    was shared with split=predefined: every earlier run keeps its rows)."""
    from sklearn.model_selection import train_test_split

    from threshold_sweep.prepare.split import quantile_bins, split_rows

    x = 10 ** np.random.default_rng(4).normal(2.11, 0.63, 800)
    cfg = OmegaConf.create(
        {"method": "random", "validation_fraction": 0.15, "test_fraction": 0.15, "n_bins": 10,
         "seed": 7}
    )  # fmt: skip
    strata = quantile_bins(x, 10)
    rest, test = train_test_split(np.arange(800), test_size=120, stratify=strata, random_state=7)
    train, validation = train_test_split(rest, test_size=120, stratify=strata[rest], random_state=8)
    split = split_rows(x, cfg)
    np.testing.assert_array_equal(split.test, np.sort(test))
    np.testing.assert_array_equal(split.validation, np.sort(validation))
    np.testing.assert_array_equal(split.train, np.sort(train))


def test_a_tiny_train_part_keeps_every_coded_class_in_the_carved_validation():
    """40 train rows of 4 classes coded 0..3 (a UCR set's x), 6 carved for validation: one row
    per quantile bin of x, so every class is in validation, seed after seed (two bins of x, as
    a carve of 2 rows per bin would take, missed a class)."""
    from threshold_sweep.prepare.split import split_rows

    x = np.concatenate([np.repeat(np.arange(4.0), 10), np.repeat(np.arange(4.0), 10)])
    parts = np.array(["train"] * 40 + ["test"] * 40)
    for seed in range(10):
        cfg = OmegaConf.create(
            {"method": "predefined", "validation_fraction": 0.15, "n_bins": 10, "seed": seed}
        )
        split = split_rows(x, cfg, parts=parts)
        assert len(split.validation) == 6
        assert set(x[split.validation]) == {0.0, 1.0, 2.0, 3.0}, seed
