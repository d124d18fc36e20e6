"""The training-curves plot: each training curve beside its validation counterpart."""

from __future__ import annotations

import pandas as pd

from threshold_sweep.report import plots


def _panels(history: pd.DataFrame, monitor: str, monkeypatch, tmp_path) -> dict[str, list[str]]:
    """Each panel's title and the labels of its lines."""
    drawn = {}

    def keep(path, figure):
        drawn["figure"] = figure
        return path

    monkeypatch.setattr(plots, "write_figure", keep)
    plots.plot_training_curves(history, 2, tmp_path / "curves.png", monitor)
    return {
        axes.get_title(): [line.get_label() for line in axes.get_lines()]
        for axes in drawn["figure"].axes
    }


def test_keras_auc_is_drawn_beside_the_exact_validation_roc_auc(monkeypatch, tmp_path):
    history = pd.DataFrame(
        {
            "epoch": [0, 1, 2],
            "loss": [0.7, 0.6, 0.5],
            "auc": [0.6, 0.7, 0.8],
            "val_loss": [0.7, 0.65, 0.6],
            "val_roc_auc": [0.55, 0.65, 0.7],
        }
    )
    panels = _panels(history, "val_roc_auc", monkeypatch, tmp_path)
    assert list(panels) == ["loss", "auc"]  # the monitor is the auc panel's validation line
    assert {"train", "validation"} <= set(panels["auc"])
    older = history.rename(columns={"val_roc_auc": "val_auc"}).assign(val_roc_auc=[0.5] * 3)
    panels = _panels(older, "val_roc_auc", monkeypatch, tmp_path)  # a run written before
    assert list(panels) == ["loss", "auc", "val_roc_auc (monitor)"]
