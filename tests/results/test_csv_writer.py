"""write_csv: the prediction files' fast writer reads back exactly as pandas' own CSV."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from threshold_sweep.io import csv_bytes, write_csv


def _read(data: bytes) -> pd.DataFrame:
    """A CSV text read back with exact float parsing."""
    return pd.read_csv(io.BytesIO(data), float_precision="round_trip")


def _awkward_numbers() -> pd.DataFrame:
    """Numbers whose text is easy to get wrong: whole floats, tiny, huge, NaN, inf, -0.0."""
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "id": np.arange(6),
            "x": [1.0, 2.0, -3.0, 1e-7, 1.5e20, 2.5e-5],
            "whole": [1.0, 0.0, 4.0, 5.0, -0.0, 7.0],
            "p_above_1.5": rng.random(6),
            "gaps": [np.nan, 0.5, np.inf, -np.inf, 1 / 3, np.nan],
            "small": np.float32([0.1, 0.2, 0.3, 1.0, 2.5, 1e-3]),
        }
    )


def test_numbers_read_back_as_pandas_writes_them() -> None:
    """Every value and dtype equals what pandas' to_csv text reads back as."""
    frame = _awkward_numbers()
    ours = _read(csv_bytes(frame))
    pandas_own = _read(frame.to_csv(index=False).encode())
    pd.testing.assert_frame_equal(ours, pandas_own)
    assert ours["whole"].dtype == np.float64  # whole floats keep their '.0'
    assert csv_bytes(frame).splitlines()[0] == b"id,x,whole,p_above_1.5,gaps,small"


def test_full_precision_round_trip() -> None:
    """Random float64 scores come back bit for bit."""
    values = np.random.default_rng(0).random((500, 4))
    frame = pd.DataFrame(values, columns=list("abcd"))
    np.testing.assert_array_equal(_read(csv_bytes(frame)).to_numpy(), values)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"y_true": ["high", "low"], "score": [0.25, 0.75]}),
        pd.DataFrame({"flag": [True, False], "n": [1, 2]}),
        pd.DataFrame({"text": ['a,"b"', None], "n": [1.0, 2.0]}),
        pd.DataFrame({"a": pd.Series([], dtype=float)}),
    ],
    ids=["labels", "booleans", "quoted-text", "no-rows"],
)
def test_other_frames_are_pandas_text(frame: pd.DataFrame) -> None:
    """Frames with text, booleans or no rows are written byte for byte as pandas writes them."""
    assert csv_bytes(frame) == frame.to_csv(index=False).encode()


def test_write_csv_writes_the_file(tmp_path) -> None:
    """write_csv puts the text in place and leaves no temporary file beside it."""
    frame = _awkward_numbers()
    path = write_csv(tmp_path / "predictions.csv", frame)
    assert path.read_bytes() == csv_bytes(frame)
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.csv"]
