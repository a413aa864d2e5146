"""Neural-network ops (``keras.ops.nn``): activations, losses' building
blocks, convolution, pooling, normalisation."""
import math as _math
import warnings as _warnings

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import epsilon as _epsilon
from kfacade.backend.config import floatx as _floatx
from kfacade.backend.dtypes import FLOAT_TYPES as _FLOAT_TYPES
from kfacade.backend.conv_geometry import standardize_data_format, standardize_padding
from kfacade.engine.keras_tensor import KerasTensor as _KerasTensor
from kfacade.engine.operation import has_symbolic
from kfacade.ops._composite import floating as _floating
from kfacade.ops.dispatch import make_op, symbolic_or
from kfacade.random import draw_seed as _draw_seed

_NAMES = """
relu relu6 sigmoid softplus softsign elu selu gelu silu leaky_relu hard_sigmoid
softmax log_softmax moments
""".split()

for _name in _NAMES:
    globals()[_name] = make_op(_name)

swish = silu

#: The adapter's fused sparse cross-entropy (contract.OPTIONAL_HOOKS), looked
#: up once: one adapter serves the whole process. None when it has none.
_fused_sparse_categorical_crossentropy = getattr(
    _B, "fused_sparse_categorical_crossentropy", None)
#: Its mean over every entry in one kernel (the losses' default reduction).
_fused_mean_sparse_categorical_crossentropy = getattr(
    _B, "fused_mean_sparse_categorical_crossentropy", None)
#: The adapter's mean binary cross-entropy of logits in one kernel, or None.
_fused_mean_binary_crossentropy = getattr(_B, "fused_mean_binary_crossentropy", None)


def _seeded_dropout(x, rate, noise_shape=None, seed=None):
    # The adapter receives the drawn seed, never a SeedGenerator (contract: "Seeds").
    return _B.dropout(x, rate, noise_shape, _draw_seed(seed))


dropout = make_op("dropout", _seeded_dropout)


def _conv_op(name, kernel_arg=True):
    impl = getattr(_B, name)

    def op(inputs, *args, padding="valid", data_format="channels_last", **kwargs):
        padding = standardize_padding(padding, owner=name)
        data_format = standardize_data_format(data_format)
        return _dispatched(inputs, *args, padding=padding, data_format=data_format, **kwargs)

    _dispatched = make_op(name, impl)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = _dispatched.__doc__
    return op


conv = _conv_op("conv")
depthwise_conv = _conv_op("depthwise_conv")
conv_transpose = _conv_op("conv_transpose")


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution, then a 1x1 convolution mixing its channels."""
    data_format = standardize_data_format(data_format)
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides=strides, padding=padding,
                               data_format=data_format, dilation_rate=dilation_rate)
    return conv(depthwise, pointwise_kernel, strides=1, padding="valid", data_format=data_format)
max_pool = _conv_op("max_pool")
average_pool = _conv_op("average_pool")


@symbolic_or
def hard_silu(x):
    """x * hard_sigmoid(x)."""
    return _B.multiply(x, _B.hard_sigmoid(x))


@symbolic_or
def exponential(x):
    """exp(x), the Keras activation."""
    return _B.exp(x)


hard_swish = hard_silu


def _check_axis(shape, axis):
    if not -len(shape) <= axis < len(shape):
        raise ValueError(
            f"`axis` is out of bounds for `x` of rank {len(shape)}. "
            f"Received: x.shape={tuple(shape)}, axis={axis}")


def _glu_shape(shape, axis):
    """glu's output shape for an input of `shape` (None: unknown); raises
    for an odd size along `axis`."""
    _check_axis(shape, axis)
    shape = list(shape)
    if shape[axis] is not None:
        if shape[axis] % 2 != 0:
            raise ValueError(
                f"glu splits `x` in two halves along `axis`, so its size there must be even. "
                f"Received: x.shape={tuple(shape)} with axis={axis} (size {shape[axis]})")
        shape[axis] //= 2
    return tuple(shape)


def _float_dtype(dtype):
    return dtype if dtype in _FLOAT_TYPES else _floatx()


@symbolic_or
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``.

    Args:
        x: input tensor.
        alpha: the scale of the negative part, and the input scale it
            saturates over (default 1.0).

    Returns:
        A tensor of `x`'s shape.

    Example:
        >>> ops.celu(np.array([-1.0, 0.0, 1.0]))  # [-0.6321, 0, 1]
    """
    x = _floating(x)
    # expm1 of the clamped negative part only: no overflow for large positive x.
    negative = _B.multiply(alpha, _B.expm1(_B.divide(_B.minimum(x, 0.0), alpha)))
    return _B.add(_B.maximum(x, 0.0), negative)


