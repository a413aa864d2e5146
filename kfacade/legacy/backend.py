"""The Keras 2 backend API (``from keras import backend as K``), over ``kfacade.ops``.

Keras 2 programs call ``K.dot``, ``K.mean``, ``K.function``, ``K.int_shape``,
``K.learning_phase`` and friends; each is a thin alias or composite of a
``kfacade.ops`` function, so it runs on whichever backend is active, on
native tensors and (where Keras 2 allowed it) on ``KerasTensor``s. The graph
functions (``K.function``, ``K.gradients``, the learning phase) live in
``backend_graph.py``, control flow (``K.switch``, ``K.rnn``, ``K.map_fn``) in
``backend_control_flow.py``, convolution, pooling and random draws in
``backend_nn.py``, and CTC in ``ctc.py``.
"""
import builtins as _builtins

import numpy as np

from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import epsilon, floatx
from kfacade.engine import call_context
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import symbolic_op
from kfacade.legacy.backend_control_flow import (  # noqa: F401
    foldl, foldr, in_test_phase, in_train_phase, map_fn, name_scope, rnn, switch,
)
from kfacade.legacy.backend_graph import (  # noqa: F401
    function, gradients, learning_phase, set_learning_phase,
)
from kfacade.legacy.backend_nn import (  # noqa: F401
    bias_add, conv1d, conv2d, conv3d, depthwise_conv2d, in_top_k, local_conv1d, local_conv2d,
    pool2d, pool3d, random_binomial, resize_volumes, separable_conv1d, separable_conv2d, spatial_3d_padding,
    truncated_normal,
)
from kfacade.legacy.ctc import ctc_batch_cost, ctc_decode  # noqa: F401

__all__ = [
    "abs", "all", "any", "arange", "argmax", "argmin", "batch_dot", "batch_flatten",
    "batch_get_value", "batch_normalization", "batch_set_value", "bias_add", "binary_crossentropy",
    "cast", "cast_to_floatx", "categorical_crossentropy", "clear_session", "clip", "concatenate",
    "constant", "conv1d", "conv2d", "conv3d", "cos", "count_params", "ctc_batch_cost",
    "ctc_decode", "cumprod", "cumsum", "depthwise_conv2d", "dot", "dropout", "dtype", "elu", "equal", "eval",
    "exp", "expand_dims", "eye", "flatten", "foldl", "foldr", "function", "gather", "get_uid",
    "get_value", "get_variable_shape", "gradients", "greater", "greater_equal", "hard_sigmoid",
    "identity", "image_dim_ordering", "in_test_phase", "in_top_k", "in_train_phase", "int_shape",
    "is_keras_tensor", "is_placeholder", "is_sparse", "is_tensor", "l2_normalize",
    "learning_phase", "less", "less_equal", "local_conv1d", "local_conv2d", "log", "logsumexp", "manual_variable_initialization",
    "map_fn", "max", "maximum", "mean", "min", "minimum", "moving_average_update", "name_scope",
    "ndim", "normalize_batch_in_training", "normalize_data_format", "not_equal", "one_hot", "ones", "ones_like",
    "permute_dimensions", "placeholder", "pool2d", "pool3d", "pow", "print_tensor", "prod",
    "random_binomial", "random_normal", "random_normal_variable", "random_uniform",
    "random_uniform_variable", "relu", "repeat", "repeat_elements", "reset_uids", "reshape",
    "resize_images", "resize_volumes", "reverse", "rnn", "round", "separable_conv1d",
    "separable_conv2d", "set_image_dim_ordering", "set_learning_phase", "set_value", "shape",
    "sigmoid", "sign", "sin", "size", "slice", "softmax", "softplus", "softsign",
    "sparse_categorical_crossentropy", "spatial_2d_padding", "spatial_3d_padding", "sqrt",
    "square", "squeeze", "stack", "std", "stop_gradient", "sum", "switch", "tanh",
    "temporal_padding", "tile", "to_dense", "transpose", "truncated_normal", "update",
    "update_add", "update_sub", "var", "variable", "zeros", "zeros_like",
]

