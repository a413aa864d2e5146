"""NumPy helpers for labels and vectors: `to_categorical`, `normalize`."""
import numpy as np

__all__ = ["to_categorical", "normalize"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Converts a class vector (integers) to a binary class matrix.

    A trailing axis of size 1 is dropped first, as in Keras: labels of shape
    `(n, 1)` give `(n, num_classes)`, not `(n, 1, num_classes)`.

    Args:
        y: Array-like of integer class labels in `[0, num_classes)`, any
            shape. Whole-number floats (`2.0`) are accepted.
        num_classes: Total number of classes. Defaults to `max(y) + 1`.
        dtype: Data type of the result. Defaults to `"float32"`.

    Returns:
        A NumPy array of shape `y.shape + (num_classes,)` (after dropping a
        trailing axis of size 1) with a 1 at each label and 0 elsewhere.

    Raises:
        ValueError: if a label is negative, not a whole number, or
            `>= num_classes`, or if `num_classes` is not a positive integer.

    Example:

    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    labels = np.asarray(y)
    if labels.dtype == object or labels.dtype.kind not in "biuf":
        raise ValueError(
            f"`y` must hold integer class labels; received an array of dtype "
            f"{labels.dtype}."
        )
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            bad = labels.reshape(-1)[
                ~(np.isfinite(labels) & (labels == np.round(labels))).reshape(-1)
            ][0]
            raise ValueError(
                f"Class labels must be whole numbers; received label {bad!r}."
            )
    labels = labels.astype("int64")
    input_shape = labels.shape
    if len(input_shape) > 1 and input_shape[-1] == 1:
        input_shape = input_shape[:-1]
    labels = labels.reshape(-1)

    if num_classes is None:
        if labels.size == 0:
            raise ValueError(
                "`y` is empty, so the number of classes cannot be inferred; "
                "pass `num_classes`."
            )
        num_classes = int(labels.max()) + 1
    elif (
        isinstance(num_classes, bool)
        or int(num_classes) != num_classes
        or num_classes < 1
    ):
        raise ValueError(
            f"Received: num_classes={num_classes!r}; expected a positive integer."
        )
    num_classes = int(num_classes)

    if labels.size:
        if labels.min() < 0:
            raise ValueError(
                f"Class labels must be >= 0; received label {int(labels.min())}."
            )
        if labels.max() >= num_classes:
            raise ValueError(
                f"Class labels must be < num_classes={num_classes}; received "
                f"label {int(labels.max())}."
            )

    categorical = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    categorical[np.arange(labels.shape[0]), labels] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Normalizes an array to unit norm along an axis.

    Vectors of norm 0 are left as zeros (no division by zero).

    Args:
        x: Array-like to normalize.
        axis: Axis along which to normalize. Defaults to `-1`.
        order: Order of the norm (as in `numpy.linalg.norm`); `2` is the
            Euclidean norm.

    Returns:
        A floating NumPy array of the shape of `x`, each slice along `axis`
        divided by its norm.

    Example:

    >>> normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype("float64")
    norm = np.atleast_1d(np.linalg.norm(x, order, axis, keepdims=True))
    norm[norm == 0] = 1
    return x / norm
