"""The bad-input table: every case exits 2 with one line naming the problem and the fix, and
leaves no run folder or one marked failed (error.txt, no metrics.json)."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from threshold_sweep.io import write_atomic

from conftest import run_cli


def csv(tmp: Path, text: str, name: str = "d.csv") -> str:
    (tmp / name).write_text(text)
    return str(tmp / name)


def npz(tmp: Path, **arrays: np.ndarray) -> str:
    np.savez(tmp / "d.npz", **arrays)
    return str(tmp / "d.npz")


GOOD_ROWS = "x,a,b\n" + "".join(f"{i},{i % 7},{i % 3}\n" for i in range(1, 200))

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
    "too few per split": (
        lambda t: ["label.threshold=5000", "data.n_samples=300"],
        "leaves too few rows",
    ),
    "unsorted thresholds": (lambda t: ["label.threshold=[1000,100]"], "strictly increasing"),
    "duplicate thresholds": (lambda t: ["label.threshold=[100,100]"], "strictly increasing"),
    "fraction <= 0": (lambda t: ["split.test_fraction=0"], "split.test_fraction=0.0 must be"),
    "fractions sum >= 1": (
        lambda t: ["split.test_fraction=0.6", "split.validation_fraction=0.4"],
        "leaves no training rows",
    ),
    "unknown sampling": (lambda t: ["sampling=smote"], "sampling=smote: no such option"),
    "unknown model": (lambda t: ["model=lstm"], "model=lstm: no such option"),
    "unknown data source": (lambda t: ["data=sql"], "data=sql: no such option"),
    "unknown key": (lambda t: ["train.epoch=3"], "did you mean train.epochs?"),
    "negative seed": (lambda t: ["seed=-1"], "seed=-1 must be a non-negative integer"),
    "negative train seed": (lambda t: ["train.seed=-3"], "train.seed=-3 must be"),
    "epochs <= 0": (lambda t: ["train.epochs=0"], "train.epochs=0 must be > 0"),
    "batch size <= 0": (lambda t: ["train.batch_size=0"], "train.batch_size=0 must be > 0"),
    "learning rate <= 0": (lambda t: ["train.learning_rate=-1"], "train.learning_rate=-1.0"),
    "output not writable": (
        lambda t: ["hydra.run.dir=" + csv(t, "x") + "/run"],
        "cannot write the output folder",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case, tmp_path):
    make_args, message = CASES[case]
    done = run_cli(make_args(tmp_path), tmp_path)
    assert done.returncode == 2, done.stderr
    errors = [
        line
        for line in done.stderr.splitlines()
        if "error" in line.lower() and "cuda" not in line.lower()
    ]
    assert len(errors) == 1 and message in errors[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    runs = tmp_path / "outputs" / "runs"
    for folder in runs.iterdir() if runs.exists() else []:
        assert (folder / "error.txt").exists() and not (folder / "metrics.json").exists()


def test_failed_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "metrics.json"

    def disk_full(tmp: Path) -> None:
        tmp.write_text("{half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, disk_full)
    assert list(tmp_path.iterdir()) == []