# Straight aliases of kfacade.ops.
abs = ops.abs
all = ops.all
any = ops.any
cast = ops.cast
cos = ops.cos
cumsum = ops.cumsum
dot = ops.dot
equal = ops.equal
exp = ops.exp
greater = ops.greater
greater_equal = ops.greater_equal
less = ops.less
less_equal = ops.less_equal
log = ops.log
maximum = ops.maximum
minimum = ops.minimum
not_equal = ops.not_equal
pow = ops.power
prod = ops.prod
round = ops.round
sign = ops.sign
sin = ops.sin
sqrt = ops.sqrt
square = ops.square
stack = ops.stack
std = ops.std
sum = ops.sum
logsumexp = ops.logsumexp
tanh = ops.tanh
tile = ops.tile
var = ops.var
max = ops.max
min = ops.min
mean = ops.mean
relu = ops.relu
sigmoid = ops.sigmoid
softplus = ops.softplus
softsign = ops.softsign
hard_sigmoid = ops.hard_sigmoid
elu = ops.elu
zeros_like = ops.zeros_like
ones_like = ops.ones_like
is_tensor = ops.is_tensor
squeeze = ops.squeeze
expand_dims = ops.expand_dims


def argmax(x, axis=-1):
    """Index of the largest value along `axis` (Keras 2's default: the last axis)."""
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """Index of the smallest value along `axis` (Keras 2's default: the last axis)."""
    return ops.argmin(x, axis=axis)


def clip(x, min_value, max_value):
    """`x` clipped to [min_value, max_value]; as Keras 2, None means unbounded and
    a `max_value` below `min_value` is raised to it."""
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)):
        max_value = _builtins.max(max_value, min_value)
    return ops.clip(x, min_value, max_value)


def stop_gradient(variables):
    """`variables` (a tensor, or a list of them) with no gradient flowing back."""
    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(v) for v in variables]
    return ops.stop_gradient(variables)


def identity(x, name=None):
    """`x` itself, as a new tensor."""
    return ops.add(x, ops.zeros_like(x))


def reverse(x, axes):
    """`x` reversed along `axes` (an int or a list of ints)."""
    return ops.flip(x, axis=axes if isinstance(axes, int) else tuple(axes))


def arange(start, stop=None, step=1, dtype="int32"):
    """Evenly spaced values (Keras 2: a single argument is the stop)."""
    if stop is None:
        start, stop = 0, start
    return ops.arange(start, stop, step, dtype=dtype)


def print_tensor(x, message=""):
    """Prints `message` and the value of `x` (eagerly), and returns `x`."""
    if not isinstance(x, KerasTensor):
        print(message, get_value(x))
    return x


def repeat(x, n):
    """(samples, dim) -> (samples, n, dim): each sample repeated `n` times."""
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def temporal_padding(x, padding=(1, 1)):
    """Zeros added at the start and end of axis 1 of a 3-D tensor."""
    return ops.pad(x, [[0, 0], list(padding), [0, 0]])


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zeros added around the two spatial axes of a 4-D tensor."""
    from kfacade.backend.config import image_data_format

    data_format = data_format or image_data_format()
    spatial = [list(padding[0]), list(padding[1])]
    if data_format == "channels_first":
        widths = [[0, 0], [0, 0]] + spatial
    else:
        widths = [[0, 0]] + spatial + [[0, 0]]
    return ops.pad(x, widths)


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """4-D `x` upsampled by integer factors (nearest neighbour, as Keras 2's default)."""
    if interpolation != "nearest":
        raise ValueError(
            f"K.resize_images: only interpolation='nearest' is supported. "
            f"Received: interpolation={interpolation!r}"
        )
    rows, cols = (2, 3) if data_format == "channels_first" else (1, 2)
    return ops.repeat(ops.repeat(x, height_factor, axis=rows), width_factor, axis=cols)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta."""
    return ops.batch_normalization(x, mean, var, axis=axis, offset=beta, scale=gamma,
                                   epsilon=epsilon)


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """(normalized `x`, mean, variance) with the statistics over `reduction_axes`."""
    rank = ndim(x)
    reduced = {r % rank for r in reduction_axes}
    mean, variance = ops.moments(x, axes=tuple(sorted(reduced)), keepdims=True)
    statistics_shape = tuple(d for a, d in enumerate(ops.shape(x)) if a not in reduced)
    if gamma is not None:
        gamma = ops.reshape(gamma, ops.shape(mean))
    if beta is not None:
        beta = ops.reshape(beta, ops.shape(mean))
    normalized = ops.batch_normalization(x, mean, variance, offset=beta, scale=gamma,
                                         epsilon=epsilon)
    return (normalized, ops.reshape(mean, statistics_shape),
            ops.reshape(variance, statistics_shape))


def cumprod(x, axis=0):
    """The cumulative product of `x` along `axis`."""
    moved = ops.moveaxis(ops.convert_to_tensor(x), axis, 0)
    first = ops.ones_like(moved[0])
    _, products = ops.scan(lambda carry, row: ([carry[0] * row], carry[0] * row), [first], moved)
    return ops.moveaxis(products, 0, axis)


def moving_average_update(x, value, momentum):
    """Assigns ``x * momentum + value * (1 - momentum)`` to the Variable `x`."""
    return x.assign(ops.add(ops.multiply(x.value, momentum),
                            ops.multiply(value, 1.0 - momentum)))


def slice(x, start, size):
    """The block of `x` from `start` (ints per axis) of `size` (ints per axis)."""
    return ops.slice(x, start, size)


def size(x, name=None):
    """The number of elements of `x`, as an int32 tensor (symbolic for a
    KerasTensor with unknown dims)."""
    dims = shape(x)
    if isinstance(dims, KerasTensor):
        return ops.prod(dims)
    return ops.convert_to_tensor(np.array(np.prod(dims), dtype="int32"))


def cast_to_floatx(x):
    """`x` as a NumPy array of dtype ``floatx()``."""
    return np.asarray(x, dtype=floatx())


def is_sparse(tensor):
    """False: kfacade has no sparse tensors (Keras 2 on TensorFlow could hold one)."""
    return False


def to_dense(tensor):
    """`tensor` itself: kfacade's tensors are always dense."""
    return tensor


def normalize_data_format(value):
    """`value` checked, None meaning ``image_data_format()``."""
    from kfacade.backend.config import image_data_format

    data_format = image_data_format() if value is None else str(value).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            f"The `data_format` argument must be one of 'channels_first', 'channels_last'. "
            f"Received: {value!r}"
        )
    return data_format


