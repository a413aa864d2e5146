"""Intersection-over-union metrics: IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU.

Each keeps one state Variable, ``total_confusion_matrix`` of shape
``(num_classes, num_classes)`` (row = label, column = prediction), summed
weights of every pair seen. A class's IoU is ``tp / (tp + fp + fn)`` from it;
the result averages the IoUs of `target_class_ids`, leaving out the classes
that never occurred (no label and no prediction).

As in Keras, the state's dtype defaults to int32: fractional sample weights
are truncated to integers unless the metric is made with ``dtype="float32"``.
"""
import warnings

import numpy as np

from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.metrics.metric import Metric
from kfacade.metrics.metrics_utils import confusion_matrix


class _IoUBase(Metric):
    """The confusion-matrix state and its update, shared by the IoU metrics.

    Args:
        num_classes: the number of classes (the matrix is num_classes x num_classes).
        name, dtype: the metric's name; the state's dtype (default int32).
        ignore_class: a label whose entries are not counted (e.g. a "void"
            class, -1 or 255), or None.
        sparse_y_true, sparse_y_pred: whether labels / predictions are class
            ids; if False the argmax over `axis` gives the ids.
        axis: the class axis of dense labels or predictions (default -1).
    """

    _config_keys = ()  # the constructor arguments get_config gives, besides name and dtype

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), initializer="zeros", name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's (label, prediction) pairs to the confusion matrix.

        Entries whose label or prediction lies outside ``[0, num_classes)``,
        or whose label is `ignore_class`, are not counted.

        Args:
            y_true: class ids (one-hot or scores when not `sparse_y_true`).
            y_pred: class ids (scores when not `sparse_y_pred`).
            sample_weight: None, a scalar, or weights of the ids' shape (or
                of its leading axes, e.g. one per sample).
        """
        if not self.sparse_y_true:
            y_true = ops.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(y_pred, axis=self.axis)
        # Float ids are truncated toward zero, as Keras's conversion to the
        # (int) state dtype does.
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        if sample_weight is not None:
            sample_weight = self._weights_like(sample_weight, y_true)
        y_true = ops.reshape(y_true, (-1,))
        y_pred = ops.reshape(y_pred, (-1,))
        weights = ops.ones_like(y_true)
        if sample_weight is not None:  # multiplied, not broadcast_to: the batch may be unknown
            weights = ops.multiply(weights, ops.reshape(sample_weight, (-1,)))
        counted = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, 0), ops.less(y_true, self.num_classes)),
            ops.logical_and(ops.greater_equal(y_pred, 0), ops.less(y_pred, self.num_classes)),
        )
        if self.ignore_class is not None:
            counted = ops.logical_and(counted, ops.not_equal(y_true, self.ignore_class))
        # Uncounted entries add weight 0 at (0, 0): the shapes stay static.
        y_true = ops.where(counted, y_true, ops.zeros_like(y_true))
        y_pred = ops.where(counted, y_pred, ops.zeros_like(y_pred))
        weights = ops.where(counted, weights, ops.zeros_like(weights))
        self.total_cm.assign_add(
            confusion_matrix(y_true, y_pred, self.num_classes, weights, self.dtype))

    def _weights_like(self, sample_weight, ids):
        """`sample_weight` in the state dtype, spread over the trailing axes of
        `ids` when it has fewer (one weight per sample of ``(batch, h, w)``
        ids, which Keras refuses)."""
        sample_weight = ops.convert_to_tensor(sample_weight)
        if "float" in ops.dtype(sample_weight) and "int" in self.dtype:
            warnings.warn(
                f"{type(self).__name__}: sample_weight is {ops.dtype(sample_weight)} but the "
                f"metric's dtype is {self.dtype}, so the weights are truncated to integers. "
                f"Create the metric with dtype='float32' for fractional weights.",
                stacklevel=3,
            )
        sample_weight = ops.cast(sample_weight, self.dtype)
        rank = ops.ndim(sample_weight)
        if 0 < rank < ops.ndim(ids):
            for _ in range(ops.ndim(ids) - rank):
                sample_weight = ops.expand_dims(sample_weight, -1)
            sample_weight = ops.multiply(sample_weight, ops.ones_like(ids))
        return sample_weight

    def get_config(self):
        return {**super().get_config(), **{key: getattr(self, key) for key in self._config_keys}}


class IoU(_IoUBase):
    """The mean intersection-over-union, tp / (tp + fp + fn), of `target_class_ids`.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoUs are averaged (one id: that
            class's IoU). Classes with no label and no prediction are left
            out of the average; none left gives 0.
        name: default "io_u"; dtype: the state's dtype (default int32:
            give a float dtype for fractional sample weights).
        ignore_class, sparse_y_true, sparse_y_pred, axis: see the module's
            ``_IoUBase``.

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); m.result()  # 1 / (2 + 2 - 1)
    """

    _config_keys = ("num_classes", "target_class_ids", "ignore_class", "sparse_y_true",
                    "sparse_y_pred", "axis")

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        target_class_ids = list(target_class_ids)
        if not target_class_ids:
            raise ValueError(
                "Argument `target_class_ids` must name at least one class. "
                f"Received: target_class_ids={target_class_ids}")
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes}).")
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = target_class_ids

    def result(self):
        # Keras computes the result in float32 whatever the state's dtype.
        cm = ops.cast(self.total_cm.value, "float32")
        predicted = ops.sum(cm, axis=0)
        labelled = ops.sum(cm, axis=1)
        true_positives = ops.diagonal(cm)
        # predicted + labelled = 2 tp + fp + fn.
        union = ops.subtract(ops.add(predicted, labelled), true_positives)
        ids = np.asarray(self.target_class_ids, "int32")
        true_positives = ops.take(true_positives, ids)
        union = ops.take(union, ids)
        present = ops.greater(union, 1e-9)
        # Keras's arithmetic: epsilon in both denominators (a perfect score is 1 - 1e-7).
        iou = ops.divide(true_positives, ops.add(union, epsilon()))
        iou = ops.where(present, iou, ops.zeros_like(iou))
        return ops.divide(ops.sum(iou), ops.add(ops.sum(ops.cast(present, "float32")), epsilon()))


class BinaryIoU(IoU):
    """IoU of two classes with predictions thresholded: class 1 where
    ``y_pred >= threshold``, else class 0.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (default: the mean
            of both).
        threshold: the score from which a prediction is class 1 (default 0.5).
        name: default "binary_io_u"; dtype: the state's dtype (default int32).

    Example:
        >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]); m.result()  # 0.3333
    """

    _config_keys = ("target_class_ids", "threshold")

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """As ``IoU.update_state`` with `y_pred` scores: ``>= threshold`` is class 1."""
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float32")
        y_pred = ops.cast(ops.greater_equal(y_pred, self.threshold), self.dtype)
        super().update_state(y_true, y_pred, sample_weight)


class MeanIoU(IoU):
    """The mean IoU over all `num_classes` classes (those that occurred).

    Args:
        num_classes: the number of classes.
        name: default "mean_io_u"; dtype: the state's dtype (default int32).
        ignore_class, sparse_y_true, sparse_y_pred, axis: as ``IoU``.

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); m.result()  # 0.3333
    """

    _config_keys = ("num_classes", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotIoU(IoU):
    """``IoU`` of one-hot labels and score predictions (argmax over `axis`).

    Args:
        num_classes, target_class_ids, ignore_class, axis: as ``IoU``.
        name: default "one_hot_io_u"; dtype: the state's dtype (default int32).
        sparse_y_pred: predictions are already class ids (default False).

    Example:
        >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state(np.eye(3)[[2, 0, 1, 0]], np.eye(3)[[2, 2, 0, 2]]); m.result()  # 1/6
    """

    _config_keys = ("num_classes", "target_class_ids", "ignore_class", "sparse_y_pred", "axis")

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` of one-hot labels and score predictions (argmax over `axis`).

    Args:
        num_classes, ignore_class, axis: as ``MeanIoU``.
        name: default "one_hot_mean_io_u"; dtype: the state's dtype (default int32).
        sparse_y_pred: predictions are already class ids (default False).

    Example:
        >>> m = OneHotMeanIoU(num_classes=3)
        >>> m.update_state(np.eye(3)[[2, 0, 1, 0]], np.eye(3)[[2, 2, 0, 2]]); m.result()  # 1/9
    """

    _config_keys = ("num_classes", "ignore_class", "sparse_y_pred", "axis")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)
