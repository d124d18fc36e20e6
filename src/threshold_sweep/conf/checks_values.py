"""Checks of plain values: budgets, seeds, counts, the plateau factor, evaluation settings."""

from __future__ import annotations

import itertools
from typing import Any

from threshold_sweep.errors import UserError


def require_bounds(bounds: dict[str, tuple[Any, float, bool]], message: str) -> None:
    """Raise `message` (with key, value, low) for the first value below (or at) its bound."""
    for key, (value, low, strict) in bounds.items():
        if value < low or (strict and value == low):
            raise UserError(message.format(key=key, value=value, low=low))


def check_budgets(cfg: Any) -> None:
    """Epochs, batch sizes, learning rate and class minimum must be positive."""
    positive = {
        "train.epochs": cfg.train.epochs,
        "train.batch_size": cfg.train.batch_size,
        "train.learning_rate": cfg.train.learning_rate,
        "train.predict_batch_size": cfg.train.predict_batch_size,
        "train.steps_per_execution": cfg.train.steps_per_execution,
        "label.min_per_split": cfg.label.min_per_split,
    }
    require_bounds({k: (v, 0, True) for k, v in positive.items()}, "{key}={value} must be > 0")


def check_seeds(cfg: Any) -> None:
    """Every seed must be a non-negative integer."""
    seeds = {
        "seed": cfg.seed,
        "train.seed": cfg.train.seed,
        "split.seed": cfg.split.seed,
        "sampling.seed": cfg.sampling.seed,
        "evaluate.bootstrap.seed": cfg.evaluate.bootstrap.seed,
    }
    if "seed" in cfg.data:
        seeds["data.seed"] = cfg.data.seed
    require_bounds(
        {k: (v, 0, False) for k, v in seeds.items()},
        "{key}={value} must be a non-negative integer, e.g. {key}=0",
    )


def check_counts(cfg: Any) -> None:
    """Patience, threads, bins and class rows have lower bounds."""
    require_bounds(
        {
            "train.patience": (cfg.train.patience, 0, False),
            "train.min_steps": (cfg.train.min_steps, 0, False),
            "train.warmup_validation_rows": (cfg.train.warmup_validation_rows, 0, False),
            "train.threads": (cfg.train.threads, 0, False),
        },
        "{key}={value} must be >= 0 (train.threads=0 means all cores)",
    )
    require_bounds(
        {
            "split.n_bins": (cfg.split.n_bins, 1, False),
            "evaluate.min_class_rows": (cfg.evaluate.min_class_rows, 0, False),
        },
        "{key}={value} must be >= {low}",
    )


def check_plateau(train: Any) -> None:
    """train.reduce_lr_on_plateau is a bool or a factor in (0, 1)."""
    value = train.reduce_lr_on_plateau
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int | float) and 0 <= value < 1:
        return
    raise UserError(
        f"train.reduce_lr_on_plateau={value} must be false, true or a factor between 0 and 1 "
        "(the learning rate is multiplied by it), e.g. train.reduce_lr_on_plateau=0.5"
    )


def check_verbosity(train: Any) -> None:
    """train.verbose is one Keras knows."""
    if str(train.verbose) not in ("auto", "0", "1", "2"):
        raise UserError(f"train.verbose={train.verbose} must be auto, 0, 1 or 2")


def check_evaluate(evaluate: Any) -> None:
    """Bootstrap resamples and level, the decision cutoff, the margin and the reference models."""
    if evaluate.bootstrap.resamples < 10:
        raise UserError(
            f"evaluate.bootstrap.resamples={evaluate.bootstrap.resamples} must be >= 10 "
            "(1000 is usual)"
        )
    if not 0 < evaluate.bootstrap.level < 1:
        raise UserError(
            f"evaluate.bootstrap.level={evaluate.bootstrap.level} must be between 0 and 1, "
            "e.g. 0.95"
        )
    if not 0 < evaluate.cutoff < 1:
        raise UserError(f"evaluate.cutoff={evaluate.cutoff} must be between 0 and 1")
    if not 0 < evaluate.equivalence_margin < 0.5:
        raise UserError(
            f"evaluate.equivalence_margin={evaluate.equivalence_margin} must be between 0 and "
            "0.5 (a difference in ROC-AUC or balanced accuracy), e.g. 0.02"
        )
    names = [getattr(name, "value", name) for name in evaluate.reference]
    if len(set(names)) < len(names):
        raise UserError(f"evaluate.reference={names} names a model twice; list each once")
    check_within(list(evaluate.within))


def check_within(within: list[int]) -> None:
    """evaluate.within: a non-empty, increasing list of positive class distances."""
    if not within or any(d <= 0 for d in within):
        raise UserError(
            f"evaluate.within={within} must be a non-empty list of positive integers (class "
            "steps), e.g. evaluate.within=[1,2]"
        )
    if any(b <= a for a, b in itertools.pairwise(within)):
        raise UserError(
            f"evaluate.within={within} must be increasing without repeats, "
            f"e.g. evaluate.within={sorted(set(within))}"
        )
