"""The Config section: the run's configuration as YAML, long lists written inline."""

from __future__ import annotations

from typing import Any

from threshold_sweep.report.document import Code, Section
from threshold_sweep.report.run_page.common import LISTED_CLASSES


def compact_lists(config_yaml: str) -> str:
    """The config YAML with every list of more than LISTED_CLASSES numbers or strings written
    inline, wrapped at 100 characters (50 thresholds take 5 lines, not 50)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """Writes long lists of scalars in flow style."""

    def represent_list(dumper: yaml.SafeDumper, items: list) -> yaml.Node:
        flow = len(items) > LISTED_CLASSES and not any(isinstance(i, dict | list) for i in items)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)

    Dumper.add_representer(list, represent_list)
    try:
        data = yaml.safe_load(config_yaml)
    except yaml.YAMLError:
        return config_yaml
    if not isinstance(data, dict) or not _has_long_list(data):
        return config_yaml
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)


def _has_long_list(data: Any) -> bool:
    """Whether a loaded config holds a list longer than LISTED_CLASSES anywhere."""
    if isinstance(data, dict):
        return any(_has_long_list(value) for value in data.values())
    if isinstance(data, list):
        return len(data) > LISTED_CLASSES or any(_has_long_list(item) for item in data)
    return False


def config_section(config_yaml: str) -> Section:
    """The run's resolved configuration as a YAML block."""
    return Section("Config", [Code(compact_lists(config_yaml), "yaml")])
