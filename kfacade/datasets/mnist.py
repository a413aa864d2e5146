"""MNIST handwritten digits, downloaded as Keras does."""
import numpy as np

from kfacade.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Loads the MNIST data set.

    60,000 28x28 grayscale training images of the 10 digits and 10,000 test
    images. The file is downloaded once (11 MB) to `$KERAS_HOME/datasets`
    (default `~/.keras/datasets`), checked against its SHA-256 hash, and
    read from there afterwards.

    Args:
        path: File name in the cache folder (or an absolute path).

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`:
        `x_train` uint8 of shape `(60000, 28, 28)` with values 0-255,
        `y_train` uint8 labels 0-9 of shape `(60000,)`, and `x_test`,
        `y_test` likewise with 10,000 samples.

    Raises:
        OSError: if the download fails.
        ValueError: if the downloaded file's hash differs from the expected
            one (the partial file is removed).

    Example:

    ```python
    from kfacade.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28)
    ```
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as data:
        x_train, y_train = data["x_train"], data["y_train"]
        x_test, y_test = data["x_test"], data["y_test"]
    return (x_train, y_train), (x_test, y_test)
