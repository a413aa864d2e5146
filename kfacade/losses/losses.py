"""Keras's loss functions (per-sample values) and the ``Loss`` classes over them.

Each function takes ``(y_true, y_pred)`` of shape ``(batch, ..., d)`` and
returns per-sample losses of shape ``(batch, ...)`` (the last axis reduced
where Keras reduces it); each class wraps one function in a
``LossFunctionWrapper`` that adds sample weights and the reduction.
"""
import warnings

from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.engine import object_registry
from kfacade.backend.dtypes import dtype_range
from kfacade.engine.masks import get_keras_mask, set_keras_mask
from kfacade.losses.loss import Loss, squeeze_or_expand_to_same_rank

_LOG_2 = 0.6931471805599453


def _pair(y_true, y_pred):
    """`y_pred` as a tensor and `y_true` cast to its dtype, as Keras does."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), ops.dtype(y_pred))
    return y_true, y_pred


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


# ---------------------------------------------------------------- functions


def mean_squared_error(y_true, y_pred):
    """mean(square(y_true - y_pred), axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred), axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), epsilon())))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    first = ops.log(ops.add(ops.maximum(y_pred, epsilon()), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, epsilon()), 1.0))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


def _l2_normalize(x, axis):
    # Keras 3's rule: x * min(rsqrt(sum(x**2)), 1 / epsilon), written without
    # the infinite rsqrt(0).
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.divide(1.0, ops.sqrt(ops.maximum(square_sum, epsilon() ** 2))))


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for parallel vectors."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    return ops.negative(
        ops.sum(ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)), axis=axis)
    )


def huber(y_true, y_pred, delta=1.0):
    """mean(0.5 * e**2 if |e| <= delta else delta * |e| - 0.5 * delta**2, axis=-1), e = y_pred - y_true."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    delta = float(delta)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    return ops.mean(
        ops.where(
            ops.less_equal(abs_error, delta),
            ops.multiply(0.5, ops.square(error)),
            ops.subtract(ops.multiply(delta, abs_error), 0.5 * delta * delta),
        ),
        axis=-1,
    )


def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed as x + softplus(-2x) - log(2)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    x = ops.subtract(y_pred, y_true)
    return ops.mean(ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))), _LOG_2), axis=-1)


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1]."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = ops.clip(y_true, epsilon(), 1.0)
    y_pred = ops.clip(y_pred, epsilon(), 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return ops.mean(
        ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, epsilon())))), axis=-1
    )


def _convert_binary_labels_to_hinge(y_true):
    """Labels in {0, 1} mapped to {-1, 1}; other labels unchanged.

    Keras decides with ``ops.cond`` on the whole batch; ``where`` on the same
    scalar condition gives the same values with no data-dependent branch.
    """
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(is_binary, ops.subtract(ops.multiply(2.0, y_true), 1.0), y_true)


def hinge(y_true, y_pred):
    """mean(max(1 - y_true * y_pred, 0), axis=-1); {0, 1} labels become {-1, 1}."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """mean(square(max(1 - y_true * y_pred, 0)), axis=-1); {0, 1} labels become {-1, 1}."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return ops.mean(
        ops.square(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)), axis=-1
    )


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy of one-hot (or soft) `y_true` and `y_pred` along `axis`.

    Args:
        y_true: one-hot targets, shape ``(batch, ..., num_classes)``.
        y_pred: probabilities (or logits when `from_logits`), same shape.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1]; targets become
            ``y_true * (1 - label_smoothing) + label_smoothing / num_classes``.
        axis: the class axis.

    Returns:
        The losses, of `y_pred`'s shape without `axis`.
    """
    _check_axis(axis)
    y_true, y_pred = _pair(y_true, y_pred)
    if ops.shape(y_pred)[-1] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            f"(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={ops.shape(y_pred)}. Consider using 'binary_crossentropy' "
            f"if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        num_classes = float(ops.shape(y_true)[axis])
        y_true = ops.add(
            ops.multiply(y_true, 1.0 - label_smoothing), label_smoothing / num_classes
        )
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_categorical_crossentropy_masked(y_true, y_pred, from_logits=False,
                                            ignore_class=None, axis=-1):
    """(losses, mask of the entries whose label is not `ignore_class`, or None)."""
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if ops.ndim(y_true) == ops.ndim(y_pred) and ops.shape(y_true)[axis] == 1:
        y_true = ops.squeeze(y_true, axis=axis)
    valid_mask = None
    if ignore_class is not None:
        valid_mask = ops.not_equal(y_true, ignore_class)
        y_true = ops.where(valid_mask, y_true, ops.zeros_like(y_true))
        # Keras puts zeros there; ones give the same (masked) values and keep
        # the probability normalisation sum(y_pred) away from 0/0, whose NaN
        # would leak into the gradient through `where`.
        y_pred = ops.where(ops.expand_dims(valid_mask, axis), y_pred, ops.ones_like(y_pred))
    losses = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    if valid_mask is not None:
        losses = ops.where(valid_mask, losses, ops.zeros_like(losses))
    return losses, valid_mask


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy of integer labels `y_true` and `y_pred` along `axis`.

    Args:
        y_true: integer labels, shape ``(batch, ...)`` or ``(batch, ..., 1)``.
        y_pred: probabilities (or logits), shape ``(batch, ..., num_classes)``.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label whose entries get loss 0 (``SparseCategoricalCrossentropy``
            also leaves them out of the mean).
        axis: the class axis.

    Returns:
        The losses, of shape ``(batch, ...)``.
    """
    return _sparse_categorical_crossentropy_masked(
        y_true, y_pred, from_logits=from_logits, ignore_class=ignore_class, axis=axis
    )[0]


