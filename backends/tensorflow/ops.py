"""NumPy-like and nn ops over ``tf`` with NumPy's semantics where TF differs.

Dtypes of binary ops: a Python scalar takes the other operand's dtype (a
float scalar turns an integer tensor into floatx); two tensors of different
dtypes promote as NumPy does, except that int with float gives the float
dtype (as Keras, JAX and torch do; NumPy would give float64). Ops that only
make sense on floats (exp, mean, divide, ...) compute integers in floatx.
"""
import builtins
import functools

import numpy as np
import tensorflow as tf
from tensorflow.python.ops.resource_variable_ops import ResourceVariable

from kfacade.backend.config import floatx, standardize_data_format

from .variables import EagerTensor, convert_to_tensor, tf_dtype
from .variables import _default_tensor

__all__ = [
    # creation
    "zeros", "ones", "full", "arange", "eye",
    # elementwise, unary
    "abs", "negative", "exp", "log", "log1p", "expm1", "sqrt", "square", "sign",
    "sin", "cos", "tanh", "floor", "ceil", "round", "logical_not", "isnan", "isfinite",
    # elementwise, binary
    "add", "subtract", "multiply", "divide", "floor_divide", "mod", "power",
    "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "where", "clip",
    # reductions
    "sum", "mean", "max", "min", "prod", "var", "any", "all", "argmax", "argmin",
    "cumsum", "logsumexp",
    # shape and index
    "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "split",
    "tile", "repeat", "broadcast_to", "take", "take_along_axis", "slice", "pad", "flip",
    "one_hot", "top_k", "sort", "argsort", "matmul", "tensordot", "einsum", "stop_gradient",
    # nn
    "relu", "relu6", "sigmoid", "softplus", "softsign", "elu", "selu", "gelu", "silu",
    "leaky_relu", "hard_sigmoid", "softmax", "log_softmax", "conv", "depthwise_conv",
    "conv_transpose", "max_pool", "average_pool", "moments", "dropout",
    # loops
    "scan",
]

_SCALAR_TYPES = (bool, int, float)
_NATIVE = (EagerTensor, ResourceVariable)  # the concrete classes of the eager hot path
_NARROW_INTS = (tf.bool, tf.int8, tf.int16, tf.uint8, tf.uint16)  # sums accumulate in int32
_slice = slice  # the builtin; `slice` is an op below
# The raw ops skip tf.add's dispatch layers: half the eager cost of a small add.
_raw = tf.raw_ops


# ------------------------------------------------------------- dtype helpers


def _floatx():
    return tf_dtype(floatx())


@functools.lru_cache(maxsize=None)
def _promote_pair(a, b):
    """The result dtype of a binary op on tensors of dtypes `a` and `b`."""
    if a == b or b == tf.bool:
        return a
    if a == tf.bool:
        return b
    if a.is_floating != b.is_floating:
        return a if a.is_floating else b
    if a.is_floating:
        if {a, b} == {tf.bfloat16, tf.float16}:
            return tf.float32
        return a if a.size > b.size else b
    return tf.as_dtype(np.promote_types(a.as_numpy_dtype, b.as_numpy_dtype))


def _scalar_dtype(dtype, scalar):
    """The dtype of a result mixing a tensor of `dtype` (None: none) with a Python scalar."""
    if dtype is None:
        return _default_tensor(scalar).dtype
    if type(scalar) is float and not dtype.is_floating:
        return _floatx()
    if type(scalar) is int and dtype == tf.bool:
        return tf.int32
    return dtype


def _operand(x):
    """`x` ready for `_promote`: tensors and tf.Variables as they are, Python scalars kept."""
    if type(x) is EagerTensor or type(x) in _SCALAR_TYPES:
        return x
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return x
    return convert_to_tensor(x)


def _promote(values):
    """`values` as tensors of one common dtype (see the module docstring)."""
    values = [_operand(v) for v in values]
    dtype = None
    for v in values:
        if type(v) not in _SCALAR_TYPES:
            dtype = v.dtype if dtype is None else _promote_pair(dtype, v.dtype)
    for v in values:
        if type(v) in _SCALAR_TYPES:
            dtype = _scalar_dtype(dtype, v)
    return [
        tf.constant(v, dtype) if type(v) in _SCALAR_TYPES
        else (v if v.dtype == dtype else tf.cast(v, dtype))
        for v in values
    ]


def _pair(x1, x2):
    """`x1`, `x2` as tensors of one dtype; the common eager cases skip `_promote`."""
    type1, type2 = type(x1), type(x2)
    if type1 in _NATIVE:
        if type2 in _NATIVE:
            if x1.dtype is x2.dtype:  # DTypes are interned: `is` is the cheap comparison
                return x1, x2
        elif _takes_dtype(type2, x1.dtype):
            return x1, tf.constant(x2, x1.dtype)
    elif type2 in _NATIVE and _takes_dtype(type1, x2.dtype):
        return tf.constant(x1, x2.dtype), x2
    return _promote((x1, x2))


def _takes_dtype(scalar_type, dtype):
    """Whether a Python scalar of `scalar_type` just takes `dtype` (weak typing)."""
    if dtype.is_floating:
        return scalar_type is float or scalar_type is int
    return scalar_type is int and dtype is not tf.bool


def _float(x):
    x = convert_to_tensor(x)
    return x if x.dtype.is_floating else tf.cast(x, _floatx())


