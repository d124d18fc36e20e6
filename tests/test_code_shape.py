"""The source tree keeps the shape issue 24 gave it (benchmarks/code_shape.py measures it):
no import cycle, even through a function-level import; no module over 500 lines; no function
over 60 lines; the cumulative head named in at most 10 modules."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from conftest import ROOT

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
MAX_MODULES_NAMING_THE_HEAD = 10


def code_shape() -> ModuleType:
    """benchmarks/code_shape.py as a module."""
    spec = importlib.util.spec_from_file_location("code_shape", ROOT / "benchmarks/code_shape.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shape() -> dict:
    """code_shape.shape() of the tree."""
    return code_shape().shape("cumulative")


def test_no_import_cycle(shape):
    assert shape["import_cycles"] == []


def test_no_module_over_500_lines(shape):
    assert shape["modules_over_500_lines"] == {}


def test_no_function_over_60_lines(shape):
    longest, name = shape["longest_functions"][0]
    assert longest <= MAX_FUNCTION_LINES, name


def test_the_cumulative_head_lives_in_few_modules(shape):
    named = shape["modules_naming_cumulative_list"]
    assert len(named) <= MAX_MODULES_NAMING_THE_HEAD, named
    assert "threshold_sweep.pipeline.modes.cumulative" in named  # the measure finds the mode


def test_the_measure_finds_a_cycle_and_a_long_function(tmp_path, monkeypatch):
    module = code_shape()
    package = tmp_path / "threshold_sweep"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from threshold_sweep import b\n")
    body = "".join(f"    x{i} = {i}\n" for i in range(70))
    (package / "b.py").write_text("import threshold_sweep.a\n\n\ndef long():\n" + body)
    monkeypatch.setattr(module, "SOURCE", package)
    measured = module.shape("cumulative")
    assert measured["import_cycles"] == [["threshold_sweep.a", "threshold_sweep.b"]]
    assert tuple(measured["longest_functions"][0]) == (71, "threshold_sweep.b.long")
