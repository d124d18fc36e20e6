"""Thresholds: parsed once from the label config (a list, bins or quantiles) or read back from a
metrics.json record; they know their values, text, record and folder names.

Light on purpose (numpy only): the reports, the sweep summary and the Python API use it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from threshold_sweep.errors import UserError

DEFAULT_THRESHOLD = 100.0  # label.threshold when it is null and neither bins nor quantiles is set
FOLDER_PREFIX = "threshold="  # a per-threshold run folder: threshold=<t:g>, as Hydra names it
SHOWN_THRESHOLDS = 10  # an error names at most this many of a grid's thresholds


@dataclass(frozen=True)
class Thresholds:
    """The thresholds that cut x into ordered classes (x > t_k: above threshold k).

    Given by label.threshold, they are known from the config; from label.bins or label.quantiles
    only the quantile `levels` are, until `with_cuts` gives the cuts of the training rows.
    """

    values: tuple[float, ...] | None  # None: label.bins / label.quantiles, not cut yet
    levels: tuple[float, ...] | None = None  # the quantiles label.bins / label.quantiles ask for
    cut_by: str | None = None  # 'label.bins=5' or 'label.quantiles=[0.25,0.5]'

    @classmethod
    def of_label(cls, label: Any) -> Thresholds:
        """The one parser of label.threshold, label.bins and label.quantiles (a null
        label.threshold is DEFAULT_THRESHOLD unless bins or quantiles cut x)."""
        bins, quantiles = getattr(label, "bins", None), getattr(label, "quantiles", None)
        threshold = getattr(label, "threshold", None)
        if bins is None and quantiles is None:
            given = DEFAULT_THRESHOLD if threshold is None else threshold
            return cls(tuple(_parse_values(given)))
        setting = _quantile_setting(bins, quantiles)
        if bins is not None and quantiles is not None:
            raise UserError(
                f"label.bins={bins} and label.quantiles={list(quantiles)} both set the cuts; "
                "give one of them"
            )
        if threshold is not None:
            key = "label.bins" if bins is not None else "label.quantiles"
            raise UserError(
                f"{setting} and label.threshold={_as_written(threshold)} both set the classes: "
                f"{key} cuts x at quantiles of the training rows and the cuts become the "
                "thresholds; drop one of them"
            )
        return cls(None, tuple(_quantile_levels(bins, quantiles, setting)), setting)

    @classmethod
    def of_record(cls, record: float | Sequence[float]) -> Thresholds:
        """The thresholds as metrics.json records them: a number, or a list of several."""
        return cls(tuple(float(t) for t in np.atleast_1d(record)))

    def with_cuts(self, values: Sequence[float]) -> Thresholds:
        """These thresholds once x is cut: the cuts' values at `levels`."""
        return replace(self, values=tuple(float(v) for v in values))

    @property
    def cut(self) -> bool:
        """True when label.bins or label.quantiles cut x (the values come from the data)."""
        return self.levels is not None

    def __len__(self) -> int:
        """How many thresholds (one fewer than classes), known before the cuts."""
        return len(self.levels if self.values is None else self.values)

    @property
    def known(self) -> list[float]:
        """The values; before the cuts, a stand-in of as many (the levels) to count classes."""
        return list(self.levels if self.values is None else self.values)

    @property
    def floats(self) -> list[float]:
        """The values as a list (a ValueError before label.bins / label.quantiles are cut)."""
        return list(self._values())

    @property
    def text(self) -> str:
        """'100' or '100,1000' for reports, logs and the sweep summary."""
        return ",".join(f"{t:g}" for t in self._values())

    @property
    def setting(self) -> str:
        """What made them: 'label.bins=5', or 'label.threshold=100,1000'."""
        return self.cut_by or f"label.threshold={self.text}"

    @property
    def record(self) -> float | list[float]:
        """As metrics.json records them: a number, or the list of several."""
        values = list(self._values())
        return values[0] if len(values) == 1 else values

    @property
    def single(self) -> float | None:
        """The one threshold of a binary run; None when there are several."""
        values = self._values()
        return values[0] if len(values) == 1 else None

    def folder(self, k: int = 0) -> str:
        """'threshold=100': threshold k's run folder name, as Hydra names a swept value."""
        return f"{FOLDER_PREFIX}{self._values()[k]:g}"

    @staticmethod
    def is_folder(name: str) -> bool:
        """True for a name `folder` builds (threshold=<t>)."""
        return name.startswith(FOLDER_PREFIX)

    def position(self, text: str, option: str = "threshold") -> int:
        """The index of the threshold that `text` names: equal within 1e-9 relative, or written
        as its folder name writes it (`:g`); else a one-line UserError listing them."""
        grid = list(self._values())
        by_text = [k for k, t in enumerate(grid) if f"{t:g}" == str(text).strip()]
        if by_text:
            return by_text[0]
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise UserError(
                f"{option} {text!r} is not a number; give one of the run's thresholds: "
                f"{self.grid_text(None)}"
            ) from None
        close = [k for k, t in enumerate(grid) if abs(value - t) <= 1e-9 * max(abs(value), abs(t))]
        if close:
            return close[0]
        raise UserError(
            f"{option} {text}: not one of the run's {len(grid)} thresholds "
            f"({self.grid_text(value)}); give one of them"
        )

    def grid_text(self, near: float | None) -> str:
        """The values as text; beyond SHOWN_THRESHOLDS, the ones nearest `near` and how many
        more."""
        grid = list(self._values())
        if len(grid) <= SHOWN_THRESHOLDS:
            return ", ".join(f"{t:g}" for t in grid)
        centre = float(np.median(grid)) if near is None or not np.isfinite(near) else near
        order = np.argsort([abs(t - centre) for t in grid], kind="stable")
        shown = ", ".join(f"{grid[k]:g}" for k in sorted(order[:SHOWN_THRESHOLDS]))
        lead = "nearest: " if near is not None else ""
        more = len(grid) - SHOWN_THRESHOLDS
        return f"{lead}{shown} ... and {more} more, from {grid[0]:g} to {grid[-1]:g}"

    def _values(self) -> tuple[float, ...]:
        """The values; a programming error before label.bins / label.quantiles are cut."""
        if self.values is None:
            raise ValueError(f"{self.cut_by}: the thresholds are known once x is cut")
        return self.values