def _bool(x):
    x = convert_to_tensor(x)
    return x if x.dtype == tf.bool else tf.cast(x, tf.bool)


def _axis(axis):
    return list(axis) if isinstance(axis, (tuple, list)) else axis


def _rank(x):
    return x.shape.rank


def _dim(x, axis):
    """The size of `axis`: an int when static, else a scalar tensor."""
    size = x.shape[axis]
    return size if size is not None else tf.shape(x)[axis]


# ---------------------------------------------------------------- creation


def zeros(shape, dtype="float32"):
    return tf.zeros(shape, tf_dtype(dtype or floatx()))


def ones(shape, dtype="float32"):
    return tf.ones(shape, tf_dtype(dtype or floatx()))


def full(shape, fill_value, dtype="float32"):
    value = convert_to_tensor(fill_value, dtype)
    if value.shape.rank == 0:
        return tf.fill(shape, value)
    return tf.broadcast_to(value, shape)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    numbers = (start, stop, step)
    is_float = builtins.any(
        isinstance(v, (float, np.floating))
        or (isinstance(v, (tf.Tensor, tf.Variable)) and v.dtype.is_floating)
        for v in numbers
    )
    dtype = tf_dtype(dtype) if dtype is not None else (_floatx() if is_float else tf.int32)
    if builtins.all(isinstance(v, (int, float, np.integer, np.floating)) for v in numbers):
        if not is_float and (dtype.is_integer or dtype == tf.bool):
            return tf.cast(tf.range(start, stop, step, dtype=tf.int64), dtype)
        # start + i * step in float64, as NumPy does, rather than TF's running sum.
        count = builtins.max(int(np.ceil((stop - start) / step)), 0)
        values = float(start) + tf.range(count, dtype=tf.float64) * float(step)
        return tf.cast(values, dtype)
    return tf.cast(tf.range(start, stop, step), dtype)


def eye(n, m=None, dtype="float32"):
    return tf.eye(n, m, dtype=tf_dtype(dtype or floatx()))


# ------------------------------------------------------ elementwise, unary


def abs(x):
    x = convert_to_tensor(x)
    if x.dtype.is_unsigned or x.dtype == tf.bool:
        return x
    return tf.abs(x)


def negative(x):
    return tf.negative(convert_to_tensor(x))


def exp(x):
    return tf.exp(_float(x))


def log(x):
    return tf.math.log(_float(x))


def log1p(x):
    return tf.math.log1p(_float(x))


def expm1(x):
    return tf.math.expm1(_float(x))


def sqrt(x):
    return tf.sqrt(_float(x))


def square(x):
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        return x
    return tf.square(x)


def sign(x):
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        return x
    if x.dtype.is_unsigned:
        return tf.cast(x > 0, x.dtype)
    return tf.sign(x)


def sin(x):
    return tf.sin(_float(x))


def cos(x):
    return tf.cos(_float(x))


def tanh(x):
    return tf.tanh(_float(x))


def floor(x):
    x = convert_to_tensor(x)
    return tf.floor(x) if x.dtype.is_floating else x


def ceil(x):
    x = convert_to_tensor(x)
    return tf.math.ceil(x) if x.dtype.is_floating else x


def round(x):
    """Half to even, as NumPy; integers are returned unchanged."""
    x = convert_to_tensor(x)
    return tf.round(x) if x.dtype.is_floating else x


def logical_not(x):
    return tf.logical_not(_bool(x))


def isnan(x):
    x = convert_to_tensor(x)
    if x.dtype.is_floating:
        return tf.math.is_nan(x)
    return tf.zeros_like(x, dtype=tf.bool)


def isfinite(x):
    x = convert_to_tensor(x)
    if x.dtype.is_floating:
        return tf.math.is_finite(x)
    return tf.ones_like(x, dtype=tf.bool)


# ----------------------------------------------------- elementwise, binary


