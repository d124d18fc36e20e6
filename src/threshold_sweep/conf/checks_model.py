"""Checks of the model.* keys: the built-in architectures' sizes and the model's head."""

from __future__ import annotations

from typing import Any

from omegaconf import OmegaConf

from threshold_sweep.conf.checks_values import require_bounds
from threshold_sweep.conf.choices import Head, HeadConsistency, SplitMethod
from threshold_sweep.conf.heads import model_head
from threshold_sweep.conf.schema import FCNConfig, ModelConfig, ResNetConfig
from threshold_sweep.errors import UserError
from threshold_sweep.thresholds import Thresholds


def check_cnn1d(model: Any) -> None:
    """The built-in CNN's sizes, filters and dropout (other builders check their own keys)."""
    if OmegaConf.get_type(model) is not ModelConfig:
        return
    require_bounds({"model.kernel_size": (model.kernel_size, 0, True)}, "{key}={value} must be > 0")
    require_bounds(
        {
            "model.pool_size": (model.pool_size, 1, False),
            "model.dense_units": (model.dense_units, 0, False),
        },
        "{key}={value} must be >= {low}",
    )
    if not model.filters or any(f <= 0 for f in model.filters):
        raise UserError(f"model.filters={list(model.filters)} must be positive integers")
    if not 0 <= model.dropout < 1:
        raise UserError(f"model.dropout={model.dropout} must be in [0, 1)")


def _check_positive_list(key: str, values: Any, example: str) -> None:
    """`values` must be a non-empty list of positive integers (UserError with an example)."""
    if not values or any(value <= 0 for value in values):
        raise UserError(
            f"{key}={list(values)} must be a non-empty list of positive integers, "
            f"e.g. {key}={example}"
        )


def check_fcn_resnet(model: Any) -> None:
    """FCN and ResNet: positive filters and kernel sizes; FCN needs one kernel size per block."""
    schema = OmegaConf.get_type(model)
    if schema not in (FCNConfig, ResNetConfig):
        return
    defaults = schema()
    for key in ("filters", "kernel_sizes"):
        example = ",".join(str(v) for v in getattr(defaults, key))
        _check_positive_list(f"model.{key}", model[key], f"[{example}]")
    if schema is FCNConfig and len(model.kernel_sizes) != len(model.filters):
        raise UserError(
            f"model.kernel_sizes={list(model.kernel_sizes)} has {len(model.kernel_sizes)} "
            f"entries but model.filters={list(model.filters)} has {len(model.filters)}: "
            "give one kernel size per block"
        )


def check_head(cfg: Any) -> None:
    """model.head names a head; a cumulative head needs two or more thresholds."""
    head, consistency = model_head(cfg.model)
    _check_head_names(head, consistency)
    compare = cfg.evaluate.get("compare_thresholds")
    if head != Head.cumulative.value:
        _check_probability_head(consistency, compare, bool(cfg.evaluate.get("threshold_folders")))
        return
    _check_cumulative_head(cfg, compare)


def _check_head_names(head: str, consistency: str) -> None:
    """model.head and model.head_consistency are among their choices."""
    heads = [h.value for h in Head]
    if head not in heads:
        raise UserError(f"model.head={head} is not one of {', '.join(heads)}")
    consistencies = [c.value for c in HeadConsistency]
    if consistency not in consistencies:
        raise UserError(
            f"model.head_consistency={consistency} is not one of {', '.join(consistencies)}"
        )


def _check_probability_head(consistency: str, compare: Any, folders: bool) -> None:
    """The keys that only model.head=cumulative reads are left at their defaults."""
    if consistency != HeadConsistency.rank_consistent.value:
        raise UserError(
            f"model.head_consistency={consistency} applies to model.head=cumulative only: "
            "add model.head=cumulative (with a threshold grid), or drop the key"
        )
    if folders:
        raise UserError(
            "evaluate.threshold_folders=true writes the threshold folders of one "
            "model.head=cumulative run: add model.head=cumulative, or drop the key"
        )
    if compare is not None:
        raise UserError(
            f"evaluate.compare_thresholds={list(compare)} compares the thresholds of one "
            "model.head=cumulative run: add model.head=cumulative, or drop the key (a sweep "
            "of dedicated runs compares its thresholds in the sweep summary)"
        )


def _check_cumulative_head(cfg: Any, compare: Any) -> None:
    """model.head=cumulative: thresholds to compare, a single split and a grid of two or more."""
    if compare is not None and (len(compare) < 2 or len(set(compare)) < len(compare)):
        raise UserError(
            f"evaluate.compare_thresholds={list(compare)} must list two or more different "
            "thresholds of the grid, e.g. evaluate.compare_thresholds=[100,1000]"
        )
    method = str(getattr(cfg.split.method, "value", cfg.split.method))
    if method in (SplitMethod.kfold.value, SplitMethod.rolling.value):
        raise UserError(
            f"model.head=cumulative cannot be combined with split={method} yet: use "
            "split=default or split=time, or drop model.head=cumulative"
        )
    _check_grid(cfg.label)


def _check_grid(label: Any) -> None:
    """model.head=cumulative: the thresholds (or cuts) must be two or more."""
    thresholds = Thresholds.of_label(label)
    if len(thresholds) < 2:
        given = f"{thresholds.setting} {'gives' if thresholds.cut else 'is'} one"
        raise UserError(
            f"model.head=cumulative needs two or more thresholds, and {given}: give a grid "
            "(label.threshold=[100,300,1000], label.bins=20 or label.quantiles=[0.25,0.5,0.75]), "
            "or drop model.head=cumulative"
        )
