"""threshold-sweep: label a numeric column at several thresholds and compare the models honestly."""

__version__ = "0.1.0"
