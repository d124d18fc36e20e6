"""Compose the config once before Hydra runs, to answer config mistakes in one line (exit 2)."""

from __future__ import annotations

import dataclasses
import difflib
import re
import sys
from pathlib import Path
from typing import Any

from threshold_sweep.cli.interrupt import was_interrupted
from threshold_sweep.conf import schema as schemas
from threshold_sweep.conf.validate import check_targets

SKIP_FLAGS = ("--version", "--shell-completion", "-sc")
# pages that compose the config (Hydra does too): only the composition is checked for them
HELP_FLAGS = ("--help", "-h", "--hydra-help", "--info")


def _options(config_dir: Path, group: str) -> list[str]:
    """The option names of a config group (its YAML files)."""
    return sorted(path.stem for path in (config_dir / group).glob("*.yaml"))


def _suggest(word: str, choices: list[str]) -> str:
    """' (did you mean X?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def explain(error: BaseException, config_dir: Path) -> str:
    """One line that names the bad override, why, and the fix."""
    text = f"{error}\n{error.__cause__ or ''}"
    if type(error).__name__ == "OverrideParseException":
        return f"cannot parse an override: {str(error).strip().splitlines()[0]}; check its syntax"
    missing_option = re.search(r"Could not find '([^']+)/([^'/]+)'", text)
    if missing_option:
        group, option = missing_option.groups()
        options = _options(config_dir, group)
        return (
            f"{group}={option}: no such option{_suggest(option, options)}; choose one of: "
            f"{', '.join(options)}"
        )
    unknown_key = re.search(r"Key '([^']+)' not in '(\w+)'", text)
    full_key = re.search(r"full_key: (\S+)", text)
    if unknown_key:
        key, schema_name = unknown_key.groups()
        schema = getattr(schemas, schema_name, None)
        known = [f.name for f in dataclasses.fields(schema)] if schema else []
        where = full_key.group(1) if full_key else key
        prefix = where.rsplit(".", 1)[0] + "." if "." in where else ""
        hint = _suggest(key, known).replace("mean ", f"mean {prefix}")
        return (
            f"unknown config key {where}{hint}; valid keys here: "
            f"{', '.join(prefix + k for k in known)}"
        )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    detail = next(
        (
            line
            for line in lines
            if not line.startswith(
                ("Error merging", "full_key", "object_type", "reference_type", "Could not override")
            )
        ),
        lines[0] if lines else type(error).__name__,
    )
    where = f" ({full_key.group(1)})" if full_key else ""
    return f"{detail}{where}; see `threshold-sweep --help` for the keys and their types"


# Hydra accepts one of these modes per command
MODES = {
    "--run": "--run",
    "-r": "--run",
    "--multirun": "-m",
    "-m": "-m",
    "--cfg": "--cfg",
    "-c": "--cfg",
    "--info": "--info",
    "-i": "--info",
    "--shell-completion": "--shell-completion",
    "-sc": "--shell-completion",
}


def check_modes(argv: list[str]) -> None:
    """Exit 2 with one line if the command asks for two of Hydra's modes (e.g. --cfg and -m)."""
    modes = list(dict.fromkeys(MODES[arg] for arg in argv if arg in MODES))
    if len(modes) > 1:
        hint = (
            "; to see one job's config, give --cfg job with a single value per key"
            if "--cfg" in modes and "-m" in modes
            else ""
        )
        sys.stderr.write(f"error: {' and '.join(modes)} cannot be combined: use one{hint}\n")
        raise SystemExit(2)


def precheck(argv: list[str], config_dir: Path) -> None:
    """Exit 2 with one line if the overrides (first value of each sweep) do not compose; in a
    sweep, also every option of a swept config group and the config Hydra composes first."""
    check_modes(argv)
    if any(flag in argv for flag in SKIP_FLAGS):
        return
    from hydra import compose, initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser

    overrides = [arg for arg in argv if "=" in arg and not arg.startswith("-")]
    try:
        parsed = [
            override
            for override in OverridesParser.create().parse_overrides(overrides)
            if not override.get_key_element().startswith(("hydra.", "hydra/"))
        ]
        with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            cfg = compose("config", overrides=_first_values(parsed))
            helping = any(flag in argv for flag in HELP_FLAGS)
            if ("-m" in argv or "--multirun" in argv) and not helping:
                _check_swept_groups(parsed, config_dir)
    except Exception as error:  # every composition problem becomes one line
        if was_interrupted():  # a Ctrl-C inside Hydra's code, surfacing as another error
            raise KeyboardInterrupt from None
        sys.stderr.write(f"error: {explain(error, config_dir)}\n")
        raise SystemExit(2) from None
    if not helping:
        check_components(cfg)


def _first_values(parsed: list, choice: tuple[str, str] | None = None) -> list[str]:
    """`key=value` per override, the first value of each sweep (`choice` for its key)."""
    values = []
    for override in parsed:
        key = override.get_key_element()
        if choice and key == choice[0]:
            value = choice[1]
        elif override.is_sweep_override():
            value = next(iter(override.sweep_string_iterator()))
        else:
            value = override.get_value_element_as_str()
        values.append(f"{key}={value}")
    return values


def _check_swept_groups(parsed: list, config_dir: Path) -> None:
    """Every option of a swept config group (model=cnn1d,fcn) composes with the other overrides,
    and so does the config Hydra composes before it expands the sweep (the groups' defaults
    with every override that is not a sweep); else one line on stderr and exit 2."""
    from hydra import compose

    swept = {
        o.get_key_element(): o
        for o in parsed
        if o.is_sweep_override() and (config_dir / o.get_key_element()).is_dir()
    }
    for group, override in swept.items():
        for option in list(override.sweep_string_iterator())[1:]:
            try:
                compose("config", overrides=_first_values(parsed, (group, option)))
            except Exception as error:
                explained = explain(error, config_dir)
                where = (
                    ""
                    if explained.startswith(f"{group}=")
                    else f"in the jobs with {group}={option}: "
                )
                sys.stderr.write(f"error: {where}{explained}\n")
                raise SystemExit(2) from None
    if not swept:
        return
    base = [o for o in parsed if not o.is_sweep_override()]
    try:
        compose("config", overrides=[o.input_line for o in base])
    except Exception as error:
        text = f"{error}\n{error.__cause__ or ''}"
        found = re.search(r"Could not override '(([^'.]+)\.[^']+)'", text)
        if not found or found.group(2) not in swept:
            raise
        key, group = found.groups()
        line = next(o.input_line for o in base if o.get_key_element() == key)
        default = compose("config", return_hydra_config=True).hydra.runtime.choices[group]
        sys.stderr.write(
            f"error: {key} is not a key of {group}={default}, which Hydra composes with the "
            f"other overrides before it expands the sweep {swept[group].input_line}: write "
            f"++{line} (if {group}={default} is not swept) or set only keys every swept "
            "option has\n"
        )
        raise SystemExit(2) from None


def check_components(cfg: Any) -> None:
    """Exit 2 with one line if a `_target_` names no module on the path (nothing imported) or
    the label.* keys give no thresholds (label.threshold beside label.bins, say)."""
    from threshold_sweep.errors import UserError
    from threshold_sweep.thresholds import Thresholds

    try:
        check_targets(cfg)
        Thresholds.of_label(cfg.get("label"))
    except UserError as error:
        sys.stderr.write(f"error: {error}\n")
        raise SystemExit(2) from None
