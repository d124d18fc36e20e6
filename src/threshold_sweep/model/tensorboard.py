"""TensorBoard logs without the tensorboard package: per-epoch scalars in Keras's layout.

Keras's own TensorBoard callback needs `pip install tensorboard` to write scalars; this one
writes the same `train/` and `validation/` event files with TensorFlow alone. Viewing them
still takes TensorBoard: `tensorboard --logdir <run folder>/tensorboard`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def epoch_scalars(log_dir: Path) -> Any:
    """A Keras callback writing epoch_<metric> scalars (and the learning rate) per epoch."""
    import keras
    import tensorflow as tf
    from tensorflow.core.framework import summary_pb2

    metadata = summary_pb2.SummaryMetadata(data_class=summary_pb2.DATA_CLASS_SCALAR)
    metadata.plugin_data.plugin_name = "scalars"  # what TensorBoard's scalar dashboard reads

    class EpochScalars(keras.callbacks.Callback):
        """Writes train/ and validation/ scalars at the end of every epoch."""

        def __init__(self) -> None:
            super().__init__()
            self._writers: dict[str, Any] = {}

        def _write(self, split: str, values: dict[str, float], epoch: int) -> None:
            """One scalar per value, flushed so that a killed run keeps its epochs."""
            if split not in self._writers:
                self._writers[split] = tf.summary.create_file_writer(str(Path(log_dir) / split))
            writer = self._writers[split]
            with writer.as_default():
                for name, value in values.items():
                    tensor = tf.constant(float(value), dtype=tf.float32)
                    tf.summary.write(f"epoch_{name}", tensor, step=epoch, metadata=metadata)
            writer.flush()

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            """Split the epoch's logs into train and validation scalars."""
            logs = logs or {}
            train = {k: v for k, v in logs.items() if not k.startswith("val_")}
            train["learning_rate"] = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            self._write("train", train, epoch)
            validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
            if validation:
                self._write("validation", validation, epoch)

        def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
            """Close the event files."""
            for writer in self._writers.values():
                writer.close()
            self._writers.clear()

    return EpochScalars()
