"""Each row's part of a predefined split (data.part / data.part_key): train, validation or test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from threshold_sweep.errors import UserError

PART_LABELS = ("train", "validation", "test")
SHOWN_VALUES = 5  # unknown values named in a message


def _texts(values: np.ndarray) -> list[str | None]:
    """Each value as trimmed lower-case text (bytes decoded); None where it is missing."""
    texts: list[str | None] = []
    for value in np.asarray(values, dtype=object):
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        text = None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        text = str(text).strip().lower() if text is not None else None
        texts.append(text or None)
    return texts


def missing_parts(values: np.ndarray) -> np.ndarray:
    """NaN where a row names no part (empty, blank or NaN), 0 elsewhere (for on_missing)."""
    return np.array([np.nan if text is None else 0.0 for text in _texts(values)])


def part_labels(values: np.ndarray, setting: str) -> np.ndarray:
    """The parts as train / validation / test text (' Train ' reads as train), or one line
    naming the values that are none of them."""
    texts = _texts(values)
    bad = [text for text in texts if text not in PART_LABELS]
    if bad:
        found = pd.Series([text if text is not None else "(empty)" for text in bad])
        counts = found.value_counts(sort=False)
        shown = ", ".join(f"{value!r} ({n} rows)" for value, n in counts.head(SHOWN_VALUES).items())
        more = f" and {len(counts) - SHOWN_VALUES} more" if len(counts) > SHOWN_VALUES else ""
        raise UserError(
            f"{setting}: unknown part value(s) {shown}{more}; each row's part must be train, "
            "test or validation (any case, spaces around are fine)"
        )
    return np.array(texts, dtype=object)
