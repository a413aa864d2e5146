"""CIFAR-10: 32x32 colour images of 10 classes, as Keras loads it."""
import os

import numpy as np

from kfacade.datasets._cifar import load_batch, to_image_data_format
from kfacade.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
DIRNAME = "cifar-10-batches-py-target"


def load_data():
    """Loads the CIFAR-10 data set.

    50,000 training and 10,000 test 32x32 colour images of 10 classes
    (0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
    7 horse, 8 ship, 9 truck). The 163 MB tarball is downloaded once to
    `$KERAS_HOME/datasets`, checked against its SHA-256 and extracted there;
    its python-pickle batches are read with a restricted unpickler that
    rebuilds NumPy arrays and plain data only.

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`:
        `x_train` uint8 of shape `(50000, 32, 32, 3)` (`(50000, 3, 32, 32)`
        when `image_data_format()` is "channels_first"), `y_train` uint8 of
        shape `(50000, 1)`; 10,000 test samples likewise.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (50000, 32, 32, 3) and y_train.shape == (50000, 1)
    ```
    """
    path = get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-10-batches-py")
    batches = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in batches]).astype("uint8")
    y_train = np.concatenate([np.asarray(labels) for _, labels in batches]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.asarray(y_test, dtype="uint8").reshape(len(y_test), 1)
    return (to_image_data_format(x_train), y_train), (to_image_data_format(x_test), y_test)