def with_default_threshold(cfg: Any) -> Any:
    """`cfg`, or a copy whose null label.threshold reads DEFAULT_THRESHOLD (100, as the config
    wrote it before null meant "not set"): the config fingerprint, the report's config section
    and MLflow's params read it, so runs keep their fingerprints and reports their text."""
    from omegaconf import open_dict, read_write

    label = cfg.get("label") if hasattr(cfg, "get") else None
    if label is None or "threshold" not in label or label.threshold is not None:
        return cfg
    shown = cfg.copy()
    with read_write(shown), open_dict(shown):
        whole = DEFAULT_THRESHOLD.is_integer()
        shown.label.threshold = int(DEFAULT_THRESHOLD) if whole else DEFAULT_THRESHOLD
    return shown


def _parse_values(value: Any) -> list[float]:
    """One threshold or a strictly increasing list of them, as floats."""
    from omegaconf import ListConfig

    is_list = isinstance(value, ListConfig | list | tuple | np.ndarray)
    values = list(value) if is_list else [value]
    try:
        thresholds = [float(v) for v in values]
    except (TypeError, ValueError):
        raise UserError(
            f"label.threshold={value} must be a number or a sorted list of numbers, "
            "e.g. label.threshold=100 or label.threshold=[100,1000]"
        ) from None
    if not thresholds or not all(np.isfinite(thresholds)):
        raise UserError(f"label.threshold={value} must contain finite numbers")
    if any(b <= a for a, b in itertools.pairwise(thresholds)):
        raise UserError(
            f"label.threshold={value} must be strictly increasing without repeats, "
            f"e.g. [{', '.join(f'{t:g}' for t in sorted(set(thresholds)))}]"
        )
    return thresholds


def _quantile_levels(bins: Any, quantiles: Any, setting: str) -> list[float]:
    """The quantiles label.bins (K equal-count classes) or label.quantiles ask to cut x at."""
    if bins is not None:
        if int(bins) < 2:
            raise UserError(
                f"label.bins={bins} must be at least 2 (K equal-count classes), e.g. label.bins=5"
            )
        return [i / int(bins) for i in range(1, int(bins))]
    levels = [float(q) for q in quantiles]
    if not levels or not all(0 < q < 1 for q in levels):
        raise UserError(
            f"{setting} must be quantiles strictly between 0 and 1, e.g. label.quantiles=[0.25,0.5]"
        )
    if any(b <= a for a, b in itertools.pairwise(levels)):
        raise UserError(
            f"{setting} must be strictly increasing without repeats, e.g. "
            f"label.quantiles=[{','.join(f'{q:g}' for q in sorted(set(levels)))}]"
        )
    return levels


def _quantile_setting(bins: Any, quantiles: Any) -> str:
    """'label.bins=5' or 'label.quantiles=[0.25,0.5]', as the user wrote the setting."""
    if bins is not None:
        return f"label.bins={bins}"
    return f"label.quantiles=[{','.join(f'{float(q):g}' for q in quantiles)}]"


def _as_written(value: Any) -> str:
    """A config value as an override writes it: 100, [10,100]."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        return f"{value:g}" if isinstance(value, int | float) else str(value)
    return "[" + ",".join(_as_written(item) for item in value) + "]"