def _sparse_categorical_crossentropy_mean(y_true, y_pred, from_logits=False, ignore_class=None,
                                          axis=-1):
    """The mean over every entry of ``sparse_categorical_crossentropy``, from
    the adapter's fused kernel, or None where it has none or declines (the
    caller then reduces the per-entry losses). With `ignore_class` the mean
    leaves entries out: None.

    The per-entry function squeezes a trailing label axis of 1 at `axis`;
    the op called here squeezes it at the last axis, the only class axis
    its kernel takes, so the two agree wherever the kernel runs.
    """
    if ignore_class is not None:
        return None
    _check_axis(axis)
    return ops.nn._mean_sparse_categorical_crossentropy_or_none(
        y_true, y_pred, from_logits=from_logits, axis=axis)


sparse_categorical_crossentropy._with_mask = _sparse_categorical_crossentropy_masked
# The default reduction of the whole batch in one kernel (LossFunctionWrapper),
# where the adapter has that kernel: elsewhere the wrapper's attempt would only
# convert the tensors a second time.
if ops.nn._fused_mean_sparse_categorical_crossentropy is not None:
    sparse_categorical_crossentropy._mean = _sparse_categorical_crossentropy_mean
# Integer labels stay integers in ``LossFunctionWrapper`` (no float round trip).
sparse_categorical_crossentropy._integer_targets = True


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over `axis` of the elementwise binary cross-entropy.

    Args:
        y_true: targets in [0, 1].
        y_pred: probabilities (or logits when `from_logits`).
        from_logits: whether `y_pred` holds logits.
        label_smoothing: targets become ``y_true * (1 - s) + 0.5 * s``.
        axis: the axis averaged over.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def _binary_crossentropy_mean(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """The mean over every entry of ``binary_crossentropy`` (the mean over
    `axis`, then over the batch, is that mean) from the adapter's fused
    kernel, or None where it has none or declines: probabilities, whose
    clipping the kernels do not share, and an `axis` the tensors lack (the
    generic ``mean`` then names it)."""
    if not from_logits:
        return None
    _check_axis(axis)
    y_true, y_pred = _pair(y_true, y_pred)
    rank = len(y_pred.shape)
    if not isinstance(axis, int) or not -rank <= axis < rank:
        return None
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.nn._mean_binary_crossentropy_or_none(y_true, y_pred)


# The default reduction in one kernel (LossFunctionWrapper), where the adapter has it.
if ops.nn._fused_mean_binary_crossentropy is not None:
    binary_crossentropy._mean = _binary_crossentropy_mean


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over `axis` of the binary cross-entropy scaled by ``(1 - p_t) ** gamma``
    (Lin et al. 2017), ``p_t`` the probability given to the true label; with
    `apply_class_balancing`, also by `alpha` for positives and ``1 - alpha``
    for negatives. Other arguments as ``binary_crossentropy``'s."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = ops.add(ops.multiply(y_true, y_pred),
                  ops.multiply(ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        focal = ops.multiply(ops.add(ops.multiply(y_true, alpha),
                                     ops.multiply(ops.subtract(1.0, y_true), 1.0 - alpha)), focal)
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Sum over `axis` of ``-alpha * (1 - p) ** gamma * y_true * log(p)``, `p`
    the predictions renormalised to sum to 1 and clipped to [epsilon, 1 -
    epsilon]. Other arguments as ``categorical_crossentropy``'s."""
    _check_axis(axis)
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        num_classes = float(ops.shape(y_true)[-1])
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing),
                         label_smoothing / num_classes)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    output = ops.clip(output, epsilon(), 1.0 - epsilon())
    cce = ops.multiply(ops.negative(y_true), ops.log(output))
    weighting = ops.multiply(ops.power(ops.subtract(1.0, output), gamma), alpha)
    return ops.sum(ops.multiply(weighting, cce), axis=axis)


