"""Registration of the schemas with Hydra's ConfigStore (the YAML files in configs/ extend them)."""

from __future__ import annotations

from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from threshold_sweep.conf.schema import (
    ArraysDataConfig,
    Config,
    FCNConfig,
    ModelConfig,
    ResNetConfig,
    SyntheticDataConfig,
    TableDataConfig,
)


def register_configs() -> None:
    """Register the schemas that the YAML files in configs/ extend."""
    store = ConfigStore.instance()
    store.store(name="base_config", node=Config)
    store.store(group="schema/data", name="synthetic", node=SyntheticDataConfig)
    store.store(group="schema/data", name="table", node=TableDataConfig)
    store.store(group="schema/data", name="arrays", node=ArraysDataConfig)
    store.store(group="schema/model", name="cnn1d", node=ModelConfig)
    store.store(group="schema/model", name="fcn", node=FCNConfig)
    store.store(group="schema/model", name="resnet", node=ResNetConfig)
    store.store(group="schema/model", name="custom", node=custom_model_schema())


def custom_model_schema() -> Any:
    """model=custom: `_target_` names the builder; any other key is one of its arguments."""
    node = OmegaConf.create({"_target_": MISSING})
    OmegaConf.set_struct(node, False)  # model.units=64 works without a leading +
    return node