@symbolic_or
def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)``, where `x` is split in two
    halves ``a, b`` along `axis`.

    Args:
        x: input tensor; its size along `axis` must be even.
        axis: the axis split in two (default -1).

    Returns:
        A tensor of `x`'s shape with the size along `axis` halved.

    Raises:
        ValueError: the size of `x` along `axis` is odd.

    Example:
        >>> ops.glu(np.array([-1.0, 0.0, 1.0, 1.0]))  # [-0.7311, 0]
    """
    x = _floating(x)
    _glu_shape(_B.shape(x), axis)
    a, b = _B.split(x, 2, axis=axis)
    return _B.multiply(a, _B.sigmoid(b))


def _glu_output_spec(x, axis=-1):
    """glu's symbolic shape rule (``OpCall``'s ``output_spec``): an unknown
    size along `axis` stays unknown."""
    return _KerasTensor(_glu_shape(x.shape, axis), dtype=_float_dtype(x.dtype))


glu.output_spec = _glu_output_spec


@symbolic_or
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0.

    Example:
        >>> ops.hard_shrink(np.array([-0.5, 0.0, 1.0]))  # [0, 0, 1]
    """
    x = _B.convert_to_tensor(x)
    return _B.where(_B.greater(_B.abs(x), threshold), x, 0)


@symbolic_or
def hard_tanh(x):
    """`x` clipped to [-1, 1].

    Example:
        >>> ops.hard_tanh(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))  # [-1, -1, 0, 1, 1]
    """
    return _B.clip(x, -1, 1)


@symbolic_or
def log_sigmoid(x):
    """``log(sigmoid(x))``, computed as ``-softplus(-x)``: finite for every
    finite `x` (no ``log(0)`` for large negative inputs).

    Example:
        >>> ops.log_sigmoid(np.array([0.0, 5.0]))  # [-0.6931, -0.00672]
    """
    return _B.negative(_B.softplus(_B.negative(_floating(x))))


@symbolic_or
def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above `threshold`, ``x + threshold`` below
    ``-threshold``, else 0.

    Example:
        >>> ops.soft_shrink(np.array([-1.0, 0.0, 1.0]))  # [-0.5, 0, 0.5]
    """
    x = _floating(x)
    shrunk = _B.where(_B.greater(x, threshold), _B.subtract(x, threshold), 0.0)
    return _B.where(_B.less(x, -threshold), _B.add(x, threshold), shrunk)


@symbolic_or
def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1) ** 2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``.

    Example:
        >>> ops.sparse_plus(np.array([-1.0, 0.0, 1.0]))  # [0, 0.25, 1]
    """
    x = _floating(x)
    # The square of the clipped input: the middle piece stays finite and
    # flat outside (-1, 1), so `where` picks no inf and no spurious gradient.
    middle = _B.multiply(0.25, _B.square(_B.add(_B.clip(x, -1.0, 1.0), 1.0)))
    return _B.where(_B.greater_equal(x, 1.0), x, middle)


@symbolic_or
def sparse_sigmoid(x):
    """0 for ``x <= -1``, ``(x + 1) / 2`` for ``-1 < x < 1``, 1 for ``x >= 1``.

    Example:
        >>> ops.sparse_sigmoid(np.array([-6.0, 0.0, 1.0, 6.0]))  # [0, 0.5, 1, 1]
    """
    x = _floating(x)
    return _B.clip(_B.multiply(0.5, _B.add(x, 1.0)), 0.0, 1.0)


