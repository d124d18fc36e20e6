"""threshold-sweep: label a numeric column at several thresholds and compare the models honestly."""

__version__ = "0.1.0"

__all__ = ["load_run", "load_sweep"]


def __getattr__(name: str) -> object:
    """`threshold_sweep.load_run` / `load_sweep` without importing pandas at package import."""
    if name in __all__:
        from threshold_sweep import api

        return getattr(api, name)
    raise AttributeError(f"module 'threshold_sweep' has no attribute {name!r}")