def dice(y_true, y_pred, axis=None):
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)``
    over `axis` (None: the whole batch, one value)."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    total = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)), epsilon())
    return ops.subtract(1.0, ops.divide(ops.multiply(2.0, intersection), total))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha * sum(y_true * (1 - y_pred)) + beta * sum((1 -
    y_true) * y_pred) + epsilon)`` over `axis` (None: the whole batch), TP =
    ``sum(y_true * y_pred)``: Keras 3's weighting (`alpha` on the missed
    positives, `beta` on the false ones)."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    missed = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    false = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denominator = ops.add(ops.add(ops.add(intersection, ops.multiply(missed, alpha)),
                                  ops.multiply(false, beta)), epsilon())
    return ops.subtract(1.0, ops.divide(intersection, denominator))


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """``(1 - p ** q) / q`` with p the predicted probability of each sample's
    integer label (Zhang & Sabuncu, 2018): cross-entropy as q -> 0, mean
    absolute error at q = 1, robust to noisy labels in between."""
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.one_hot(ops.cast(y_true, "int32"), ops.shape(y_pred)[-1], dtype=ops.dtype(y_pred))
    p = ops.sum(ops.multiply(y_pred, labels), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, q)), q)


def ctc(y_true, y_pred):
    """The CTC loss of each sample (``ops.ctc_loss`` with blank 0).

    Args:
        y_true: (batch_size, max_length) integer labels; 0 is the blank and
            pads the labels: each label's length is its count of nonzero entries.
        y_pred: (batch_size, max_length, num_classes) logits (not softmax-normalised);
            every time step is used.

    Returns:
        (batch_size,) negative log-likelihoods.
    """
    if len(ops.shape(y_true)) != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={ops.shape(y_true)}")
    if len(ops.shape(y_pred)) != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={ops.shape(y_pred)}")
    batch, time_steps = ops.shape(y_pred)[:2]
    label_length = ops.sum(ops.cast(ops.not_equal(y_true, 0), "int32"), axis=-1)
    output_length = ops.full((batch,), time_steps, dtype="int32")
    return ops.ctc_loss(y_true, y_pred, label_length, output_length, mask_index=0)


