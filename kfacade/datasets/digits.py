"""The 8x8 handwritten digits bundled with scikit-learn (no download).

1,797 real 8x8 grayscale images of the digits 0-9 (the UCI "Optical
Recognition of Handwritten Digits" test set), read from the copy that ships
inside scikit-learn. Small enough for tests and demos that must train a real
model offline.
"""
import numpy as np

__all__ = ["load_data"]


def load_data(test_split=0.2, seed=113):
    """Loads the scikit-learn digits data set, shuffled and split.

    Args:
        test_split: Fraction of the samples kept for the test set, in
            `[0, 1)`.
        seed: Seed of the shuffle before the split.

    Returns:
        Tuple of NumPy arrays `(x_train, y_train), (x_test, y_test)`:
        `x_*` float32 of shape `(n, 8, 8)` with values in [0, 16], `y_*`
        int64 class labels in [0, 9]. With the default split, 1,437 training
        and 360 test samples.

    Raises:
        ImportError: if scikit-learn is not installed.

    Example:

    ```python
    from kfacade.datasets import digits

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8)
    ```
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Received: test_split={test_split!r}; expected a float in [0, 1)."
        )
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "kfacade.datasets.digits reads the digits bundled with "
            "scikit-learn; install it with `pip install scikit-learn`."
        ) from None
    bunch = load_digits()
    images = np.asarray(bunch.images, dtype="float32")
    labels = np.asarray(bunch.target, dtype="int64")

    indices = np.arange(len(images))
    np.random.RandomState(seed).shuffle(indices)
    images, labels = images[indices], labels[indices]

    split = int(len(images) * (1 - test_split))
    return (images[:split], labels[:split]), (images[split:], labels[split:])
