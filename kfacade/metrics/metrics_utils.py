"""Thresholded confusion-matrix counts, Keras's ``update_confusion_matrix_variables``,
and the input check of the metrics sized per output.

Two paths give the counts, as in Keras:

- evenly spaced thresholds (AUC's default ``i / (n - 1)``): each prediction
  falls in a bucket ``ceil(p * (n - 1)) - 1`` and counts as positive at every
  threshold up to its bucket: O(batch * n) work, no per-threshold compare of
  floats (Keras sums bucket counts with ``segment_sum``; a compare of the
  bucket index with the threshold index gives the same counts);
- any other thresholds: ``prediction > threshold`` for each pair.

Everything is tensor ops with static shapes: no host sync, no branch on values.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.losses.loss import squeeze_or_expand_to_same_rank

NEG_INF = -1e10

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"
CONFUSION_MATRIX_KEYS = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)


def check_two_dimensional(metric, y_true_shape, y_pred_shape):
    """Raises Keras's ValueError unless the shapes are ``(batch, outputs)``
    with `outputs` known (`y_true_shape` None: not checked), for metrics
    whose state is sized per output (``FBetaScore``, ``R2Score``)."""
    shapes = [tuple(y_pred_shape)] + ([] if y_true_shape is None else [tuple(y_true_shape)])
    if any(len(shape) != 2 or shape[-1] is None for shape in shapes):
        raise ValueError(
            f"{type(metric).__name__} expects 2D inputs with shape (batch_size, output_dim), "
            "with output_dim fully defined (not None). Received input shapes: "
            f"y_pred.shape={tuple(y_pred_shape)} and y_true.shape="
            f"{None if y_true_shape is None else tuple(y_true_shape)}.")


def _to_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return [x]


def parse_init_thresholds(thresholds, default_threshold=0.5):
    """`thresholds` (a float or a list) as a list, checked to lie in [0, 1].

    Raises:
        ValueError: a threshold outside [0, 1].
    """
    if thresholds is not None:
        invalid = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return _to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds):
    """True if `thresholds` are ``i / (n - 1)`` for i = 0..n-1 (n >= 3), within epsilon."""
    num_thresholds = len(thresholds)
    if num_thresholds < 3:
        return False
    even = np.arange(num_thresholds, dtype=np.float32) / (num_thresholds - 1)
    return bool(np.allclose(thresholds, even, atol=epsilon()))


def filter_top_k(x, k):
    """`x` with every entry outside the `k` largest of its last axis set to NEG_INF."""
    _, indices = ops.top_k(x, k)
    mask = ops.sum(ops.one_hot(indices, ops.shape(x)[-1], dtype=ops.dtype(x)), axis=-2)
    return ops.add(ops.multiply(x, mask), ops.multiply(NEG_INF, ops.subtract(1.0, mask)))


def update_confusion_matrix_variables(variables_to_update, y_true, y_pred, thresholds,
                                      top_k=None, class_id=None, sample_weight=None,
                                      multi_label=False, label_weights=None,
                                      thresholds_distributed_evenly=False):
    """Adds the batch's thresholded tp/fp/tn/fn counts to the given Variables.

    Args:
        variables_to_update: ``{"tp"|"fp"|"tn"|"fn": Variable}`` of shape
            ``(num_thresholds,)`` (``(num_thresholds, num_labels)`` when
            `multi_label`).
        y_true: labels; any nonzero value is positive.
        y_pred: scores, usually probabilities, of `y_true`'s shape.
        thresholds: a list of Python floats.
        top_k: count only the `top_k` largest predictions of each sample.
        class_id: count only this class (last axis).
        sample_weight: None or weights broadcastable to `y_pred`.
        multi_label: keep the label axis (counts per label).
        label_weights: per-label weights (not with `multi_label`).
        thresholds_distributed_evenly: use the bucket path (see the module).

    Raises:
        ValueError: unknown keys, or `label_weights` with `multi_label`.
    """
    if multi_label and label_weights is not None:
        raise ValueError(
            "`label_weights` for multilabel data should be handled outside of "
            "`update_confusion_matrix_variables` when `multi_label` is True."
        )
    invalid = [key for key in variables_to_update if key not in CONFUSION_MATRIX_KEYS]
    if invalid or not variables_to_update:
        raise ValueError(
            f"Invalid keys: {invalid}. Valid variable key options are: "
            f"{list(CONFUSION_MATRIX_KEYS)}. Received: {list(variables_to_update)}"
        )
    dtype = next(iter(variables_to_update.values())).dtype
    y_true = ops.cast(ops.convert_to_tensor(y_true), dtype)
    y_pred = ops.cast(ops.convert_to_tensor(y_pred), dtype)
    thresholds = [float(t) for t in thresholds]
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = ops.expand_dims(ops.cast(ops.convert_to_tensor(sample_weight), dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if ops.ndim(y_pred) == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {ops.shape(y_pred)}"
            )
        classes_true, classes_pred = ops.shape(y_true)[-1], ops.shape(y_pred)[-1]
        if None not in (classes_true, classes_pred) and classes_true != classes_pred:
            # Class ids against per-class scores: the slice below would take a
            # column y_true lacks and count nonsense (negative fn) silently.
            raise ValueError(
                "When class_id is provided, y_true must have one column per class, as "
                f"y_pred has (one-hot or multi-hot labels). Received: y_true.shape="
                f"{ops.shape(y_true)}, y_pred.shape={ops.shape(y_pred)}, class_id={class_id}"
            )
        y_true = y_true[..., class_id:class_id + 1]
        y_pred = y_pred[..., class_id:class_id + 1]
        if sample_weight is not None and ops.ndim(sample_weight) == ops.ndim(y_pred) \
                and ops.shape(sample_weight)[-1] != 1:
            sample_weight = sample_weight[..., class_id:class_id + 1]

    weights = None
    if sample_weight is not None:
        weights = ops.broadcast_to(sample_weight, ops.shape(y_pred))
    if label_weights is not None:
        lw = ops.broadcast_to(
            ops.expand_dims(ops.cast(ops.convert_to_tensor(label_weights), dtype), 0),
            ops.shape(y_pred),
        )
        weights = lw if weights is None else ops.multiply(weights, lw)
    labels = ops.cast(ops.not_equal(y_true, 0), dtype)  # any nonzero label is positive
    if not multi_label:
        labels = ops.reshape(labels, (-1,))
        y_pred = ops.reshape(y_pred, (-1,))
        if weights is not None:
            weights = ops.reshape(weights, (-1,))
    true_labels = labels if weights is None else ops.multiply(labels, weights)
    false_labels = ops.subtract(1.0, labels)
    if weights is not None:
        false_labels = ops.multiply(false_labels, weights)

    num_thresholds = len(thresholds)
    if thresholds_distributed_evenly:
        # Bucket b = ceil(p * (n - 1)) - 1 is positive at thresholds 0..b.
        y_pred = ops.clip(y_pred, 0.0, 1.0)
        buckets = ops.subtract(ops.ceil(ops.multiply(y_pred, float(num_thresholds - 1))), 1.0)
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:  # AUC's -eps / 1+eps end points
            buckets = ops.relu(buckets)
        buckets = ops.cast(buckets, "int32")
        index = ops.arange(0, num_thresholds, 1, dtype="int32")
        index = ops.reshape(index, (num_thresholds,) + (1,) * ops.ndim(buckets))
        pred_is_pos = ops.greater_equal(ops.expand_dims(buckets, 0), index)
    else:
        column = ops.reshape(
            ops.convert_to_tensor(np.asarray(thresholds), dtype=dtype),
            (num_thresholds,) + (1,) * ops.ndim(y_pred),
        )
        pred_is_pos = ops.greater(ops.expand_dims(y_pred, 0), column)
    # pred_is_pos: (num_thresholds, samples[, labels]); sum over the samples.
    pred_is_pos = ops.cast(pred_is_pos, dtype)
    true_labels = ops.expand_dims(true_labels, 0)
    false_labels = ops.expand_dims(false_labels, 0)
    tp = ops.sum(ops.multiply(pred_is_pos, true_labels), axis=1)
    fp = ops.sum(ops.multiply(pred_is_pos, false_labels), axis=1)
    if TRUE_POSITIVES in variables_to_update:
        variables_to_update[TRUE_POSITIVES].assign_add(tp)
    if FALSE_POSITIVES in variables_to_update:
        variables_to_update[FALSE_POSITIVES].assign_add(fp)
    if TRUE_NEGATIVES in variables_to_update:
        variables_to_update[TRUE_NEGATIVES].assign_add(
            ops.subtract(ops.sum(false_labels, axis=1), fp))
    if FALSE_NEGATIVES in variables_to_update:
        variables_to_update[FALSE_NEGATIVES].assign_add(
            ops.subtract(ops.sum(true_labels, axis=1), tp))


def confusion_matrix(labels, predictions, num_classes, weights, dtype):
    """The ``(num_classes, num_classes)`` matrix of summed `weights`: row =
    label, column = prediction (Keras's ``metrics_utils.confusion_matrix``).

    A scatter-add of the weights at ``(label, prediction)``: O(batch) work
    and memory, all in tensor ops, so it runs inside a compiled step.

    Args:
        labels, predictions: 1-D ints in ``[0, num_classes)`` (a caller masks
            others out by giving them weight 0 at a valid index).
        num_classes: a Python int.
        weights: 1-D, of `labels`' length.
        dtype: the matrix's dtype.
    """
    indices = ops.stack([ops.cast(labels, "int32"), ops.cast(predictions, "int32")], axis=1)
    return ops.scatter(indices, ops.cast(weights, dtype), (int(num_classes), int(num_classes)))