@symbolic_or
def sparsemax(x, axis=-1):
    """Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of `x`
    onto the probability simplex along `axis`, ``max(x - tau, 0)``.

    The output sums to 1 along `axis`, and entries far enough below the
    largest are exactly 0. ``tau = (sum of the k largest entries - 1) / k``
    with k the support size. Keras 3.15's kernels sum the *cumulative* sums
    over the support instead (keras-team/keras#23425, fixed upstream by
    #23469), so their output does not sum to 1 when k > 1; kfacade computes
    the paper's value.

    Args:
        x: input tensor.
        axis: the axis normalized (default -1).

    Returns:
        A tensor of `x`'s shape.

    Example:
        >>> ops.sparsemax(np.array([0.0, 0.5, 1.0]))  # [0, 0.25, 0.75]
    """
    x = _floating(x)
    shape = _B.shape(x)
    _check_axis(shape, axis)
    dtype = _B.dtype(x)
    descending = _B.negative(_B.sort(_B.negative(x), axis=axis))
    cumulative = _B.cumsum(descending, axis=axis)
    rank_shape = [1] * len(shape)
    rank_shape[axis] = shape[axis]
    ranks = _B.reshape(_B.arange(1, shape[axis] + 1, dtype=dtype), rank_shape)
    # The j-th largest entry is in the support while 1 + j * z_(j) > sum_{i<=j} z_(i).
    support = _B.greater(_B.add(1.0, _B.multiply(ranks, descending)), cumulative)
    size = _B.sum(_B.cast(support, dtype), axis=axis, keepdims=True)
    support_sum = _B.sum(_B.where(support, descending, 0.0), axis=axis, keepdims=True)
    tau = _B.divide(_B.subtract(support_sum, 1.0), size)
    return _B.maximum(_B.subtract(x, tau), 0.0)


@symbolic_or
def squareplus(x, b=4):
    """``(x + sqrt(x ** 2 + b)) / 2``, a smooth relu; `b` (default 4) sets
    the smoothness near 0.

    Example:
        >>> ops.squareplus(np.array([-1.0, 0.0, 1.0]))  # [0.618, 1, 1.618]
    """
    x = _floating(x)
    return _B.multiply(0.5, _B.add(x, _B.sqrt(_B.add(_B.square(x), b))))


@symbolic_or
def tanh_shrink(x):
    """``x - tanh(x)``.

    Example:
        >>> ops.tanh_shrink(np.array([-1.0, 0.0, 1.0]))  # [-0.2384, 0, 0.2384]
    """
    x = _floating(x)
    return _B.subtract(x, _B.tanh(x))


@symbolic_or
def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else `default_value`.

    Example:
        >>> ops.threshold(np.array([-1.0, 0.0, 1.0, 2.0]), 1, 0)  # [0, 0, 0, 2]
    """
    x = _B.convert_to_tensor(x)
    return _B.where(_B.greater(x, threshold), x, default_value)


@symbolic_or
def batch_normalization(x, mean, variance, axis=-1, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, with the
    statistics broadcast along `axis`."""
    x = _B.convert_to_tensor(x)
    ndim = len(_B.shape(x))
    axis = axis % ndim
    shape = [1] * ndim
    shape[axis] = _B.shape(x)[axis]

    def bcast(v):
        v = _B.convert_to_tensor(v)
        return _B.reshape(v, shape) if len(_B.shape(v)) == 1 and ndim > 1 else v

    # x * inv + (offset - mean * inv): one full-size multiply-add (as Keras 3
    # and tf.nn.batch_normalization), the rest on the statistics' size.
    inv = _B.divide(1.0, _B.sqrt(_B.add(bcast(variance), epsilon)))
    if scale is not None:
        inv = _B.multiply(inv, bcast(scale))
    shift = _B.negative(_B.multiply(bcast(mean), inv))
    if offset is not None:
        shift = _B.add(shift, bcast(offset))
    return _B.add(_B.multiply(x, inv), shift)