def _circle_masked(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
                   gamma=80, margin=0.4):
    """(circle losses, mask of the positive ones): the mean runs over the
    samples with a positive loss, as Keras's mask on the losses does."""
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
    reference = y_pred if ref_embeddings is None else ops.convert_to_tensor(ref_embeddings,
                                                                            dtype=ops.dtype(y_pred))
    ref_labels = labels if ref_labels is None else ops.reshape(ops.cast(ref_labels, "int32"), (-1,))
    # Similarity s = 1 - cosine distance, the distance clipped at 0 (s <= 1).
    similarity = ops.subtract(1.0, ops.maximum(
        ops.subtract(1.0, ops.matmul(y_pred, ops.transpose(reference))), 0.0))
    positive = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(ref_labels, 0))
    negative = ops.logical_not(positive)
    if remove_diagonal:
        not_self = ops.logical_not(ops.eye(ops.shape(labels)[0], ops.shape(ref_labels)[0],
                                           dtype="bool"))
        positive = ops.logical_and(positive, not_self)
    # Sun et al. (2020): alpha_p = [1 + m - s]_+, delta_p = 1 - m;
    # alpha_n = [s + m]_+, delta_n = m; logits gamma * alpha * (s - delta).
    alpha_p = ops.maximum(ops.subtract(1.0 + margin, similarity), 0.0)
    alpha_n = ops.maximum(ops.add(similarity, margin), 0.0)
    logit_p = ops.multiply(-gamma, ops.multiply(alpha_p, ops.subtract(similarity, 1.0 - margin)))
    logit_n = ops.multiply(gamma, ops.multiply(alpha_n, ops.subtract(similarity, margin)))
    # A finite floor for the excluded pairs (Keras: -inf) keeps gradients
    # finite for a sample with no positive or no negative pair; its loss is
    # softplus of a huge negative number, 0, as with -inf.
    floor = ops.convert_to_tensor(dtype_range(ops.dtype(y_pred))[0] / 4, dtype=ops.dtype(y_pred))
    log_p = ops.logsumexp(ops.where(positive, logit_p, floor), axis=1)
    log_n = ops.logsumexp(ops.where(negative, logit_n, floor), axis=1)
    losses = ops.softplus(ops.add(log_p, log_n))
    return losses, ops.greater(losses, 0.0)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80,
           margin=0.4):
    """The Circle loss (Sun et al., 2020) of each sample's L2-normalised embedding.

    ``softplus(logsumexp_p(-gamma * alpha_p * (s_p - (1 - margin)))
    + logsumexp_n(gamma * alpha_n * (s_n - margin)))`` over the sample's
    positive pairs p (same label; itself left out with `remove_diagonal`)
    and negative pairs n, `s` the cosine similarity, ``alpha_p = [1 +
    margin - s_p]_+``, ``alpha_n = [s_n + margin]_+``.

    Args:
        y_true: (batch_size,) integer labels.
        y_pred: (batch_size, dim) L2-normalised embeddings.
        ref_labels, ref_embeddings: the reference set compared against
            (default: `y_true` and `y_pred` themselves).
        remove_diagonal: whether a sample is left out of its own positives.
        gamma: the scale. margin: the relaxation margin.

    Returns:
        (batch_size,) losses; the zero ones carry a mask, which leaves them
        out of a ``Circle`` loss's mean, as in Keras.
    """
    losses, mask = _circle_masked(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal,
                                  gamma, margin)
    set_keras_mask(losses, mask)
    return losses


circle._with_mask = _circle_masked


# Keras's short names.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


# ------------------------------------------------------------------ classes


