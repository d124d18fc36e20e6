"""The reference models fit after the CNN's training, on one thread, never beside it: fitted
in a background thread they slowed the training (docs/benchmarks.md, "Cost of a run against a
bare Keras script")."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from threshold_sweep.pipeline import stages
from threshold_sweep.pipeline.modes.base import Unit
from threshold_sweep.pipeline.modes.single import SingleSplit
from threshold_sweep.preload import Later


def test_later_runs_once_in_the_asking_thread_when_first_asked():
    calls = []
    later = Later(lambda a, b: calls.append(threading.current_thread()) or a + b, 2, 3)
    assert calls == []
    assert later.result() == 5 and later.result() == 5
    assert calls == [threading.current_thread()]


def test_later_passes_the_error_to_the_asker():
    later = Later(int, "not a number")
    with pytest.raises(ValueError, match="not a number"):
        later.result()


def test_resolved_takes_a_list_or_a_later():
    assert stages.resolved([1, 2]) == [1, 2]
    assert stages.resolved(Later(list, (3,))) == [3]


def test_a_single_split_trains_first_and_fits_the_references_when_asked(monkeypatch):
    events = []

    def train(*args, **kwargs):
        events.append(("train", threading.active_count()))
        return "trained"

    def references(names, train_cfg, data):
        events.append(("references", names, stages.reference_threads(train_cfg)))
        return ["fitted"]

    monkeypatch.setattr(stages, "train_run_model", train)
    monkeypatch.setattr(stages, "fit_run_references", references)
    cfg = SimpleNamespace(
        evaluate=SimpleNamespace(reference=["logistic", "hgb"]),
        train=SimpleNamespace(threads=2, seed=0),
        model=None,
    )
    before = threading.active_count()
    fitted = SingleSplit().fit(cfg, None, Unit("data", "folder"), None)
    assert events == [("train", before)]  # no thread was started beside the training
    assert stages.resolved(fitted.references) == ["fitted"]
    assert events[1] == ("references", ["logistic", "hgb"], 1)
