"""Boston housing prices (regression), as Keras loads it."""
import numpy as np

from kfacade.datasets._processing import check_test_split, shuffle_split
from kfacade.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston Housing data set (506 samples, 13 features).

    **Warning:** this data set has an ethical problem (a feature that
    assumes racial self-segregation influences prices); Keras discourages
    its use except to illustrate such problems. Prefer `california_housing`.

    Args:
        path: File name in the cache folder, or an absolute path to a copy.
        test_split: Fraction of the samples kept for the test set, in [0, 1).
        seed: Seed of the shuffle before the split.

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`:
        `x_*` float64 of shape `(n, 13)`, `y_*` float64 median prices in k$
        of shape `(n,)`; 404 training and 102 test samples by default.
    """
    check_test_split(test_split)
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    return shuffle_split(x, y, test_split, seed)
