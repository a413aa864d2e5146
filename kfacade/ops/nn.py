"""Neural-network ops (``keras.ops.nn``): activations, losses' building
blocks, convolution, pooling, normalisation."""
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import epsilon as _epsilon
from kfacade.backend.conv_geometry import standardize_data_format, standardize_padding
from kfacade.engine.operation import has_symbolic
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
