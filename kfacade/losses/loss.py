"""The ``Loss`` base class and the weighting and reduction of per-sample losses.

``reduce_weighted_values`` is Keras 3's rule, followed exactly:

- ``"sum_over_batch_size"`` and ``"mean"``: sum(weight * loss) divided by the
  number of loss *elements* (not by the sum of the weights);
- ``"mean_with_sample_weight"``: sum(weight * loss) / sum(weight);
- ``"sum"``: sum(weight * loss);
- ``"none"`` / ``None``: the weighted per-sample losses.

A mask (padding of a sequence, ``ignore_class``) becomes a weight: with
``"sum_over_batch_size"``/``"mean"`` the valid entries weigh total/valid, so
the result is the mean over the valid entries only.
"""
from kfacade import ops
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine.masks import get_keras_mask
from kfacade.layers.layer import to_snake_case, unique_name

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    """`reduction` validated.

    Raises:
        ValueError: `reduction` is not one of Keras's reductions.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Received: reduction={reduction!r}; "
            f"expected one of {REDUCTIONS}."
        )
    return reduction


def divide_no_nan(x, y):
    """x / y, and 0 where y == 0 (``keras.ops.divide_no_nan``)."""
    y = ops.convert_to_tensor(y)
    zero = ops.equal(y, 0)
    # Dividing by a safe denominator keeps NaN out of the gradient as well.
    # The Python 1 and 0 take the other operand's dtype (weak typing), as
    # ones_like / zeros_like would, without making two more tensors.
    quotient = ops.divide(x, ops.where(zero, 1, y))
    return ops.where(zero, 0, quotient)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """`x1`, `x2` brought to the same rank when they differ by a trailing 1.

    Keras's rule: the tensor with the extra trailing axis of size 1 is
    squeezed, except that a rank-1 partner is expanded instead (when
    `expand_rank_1`).
    """
    rank1, rank2 = ops.ndim(x1), ops.ndim(x2)
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and ops.shape(x1)[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, axis=-1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if rank2 == rank1 + 1 and ops.shape(x2)[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, axis=-1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


def _expand_weight_to_rank(weight, values):
    """Per-sample weights of shape ``values.shape[:k]`` get trailing axes of 1.

    Keras 3 would fail to broadcast ``(batch,)`` weights against per-timestep
    losses ``(batch, time)``; Keras 2 weighted each sample's timesteps, and
    so does this. The weight is broadcast to the full shape so that
    "mean_with_sample_weight" divides by the weight of every timestep.
    """
    w_shape, v_shape = ops.shape(weight), ops.shape(values)
    if 0 < len(w_shape) < len(v_shape) and tuple(w_shape) == tuple(v_shape[: len(w_shape)]):
        weight = ops.reshape(weight, tuple(w_shape) + (1,) * (len(v_shape) - len(w_shape)))
        weight = ops.broadcast_to(weight, v_shape)
    return weight


def _num_elements(shape):
    count = 1
    for dim in shape:
        count *= dim
    return count


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Sums `values` and divides as `reduction` says (see the module docstring)."""
    shape = ops.shape(values)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    if reduction == "sum" or (reduction == "mean_with_sample_weight" and sample_weight is not None):
        loss = ops.sum(values)
        if reduction == "sum":
            return loss
        return divide_no_nan(loss, ops.cast(ops.sum(sample_weight), ops.dtype(loss)))
    # The sum over the element count (static shapes: no host sync), as one op:
    # a mean is one autograd node where a sum and a division are two (torch's
    # CPU mean is that sum and division, bit for bit).
    if not _num_elements(shape):
        return ops.zeros_like(ops.sum(values))
    return ops.mean(values)


def apply_mask(sample_weight, mask, dtype, reduction):
    """`sample_weight` combined with a boolean `mask` (None: no mask)."""
    if mask is None:
        return sample_weight
    mask = ops.convert_to_tensor(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        # Valid entries weigh total / valid and invalid ones 0, so that the
        # division by the element count gives the mean over valid entries.
        total = float(_num_elements(ops.shape(mask)))
        valid = ops.sum(ops.cast(mask, dtype))
        mask_weight = divide_no_nan(ops.convert_to_tensor(total, dtype=dtype), valid)
        float_mask = ops.where(ops.cast(mask, "bool"), mask_weight, ops.zeros_like(mask_weight))
    else:
        float_mask = ops.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = ops.cast(sample_weight, dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    sample_weight = _expand_weight_to_rank(sample_weight, float_mask)
    return ops.multiply(sample_weight, float_mask)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Per-sample `values` weighted by `sample_weight` and `mask`, then reduced.

    Args:
        values: per-sample losses, e.g. of shape ``(batch,)``.
        sample_weight: None, a scalar, or weights of shape ``(batch,)``,
            ``(batch, 1)`` or the shape of `values`.
        mask: None or a boolean tensor of the shape of `values`.
        reduction: see the module docstring.
        dtype: the dtype of the computation (default: `values`'s).

    Returns:
        A scalar, or the weighted values when `reduction` is "none"/None.
    """
    reduction = standardize_reduction(reduction)
    values = ops.convert_to_tensor(values, dtype=dtype)
    dtype = ops.dtype(values)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction=reduction)
    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        sample_weight = _expand_weight_to_rank(sample_weight, values)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of losses: ``call`` gives per-sample losses, ``__call__``
    weights and reduces them.

    Args:
        name: a name (default: the snake-cased class name, made unique).
        reduction: "sum_over_batch_size" (default), "sum", "mean",
            "mean_with_sample_weight", "none" or None (see
            ``reduce_weighted_values``).
        dtype: the dtype of the computation; default floatx. `y_true` and
            `y_pred` are converted to it.

    Example:
        >>> class MeanSquaredError(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ops.mean(ops.square(y_pred - y_true), axis=-1)
        >>> MeanSquaredError()(np.ones((2, 3)), np.zeros((2, 3)))  # 1.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = standardize_dtype(getattr(dtype, "name", dtype)) or floatx()

    @property
    def dtype(self):
        """The dtype the loss computes in."""
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced, weighted loss of a batch.

        Args:
            y_true: targets.
            y_pred: predictions; a ``_keras_mask`` attribute on them masks
                the per-sample losses.
            sample_weight: None, a scalar or per-sample weights.
        """
        in_mask = get_keras_mask(y_pred)
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = self._targets_as_tensor(y_true)
        losses, out_mask = self._call_with_mask(y_true, y_pred)
        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(ops.cast(in_mask, "bool"), ops.cast(out_mask, "bool"))
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask,
            reduction=self.reduction, dtype=self.dtype,
        )

    def _targets_as_tensor(self, y_true):
        """`y_true` as a tensor of the loss's dtype (Keras's rule for targets)."""
        return ops.convert_to_tensor(y_true, dtype=self.dtype)

    def _call_with_mask(self, y_true, y_pred):
        """(per-sample losses, boolean mask of the valid ones or None)."""
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        """The per-sample losses; subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `call(y_true, y_pred)`."
        )

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"
