"""Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing, as Keras loads it."""
import gzip
import os

import numpy as np

from kfacade.utils.file_utils import get_file

__all__ = ["load_data"]

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
# Keras downloads these four files with no hash; these are the MD5s that
# Zalando publishes for them (zalandoresearch/fashion-mnist README).
FILES = {
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
}


def _read_idx(path, offset):
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=offset)


def load_data():
    """Loads the Fashion-MNIST data set.

    60,000 training and 10,000 test images of 10 categories (0 T-shirt/top,
    1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
    8 Bag, 9 Ankle boot). The four gzipped IDX files are downloaded once to
    `$KERAS_HOME/datasets/fashion-mnist` and checked against their MD5s.

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`:
        `x_train` uint8 of shape `(60000, 28, 28)`, `y_train` uint8 of
        shape `(60000,)`, and 10,000 test samples likewise.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28)
    ```

    License: Fashion-MNIST is copyright Zalando SE, under the MIT license.
    """
    paths = [get_file(name, origin=BASE_URL + name, file_hash=md5, cache_subdir=CACHE_SUBDIR)
             for name, md5 in FILES.items()]
    y_train = _read_idx(paths[0], offset=8)
    x_train = _read_idx(paths[1], offset=16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], offset=8)
    x_test = _read_idx(paths[3], offset=16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
