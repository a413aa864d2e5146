"""Reading CIFAR's python-pickle batches (shared by cifar10 and cifar100)."""
import numpy as np

from kfacade.backend import config
from kfacade.datasets._readers import load_pickle

__all__ = ["load_batch", "to_image_data_format"]


def load_batch(fpath, label_key="labels"):
    """Reads one CIFAR batch file with the restricted unpickler.

    Returns:
        `(data, labels)`: uint8 `(n, 3, 32, 32)` images and the labels list.
    """
    with open(fpath, "rb") as handle:
        batch = load_pickle(handle, encoding="bytes")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value
             for key, value in batch.items()}
    data = np.asarray(batch["data"], dtype="uint8")
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def to_image_data_format(x):
    """CIFAR's channels-first images, transposed when Keras's
    `image_data_format()` is "channels_last" (the default)."""
    if config.image_data_format() == "channels_last":
        return x.transpose(0, 2, 3, 1)
    return x
