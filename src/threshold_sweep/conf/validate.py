"""validate_config: one-line UserErrors (key, value, fix) for what the types cannot catch."""

from __future__ import annotations

import difflib
from dataclasses import fields, is_dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from threshold_sweep.components import TargetError, check_target, target_error
from threshold_sweep.conf.checks_data import check_labels, check_split
from threshold_sweep.conf.checks_model import check_cnn1d, check_fcn_resnet, check_head
from threshold_sweep.conf.checks_values import (
    check_budgets,
    check_counts,
    check_evaluate,
    check_plateau,
    check_seeds,
    check_verbosity,
)
from threshold_sweep.errors import UserError

COMPONENTS = ("data", "sampling", "model")


def _check_known_keys(cfg: Any) -> None:
    """Reject keys that no schema declares (Hydra lets `+key=value` add them)."""

    def walk(node: Any, prefix: str) -> None:
        schema = OmegaConf.get_type(node)
        if not (isinstance(node, DictConfig) and is_dataclass(schema)):
            return
        known = [f.name for f in fields(schema)]
        for key in node:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = (
                    f"did you mean {prefix}{close[0]}?"
                    if close
                    else (f"valid keys: {', '.join(prefix + k for k in known)}")
                )
                raise UserError(f"unknown config key {prefix}{key}: {hint}")
            if not OmegaConf.is_missing(node, key):
                walk(node[key], f"{prefix}{key}.")

    walk(cfg, "")


def _check_missing(cfg: Any) -> None:
    """Name the first required key that has no value."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        first = missing[0]
        raise UserError(
            f"{first} is required for this config and has no value: add {first}=... "
            "to the command line"
        )


def check_targets(cfg: Any) -> None:
    """Each component's `_target_` must be findable on the Python path (nothing is imported)."""
    for key in COMPONENTS:
        node = cfg.get(key)
        if node is None or "_target_" not in node or OmegaConf.is_missing(node, "_target_"):
            continue
        try:
            check_target(node._target_)
        except TargetError as error:
            raise target_error(key, node._target_, error.problem, error.fix) from None


def validate_config(cfg: Any) -> None:
    """Reject values that type checks cannot: budgets, sizes, label names and targets."""
    _check_known_keys(cfg)
    _check_missing(cfg)
    check_budgets(cfg)
    check_seeds(cfg)
    check_counts(cfg)
    check_plateau(cfg.train)
    check_cnn1d(cfg.model)
    check_fcn_resnet(cfg.model)
    check_evaluate(cfg.evaluate)
    check_labels(cfg.label)
    check_verbosity(cfg.train)
    check_head(cfg)
    check_split(cfg)
    check_targets(cfg)
