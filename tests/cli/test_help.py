"""`threshold-sweep --help` lists every key of the composed config with its value and meaning."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from threshold_sweep.cli.help import field_docs
from threshold_sweep.conf.schema import TableDataConfig

from conftest import ROOT, compose_config, run_app

KEY_LINE = re.compile(r"^  (?P<key>[\w.]+) = (?P<value>.*?)(?: {2,}(?P<meaning>\S.*))?$")


def help_keys(stdout: str) -> dict[str, tuple[str, str]]:
    """key -> (value, meaning) as the help page prints them, wrapped meanings joined."""
    section = stdout.split("Keys of this config", 1)[1].split("\nExamples:", 1)[0]
    keys: dict[str, tuple[str, str]] = {}
    last = None
    for line in section.splitlines()[1:]:
        match = KEY_LINE.match(line)
        if match:
            last = match["key"]
            keys[last] = (match["value"], match["meaning"] or "")
        elif last is not None and line.startswith("    ") and line.strip():
            value, meaning = keys[last]
            keys[last] = (value, f"{meaning} {line.strip()}".strip())
        else:  # a blank line or a group's title
            last = None
    return keys


def documented(node: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every leaf key of a composed config and the meaning its dataclass gives it."""
    docs = field_docs(OmegaConf.get_type(node))
    for key, value in OmegaConf.to_container(node, resolve=False).items():
        if isinstance(value, dict):
            yield from documented(node[key], f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", docs.get(key, "")


def help_page(args: list[str], cwd: Path) -> str:
    """The --help page for these overrides (exit code 0 checked)."""
    done = run_app([*args, "--help"], cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_help_gives_every_key_of_the_default_config_its_meaning(tmp_path):
    page = help_page([], tmp_path)
    shown = help_keys(page)
    expected = dict(documented(compose_config()))
    assert len(expected) > 50 and all(expected.values())
    assert set(shown) == set(expected)
    for key, meaning in expected.items():
        assert shown[key][1] == meaning, key
    assert shown["train.epochs"][0] == "200" and shown["train.seed"][0] == "${seed}"
    assert shown["data.n_samples"][1].startswith("rows to generate")
    assert shown["label.threshold"][0] == "null"  # not set: 100 unless bins or quantiles
    assert shown["label.threshold"][1].endswith("null: 100 unless label.bins or label.quantiles")
    assert max(len(line) for line in page.splitlines()) <= 100
    assert "data=synthetic: Embedded default data" in page  # the option chosen, its summary


def test_help_shows_the_keys_of_the_chosen_options(tmp_path):
    shown = help_keys(help_page(["data=table", "train.epochs=7"], tmp_path))
    assert shown["data.path"] == ("???", field_docs(TableDataConfig)["path"])
    assert shown["data.path"][1].startswith("required: the .csv, .parquet or .pq file")
    assert shown["train.epochs"][0] == "7"
    assert "data.n_samples" not in shown and "data.features" in shown


def test_help_lists_keys_no_dataclass_declares_without_a_meaning(tmp_path):
    overrides = ["model=custom", "model._target_=custom_models.build", "model.units=64"]
    page = help_page(overrides, tmp_path)
    shown = help_keys(page)
    assert shown["model.units"] == ("64", "")
    assert shown["model._target_"] == ("custom_models.build", "")
    assert "model.filters" not in shown and shown["train.epochs"][1]
    assert "model=custom: the Keras model's builder (model._target_)" in page


@pytest.mark.parametrize(
    "options",
    [[], ["data=table"], ["data=arrays"], ["tracking=mlflow"], ["model=fcn"], ["model=resnet"]],
)
def test_every_documented_key_is_in_the_configuration_docs(options):
    """docs/configuration.md keeps its tables: each key --help explains has a row there too."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [key for key, _ in documented(compose_config(*options)) if f"`{key}`" not in text]
    assert not missing, f"not in docs/configuration.md: {', '.join(missing)}"


def help_groups(stdout: str) -> dict[str, list[str]]:
    """group -> its options (marks such as '(default)' dropped), from the page's group list."""
    section = stdout.split("Config groups", 1)[1].split("\nKeys of this config", 1)[0]
    text = " ".join(line.strip() for line in section.splitlines()[1:] if line.strip())
    groups = re.findall(r"(\+?\w+): ((?:[\w-]+(?: \(\w+\))?(?:, )?)+)", text)
    return {group: re.sub(r" \(\w+\)", "", options).split(", ") for group, options in groups}


def test_help_lists_every_config_file_under_configs(tmp_path):
    """Every configs/<group>/*.yaml (configs/experiment: experiments/) is an option in --help."""
    shown = help_groups(help_page([], tmp_path))
    configs = ROOT / "configs"
    expected = {
        folder.name: sorted(path.stem for path in folder.glob("*.yaml"))
        for folder in configs.iterdir()
        if folder.is_dir() and folder.name != "hydra"
    }
    assert {group.lstrip("+"): sorted(options) for group, options in shown.items()} == expected
    assert shown["+experiment"] == ["seed_pitch_lr", "seed_thresholds", "seed_thresholds_repeats"]
    assert shown["split"] == ["default", "kfold", "predefined", "rolling", "time"]
    assert shown["model"][0] == "cnn1d" and {"fcn", "resnet", "custom"} < set(shown["model"])


def test_help_marks_the_default_and_the_chosen_option(tmp_path):
    page = help_page(["model=fcn"], tmp_path)
    assert "  model: cnn1d (default), custom, fcn (chosen), resnet" in page
    assert "  data: synthetic (default), arrays, table" in page


def test_a_group_title_is_its_schema_s_whole_first_paragraph(tmp_path):
    """No title stops mid-sentence: split=default's runs on to its full stop."""
    page = help_page([], tmp_path)
    title = page.split("\nsplit=default: ", 1)[1].split("\n  split.", 1)[0]
    sentence = " ".join(title.split())
    assert sentence.startswith("One train/validation/test split, stratified on quantile bins")
    assert sentence.endswith("(split=predefined: data.part / data.part_key).")
