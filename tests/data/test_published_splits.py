"""benchmarks/published_splits.py exports aeon's bundled datasets with exactly their published
train/test splits, and a split=predefined run on an export tests exactly the published test
rows (the run itself on aeon's tiny UnitTest data, slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import load_benchmark

aeon_datasets = pytest.importorskip("aeon.datasets")


@pytest.fixture(scope="module")
def bench():
    """benchmarks/published_splits.py, imported from its file."""
    yield from load_benchmark("published_splits")


@pytest.mark.parametrize(
    ("name", "n_train", "n_test"), [("GunPoint", 50, 150), ("ArrowHead", 36, 175)]
)
def test_export_is_the_published_split(bench, tmp_path, name, n_train, n_test):
    spec = bench.spec_named(name)
    with np.load(bench.export(spec, tmp_path)) as saved:
        X, x, part, ids = saved["X"], saved["x"], saved["part"], saved["id"]
    assert X.dtype == np.float32 and x.dtype == np.float64
    assert (part == "train").sum() == n_train and (part == "test").sum() == n_test
    assert (part[:n_train] == "train").all()  # aeon's order: train rows first
    for split in ("train", "test"):
        aeon_X, labels = aeon_datasets.load_classification(name, split=split)
        rows = part == split
        assert np.array_equal(X[rows], aeon_X.transpose(0, 2, 1).astype(np.float32))
        assert np.array_equal(x[rows], labels.astype(float))  # code '2' -> x = 2.0
        assert ids[rows].tolist() == [f"{split}-{i}" for i in range(len(labels))]
    assert len(set(ids.tolist())) == len(ids)


def test_classes_are_the_labels(bench):
    arrow = bench.build(bench.spec_named("ArrowHead"))
    cuts = bench.thresholds(bench.spec_named("ArrowHead"), arrow.x)
    assert np.array_equal(bench.classes(arrow.x, cuts), arrow.labels.astype(int))
    motions = bench.build(bench.spec_named("BasicMotions"))
    order = np.unique(motions.labels)
    assert order.tolist() == ["badminton", "running", "standing", "walking"]
    cuts = bench.thresholds(bench.spec_named("BasicMotions"), motions.x)
    assert cuts == (0.5, 1.5, 2.5)
    assert (order[bench.classes(motions.x, cuts)] == motions.labels).all()
    assert motions.X.shape[1:] == (100, 6)  # (length, channels)


def test_fixed_thresholds_are_the_midpoints(bench):
    for spec in bench.SPECS:
        if spec.coding == "code" and spec.thresholds is not None:
            x = bench.build(spec).x
            unfixed = bench.Spec(spec.name, spec.coding, None)
            assert bench.thresholds(unfixed, x) == spec.thresholds


def test_covid_classes_are_the_bake_off_cut(bench):
    spec = bench.spec_named("Covid3Month")
    data = bench.build(spec)
    y = bench.classes(data.x, bench.thresholds(spec, data.x))
    expected = np.where(data.x <= 0, 0, np.where(data.x <= 0.05, 1, 2))
    assert np.array_equal(y, expected)
    train, test = y[data.part == "train"], y[data.part == "test"]
    assert np.bincount(train).tolist() == [29, 75, 36]
    assert np.bincount(test).tolist() == [12, 32, 17]
    assert bench.majority(spec, data)["min"] == pytest.approx(32 / 61)


def test_majority_is_the_train_majority_scored_on_test(bench):
    gun = bench.spec_named("GunPoint")
    found = bench.majority(gun, bench.build(gun))
    assert found["labels"] == ["2"] and found["min"] == pytest.approx(74 / 150)
    assert found["largest_test_class"] == pytest.approx(76 / 150)
    arrow = bench.spec_named("ArrowHead")  # train 12/12/12: a range
    found = bench.majority(arrow, bench.build(arrow))
    assert (found["min"], found["max"]) == pytest.approx((53 / 175, 69 / 175))


def test_label_override(bench):
    assert bench.label_override((1.5,)) == "label.threshold=1.5"
    assert bench.label_override((0.0, 0.05)) == "label.threshold=[0,0.05]"


def test_check_ids_fails_loudly(bench, tmp_path):
    (tmp_path / "predictions.csv").write_text("id,x,y_true,y_score,y_pred\ntest-1,1,0,0.2,0\n")
    bench.check_ids(tmp_path, np.array(["test-1"]))
    with pytest.raises(SystemExit, match="not the published test rows"):
        bench.check_ids(tmp_path, np.array(["test-0", "test-1"]))


@pytest.mark.slow
def test_run_tests_exactly_the_published_test_rows(bench, tmp_path):
    spec = bench.Spec("UnitTest", "code", (1.5,))
    path = bench.export(spec, tmp_path)
    with np.load(path) as saved:
        assert saved["X"].shape == (42, 24, 1)
        exported = saved["id"][saved["part"] == "test"].tolist()
    assert len(exported) == 22
    extra = ["train.epochs=2", "train.threads=1", "evaluate.reference=[logistic]"]
    result = bench.run_one(spec, tmp_path, 0, extra)  # fails loudly if the test rows differ
    run_dir = tmp_path / "runs" / "UnitTest-seed0"
    assert bench.test_ids(run_dir) == exported
    assert json.loads((run_dir / "metrics.json").read_text())["test"]["n"] == 22
    assert result["cnn"]["n"] == 22 and result["epochs"] <= 2
    assert set(result["reference"]) == {"logistic"}
    row = bench.table_row("UnitTest", bench.describe(spec) | {"runs": [result]})
    assert row.startswith("| UnitTest | 2 | 20/22 |")


def test_scores_read_roc_auc_ovr_for_ordered_classes(bench):
    two = {"accuracy": 0.9, "balanced_accuracy": 0.8, "roc_auc": 0.95}
    ordered = {"accuracy": 0.5, "balanced_accuracy": 0.4, "roc_auc_ovr": 0.7}
    assert bench.scores(two) == two
    assert bench.scores(ordered) == {"accuracy": 0.5, "balanced_accuracy": 0.4, "roc_auc": 0.7}
    assert bench.auc_key(ordered) == "roc_auc_ovr"