def add(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype is tf.bool:
        return tf.logical_or(x1, x2)
    return _raw.AddV2(x=x1, y=x2)


def subtract(x1, x2):
    x1, x2 = _pair(x1, x2)
    return _raw.Sub(x=x1, y=x2)


def multiply(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype is tf.bool:
        return tf.logical_and(x1, x2)
    return _raw.Mul(x=x1, y=x2)


def divide(x1, x2):
    """True division; integer operands divide in floatx (NumPy: float64)."""
    x1, x2 = _pair(x1, x2)
    if not x1.dtype.is_floating:
        x1, x2 = tf.cast(x1, _floatx()), tf.cast(x2, _floatx())
    return _raw.RealDiv(x=x1, y=x2)


def floor_divide(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:
        x1, x2 = tf.cast(x1, tf.int8), tf.cast(x2, tf.int8)
    return tf.math.floordiv(x1, x2)


def mod(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:
        x1, x2 = tf.cast(x1, tf.int8), tf.cast(x2, tf.int8)
    return tf.math.floormod(x1, x2)


def power(x1, x2):
    x1, x2 = _pair(x1, x2)
    return tf.pow(x1, x2)


def maximum(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_or(x1, x2)
    return tf.maximum(x1, x2)


def minimum(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:
        return tf.logical_and(x1, x2)
    return tf.minimum(x1, x2)


def equal(x1, x2):
    return tf.equal(*_pair(x1, x2))


def not_equal(x1, x2):
    return tf.not_equal(*_pair(x1, x2))


def _compare(op, x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:  # TF does not order booleans
        x1, x2 = tf.cast(x1, tf.int8), tf.cast(x2, tf.int8)
    return op(x1, x2)


def less(x1, x2):
    return _compare(tf.less, x1, x2)


def less_equal(x1, x2):
    return _compare(tf.less_equal, x1, x2)


def greater(x1, x2):
    return _compare(tf.greater, x1, x2)


def greater_equal(x1, x2):
    return _compare(tf.greater_equal, x1, x2)


def logical_and(x1, x2):
    return tf.logical_and(_bool(x1), _bool(x2))


def logical_or(x1, x2):
    return tf.logical_or(_bool(x1), _bool(x2))


def where(condition, x1, x2):
    x1, x2 = _pair(x1, x2)
    return tf.where(_bool(condition), x1, x2)


def clip(x, x_min, x_max):
    x, x_min, x_max = _promote((convert_to_tensor(x), x_min, x_max))
    if x.dtype == tf.bool:
        return tf.logical_and(tf.logical_or(x, x_min), x_max)
    return tf.minimum(tf.maximum(x, x_min), x_max)  # NumPy's order when x_min > x_max


# -------------------------------------------------------------- reductions


def _sum_input(x):
    x = convert_to_tensor(x)
    return tf.cast(x, tf.int32) if x.dtype in _NARROW_INTS else x


def sum(x, axis=None, keepdims=False):
    """Booleans and narrow integers accumulate in int32 (NumPy: int64)."""
    return tf.reduce_sum(_sum_input(x), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return tf.reduce_mean(_float(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        return tf.reduce_any(x, axis=_axis(axis), keepdims=keepdims)
    return tf.reduce_max(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        return tf.reduce_all(x, axis=_axis(axis), keepdims=keepdims)
    return tf.reduce_min(x, axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return tf.reduce_prod(_sum_input(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return tf.math.reduce_variance(_float(x), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return tf.reduce_any(_bool(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return tf.reduce_all(_bool(x), axis=_axis(axis), keepdims=keepdims)


def _arg_reduce(op, x, axis):
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int8)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return op(x, axis=axis)


def argmax(x, axis=None):
    """int64 indices, the first of equal maxima."""
    return _arg_reduce(tf.argmax, x, axis)


def argmin(x, axis=None):
    return _arg_reduce(tf.argmin, x, axis)


def cumsum(x, axis=None):
    x = _sum_input(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.cumsum(x, axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return tf.reduce_logsumexp(_float(x), axis=_axis(axis), keepdims=keepdims)


# ---------------------------------------------------------- shape and index


def reshape(x, newshape):
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    return tf.reshape(convert_to_tensor(x), newshape)


def transpose(x, axes=None):
    return tf.transpose(convert_to_tensor(x), perm=None if axes is None else list(axes))


def expand_dims(x, axis):
    x = convert_to_tensor(x)
    if not isinstance(axis, (tuple, list)):
        return tf.expand_dims(x, axis)
    out_rank = _rank(x) + len(axis)
    for position in sorted(a % out_rank for a in axis):
        x = tf.expand_dims(x, position)
    return x


def squeeze(x, axis=None):
    x = convert_to_tensor(x)
    if axis is None:
        return tf.squeeze(x)
    axes = list(axis) if isinstance(axis, (tuple, list)) else [axis]
    for a in axes:
        if x.shape[a] is not None and x.shape[a] != 1:
            raise ValueError(
                f"Cannot squeeze axis {a} of size {x.shape[a]}: only axes of length 1 can "
                f"be squeezed. Received: x.shape={tuple(x.shape)}, axis={axis!r}"
            )
    return tf.squeeze(x, axes)


def concatenate(xs, axis=0):
    xs = _promote(xs)
    if axis is None:
        xs, axis = [tf.reshape(x, [-1]) for x in xs], 0
    return tf.concat(xs, axis=axis)


def stack(xs, axis=0):
    return tf.stack(_promote(xs), axis=axis)


def split(x, indices_or_sections, axis=0):
    x = convert_to_tensor(x)
    axis = axis % _rank(x)
    size = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or (size is not None and size % sections):
            raise ValueError(
                f"split: the axis of size {size} cannot be divided into equal sections. "
                f"Received: indices_or_sections={sections}, axis={axis}"
            )
        return tf.split(x, sections, axis=axis)
    # Split points, as NumPy: pieces x[0:i0], x[i0:i1], ..., x[ik:] (Python slicing).
    points = [int(i) for i in np.asarray(indices_or_sections).reshape(-1)]
    bounds = [None] + points + [None]
    head = (_slice(None),) * axis
    return [x[head + (_slice(start, stop),)] for start, stop in zip(bounds[:-1], bounds[1:])]


def tile(x, repeats):
    x = convert_to_tensor(x)
    repeats = [int(r) for r in np.asarray(repeats).reshape(-1)]
    rank = _rank(x)
    if len(repeats) < rank:
        repeats = [1] * (rank - len(repeats)) + repeats
    elif len(repeats) > rank:
        x = tf.reshape(x, [1] * (len(repeats) - rank) + [_dim(x, i) for i in range(rank)])
    return tf.tile(x, repeats)


def repeat(x, repeats, axis=None):
    return tf.repeat(convert_to_tensor(x), repeats, axis=axis)


def broadcast_to(x, shape):
    return tf.broadcast_to(convert_to_tensor(x), shape)


def _index_tensor(indices, size):
    """`indices` as an integer tensor with negative entries counted from `size`."""
    if isinstance(indices, (np.ndarray, list, tuple, int, np.integer)):
        array = np.asarray(indices)
        if array.dtype.kind in "iu" and isinstance(size, int):
            if array.size and array.min() < 0:
                array = np.where(array < 0, array + size, array)
            index_dtype = np.int64 if array.dtype == np.int64 else np.int32
            return tf.convert_to_tensor(array.astype(index_dtype))
    indices = convert_to_tensor(indices)
    if not indices.dtype.is_integer:
        indices = tf.cast(indices, tf.int32)
    if indices.dtype.is_unsigned:
        return indices
    size = tf.cast(size, indices.dtype)
    return tf.where(indices < 0, indices + size, indices)


def take(x, indices, axis=None):
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    axis = axis % _rank(x)
    return tf.gather(x, _index_tensor(indices, _dim(x, axis)), axis=axis)


def _static_or_dynamic_shape(x):
    return x.shape.as_list() if x.shape.is_fully_defined() else tf.shape(x)


def take_along_axis(x, indices, axis):
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    rank = _rank(x)
    axis = axis % rank
    indices = _index_tensor(indices, _dim(x, axis))
    if _rank(indices) != rank:
        raise ValueError(
            f"take_along_axis: `indices` must have the rank of `x`. Received: "
            f"x.shape={tuple(x.shape)}, indices.shape={tuple(indices.shape)}"
        )
    perm = [i for i in range(rank) if i != axis] + [axis]
    moved = perm != list(range(rank))
    if moved:
        x, indices = tf.transpose(x, perm), tf.transpose(indices, perm)
    # Broadcast the leading (batch) axes of both, as NumPy does.
    x_shape, index_shape = _static_or_dynamic_shape(x), _static_or_dynamic_shape(indices)
    if isinstance(x_shape, list) and isinstance(index_shape, list):
        lead = list(np.broadcast_shapes(tuple(x_shape[:-1]), tuple(index_shape[:-1])))
        x_target, index_target = lead + x_shape[-1:], lead + index_shape[-1:]
    else:
        lead = tf.broadcast_dynamic_shape(tf.shape(x)[:-1], tf.shape(indices)[:-1])
        x_target = tf.concat([lead, tf.shape(x)[-1:]], 0)
        index_target = tf.concat([lead, tf.shape(indices)[-1:]], 0)
    x = tf.broadcast_to(x, x_target)
    indices = tf.broadcast_to(indices, index_target)
    result = tf.gather(x, indices, axis=rank - 1, batch_dims=rank - 1)
    if moved:
        result = tf.transpose(result, np.argsort(perm))
    return result


def slice(x, start_indices, shape):
    return tf.slice(convert_to_tensor(x), start_indices, shape)


_PAD_MODES = {"constant": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(
            f"Unsupported pad mode. Received: mode={mode!r}; expected one of "
            f"'constant', 'reflect', 'symmetric'."
        )
    x = convert_to_tensor(x)
    # NumPy's shorthands: an int, one (before, after) pair, or one pair per axis.
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (_rank(x), 2))
    if mode != "constant":
        return tf.pad(x, widths, mode=_PAD_MODES[mode])
    return tf.pad(x, widths, constant_values=tf.cast(constant_values, x.dtype))


def flip(x, axis=None):
    x = convert_to_tensor(x)
    if axis is None:
        axis = range(_rank(x))
    elif not isinstance(axis, (tuple, list)):
        axis = [axis]
    return tf.reverse(x, list(axis))


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    x = convert_to_tensor(x)
    if x.dtype not in (tf.uint8, tf.int32, tf.int64):
        x = tf.cast(x, tf.int64 if x.dtype in (tf.uint32, tf.uint64) else tf.int32)
    return tf.one_hot(x, num_classes, axis=axis, dtype=tf_dtype(dtype or floatx()))


def top_k(x, k, sorted=True):
    """(values, int32 indices); equal values keep their index order."""
    values, indices = tf.math.top_k(convert_to_tensor(x), k=k, sorted=sorted)
    return values, indices


def sort(x, axis=-1):
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        return tf.cast(tf.sort(tf.cast(x, tf.int8), axis=axis), tf.bool)
    return tf.sort(x, axis=axis)


def argsort(x, axis=-1):
    """Stable ascending sort indices (int32)."""
    x = convert_to_tensor(x)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.int8)
    return tf.argsort(x, axis=axis, stable=True)


def matmul(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:
        return tf.cast(matmul(tf.cast(x1, tf.int32), tf.cast(x2, tf.int32)), tf.bool)
    rank1, rank2 = _rank(x1), _rank(x2)
    if rank1 == 2 and rank2 == 2:
        return _raw.MatMul(a=x1, b=x2)
    if rank1 == 1 and rank2 == 1:
        return tf.tensordot(x1, x2, 1)
    if rank1 == 1:
        return tf.squeeze(_raw.BatchMatMulV2(x=x1[None, :], y=x2), -2)
    if rank2 == 1:
        return tf.squeeze(_raw.BatchMatMulV2(x=x1, y=x2[:, None]), -1)
    return _raw.BatchMatMulV2(x=x1, y=x2)  # broadcasts batch axes as NumPy


def tensordot(x1, x2, axes=2):
    x1, x2 = _pair(x1, x2)
    return tf.tensordot(x1, x2, axes)


def einsum(subscripts, *operands):
    return tf.einsum(subscripts, *_promote(operands))


def stop_gradient(x):
    return tf.stop_gradient(convert_to_tensor(x))


# -------------------------------------------------------------------- nn


def relu(x):
    return tf.nn.relu(convert_to_tensor(x))


def relu6(x):
    return tf.nn.relu6(convert_to_tensor(x))


def sigmoid(x):
    return tf.sigmoid(_float(x))


def softplus(x):
    return tf.math.softplus(_float(x))


def softsign(x):
    return tf.nn.softsign(_float(x))


def elu(x, alpha=1.0):
    x = _float(x)
    if alpha == 1.0:
        return tf.nn.elu(x)
    # expm1 of min(x, 0): the unselected branch stays finite, so no NaN gradient.
    return tf.where(x > 0, x, alpha * tf.math.expm1(tf.minimum(x, 0)))


def selu(x):
    return tf.nn.selu(_float(x))


def gelu(x, approximate=True):
    return tf.nn.gelu(_float(x), approximate=bool(approximate))


def silu(x):
    return tf.nn.silu(_float(x))


def leaky_relu(x, negative_slope=0.2):
    return tf.nn.leaky_relu(_float(x), alpha=negative_slope)


def hard_sigmoid(x):
    x = _float(x)
    return tf.clip_by_value(x / 6.0 + 0.5, 0.0, 1.0)


def softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, (tuple, list)):
        return tf.exp(x - tf.reduce_logsumexp(x, axis=list(axis), keepdims=True))
    return tf.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, (tuple, list)):
        return x - tf.reduce_logsumexp(x, axis=list(axis), keepdims=True)
    return tf.nn.log_softmax(x, axis=axis)


# ---------------------------------------------------------- conv and pool
# Everything computes channels_last: TensorFlow's CPU kernels lack most
# channels_first (NCHW) variants, so channels_first inputs are transposed.


def _spatial_tuple(value, rank, name):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * rank
    if len(value) != rank:
        raise ValueError(
            f"`{name}` must be an int or a tuple of {rank} ints for a {rank}-D operation. "
            f"Received: {name}={value!r}"
        )
    return value


def _tf_padding(padding):
    text = padding.lower() if isinstance(padding, str) else padding
    if text not in ("valid", "same"):
        raise ValueError(f"Received: padding={padding!r}; expected one of 'valid', 'same'.")
    return text.upper()


def _spatial_rank(inputs, name):
    rank = _rank(inputs) - 2
    if rank not in (1, 2, 3):
        raise ValueError(
            f"{name} expects inputs of rank 3, 4 or 5 (batch, spatial..., channels). "
            f"Received: inputs.shape={tuple(inputs.shape)}"
        )
    return rank


def _channels_last(x, data_format):
    if standardize_data_format(data_format) == "channels_last":
        return x, False
    rank = _rank(x)
    return tf.transpose(x, [0] + list(range(2, rank)) + [1]), True


def _channels_first(x):
    rank = _rank(x)
    return tf.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))


def _same_padded(x, kernel_size, strides, dilation_rate):
    """`x` (channels_last) padded as "SAME" pads it for a strided conv: extra at the end."""
    paddings = [[0, 0]]
    for i, (k, s, d) in enumerate(zip(kernel_size, strides, dilation_rate)):
        size = _dim(x, i + 1)
        effective = (k - 1) * d + 1
        total = (-(-size // s) - 1) * s + effective - size
        total = builtins.max(total, 0) if isinstance(total, int) else tf.maximum(total, 0)
        paddings.append([total // 2, total - total // 2])
    paddings.append([0, 0])
    return tf.pad(x, paddings)


def _strided_dilated(op, x, kernel_size, strides, padding, dilation_rate):
    """Runs `op(x, padding)` at stride 1, then keeps every stride-th output.

    TensorFlow refuses strides > 1 together with dilation > 1; this is the
    same computation.
    """
    if padding == "SAME":
        x = _same_padded(x, kernel_size, strides, dilation_rate)
    y = op(x, "VALID")
    return y[(_slice(None),) + tuple(_slice(None, None, s) for s in strides) + (_slice(None),)]


def _float_pair(inputs, kernel):
    inputs, kernel = _promote((inputs, kernel))
    if not inputs.dtype.is_floating:
        inputs, kernel = tf.cast(inputs, _floatx()), tf.cast(kernel, _floatx())
    return inputs, kernel


_CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _conv_channels_last(x, kernel, strides, padding, dilation_rate):
    # data_format is named: TF's eager Conv3D gradient reads it back and fails on None.
    data_format = _CHANNELS_LAST[len(strides)]
    if builtins.any(s > 1 for s in strides) and builtins.any(d > 1 for d in dilation_rate):
        return _strided_dilated(
            lambda x, p: tf.nn.convolution(x, kernel, 1, p, data_format, dilation_rate),
            x, kernel.shape[:-2], strides, padding, dilation_rate,
        )
    return tf.nn.convolution(x, kernel, strides, padding, data_format, dilation_rate)


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, groups=1):
    """Grouped convolutions run one convolution per group (TF's CPU kernels lack them)."""
    inputs, kernel = _float_pair(inputs, kernel)
    rank = _spatial_rank(inputs, "conv")
    strides = _spatial_tuple(strides, rank, "strides")
    dilation_rate = _spatial_tuple(dilation_rate, rank, "dilation_rate")
    padding = _tf_padding(padding)
    x, transposed = _channels_last(inputs, data_format)
    channels, kernel_channels = x.shape[-1], kernel.shape[-2]
    if groups == 1 and channels is not None and channels != kernel_channels and kernel_channels:
        groups = channels // kernel_channels  # as keras.ops.conv, groups follow the kernel
    if channels is not None and channels != kernel_channels * groups:
        raise ValueError(
            f"conv: the input has {channels} channels but the kernel expects "
            f"{kernel_channels * groups} (kernel.shape[-2]={kernel_channels} x groups={groups}). "
            f"Received: inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
        )
    if groups == 1:
        y = _conv_channels_last(x, kernel, strides, padding, dilation_rate)
    else:
        y = tf.concat(
            [
                _conv_channels_last(part, part_kernel, strides, padding, dilation_rate)
                for part, part_kernel in zip(
                    tf.split(x, groups, axis=-1), tf.split(kernel, groups, axis=-1)
                )
            ],
            axis=-1,
        )
    return _channels_first(y) if transposed else y


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    inputs, kernel = _float_pair(inputs, kernel)
    rank = _spatial_rank(inputs, "depthwise_conv")
    strides = _spatial_tuple(strides, rank, "strides")
    dilation_rate = _spatial_tuple(dilation_rate, rank, "dilation_rate")
    padding = _tf_padding(padding)
    x, transposed = _channels_last(inputs, data_format)
    if rank == 3:  # no native 3-D depthwise op: a grouped conv, one group per channel
        channels, multiplier = kernel.shape[-2], kernel.shape[-1]
        grouped = tf.reshape(kernel, list(kernel.shape[:-2]) + [1, channels * multiplier])
        y = conv(x, grouped, strides, padding, "channels_last", dilation_rate, groups=channels)
        return _channels_first(y) if transposed else y
    if rank == 1:
        x, kernel = x[:, None], kernel[None]
        strides, dilation_rate = (1,) + strides, (1,) + dilation_rate

    def depthwise(x, padding, strides=(1, 1)):
        return tf.nn.depthwise_conv2d(
            x, kernel, (1,) + strides + (1,), padding, dilations=dilation_rate
        )

    # Eigen's CPU DepthwiseConv2dNative (used where oneDNN is off, as on CPUs
    # without AVX-512) takes only equal row/column strides, and no kernel takes
    # strides together with dilation: both run at stride 1, then subsample.
    unequal_strides = strides[0] != strides[1]
    if unequal_strides or (
        builtins.any(s > 1 for s in strides) and builtins.any(d > 1 for d in dilation_rate)
    ):
        y = _strided_dilated(depthwise, x, kernel.shape[:2], strides, padding, dilation_rate)
    else:
        y = depthwise(x, padding, strides)
    if rank == 1:
        y = y[:, 0]
    return _channels_first(y) if transposed else y


def _dilated_kernel(kernel, dilation_rate):
    """`kernel` (spatial..., in, out) with `dilation - 1` zeros between its taps."""
    for axis, d in enumerate(dilation_rate):
        if d == 1:
            continue
        k = kernel.shape[axis]
        # (k, ...) -> (k, 1, ...) padded to (k, d, ...) -> (k * d, ...), minus the trailing zeros.
        expanded = tf.expand_dims(kernel, axis + 1)
        paddings = [[0, 0]] * (kernel.shape.rank + 1)
        paddings[axis + 1] = [0, d - 1]
        expanded = tf.pad(expanded, paddings)
        shape = list(kernel.shape)
        shape[axis] = k * d
        kernel = tf.reshape(expanded, shape)
        kernel = tf.gather(kernel, tf.range((k - 1) * d + 1), axis=axis)
    return kernel


def _conv_transpose_size(size, kernel_size, stride, padding, output_padding, dilation):
    """Keras's output length of a transposed convolution."""
    kernel_size = (kernel_size - 1) * dilation + 1
    if padding == "VALID":
        if output_padding is None:
            output_padding = builtins.max(kernel_size, stride) - kernel_size
        return (size - 1) * stride + kernel_size + output_padding
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + kernel_size % 2 + output_padding


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format="channels_last", dilation_rate=1):
    inputs, kernel = _float_pair(inputs, kernel)
    rank = _spatial_rank(inputs, "conv_transpose")
    strides = _spatial_tuple(strides, rank, "strides")
    dilation_rate = _spatial_tuple(dilation_rate, rank, "dilation_rate")
    if output_padding is not None:
        output_padding = _spatial_tuple(output_padding, rank, "output_padding")
    padding = _tf_padding(padding)
    x, transposed = _channels_last(inputs, data_format)
    if builtins.any(d > 1 for d in dilation_rate):
        # No CPU kernel of Conv{2,3}DBackpropInput takes dilations when oneDNN
        # is off: the same result from the kernel with its zeros written out.
        kernel, dilation_rate = _dilated_kernel(kernel, dilation_rate), (1,) * rank
    if x.shape[-1] is not None and x.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            f"conv_transpose: the input has {x.shape[-1]} channels but the kernel "
            f"(spatial..., out_channels, in_channels) expects {kernel.shape[-1]}. Received: "
            f"inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
        )
    output_shape = [_dim(x, 0)]
    for i in range(rank):
        output_shape.append(_conv_transpose_size(
            _dim(x, i + 1), kernel.shape[i], strides[i], padding,
            None if output_padding is None else output_padding[i], dilation_rate[i],
        ))
    output_shape.append(kernel.shape[-2])
    if builtins.all(isinstance(d, int) for d in output_shape[1:-1]) and not _tf_can_map(
        x.shape[1:-1], output_shape[1:-1], kernel.shape[:-2], strides, padding, dilation_rate
    ):
        y = _conv_transpose_cropped(x, kernel, output_shape, strides, dilation_rate)
    else:
        if not builtins.all(isinstance(d, int) for d in output_shape):
            output_shape = tf.stack([tf.cast(d, tf.int32) for d in output_shape])
        y = tf.nn.conv_transpose(
            x, kernel, output_shape, strides, padding=padding, dilations=dilation_rate
        )
    return _channels_first(y) if transposed else y


def _tf_can_map(sizes, output_sizes, kernel_size, strides, padding, dilation_rate):
    """Whether TF's forward conv maps each output length back onto the input length,
    which ``tf.nn.conv_transpose`` requires of the output shape it is given."""
    for n, out, k, s, d in zip(sizes, output_sizes, kernel_size, strides, dilation_rate):
        effective = (k - 1) * d + 1
        if padding == "SAME" and -(-out // s) != n:
            return False
        if padding == "VALID" and (out < effective or (out - effective) // s + 1 != n):
            return False
    return True


def _conv_transpose_cropped(x, kernel, output_shape, strides, dilation_rate):
    """The full ("VALID") transposed conv, cropped (or zero-extended) to `output_shape`.

    For output paddings whose length no forward conv maps back onto the input
    (TF rejects those), with the padding TF would place in front:
    ``max(full - out, 0) // 2``.
    """
    full_shape = [output_shape[0]]
    for i, (k, s, d) in enumerate(zip(kernel.shape[:-2], strides, dilation_rate)):
        full_shape.append((x.shape[i + 1] - 1) * s + (k - 1) * d + 1)
    full_shape.append(output_shape[-1])
    if not isinstance(full_shape[0], int):
        full_shape = tf.stack([tf.cast(d, tf.int32) for d in full_shape])
    y = tf.nn.conv_transpose(
        x, kernel, full_shape, strides, padding="VALID", dilations=dilation_rate
    )
    crops, extensions = [_slice(None)], [[0, 0]]
    for full, out in zip(y.shape[1:-1], output_shape[1:-1]):
        before = builtins.max(full - out, 0) // 2
        crops.append(_slice(before, before + out))
        extensions.append([0, builtins.max(out - (full - before), 0)])
    crops.append(_slice(None))
    extensions.append([0, 0])
    return tf.pad(y[tuple(crops)], extensions)


def _pool(op, inputs, pool_size, strides, padding, data_format):
    inputs = convert_to_tensor(inputs)
    rank = _spatial_rank(inputs, "pooling")
    pool_size = _spatial_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else _spatial_tuple(strides, rank, "strides")
    padding = _tf_padding(padding)
    x, transposed = _channels_last(inputs, data_format)
    if rank == 3 and x.dtype not in _POOL3D_DTYPES[op]:
        y = _pool3d_separable(op, x, pool_size, strides, padding)
    else:
        # data_format is named: TF's eager Pool3D gradients read it back and fail on None.
        y = op(x, pool_size, strides, padding, data_format=_CHANNELS_LAST[rank])
    return _channels_first(y) if transposed else y


def _pool3d_separable(op, x, pool_size, strides, padding):
    """A 3-D pool as a 2-D pool over (height, width), then one over depth.

    For the dtypes that TF's CPU MaxPool3D and AvgPool3D lack (float16,
    float64). Exact: a box window is the product of its axes,
    so its max is a max of maxes, and its average (TF counts only the
    unpadded cells, a product of per-axis counts) an average of averages.
    """
    batch, depth = _dim(x, 0), _dim(x, 1)
    channels = x.shape[-1]
    planes = tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))
    planes = op(planes, pool_size[1:], strides[1:], padding, data_format="NHWC")
    height, width = _dim(planes, 1), _dim(planes, 2)
    columns = tf.reshape(planes, [batch, depth, -1, 1])
    columns = op(columns, (pool_size[0], 1), (strides[0], 1), padding, data_format="NHWC")
    return tf.reshape(columns, [batch, _dim(columns, 1), height, width, channels])


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool(tf.nn.max_pool, inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    return _pool(tf.nn.avg_pool, _float(inputs), pool_size, strides, padding, data_format)


# The dtypes that TF's CPU MaxPool3D and AvgPool3D kernels take on every CPU
# (oneDNN adds float16 on some; Eigen's kernels have neither float16 nor float64).
_POOL3D_DTYPES = {
    tf.nn.max_pool: (tf.float32, tf.bfloat16),
    tf.nn.avg_pool: (tf.float32, tf.bfloat16),
}


def moments(x, axes, keepdims=False):
    """float16/bfloat16 inputs are reduced in float32, then cast back."""
    x = _float(x)
    compute_dtype = x.dtype
    if x.dtype in (tf.float16, tf.bfloat16):
        x = tf.cast(x, tf.float32)
    axes = list(axes) if isinstance(axes, (tuple, list)) else [axes]
    mean_ = tf.reduce_mean(x, axis=axes, keepdims=True)
    # sum(x - mean) is zero, so the mean's own gradient path through the
    # variance vanishes: stopping it saves the backward work.
    variance = tf.reduce_mean(tf.square(x - tf.stop_gradient(mean_)), axis=axes, keepdims=keepdims)
    if not keepdims:
        mean_ = tf.squeeze(mean_, [a % _rank(x) for a in axes])
    if compute_dtype != x.dtype:
        mean_, variance = tf.cast(mean_, compute_dtype), tf.cast(variance, compute_dtype)
    return mean_, variance


def dropout(x, rate, noise_shape=None, seed=None):
    from .random import stateless_seed

    x = _float(x)
    if isinstance(rate, (int, float)) and not 0 <= rate < 1:
        raise ValueError(f"Received: rate={rate!r}; expected a float in [0, 1).")
    if noise_shape is None:
        noise_shape = _static_or_dynamic_shape(x)
    else:
        noise_shape = [_dim(x, i) if d is None else d for i, d in enumerate(noise_shape)]
        if not builtins.all(isinstance(d, int) for d in noise_shape):
            noise_shape = tf.stack([tf.cast(d, tf.int32) for d in noise_shape])
    uniform_dtype = x.dtype if x.dtype != tf.bfloat16 else tf.float32
    uniform = tf.random.stateless_uniform(noise_shape, stateless_seed(seed), dtype=uniform_dtype)
    keep = uniform >= rate
    return tf.where(keep, x / tf.cast(1.0 - rate, x.dtype), tf.zeros_like(x))


# ------------------------------------------------------------------ loops


def scan(f, init, xs, length=None, reverse=False, unroll=1):
    """As the contract; `init`, the carry, `xs` and `ys` may be any nests (tf.nest).

    Eagerly (and in a ``tf.function`` when ``unroll`` is True or covers the
    whole length) the steps run as a Python loop; otherwise as one
    ``tf.while_loop`` whose first step runs outside the loop to learn the
    structure of `ys`. Partial unrolling is not applied (TF has no such knob).
    """
    flat_xs = [convert_to_tensor(x) for x in tf.nest.flatten(xs)] if xs is not None else []
    if length is None:
        if not flat_xs:
            raise ValueError("scan: pass `xs` or `length`. Received: xs=None, length=None")
        length = _dim(flat_xs[0], 0)
    elif flat_xs and flat_xs[0].shape[0] is not None and flat_xs[0].shape[0] != length:
        raise ValueError(
            f"scan: `length` disagrees with the leading axis of `xs`. Received: "
            f"length={length}, xs leading size={flat_xs[0].shape[0]}"
        )

    def x_at(t):
        if xs is None:
            return None
        return tf.nest.pack_sequence_as(xs, [x[t] for x in flat_xs])

    def repack(carry):  # the final carry in init's containers (list stays list)
        return tf.nest.pack_sequence_as(init, tf.nest.flatten(carry))

    static = isinstance(length, int)
    if static and length == 0:
        return _scan_empty(f, init, xs, flat_xs)
    if static and (tf.executing_eagerly() or unroll is True or (
        not isinstance(unroll, bool) and unroll >= length
    )):
        return _scan_unrolled(f, init, x_at, length, reverse, repack)
    return _scan_while(f, init, x_at, length, reverse, repack)


def _stack_ys(ys):
    if ys[0] is None:
        return None
    return tf.nest.map_structure(lambda *steps: tf.stack(steps), *ys)


def _scan_unrolled(f, init, x_at, length, reverse, repack):
    carry, ys = init, [None] * length
    for t in (range(length - 1, -1, -1) if reverse else range(length)):
        carry, ys[t] = f(carry, x_at(t))
    return repack(carry), _stack_ys(ys)


def _scan_empty(f, init, xs, flat_xs):
    """Zero steps: `init` back, and empty `ys` shaped by one probing call of `f`."""
    probe = None
    if xs is not None:
        probe = tf.nest.pack_sequence_as(xs, [tf.zeros(x.shape[1:], x.dtype) for x in flat_xs])
    _, y = f(init, probe)
    if y is None:
        return init, None
    return init, tf.nest.map_structure(
        lambda v: tf.zeros([0] + list(v.shape), v.dtype),
        tf.nest.map_structure(convert_to_tensor, y),
    )


def _scan_while(f, init, x_at, length, reverse, repack):
    def index(i):
        return length - 1 - i if reverse else i

    carry, y = f(init, x_at(index(0)))  # the first step, outside the loop
    flat_carry = [convert_to_tensor(c) for c in tf.nest.flatten(carry)]
    flat_y = [convert_to_tensor(v) for v in tf.nest.flatten(y)] if y is not None else []
    arrays = [
        tf.TensorArray(v.dtype, size=length, element_shape=v.shape).write(index(0), v)
        for v in flat_y
    ]

    def body(i, flat_carry, arrays):
        carry, y = f(tf.nest.pack_sequence_as(init, flat_carry), x_at(index(i)))
        new_carry = [
            convert_to_tensor(c, old.dtype) for c, old in zip(tf.nest.flatten(carry), flat_carry)
        ]
        flat_y = tf.nest.flatten(y) if y is not None else []
        arrays = [a.write(index(i), convert_to_tensor(v, a.dtype)) for a, v in zip(arrays, flat_y)]
        return i + 1, new_carry, arrays

    _, flat_carry, arrays = tf.while_loop(
        lambda i, *_: i < length, body, (tf.constant(1), flat_carry, arrays)
    )
    carry = tf.nest.pack_sequence_as(init, flat_carry)
    ys = None if y is None else tf.nest.pack_sequence_as(y, [a.stack() for a in arrays])
    return repack(carry), ys
