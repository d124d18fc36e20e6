"""The model stage: architectures, training, loading a run's model."""
