"""California housing prices (regression, 1990 census), as Keras loads it."""
import numpy as np

from kfacade.datasets._processing import check_test_split, shuffle_split
from kfacade.utils.file_utils import get_file

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California Housing data set: 20,640 districts, 8 features.

    The features: median income, house age, average rooms, average
    bedrooms, population, average occupancy, latitude, longitude; the
    target is the median house value in dollars.

    Args:
        version: `"large"` (all 20,640 samples) or `"small"` (the first 600,
            a stand-in for `boston_housing`).
        path: File name in the cache folder, or an absolute path to a copy.
        test_split: Fraction of the samples kept for the test set, in [0, 1).
        seed: Seed of the shuffle before the split.

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`:
        `x_*` of shape `(n, 8)`, `y_*` of shape `(n,)`.
    """
    check_test_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(
            f"Received: version={version!r}; expected one of 'small', 'large'."
        )
    path = get_file(path, origin=ORIGIN, file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffle_split(x, y, test_split, seed)
