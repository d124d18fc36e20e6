"""`threshold-sweep --help`: every key of the composed config, its value and its meaning.

The meanings are the `Attributes:` sections of the structured configs' docstrings
(threshold_sweep.conf.schema), found through each node's type, so `data=table --help` shows the
table's keys. The help template (configs/hydra/default.yaml) calls the `ts_config_keys`
resolver, which Hydra resolves against the whole composed config of this invocation.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

RESOLVER = "ts_config_keys"
GROUPS_RESOLVER = "ts_config_groups"
HIDDEN_GROUPS = ("hydra",)  # hydra/*: see --hydra-help
WIDTH = 100  # the terminal the help page must fit
MAX_COLUMN = 40  # where meanings start at most; a longer `key = value` puts its meaning below
INDENT = "  "
ATTRIBUTE = re.compile(r"^(\w+): (.+)$")


@dataclasses.dataclass(frozen=True)
class KeyLine:
    """One leaf key: its dotted name, its value as written and its one-line meaning."""

    key: str
    value: str
    meaning: str


@dataclasses.dataclass(frozen=True)
class Group:
    """The keys under one top-level key, titled `key=option: what it is` ('' for the root's)."""

    title: str
    lines: list[KeyLine]


def attribute_lines(doc: str) -> list[str]:
    """The dedented, non-blank lines of a docstring's `Attributes:` section."""
    lines = doc.splitlines()
    if "Attributes:" not in lines:
        return []
    section = []
    for line in lines[lines.index("Attributes:") + 1 :]:
        if line.strip() and not line.startswith(" "):
            break
        if line.strip():
            section.append(line)
    return textwrap.dedent("\n".join(section)).splitlines()


def field_docs(schema: Any) -> dict[str, str]:
    """Field name -> meaning, from the `Attributes:` section of a dataclass's docstring."""
    if not dataclasses.is_dataclass(schema):
        return {}
    docs: dict[str, str] = {}
    name = None
    for line in attribute_lines(inspect.getdoc(schema) or ""):
        match = ATTRIBUTE.match(line)
        if match:
            name = match[1]
            docs[name] = match[2].strip()
        elif name is not None:  # an indented continuation line
            docs[name] += " " + line.strip()
    return docs


def summary(schema: Any) -> str:
    """The first paragraph of a dataclass's docstring as one line ('' for anything else)."""
    if not dataclasses.is_dataclass(schema):
        return ""
    paragraph = (inspect.getdoc(schema) or "").split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def value_text(value: Any) -> str:
    """A value as it would be written on the command line (YAML flow style)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(value_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    return "''" if value == "" else str(value)


def key_lines(node: DictConfig, prefix: str, schema: Any) -> list[KeyLine]:
    """Every leaf under `node` as `prefix.key`, meanings from `schema` (none if undeclared)."""
    docs = field_docs(schema)
    raw = OmegaConf.to_container(node, resolve=False, enum_to_str=True)
    lines = []
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:  # a nested node, e.g. evaluate.bootstrap
            lines.extend(key_lines(node[key], f"{name}.", OmegaConf.get_type(node, key)))
        else:
            lines.append(KeyLine(name, value_text(value), docs.get(str(key), "")))
    return lines


def group_title(root: DictConfig, key: str) -> str:
    """`key=option: what it is` (the option chosen, the schema's summary or the root's line)."""
    choice = OmegaConf.select(root, f"hydra.runtime.choices.{key}", default=None)
    option = f"={choice}" if choice else ""
    schema = OmegaConf.get_type(root, key)
    about = summary(schema) or field_docs(OmegaConf.get_type(root)).get(key, "")
    return f"{key}{option}: {about}" if about else f"{key}{option}"


def groups(root: DictConfig) -> list[Group]:
    """The top-level keys (untitled), then one group per config group, in config order."""
    job_keys = [str(key) for key in root if key != "hydra"]  # hydra.*: see --hydra-help
    job = OmegaConf.masked_copy(root, job_keys)
    lines = key_lines(job, "", OmegaConf.get_type(root))
    found = [Group("", [line for line in lines if "." not in line.key])]
    for key in job_keys:
        members = [line for line in lines if line.key.startswith(f"{key}.")]
        if members:
            found.append(Group(group_title(root, key), members))
    return [group for group in found if group.lines]


def meaning_column(lines: list[KeyLine]) -> int:
    """Where meanings start: after the longest `key = value` that fits, at most MAX_COLUMN."""
    widths = [len(INDENT + f"{line.key} = {line.value}") + 2 for line in lines]
    fitting = [width for width in widths if width <= MAX_COLUMN]
    return max(fitting, default=MAX_COLUMN)


def render_line(line: KeyLine, column: int) -> list[str]:
    """`  key = value   meaning`, the meaning wrapped at WIDTH (below the key if it is long)."""
    left = INDENT + f"{line.key} = {line.value}"
    wrapped = textwrap.wrap(line.meaning, WIDTH - column, break_on_hyphens=False)
    if not wrapped:
        return [left]
    pad = " " * column
    if len(left) + 2 > column:
        return [left, *(pad + text for text in wrapped)]
    return [left.ljust(column) + wrapped[0], *(pad + text for text in wrapped[1:])]


def wrap_title(title: str) -> list[str]:
    """A group's title wrapped at WIDTH, continuation lines indented, words never split."""
    return textwrap.wrap(title, WIDTH, subsequent_indent=INDENT, break_on_hyphens=False)


def render(root: DictConfig) -> str:
    """Every key of the composed config with its value and meaning, aligned by group."""
    blocks = []
    for group in groups(root):
        title = wrap_title(group.title)
        column = meaning_column(group.lines)
        body = [text for line in group.lines for text in render_line(line, column)]
        blocks.append("\n".join([*title, *body]))
    return "\n\n".join(blocks)


def config_keys(*, _root_: DictConfig) -> str:
    """The resolver: render() of the whole config, with `$` escaped for Hydra's help template."""
    return render(_root_).replace("$", "$$")  # Hydra's get_help then runs string.Template


def main_config_dir(root: DictConfig) -> Path | None:
    """The folder of config.yaml (Hydra's `main` config source), None if not a folder."""
    sources = OmegaConf.select(root, "hydra.runtime.config_sources", default=None) or []
    for source in sources:
        if source.get("provider") == "main" and source.get("schema") == "file":
            return Path(source["path"])
    return None


def default_options(directory: Path) -> dict[str, str]:
    """Group -> option of config.yaml's defaults list (e.g. data -> synthetic)."""
    defaults = OmegaConf.load(directory / "config.yaml").get("defaults", [])
    found: dict[str, str] = {}
    for entry in defaults:
        if isinstance(entry, DictConfig):
            found.update({str(key): str(value) for key, value in entry.items()})
    return found


def group_folders(directory: Path, defaults: dict[str, str]) -> list[Path]:
    """The group folders of `directory`: config.yaml's defaults order, then the rest by name."""
    order = list(defaults)
    folders = [p for p in directory.iterdir() if p.is_dir() and p.name not in HIDDEN_GROUPS]
    return sorted(
        folders,
        key=lambda p: (p.name not in order, order.index(p.name) if p.name in order else 0, p.name),
    )


def option_text(name: str, default: str | None, chosen: Any) -> str:
    """An option's name, marked `(default)`, or `(chosen)` when this invocation picked it."""
    if name == default:
        return f"{name} (default)"
    return f"{name} (chosen)" if name == chosen else name


def option_lines(directory: Path, choices: dict[str, Any]) -> list[str]:
    """`  group: default (default), other, ...` for every folder of YAML files in `directory`
    (`+group` for one outside the defaults list, such as +experiment)."""
    defaults = default_options(directory)
    lines = []
    for folder in group_folders(directory, defaults):
        names = sorted(path.stem for path in folder.glob("*.yaml"))
        default = defaults.get(folder.name)
        ordered = [default] if default in names else []
        ordered += [name for name in names if name != default]
        shown = ", ".join(option_text(name, default, choices.get(folder.name)) for name in ordered)
        group = folder.name if folder.name in defaults else f"+{folder.name}"
        if names:
            text = f"{group}: {shown}"
            lines += textwrap.wrap(text, WIDTH, initial_indent=INDENT, subsequent_indent=INDENT * 3)
    return lines


def config_groups(*, _root_: DictConfig) -> str:
    """The resolver: every config group under configs/ and its options, one line a group."""
    directory = main_config_dir(_root_)
    if directory is None or not (directory / "config.yaml").exists():
        return "  (config folder not found)"
    choices = OmegaConf.to_container(
        OmegaConf.select(_root_, "hydra.runtime.choices", default=None) or OmegaConf.create({})
    )
    return "\n".join(option_lines(directory, choices)).replace("$", "$$")


def register_resolver() -> None:
    """Make `${ts_config_keys:}` and `${ts_config_groups:}` available to the help template."""
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, config_keys)
    if not OmegaConf.has_resolver(GROUPS_RESOLVER):
        OmegaConf.register_new_resolver(GROUPS_RESOLVER, config_groups)
