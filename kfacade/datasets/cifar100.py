"""CIFAR-100: 32x32 colour images of 100 classes in 20 superclasses, as Keras loads it."""
import os

import numpy as np

from kfacade.datasets._cifar import load_batch, to_image_data_format
from kfacade.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
DIRNAME = "cifar-100-python-target"


def load_data(label_mode="fine"):
    """Loads the CIFAR-100 data set.

    50,000 training and 10,000 test 32x32 colour images labelled over 100
    fine classes grouped into 20 coarse ones. Downloaded once (161 MB) to
    `$KERAS_HOME/datasets`, checked against its SHA-256, extracted, and read
    with a restricted unpickler.

    Args:
        label_mode: `"fine"` (labels 0-99) or `"coarse"` (superclasses 0-19).

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`:
        `x_train` uint8 of shape `(50000, 32, 32, 3)` (channels first when
        `image_data_format()` says so), `y_train` of shape `(50000, 1)`;
        10,000 test samples likewise.

    Example:

    ```python
    (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")
    assert y_train.max() == 19
    ```
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f"Received: label_mode={label_mode!r}; expected one of 'fine', 'coarse'."
        )
    path = get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=key)
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=key)
    y_train = np.reshape(np.asarray(y_train), (len(y_train), 1))
    y_test = np.reshape(np.asarray(y_test), (len(y_test), 1))
    return (to_image_data_format(x_train), y_train), (to_image_data_format(x_test), y_test)
