"""Loading a run's saved model (imports TensorFlow): Keras safe mode, never pickle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threshold_sweep.layout import MODEL
from threshold_sweep.model.runtime import import_tensorflow


def load_run_model(run_dir: Path) -> Any:
    """The run's model.keras, loaded with safe_mode=True (no arbitrary code is executed)."""
    import_tensorflow()
    import keras

    # registers the project's custom layers, which safe mode then finds by name
    import threshold_sweep.model.layers  # noqa: F401

    return keras.saving.load_model(Path(run_dir) / MODEL, safe_mode=True, compile=False)