@symbolic_or
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) `target` and `output` along `axis`."""
    if from_logits:
        log_prob = _B.log_softmax(output, axis=axis)
    else:
        output = _B.divide(output, _B.sum(output, axis=axis, keepdims=True))
        output = _B.clip(output, _epsilon(), 1.0 - _epsilon())
        log_prob = _B.log(output)
    return _B.negative(_B.sum(_B.multiply(target, log_prob), axis=axis))


def _labels_and_outputs(target, output):
    """Sparse cross-entropy's labels and outputs as native tensors, the
    labels' trailing axis of 1 squeezed where they have the outputs' rank."""
    output = _B.convert_to_tensor(output)
    target = _B.convert_to_tensor(target)
    if len(_B.shape(target)) == len(_B.shape(output)) and _B.shape(target)[-1] == 1:
        target = _B.squeeze(target, axis=-1)
    return target, output


@symbolic_or
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer labels `target` and `output`.

    Gathers the labels' log-probabilities (no one-hot matrix is built), or
    runs the adapter's ``fused_sparse_categorical_crossentropy`` when it has
    one and accepts these tensors.
    """
    target, output = _labels_and_outputs(target, output)
    fused = _fused_sparse_categorical_crossentropy
    if fused is not None:
        try:
            return fused(target, output, from_logits, axis)
        except NotImplementedError:
            pass  # a case the kernel does not compute exactly: the generic ops
    if from_logits:
        log_prob = _B.log_softmax(output, axis=axis)
    else:
        output = _B.divide(output, _B.sum(output, axis=axis, keepdims=True))
        log_prob = _B.log(_B.clip(output, _epsilon(), 1.0 - _epsilon()))
    index = _B.expand_dims(_B.cast(target, "int32"), axis)
    picked = _B.take_along_axis(log_prob, index, axis=axis)
    return _B.negative(_B.squeeze(picked, axis=axis))


def _mean_sparse_categorical_crossentropy_or_none(target, output, from_logits=False, axis=-1):
    """The mean over every entry of ``sparse_categorical_crossentropy(target,
    output, from_logits, axis)`` from the adapter's
    ``fused_mean_sparse_categorical_crossentropy``, or None where the adapter
    has none or declines these tensors (the caller then takes the mean of
    the per-entry losses). Not a Keras op: the losses' fast path."""
    fused = _fused_mean_sparse_categorical_crossentropy
    if fused is None or has_symbolic((target, output), {}):
        return None
    target, output = _labels_and_outputs(target, output)
    try:
        return fused(target, output, from_logits, axis)
    except NotImplementedError:
        return None


def _mean_binary_crossentropy_or_none(target, output):
    """The mean over every entry of ``binary_crossentropy(target, output,
    from_logits=True)`` from the adapter's ``fused_mean_binary_crossentropy``,
    or None where the adapter has none or declines these tensors (the caller
    then takes the mean of the per-entry losses). Not a Keras op: the
    losses' fast path."""
    fused = _fused_mean_binary_crossentropy
    if fused is None or has_symbolic((target, output), {}):
        return None
    try:
        return fused(_B.convert_to_tensor(target), _B.convert_to_tensor(output))
    except NotImplementedError:
        return None