class LossFunctionWrapper(Loss):
    """A ``Loss`` computing per-sample values with a function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the loss function.
        reduction, name, dtype: as ``Loss``.
        **kwargs: passed to `fn` on every call.

    Example:
        >>> loss = LossFunctionWrapper(huber, delta=2.0, name="my_huber")
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def __call__(self, y_true, y_pred, sample_weight=None):
        # A function with a fused mean (sparse cross-entropy), the default
        # reduction, no weights and no mask: the batch's mean in one kernel.
        mean = getattr(self.fn, "_mean", None)
        if mean is not None and sample_weight is None and get_keras_mask(y_pred) is None \
                and self.reduction in ("sum_over_batch_size", "mean"):
            targets, outputs = squeeze_or_expand_to_same_rank(
                self._targets_as_tensor(y_true), ops.convert_to_tensor(y_pred, dtype=self.dtype))
            value = mean(targets, outputs, **self._fn_kwargs)
            if value is not None:
                return value
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _targets_as_tensor(self, y_true):
        """Integer labels of a function that takes them (sparse cross-entropy)
        as they are: Keras's cast to the loss's float dtype would cost two
        casts back per step and round labels above 2**24 (float32)."""
        if getattr(self.fn, "_integer_targets", False):
            y_true = ops.convert_to_tensor(y_true)
            if ops.dtype(y_true).startswith(("int", "uint")):
                return y_true
        return super()._targets_as_tensor(y_true)

    def _call_with_mask(self, y_true, y_pred):
        with_mask = getattr(self.fn, "_with_mask", None)
        if with_mask is None:
            return self.call(y_true, y_pred), None
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return with_mask(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = getattr(self.fn, "__name__", None)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        if "fn" not in config:  # a subclass whose config names no function
            return cls(**config)
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            fn = _loss_function(fn)
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _Simple(LossFunctionWrapper):
    """A wrapper whose only configuration is name and reduction."""

    _fn = None
    _default_name = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        super().__init__(type(self)._fn, name=name or self._default_name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class MeanSquaredError(_Simple):
    """mean(square(y_true - y_pred)) per sample; name "mean_squared_error"."""

    _fn = staticmethod(mean_squared_error)
    _default_name = "mean_squared_error"


class MeanAbsoluteError(_Simple):
    """mean(abs(y_true - y_pred)) per sample; name "mean_absolute_error"."""

    _fn = staticmethod(mean_absolute_error)
    _default_name = "mean_absolute_error"


class MeanAbsolutePercentageError(_Simple):
    """100 * mean(abs((y_true - y_pred) / y_true)) per sample."""

    _fn = staticmethod(mean_absolute_percentage_error)
    _default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_Simple):
    """mean(square(log(y_true + 1) - log(y_pred + 1))) per sample."""

    _fn = staticmethod(mean_squared_logarithmic_error)
    _default_name = "mean_squared_logarithmic_error"


class LogCosh(_Simple):
    """mean(log(cosh(y_pred - y_true))) per sample; name "log_cosh"."""

    _fn = staticmethod(log_cosh)
    _default_name = "log_cosh"


class Hinge(_Simple):
    """mean(max(1 - y_true * y_pred, 0)); {0, 1} labels become {-1, 1}."""

    _fn = staticmethod(hinge)
    _default_name = "hinge"


class SquaredHinge(_Simple):
    """mean(square(max(1 - y_true * y_pred, 0))); {0, 1} labels become {-1, 1}."""

    _fn = staticmethod(squared_hinge)
    _default_name = "squared_hinge"


class CategoricalHinge(_Simple):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)."""

    _fn = staticmethod(categorical_hinge)
    _default_name = "categorical_hinge"


class KLDivergence(_Simple):
    """sum(y_true * log(y_true / y_pred)) per sample; name "kl_divergence"."""

    _fn = staticmethod(kl_divergence)
    _default_name = "kl_divergence"


class Poisson(_Simple):
    """mean(y_pred - y_true * log(y_pred + epsilon)) per sample."""

    _fn = staticmethod(poisson)
    _default_name = "poisson"