def image_dim_ordering():
    """Keras 2.0's legacy name of the image layout: "th" (channels first) or "tf"."""
    from kfacade.backend.config import image_data_format

    return "th" if image_data_format() == "channels_first" else "tf"


def set_image_dim_ordering(dim_ordering):
    """Sets the image layout by its legacy name: "th" (channels first) or "tf"."""
    from kfacade.backend.config import set_image_data_format

    if dim_ordering not in ("th", "tf"):
        raise ValueError(f"Unknown dim_ordering: {dim_ordering!r}; expected 'th' or 'tf'.")
    set_image_data_format("channels_first" if dim_ordering == "th" else "channels_last")


_uids = {}


def get_uid(prefix=""):
    """1, 2, 3, ... on successive calls with the same `prefix`."""
    _uids[prefix] = _uids.get(prefix, 0) + 1
    return _uids[prefix]


def reset_uids():
    """Restarts every ``get_uid`` counter."""
    _uids.clear()


def manual_variable_initialization(value):
    """Accepted for Keras 2 compatibility: kfacade's variables hold their
    values from creation, so there is nothing to initialise."""


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def concatenate(tensors, axis=-1):
    """Keras 2's default axis is -1."""
    return ops.concatenate(tensors, axis=axis)


def reshape(x, shape):
    return ops.reshape(x, shape)


def permute_dimensions(x, pattern):
    return ops.transpose(x, pattern)


def transpose(x):
    return ops.transpose(x)


def repeat_elements(x, rep, axis):
    return ops.repeat(x, rep, axis=axis)


def gather(reference, indices):
    return ops.take(reference, indices, axis=0)


def flatten(x):
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    return ops.reshape(x, (ops.shape(x)[0], -1))


def batch_dot(x, y, axes=None):
    """Keras 2's batchwise dot: contracts `axes` of x and y, batch axis kept."""
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    x_ndim, y_ndim = ndim(x), ndim(y)
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 2 if y_ndim > 2 else 1)
    if isinstance(axes, int):
        axes = (axes, axes)
    ax, ay = (a % n for a, n in zip(axes, (x_ndim, y_ndim)))
    letters = "abcdefghij"
    xs = ["z"] + [letters[i] for i in range(x_ndim - 1)]
    ys = ["z"] + [letters[x_ndim - 1 + i] for i in range(y_ndim - 1)]
    ys[ay] = xs[ax]
    out = [c for c in xs if c != xs[ax]] + [c for c in ys[1:] if c != xs[ax]]
    result = ops.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
    if ndim(result) == 1:
        result = ops.expand_dims(result, 1)
    return result


def one_hot(indices, num_classes):
    return ops.one_hot(indices, num_classes)


def l2_normalize(x, axis=None):
    return ops.normalize(x, axis=-1 if axis is None else axis)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    return ops.binary_crossentropy(target, output, from_logits=from_logits)