@symbolic_or
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy."""
    target = _B.convert_to_tensor(target)
    output = _B.convert_to_tensor(output)
    if from_logits:
        # max(x, 0) - x * z + log(1 + exp(-|x|))
        return _B.add(
            _B.subtract(_B.relu(output), _B.multiply(output, target)),
            _B.log1p(_B.exp(_B.negative(_B.abs(output)))),
        )
    output = _B.clip(output, _epsilon(), 1.0 - _epsilon())
    return _B.negative(
        _B.add(
            _B.multiply(target, _B.log(output)),
            _B.multiply(_B.subtract(1.0, target), _B.log(_B.subtract(1.0, output))),
        )
    )


@symbolic_or
def normalize(x, axis=-1, order=2):
    """`x` divided by its L`order` norm along `axis`."""
    x = _B.convert_to_tensor(x)
    if order == 2:
        norm = _B.sqrt(_B.maximum(_B.sum(_B.square(x), axis=axis, keepdims=True), 1e-12))
    else:
        norm = _B.power(_B.sum(_B.power(_B.abs(x), order), axis=axis, keepdims=True), 1.0 / order)
    return _B.divide(x, norm)


# ------------------------------------------------------- normalization

#: Input dtypes the normalization ops compute in float32 (Keras's
#: ``result_type(dtype, "float32")``), casting the result back.
_HALF_DTYPES = ("float16", "bfloat16")


def _normalization_input(x):
    """(`x` as a native tensor in its computation dtype, its own dtype):
    float32 for half and non-float inputs, as Keras computes."""
    x = _B.convert_to_tensor(x)
    dtype = _B.dtype(x)
    compute = dtype if dtype in _FLOAT_TYPES and dtype not in _HALF_DTYPES else "float32"
    return _B.cast(x, compute), dtype


def _normalized_axes(axis, ndim, op_name):
    """`axis` (an int or a list/tuple) as a sorted list of non-negative axes."""
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op_name}: axis {a} is out of bounds for an input of rank {ndim}. "
                f"Received: axis={axis}")
    return sorted(a % ndim for a in axes)


def _parameter(value, dtype):
    """A scale or offset as a native tensor of `dtype`, or None."""
    return None if value is None else _B.cast(_B.convert_to_tensor(value), dtype)


def _broadcast_along(value, shape, axes):
    """`value` reshaped to broadcast along `axes` of an input of `shape` when
    it holds only those axes' sizes (Keras's rule: a value of the input's
    rank, or any value when only the last axis is normalized, is left as is)."""
    ndim = len(shape)
    if value is None or len(_B.shape(value)) == ndim or axes == [ndim - 1]:
        return value
    return _B.reshape(value, [shape[a] if a in axes else 1 for a in range(ndim)])


#: The adapter's fused layer normalization (contract.OPTIONAL_HOOKS), or None.
_fused_layer_normalization = getattr(_B, "fused_layer_normalization", None)


@symbolic_or
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Layer normalization (Ba et al., 2016): each sample normalized to mean 0
    and variance 1 over `axis`, then ``* gamma + beta``.

    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta``, the biased
    variance taken per sample over `axis`. Half-precision inputs compute in
    float32; the result has `x`'s dtype.

    Args:
        x: input tensor.
        gamma: optional scale, of the normalized axes' shape (or broadcastable
            to `x`).
        beta: optional offset, likewise.
        axis: an int or a list of ints, the normalized axes (default -1).
        epsilon: added to the variance; default ``kfacade.config.epsilon()``
            (1e-7), not the layer's 1e-3.
        rms_scaling: Keras 3's deprecated keyword: ``x / sqrt(variance +
            epsilon) * gamma`` (no centring, `beta` unused), with a warning.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> ops.layer_normalization(np.arange(5, dtype="float32"))
        # [-1.414, -0.707, 0, 0.707, 1.414]
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(
            f"layer_normalization() got unexpected keyword arguments {sorted(kwargs)}; "
            f"expected gamma, beta, axis, epsilon or rms_scaling.")
    if rms_scaling:
        _warnings.warn(
            "You passed `rms_scaling=True`, which is deprecated (as in Keras 3): it scales the "
            "input by the variance, not the root mean square. Use `ops.rms_normalization` for "
            "RMS normalization.", stacklevel=2)
    epsilon = _epsilon() if epsilon is None else epsilon
    x, dtype = _normalization_input(x)
    shape = _B.shape(x)
    axes = _normalized_axes(axis, len(shape), "layer_normalization")
    gamma, beta = _parameter(gamma, _B.dtype(x)), _parameter(beta, _B.dtype(x))
    if rms_scaling:
        variance = _B.var(x, axis=tuple(axes), keepdims=True)
        outputs = _B.divide(x, _B.sqrt(_B.add(variance, epsilon)))
        if gamma is not None:
            outputs = _B.multiply(outputs, _broadcast_along(gamma, shape, axes))
        return _B.cast(outputs, dtype)
    normalized_shape = tuple(shape[a] for a in axes)
    if _fused_layer_normalization is not None and all(
            v is None or tuple(_B.shape(v)) == normalized_shape for v in (gamma, beta)):
        try:
            return _B.cast(_fused_layer_normalization(x, axes, gamma, beta, epsilon), dtype)
        except NotImplementedError:
            pass  # a case the kernel does not compute: the generic ops
    mean, variance = _B.moments(x, axes, keepdims=True)
    inv = _B.divide(1.0, _B.sqrt(_B.add(variance, epsilon)))
    if gamma is not None:
        inv = _B.multiply(inv, _broadcast_along(gamma, shape, axes))
    shift = _B.negative(_B.multiply(mean, inv))
    if beta is not None:
        shift = _B.add(shift, _broadcast_along(beta, shape, axes))
    return _B.cast(_B.add(_B.multiply(x, inv), shift), dtype)


@symbolic_or
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """Root-mean-square normalization (Zhang & Sennrich, 2019):
    ``x / sqrt(mean(x ** 2) + epsilon) * scale``, the mean taken over `axis`.

    Unlike ``layer_normalization(..., rms_scaling=True)`` it does not
    subtract the mean before squaring. Half-precision inputs compute in
    float32; the result has `x`'s dtype.

    Args:
        x: input tensor.
        scale: optional factor the normalized tensor is multiplied by, of the
            normalized axes' shape (or broadcastable to `x`).
        axis: an int or a list of ints, the normalized axes (default -1).
        epsilon: added to the mean square; default ``kfacade.config.epsilon()``
            (1e-7), not the ``RMSNormalization`` layer's 1e-6.

    Returns:
        A tensor of `x`'s shape and dtype.

    Example:
        >>> ops.rms_normalization(np.array([[3.0, 4.0]]))  # [[0.8485, 1.1314]]
    """
    epsilon = _epsilon() if epsilon is None else epsilon
    x, dtype = _normalization_input(x)
    scalar = len(_B.shape(x)) == 0
    if scalar:  # a scalar is its own one-entry axis (Keras: expand_dims)
        x = _B.reshape(x, (1,))
    shape = _B.shape(x)
    axes = _normalized_axes(axis, len(shape), "rms_normalization")
    mean_square = _B.mean(_B.square(x), axis=tuple(axes), keepdims=True)
    outputs = _B.divide(x, _B.sqrt(_B.add(mean_square, epsilon)))
    if scale is not None:
        scale = _broadcast_along(_parameter(scale, _B.dtype(x)), shape, axes)
        outputs = _B.multiply(outputs, scale)
    if scalar:
        outputs = _B.reshape(outputs, ())
    return _B.cast(outputs, dtype)


# --------------------------------------------------- space and depth


def _block_size(block_size):
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
        raise ValueError(
            f"`block_size` must be an integer of at least 2. Received: block_size={block_size!r}")
    return block_size


def _image_dims(shape, data_format, op_name):
    """(batch, height, width, channels) of a 4-D input of `shape`."""
    shape = tuple(shape)
    if len(shape) != 4:
        raise ValueError(
            f"`{op_name}` requires a 4-D input tensor (batch, height, width, channels) or "
            f"(batch, channels, height, width). Received: x.shape={shape}")
    if data_format == "channels_last":
        return shape
    n, c, h, w = shape
    return n, h, w, c


def _image_shape(n, h, w, c, data_format):
    return (n, h, w, c) if data_format == "channels_last" else (n, c, h, w)


def _times(size, factor):
    return None if size is None else size * factor


def _depth_to_space_shape(shape, r, data_format):
    """depth_to_space's output shape for an input of `shape` (None: unknown)."""
    n, h, w, c = _image_dims(shape, data_format, "depth_to_space")
    if c is not None and c % (r * r) != 0:
        raise ValueError(
            f"depth_to_space: the number of channels ({c}) must be divisible by "
            f"block_size**2 ({r * r}). Received: x.shape={tuple(shape)}, "
            f"block_size={r}, data_format={data_format!r}")
    depth = None if c is None else c // (r * r)
    return _image_shape(n, _times(h, r), _times(w, r), depth, data_format)