class CosineSimilarity(LossFunctionWrapper):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis) per sample.

    Args:
        axis: the feature axis (default -1).
        reduction, name, dtype: as ``Loss``.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return {**Loss.get_config(self), "axis": self.axis}


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for |error| <= delta, linear beyond.

    Args:
        delta: where the loss turns from quadratic to linear (default 1.0).
        reduction, name, dtype: as ``Loss``; the name defaults to "huber_loss".
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self):
        return {**Loss.get_config(self), "delta": self.delta}


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy, averaged over the last axis per sample.

    Args:
        from_logits: whether `y_pred` holds logits (default: probabilities).
        label_smoothing: targets become ``y_true * (1 - s) + 0.5 * s``.
        axis: the axis averaged over (default -1).
        reduction, name, dtype: as ``Loss``.

    Example:
        >>> BinaryCrossentropy(from_logits=True)([[0.0], [1.0]], [[-2.0], [3.0]])
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(
            binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {
            **Loss.get_config(self), "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing, "axis": self.axis,
        }


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of one-hot targets and predicted class probabilities.

    Args:
        from_logits: whether `y_pred` holds logits.
        label_smoothing: targets become ``y_true * (1 - s) + s / num_classes``.
        axis: the class axis (default -1).
        reduction, name, dtype: as ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(
            categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {
            **Loss.get_config(self), "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing, "axis": self.axis,
        }


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of integer labels and predicted class probabilities.

    Args:
        from_logits: whether `y_pred` holds logits.
        ignore_class: a label (e.g. the padding class) left out of the loss:
            its entries get weight 0 and, with the default reduction, the
            mean runs over the other entries only.
        reduction: as ``Loss``.
        axis: the class axis (default -1).
        name, dtype: as ``Loss``.

    Example:
        >>> loss = SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
        >>> loss(np.array([[0, 2, -1]]), logits)  # logits: (1, 3, num_classes)
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(
            sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
            from_logits=from_logits, ignore_class=ignore_class, axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self):
        return {
            **Loss.get_config(self), "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
        }


class _FunctionLoss(LossFunctionWrapper):
    """``LossFunctionWrapper`` of a function fixed by the subclass: its config
    is ``Loss``'s and the function's arguments, as Keras's classes write it."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}


class BinaryFocalCrossentropy(_FunctionLoss):
    """``binary_focal_crossentropy`` per sample, weighted and reduced.

    Args: apply_class_balancing, alpha, gamma, from_logits, label_smoothing,
    axis (as the function's); reduction, name (default
    "binary_focal_crossentropy"), dtype (as ``Loss``).
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(
            binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
            apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_FunctionLoss):
    """``categorical_focal_crossentropy`` per sample, weighted and reduced.

    Args: alpha, gamma, from_logits, label_smoothing, axis (as the
    function's); reduction, name (default "categorical_focal_crossentropy"), dtype.
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(
            categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
            alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
            axis=axis)


class Dice(_FunctionLoss):
    """The Dice loss, ``dice`` over `axis` (None: the whole batch, one value).

    Args: reduction, name (default "dice"), axis, dtype.
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(_FunctionLoss):
    """The Tversky loss, ``tversky`` over `axis` (None: the whole batch).

    Args: alpha, beta (the function's), reduction, name (default
    "tversky"), axis, dtype.
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)


class CategoricalGeneralizedCrossEntropy(_FunctionLoss):
    """The generalized cross-entropy of integer labels and class probabilities
    (``categorical_generalized_cross_entropy``).

    Args: q in (0, 1) (default 0.5), reduction, name (default
    "categorical_generalized_cross_entropy"), dtype.
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction,
                         dtype=dtype, q=q)


class CTC(LossFunctionWrapper):
    """The CTC loss (``ctc``: integer labels padded with the blank 0, logits).

    Args: reduction, name (default "ctc"), dtype (as ``Loss``).

    Example:
        >>> CTC()(np.array([[1, 2, 0]]), logits)  # logits: (1, time_steps, num_classes)
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)


class Circle(LossFunctionWrapper):
    """The Circle loss (``circle``) of integer labels and L2-normalised embeddings:
    pulls same-label embeddings together and pushes the others apart, each
    pair weighted by how far it is from its optimum. The mean runs over the
    samples with a positive loss.

    Args:
        gamma: the scale (default 80). margin: the relaxation margin (default 0.4).
        remove_diagonal: whether a sample is left out of its own positives.
        reduction, name (default "circle"), dtype: as ``Loss``.

    Example:
        >>> model.compile(optimizer="adam", loss=Circle())  # model ends in UnitNormalization
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal

    def get_config(self):
        return {**Loss.get_config(self), "gamma": self.gamma, "margin": self.margin,
                "remove_diagonal": self.remove_diagonal}


def _loss_function(name):
    """The loss function registered as `name` (``kfacade.losses`` registers them)."""
    fn = object_registry.get("losses", name)
    if fn is None or isinstance(fn, type):
        raise ValueError(
            f"Could not interpret loss function name: {name!r}. Known losses: "
            f"{object_registry.names('losses')}"
        )
    return fn
