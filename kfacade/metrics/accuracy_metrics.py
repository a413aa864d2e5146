"""Accuracy metrics and their per-sample functions (1.0 for a hit, 0.0 for a miss)."""
from kfacade import ops
from kfacade.backend.config import floatx
from kfacade.losses.loss import squeeze_or_expand_to_same_rank
from kfacade.metrics.reduction_metrics import FunctionMean


def accuracy(y_true, y_pred):
    """1.0 where `y_pred` equals `y_true` exactly."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` agrees with the 0/1 label `y_true`.

    Returns:
        Values of `y_pred`'s shape (a trailing axis of 1 shared with `y_true`
        is kept, as Keras).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, threshold), ops.dtype(y_true))
    return ops.cast(ops.equal(y_true, y_pred), floatx())


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals argmax(y_true) (one-hot targets)."""
    y_true = ops.argmax(y_true, axis=-1)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, ops.dtype(y_pred))
    y_true_shape = ops.shape(y_true)
    reshape_matches = False
    if ops.ndim(y_true) == ops.ndim(y_pred):
        y_true = ops.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = ops.cast(ops.argmax(y_pred, axis=-1), ops.dtype(y_true))
    matches = ops.cast(ops.equal(y_true, y_pred), floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_shape)
    return matches


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label `y_true`.

    `y_true` has shape ``(batch, ...)`` or ``(batch, ..., 1)``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    y_true_shape = ops.shape(y_true)
    reshape_matches = False
    if ops.ndim(y_true) == ops.ndim(y_pred) and y_true_shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = ops.cast(ops.argmax(y_pred, axis=-1), ops.dtype(y_true))
    matches = ops.cast(ops.equal(y_true, y_pred), floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_shape)
    if ops.ndim(matches) > 1 and ops.shape(matches)[-1] == 1:
        matches = ops.squeeze(matches, -1)
    return matches


def in_top_k(targets, predictions, k):
    """True where the prediction for class `targets` is among the `k` largest.

    Ties count in the target's favour (its rank is 1 + the number of
    strictly larger predictions), and a NaN prediction is never in the top k,
    as ``keras.ops.in_top_k``.
    """
    predictions = ops.convert_to_tensor(predictions)
    targets = ops.cast(targets, "int32")
    at_label = ops.take_along_axis(predictions, ops.expand_dims(targets, -1), axis=-1)
    at_label = ops.where(ops.isnan(at_label), ops.full(ops.shape(at_label), float("-inf"),
                                                         dtype=ops.dtype(at_label)), at_label)
    larger = ops.sum(ops.cast(ops.greater(predictions, at_label), "int32"), axis=-1)
    return ops.less(larger, k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where argmax(y_true) is among the `k` largest entries of `y_pred`."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.argmax(ops.convert_to_tensor(y_true), axis=-1)
    y_true_shape = ops.shape(y_true)
    if ops.ndim(y_pred) > 2:
        y_pred = ops.reshape(y_pred, (-1, ops.shape(y_pred)[-1]))
    reshape_matches = ops.ndim(y_true) > 1
    if reshape_matches:
        y_true = ops.reshape(y_true, (-1,))
    matches = ops.cast(in_top_k(y_true, y_pred, k), floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_shape)
    return matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label `y_true` is among the `k` largest entries of `y_pred`."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
    y_true_shape = ops.shape(y_true)
    if ops.ndim(y_pred) > 2:
        y_pred = ops.reshape(y_pred, (-1, ops.shape(y_pred)[-1]))
    reshape_matches = ops.ndim(y_true) > 1
    if reshape_matches:
        y_true = ops.reshape(y_true, (-1,))
    matches = ops.cast(in_top_k(y_true, y_pred, k), floatx())
    if reshape_matches:
        matches = ops.reshape(matches, y_true_shape)
    return matches


class Accuracy(FunctionMean):
    """How often `y_pred` equals `y_true` exactly; name "accuracy"."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)


class BinaryAccuracy(FunctionMean):
    """How often ``y_pred > threshold`` matches the 0/1 label.

    Args:
        name: default "binary_accuracy".
        dtype: the dtype of the state.
        threshold: the probability above which a prediction is 1 (0.5).
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(FunctionMean):
    """How often argmax(y_pred) matches argmax of the one-hot `y_true`."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(FunctionMean):
    """How often argmax(y_pred) matches the integer label `y_true`."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(FunctionMean):
    """How often the one-hot target is among the `k` (default 5) top predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(FunctionMean):
    """How often the integer label is among the `k` (default 5) top predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

