"""Configs compose, are typed, and reject wrong keys and values before any work."""

from __future__ import annotations

import dataclasses
import enum
import re
import typing

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ValidationError

from threshold_sweep.cli.help import field_docs
from threshold_sweep.cli.main import job_dirname
from threshold_sweep.conf import schema as config
from threshold_sweep.conf.choices import SamplingStrategy
from threshold_sweep.conf.validate import validate_config
from threshold_sweep.errors import UserError
from threshold_sweep.thresholds import DEFAULT_THRESHOLD, Thresholds, with_default_threshold

from conftest import compose_config


def test_default_config_has_every_stage():
    cfg = compose_config()
    assert set(cfg) >= {"seed", "data", "label", "split", "sampling", "model", "train", "evaluate"}
    assert cfg.data.source == "synthetic"
    assert cfg.label.threshold is None  # not set: the parser applies 100
    assert Thresholds.of_label(cfg.label).values == (DEFAULT_THRESHOLD,) == (100.0,)
    assert cfg.label.names is None  # low/high for one threshold
    assert cfg.sampling.strategy == SamplingStrategy.undersample
    validate_config(cfg)


def test_an_unset_threshold_keeps_the_fingerprint_and_config_text_of_threshold_100():
    from omegaconf import OmegaConf

    from threshold_sweep.pipeline.record import config_fingerprint

    default, explicit = compose_config(), compose_config("label.threshold=100")
    assert config_fingerprint(default) == config_fingerprint(explicit)
    assert config_fingerprint(default) != config_fingerprint(compose_config("label.threshold=1000"))
    shown = OmegaConf.to_yaml(with_default_threshold(default), resolve=True)
    assert shown == OmegaConf.to_yaml(explicit, resolve=True)  # the report's config section
    assert default.label.threshold is None  # the run's own config is left alone


@pytest.mark.parametrize("cut", ["label.bins=5", "label.quantiles=[0.5]"])
def test_a_threshold_beside_bins_or_quantiles_is_refused_even_at_100(cut):
    with pytest.raises(UserError) as raised:
        validate_config(compose_config(cut, "label.threshold=100"))
    key = cut.split("=")[0]
    assert str(raised.value) == (
        f"{cut} and label.threshold=100 both set the classes: {key} cuts x at quantiles of the "
        "training rows and the cuts become the thresholds; drop one of them"
    )
    validate_config(compose_config(cut))  # unset: the cuts are the thresholds


def test_seeds_follow_the_top_level_seed_unless_set():
    cfg = compose_config("seed=7")
    assert (cfg.data.seed, cfg.split.seed, cfg.train.seed, cfg.sampling.seed) == (7, 7, 7, 7)
    cfg = compose_config("seed=7", "train.seed=3")
    assert (cfg.split.seed, cfg.train.seed, cfg.sampling.seed) == (7, 3, 3)


@pytest.mark.parametrize("source", ["table", "arrays"])
def test_file_sources_compose(source):
    cfg = compose_config(f"data={source}", "data.path=some.file")
    assert cfg.data.source == source and cfg.data.path == "some.file"


@pytest.mark.parametrize(
    "override",
    ["label.thresold=5", "train.epochs=many", "sampling.strategy=smote", "data.pth=x.csv"],
)
def test_wrong_key_or_type_fails_at_composition(override):
    with pytest.raises((ConfigCompositionException, ValidationError)):
        compose_config(override)


def test_experiment_sets_the_seed_sweep():
    cfg = compose_config("+experiment=seed_thresholds")
    assert cfg.data.source == "synthetic"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["train.epochs=0"], "train.epochs=0 must be > 0"),
        (["train.batch_size=-1"], "train.batch_size=-1 must be > 0"),
        (["train.learning_rate=0"], "train.learning_rate=0.0 must be > 0"),
        (["label.names=[a,a]"], "must be 2 distinct names for 1 threshold(s)"),
        (["label.threshold=[1000,100]"], "must be strictly increasing"),
        (["label.threshold=[100,1000]", "label.names=[a,b]"], "must be 3 distinct names"),
        (["label.threshold=abc"], "must be a number or a sorted list"),
        (["model.dropout=1.5"], "model.dropout=1.5"),
        (["evaluate.cutoff=1"], "evaluate.cutoff=1.0"),
        (["data=table"], "data.path is required"),
    ],
)
def test_values_that_types_cannot_catch(overrides, message):
    with pytest.raises(UserError, match=re.escape(message)):
        validate_config(compose_config(*overrides))


def test_job_dirname_names_overrides_and_is_path_safe():
    assert job_dirname("label.threshold=1000,seed=1") == "label.threshold=1000,seed=1"
    assert job_dirname("data.path=/tmp/a.csv") == "data.path=_tmp_a.csv"
    assert job_dirname("") == "default"


def test_long_job_dirnames_stay_distinct_and_short():
    prefix = "data.path=" + "d/" * 120
    first, second = (
        job_dirname(prefix + ",label.threshold=1"),
        job_dirname(prefix + ",label.threshold=2"),
    )
    assert first != second
    assert len(first) == len(second) == 200
    assert first.startswith("data.path=d_d_")


SCHEMAS = [
    value
    for value in vars(config).values()
    if isinstance(value, type)
    and dataclasses.is_dataclass(value)
    and value.__module__ == config.__name__
]


def test_every_config_dataclass_is_checked():
    assert {"Config", "TableDataConfig", "BootstrapConfig"} <= {s.__name__ for s in SCHEMAS}
    assert len(SCHEMAS) == 14


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
def test_every_config_field_has_one_meaning_and_no_other(schema):
    """The docstring's `Attributes:` section names each field once (--help shows these)."""
    docs = field_docs(schema)
    names = {f.name for f in dataclasses.fields(schema)}
    assert sorted(names - set(docs)) == [], "fields without a line under Attributes:"
    assert sorted(set(docs) - names) == [], "lines naming no field"
    assert all(docs.values())


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
def test_a_choice_field_names_every_choice(schema):
    """An Enum field's meaning lists its allowed values, so they cannot drift apart."""
    docs = field_docs(schema)
    for name, kind in typing.get_type_hints(schema).items():
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            absent = [m.value for m in kind if not re.search(rf"\b{m.value}\b", docs[name])]
            assert not absent, f"{schema.__name__}.{name} does not name {absent}"


def test_field_docs_reads_google_style_attributes():
    @dataclasses.dataclass
    class Example:
        """Summary.

        Attributes:
            size: how many
            _target_: the function, whose meaning
                goes on here
        """

        size: int = 1
        _target_: str = "x"

    assert field_docs(Example) == {
        "size": "how many",
        "_target_": "the function, whose meaning goes on here",
    }
    assert field_docs(int) == {}