def _space_to_depth_shape(shape, r, data_format):
    """space_to_depth's output shape for an input of `shape` (None: unknown)."""
    n, h, w, c = _image_dims(shape, data_format, "space_to_depth")
    for what, size in (("height", h), ("width", w)):
        if size is not None and size % r != 0:
            raise ValueError(
                f"space_to_depth: the {what} ({size}) must be divisible by block_size ({r}). "
                f"Received: x.shape={tuple(shape)}, data_format={data_format!r}")
    return _image_shape(n, None if h is None else h // r, None if w is None else w // r,
                        _times(c, r * r), data_format)


@symbolic_or
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into space (pixel shuffle): ``(N, H, W, C * r**2)``
    -> ``(N, H * r, W * r, C)`` with ``r = block_size``.

    channels_last takes the channels in TensorFlow's order (block row, block
    column, channel: ``tf.nn.depth_to_space``); channels_first, as Keras's
    JAX, torch and NumPy backends, in PyTorch's (channel, block row, block
    column: ``torch.nn.functional.pixel_shuffle``). The inverse of
    ``space_to_depth`` in both formats.

    Args:
        x: a 4-D tensor.
        block_size: an int >= 2; the channels must be divisible by its square.
        data_format: "channels_last" (N, H, W, C) or "channels_first" (N, C, H, W).

    Returns:
        ``(N, H * r, W * r, C // r**2)``, or ``(N, C // r**2, H * r, W * r)``.

    Raises:
        ValueError: `x` is not 4-D, `block_size` < 2, or the channels are not
            divisible by ``block_size ** 2``.

    Example:
        >>> ops.depth_to_space(np.zeros((1, 2, 2, 12)), 2).shape  # (1, 4, 4, 3)
    """
    data_format = standardize_data_format(data_format)
    r = _block_size(block_size)
    x = _B.convert_to_tensor(x)
    _depth_to_space_shape(_B.shape(x), r, data_format)
    n, h, w, c = _image_dims(_B.shape(x), data_format, "depth_to_space")
    depth = c // (r * r)
    if data_format == "channels_last":
        x = _B.reshape(x, (n, h, w, r, r, depth))
        x = _B.transpose(x, (0, 1, 3, 2, 4, 5))  # (n, h, r, w, r, depth)
        return _B.reshape(x, (n, h * r, w * r, depth))
    x = _B.reshape(x, (n, depth, r, r, h, w))
    x = _B.transpose(x, (0, 1, 4, 2, 5, 3))  # (n, depth, h, r, w, r)
    return _B.reshape(x, (n, depth, h * r, w * r))


@symbolic_or
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves spatial blocks into channels (pixel unshuffle): ``(N, H * r, W * r,
    C)`` -> ``(N, H, W, C * r**2)`` with ``r = block_size``; the inverse of
    ``depth_to_space`` (same channel orders).

    Args:
        x: a 4-D tensor.
        block_size: an int >= 2; the height and width must be divisible by it.
        data_format: "channels_last" (N, H, W, C) or "channels_first" (N, C, H, W).

    Returns:
        ``(N, H // r, W // r, C * r**2)``, or ``(N, C * r**2, H // r, W // r)``.

    Raises:
        ValueError: `x` is not 4-D, `block_size` < 2, or the height or width
            is not divisible by `block_size`.

    Example:
        >>> ops.space_to_depth(np.zeros((1, 4, 4, 3)), 2).shape  # (1, 2, 2, 12)
    """
    data_format = standardize_data_format(data_format)
    r = _block_size(block_size)
    x = _B.convert_to_tensor(x)
    _space_to_depth_shape(_B.shape(x), r, data_format)
    n, h, w, c = _image_dims(_B.shape(x), data_format, "space_to_depth")
    if data_format == "channels_last":
        x = _B.reshape(x, (n, h // r, r, w // r, r, c))
        x = _B.transpose(x, (0, 1, 3, 2, 4, 5))  # (n, h/r, w/r, r, r, c)
        return _B.reshape(x, (n, h // r, w // r, c * r * r))
    x = _B.reshape(x, (n, c, h // r, r, w // r, r))
    x = _B.transpose(x, (0, 1, 3, 5, 2, 4))  # (n, c, r, r, h/r, w/r)
    return _B.reshape(x, (n, c * r * r, h // r, w // r))


def _image_rule(shape_rule):
    """A symbolic shape rule (``OpCall``'s ``output_spec``) from `shape_rule`:
    unknown sizes stay unknown instead of meeting a stand-in that is not
    divisible by the block size."""
    def output_spec(x, block_size, data_format="channels_last"):
        data_format = standardize_data_format(data_format)
        shape = shape_rule(x.shape, _block_size(block_size), data_format)
        return _KerasTensor(shape, dtype=x.dtype)
    return output_spec


depth_to_space.output_spec = _image_rule(_depth_to_space_shape)
space_to_depth.output_spec = _image_rule(_space_to_depth_shape)


# ---------------------------------------------------------------- misc


@symbolic_or
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encoding of integer labels: ``one_hot(inputs, num_classes,
    axis)`` reduced with ``max`` over axis 1 (axis 0 for 1-D `inputs`), so a
    batch ``(B, L)`` of label lists becomes ``(B, num_classes)``.

    Args:
        inputs: integer labels; negative or out-of-range ones set no entry.
        num_classes: the number of classes (Keras 2's ``num_tokens`` is
            accepted too).
        axis: where ``one_hot`` puts the class axis (default -1).
        dtype: the result's dtype; default ``kfacade.config.floatx()``.
        sparse: must be False: kfacade has no sparse tensors.

    Returns:
        The multi-hot tensor.

    Raises:
        ValueError: `num_classes` missing, or ``sparse=True``.

    Example:
        >>> ops.multi_hot(np.array([0, 4]), num_classes=5)  # [1, 0, 0, 0, 1]
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(
            f"multi_hot() got unexpected keyword arguments {sorted(kwargs)}; expected "
            f"num_classes (or num_tokens), axis, dtype or sparse.")
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    if sparse:
        raise ValueError(
            "multi_hot: sparse tensors are not supported by kfacade. Received: sparse=True; "
            "pass sparse=False for a dense result.")
    inputs = _B.convert_to_tensor(inputs)
    encoded = _B.one_hot(_B.cast(inputs, "int32"), num_classes, axis=axis,
                         dtype=dtype or _floatx())
    return _B.max(encoded, axis=1 if len(_B.shape(inputs)) > 1 else 0)


@symbolic_or
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio, in dB, of `x2` against `x1`:
    ``20 * log10(max_val) - 10 * log10(mean((x1 - x2) ** 2))``, the mean
    over every entry (one scalar for the whole batch).

    Args:
        x1, x2: tensors of one shape.
        max_val: the largest possible value of the signal (e.g. 1.0 or 255).

    Returns:
        A scalar tensor (``inf`` when the inputs are equal).

    Raises:
        ValueError: the shapes differ.

    Example:
        >>> ops.psnr(np.zeros(4), np.full(4, 0.1), 1.0)  # 20.0
    """
    x1 = _B.convert_to_tensor(x1)
    x2 = _B.convert_to_tensor(x2)
    if tuple(_B.shape(x1)) != tuple(_B.shape(x2)):
        raise ValueError(
            f"psnr compares two signals of one shape. Received: x1.shape="
            f"{tuple(_B.shape(x1))}, x2.shape={tuple(_B.shape(x2))}")
    mse = _B.mean(_B.square(_B.subtract(x1, x2)))
    max_val = _B.convert_to_tensor(max_val, dtype=_B.dtype(mse))
    ln10 = _math.log(10.0)
    return _B.subtract(_B.multiply(20.0 / ln10, _B.log(max_val)),
                       _B.multiply(10.0 / ln10, _B.log(mse)))