def dropout(x, level, noise_shape=None, seed=None):
    return ops.dropout(x, level, noise_shape=noise_shape, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    from kfacade import random

    return random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from kfacade import random

    return random.normal(shape, mean, stddev, dtype=dtype, seed=seed)


# ---------------------------------------------------------------- shapes


def _shape_tensor(x):
    return ops.convert_to_tensor(np.array(ops.shape(x), dtype="int32"))


def shape(x):
    """The shape of `x`.

    For a tensor, or a KerasTensor whose dims are all known, a tuple of
    ints. For a KerasTensor with an unknown dim, an int32 KerasTensor of
    its runtime shape, as Keras 2's symbolic ``K.shape`` (so that
    ``K.prod(K.cast(K.shape(x), "float32"))`` stays symbolic).
    """
    if isinstance(x, KerasTensor) and None in x.shape:
        return symbolic_op(_shape_tensor, "shape", (x,), {})
    return ops.shape(x)


def int_shape(x):
    """The static shape of `x` as a tuple of ints or None."""
    return tuple(ops.shape(x))


def get_variable_shape(x):
    """The shape of the Variable `x` (Keras 2's name for ``int_shape``)."""
    return int_shape(x)


def ndim(x):
    return ops.ndim(x)


def dtype(x):
    return ops.dtype(x)


def is_placeholder(x):
    """True for a symbolic input: a ``K.placeholder`` or an ``Input``'s tensor."""
    from kfacade.layers.input_layer import InputLayer

    if not isinstance(x, KerasTensor):
        return False
    return x._keras_history is None or isinstance(x._keras_history[0], InputLayer)


def is_keras_tensor(x):
    from kfacade.engine.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    """A symbolic input (a ``KerasTensor``) of `shape`, batch axis included."""
    from kfacade.engine.keras_tensor import KerasTensor

    if shape is None:
        shape = (None,) * (ndim or 0)
    return KerasTensor(shape, dtype or floatx(), name=name)


# ------------------------------------------------------------- variables


def variable(value, dtype=None, name=None, constraint=None):
    """A new ``kfacade.Variable`` holding `value`."""
    from kfacade.variables import Variable

    return Variable(np.asarray(value, dtype=dtype or floatx()), name=name)


def constant(value, dtype=None, shape=None, name=None):
    value = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        value = np.broadcast_to(value, shape)
    return ops.convert_to_tensor(value)


def eye(size, dtype=None, name=None):
    """A Variable holding the identity matrix (size, or a (rows, cols) pair)."""
    rows, cols = (size, size) if isinstance(size, int) else size
    return variable(np.eye(rows, cols), dtype=dtype, name=name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A Variable of uniform values in [low, high)."""
    value = random_uniform(shape, low, high, dtype=dtype or floatx(), seed=seed)
    return variable(_B.convert_to_numpy(value), dtype=dtype, name=name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A Variable of normal values."""
    value = random_normal(shape, mean, scale, dtype=dtype or floatx(), seed=seed)
    return variable(_B.convert_to_numpy(value), dtype=dtype, name=name)


def zeros(shape, dtype=None, name=None):
    return variable(np.zeros(shape), dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    return variable(np.ones(shape), dtype=dtype, name=name)


def eval(x):
    """The value of a tensor or Variable as NumPy."""
    return get_value(x)


def get_value(x):
    from kfacade.variables import Variable

    if isinstance(x, Variable):
        return x.numpy()
    return _B.convert_to_numpy(x)


def batch_get_value(xs):
    return [get_value(x) for x in xs]


def set_value(x, value):
    x.assign(np.asarray(value, dtype=x.dtype))


def batch_set_value(pairs):
    for x, value in pairs:
        set_value(x, value)


def update(x, new_x):
    """Assigns `new_x` to the Variable `x`. A symbolic `new_x` gives the
    ``(x, new_x)`` pair for ``K.function(updates=...)``, assigned at each call."""
    if isinstance(new_x, KerasTensor):
        return (x, new_x)
    return x.assign(new_x)


def update_add(x, increment):
    """Adds `increment` to the Variable `x` (symbolic: an update pair, as ``update``)."""
    if isinstance(increment, KerasTensor):
        return (x, ops.add(x, increment))
    return x.assign_add(increment)


def update_sub(x, decrement):
    """Subtracts `decrement` from the Variable `x` (symbolic: an update pair, as ``update``)."""
    if isinstance(decrement, KerasTensor):
        return (x, ops.subtract(x, decrement))
    return x.assign_sub(decrement)


def count_params(x):
    return int(np.prod(ops.shape(x)))


# ------------------------------------------------------------ the session


def clear_session():
    """Resets layer-name counters and the learning phase."""
    from kfacade.layers.layer import clear_session as reset_names

    reset_names()
    call_context.set_learning_phase(None)
