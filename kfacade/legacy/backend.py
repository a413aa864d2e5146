"""The Keras 2 backend API (``from keras import backend as K``), over ``kfacade.ops``.

Keras 2 programs call ``K.dot``, ``K.mean``, ``K.function``, ``K.int_shape``,
``K.learning_phase`` and friends; each is a thin alias or composite of a
``kfacade.ops`` function, so it runs on whichever backend is active.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import epsilon, floatx
from kfacade.engine import call_context

__all__ = [
    "abs", "all", "any", "argmax", "argmin", "batch_dot", "batch_flatten", "batch_get_value",
    "batch_set_value", "binary_crossentropy", "cast", "categorical_crossentropy", "clear_session",
    "clip", "concatenate", "constant", "count_params", "cumsum", "dot", "dropout", "dtype", "elu",
    "equal", "eval", "exp", "expand_dims", "flatten", "function", "gather", "get_value", "greater",
    "greater_equal", "hard_sigmoid", "int_shape", "is_keras_tensor", "is_tensor", "l2_normalize",
    "learning_phase", "less", "less_equal", "log", "max", "maximum", "mean", "min", "minimum",
    "ndim", "not_equal", "one_hot", "ones", "ones_like", "permute_dimensions", "placeholder", "pow",
    "prod", "random_normal", "random_uniform", "relu", "repeat_elements", "reshape", "round",
    "set_learning_phase", "set_value", "shape", "sigmoid", "sign", "softmax", "softplus",
    "softsign", "sparse_categorical_crossentropy", "sqrt", "square", "squeeze", "stack", "std",
    "stop_gradient", "sum", "tanh", "tile", "transpose", "update", "update_add", "update_sub",
    "var", "variable", "zeros", "zeros_like",
]

# Straight aliases of kfacade.ops.
abs = ops.abs
all = ops.all
any = ops.any
argmax = ops.argmax
argmin = ops.argmin
cast = ops.cast
clip = ops.clip
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
sqrt = ops.sqrt
square = ops.square
stack = ops.stack
std = ops.std
stop_gradient = ops.stop_gradient
sum = ops.sum
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


def shape(x):
    """The shape of `x` (a tuple; Keras 2 returned a symbolic tensor)."""
    return ops.shape(x)


def int_shape(x):
    """The static shape of `x` as a tuple of ints or None."""
    return tuple(ops.shape(x))


def ndim(x):
    return ops.ndim(x)


def dtype(x):
    return ops.dtype(x)


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
    return x.assign(new_x)


def update_add(x, increment):
    return x.assign_add(increment)


def update_sub(x, decrement):
    return x.assign_sub(decrement)


def count_params(x):
    return int(np.prod(ops.shape(x)))


# ------------------------------------------------------------ the session


def learning_phase():
    """1 inside a training call, 0 otherwise (Keras 2's learning phase)."""
    return 1 if call_context.current_training() else 0


def set_learning_phase(value):
    """Sets the default training flag for calls that do not pass one."""
    if value not in (0, 1, True, False):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: {value!r}")
    call_context.set_learning_phase(value)


def clear_session():
    """Resets layer-name counters and the learning phase."""
    from kfacade.layers.layer import clear_session as reset_names

    reset_names()
    call_context.set_learning_phase(None)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's ``K.function``: a callable from input arrays to output arrays.

    Args:
        inputs: list of symbolic inputs (e.g. ``[model.input]``).
        outputs: list of symbolic outputs (e.g. ``[model.layers[2].output]``).

    Returns:
        ``f(list_of_arrays) -> list_of_numpy_arrays``.

    Example:
        >>> get_hidden = K.function([model.input], [model.layers[0].output])
        >>> hidden = get_hidden([x])[0]
    """
    from kfacade.models.functional import Functional

    inputs_list = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    single_output = not isinstance(outputs, (list, tuple))
    outputs_list = [outputs] if single_output else list(outputs)
    model = Functional(inputs_list, outputs_list, name=name)

    def run(values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) == len(inputs_list) + 1:
            training = bool(values.pop())  # Keras 2 passed the learning phase last
        else:
            training = False
        results = model(values, training=training)
        results = [_B.convert_to_numpy(r) for r in results]
        return results[0] if single_output else results

    return run
