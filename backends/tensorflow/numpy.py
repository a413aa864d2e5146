"""The contract's ``numpy`` family over ``tf``, with NumPy's semantics where TF differs.

Creation, elementwise, reductions, shape and index ops and products; the
dtype rules of binary ops are those in ``_helpers.py``.
"""
import builtins

import numpy as np
import tensorflow as tf
from tensorflow.python.ops.resource_variable_ops import ResourceVariable

from kfacade.backend.config import floatx
from kfacade.backend.contract import FAMILIES
from kfacade.backend.dtypes import ALL_TYPES, BOOL_ARITHMETIC_DTYPE, reduction_result_type

from ._helpers import _dim, _float, _floatx, _promote, _rank, _slice, _static_or_dynamic_shape
from .variables import EagerTensor, convert_to_tensor, tf_dtype

__all__ = list(FAMILIES["numpy"])

_NATIVE = (EagerTensor, ResourceVariable)  # the concrete classes of the eager hot path
# The dtypes sums, products and cumsums accumulate in, from kfacade's result table.
_ACCUMULATED = {
    tf_dtype(name): tf_dtype(reduction_result_type("sum", name))
    for name in ALL_TYPES if reduction_result_type("sum", name) != name
}
_BOOL_ARITHMETIC = tf_dtype(BOOL_ARITHMETIC_DTYPE)
_UNSIGNED = (tf.uint8, tf.uint16, tf.uint32, tf.uint64)  # tf.pow has no unsigned kernels
# The raw ops skip tf.add's dispatch layers: half the eager cost of a small add.
_raw = tf.raw_ops


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


def _bool(x):
    x = convert_to_tensor(x)
    return x if x.dtype == tf.bool else tf.cast(x, tf.bool)


def _axis(axis):
    return list(axis) if isinstance(axis, (tuple, list)) else axis


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


def isinf(x):
    x = convert_to_tensor(x)
    if x.dtype.is_floating:
        return tf.math.is_inf(x)
    return tf.zeros_like(x, dtype=tf.bool)


def tan(x):
    return tf.tan(_float(x))


def arcsin(x):
    return tf.asin(_float(x))


def arccos(x):
    return tf.acos(_float(x))


def arctan(x):
    return tf.atan(_float(x))


def sinh(x):
    return tf.sinh(_float(x))


def cosh(x):
    return tf.cosh(_float(x))


def arcsinh(x):
    return tf.asinh(_float(x))


def arccosh(x):
    return tf.acosh(_float(x))


def arctanh(x):
    return tf.atanh(_float(x))


def log2(x):
    """TF has no base-2 log kernel: ln(x) / ln(2), within float rounding of NumPy's."""
    x = _float(x)
    return tf.math.log(x) / tf.constant(np.log(2.0), x.dtype)


def log10(x):
    x = _float(x)
    return tf.math.log(x) / tf.constant(np.log(10.0), x.dtype)


def erf(x):
    return tf.math.erf(_float(x))


def erfc(x):
    return tf.math.erfc(_float(x))


def erfinv(x):
    return tf.math.erfinv(_float(x))


def trunc(x):
    x = convert_to_tensor(x)
    if not x.dtype.is_floating:
        return x
    return tf.where(x < 0, tf.math.ceil(x), tf.floor(x))


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
        x1, x2 = tf.cast(x1, _BOOL_ARITHMETIC), tf.cast(x2, _BOOL_ARITHMETIC)
    return tf.math.floordiv(x1, x2)


def mod(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:
        x1, x2 = tf.cast(x1, _BOOL_ARITHMETIC), tf.cast(x2, _BOOL_ARITHMETIC)
    return tf.math.floormod(x1, x2)


def power(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype == tf.bool:
        x1, x2 = tf.cast(x1, _BOOL_ARITHMETIC), tf.cast(x2, _BOOL_ARITHMETIC)
    elif x1.dtype in _UNSIGNED:  # in int64, then wrapped back as the unsigned dtype would
        return tf.cast(tf.pow(tf.cast(x1, tf.int64), tf.cast(x2, tf.int64)), x1.dtype)
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


def arctan2(x1, x2):
    x1, x2 = _pair(x1, x2)
    if not x1.dtype.is_floating:
        x1, x2 = tf.cast(x1, _floatx()), tf.cast(x2, _floatx())
    return tf.atan2(x1, x2)


def _integers(x1, x2, name):
    x1, x2 = _pair(x1, x2)
    if x1.dtype.is_floating:
        raise TypeError(f"{name} takes integers or bools; received {x1.dtype.name}")
    return x1, x2


def bitwise_and(x1, x2):
    x1, x2 = _integers(x1, x2, "bitwise_and")
    return tf.logical_and(x1, x2) if x1.dtype == tf.bool else tf.bitwise.bitwise_and(x1, x2)


def bitwise_or(x1, x2):
    x1, x2 = _integers(x1, x2, "bitwise_or")
    return tf.logical_or(x1, x2) if x1.dtype == tf.bool else tf.bitwise.bitwise_or(x1, x2)


def bitwise_xor(x1, x2):
    x1, x2 = _integers(x1, x2, "bitwise_xor")
    return tf.math.logical_xor(x1, x2) if x1.dtype == tf.bool else tf.bitwise.bitwise_xor(x1, x2)


def bitwise_invert(x):
    x = convert_to_tensor(x)
    if x.dtype.is_floating:
        raise TypeError(f"bitwise_invert takes integers or bools; received {x.dtype.name}")
    return tf.logical_not(x) if x.dtype == tf.bool else tf.bitwise.invert(x)


def left_shift(x1, x2):
    return tf.bitwise.left_shift(*_integers(x1, x2, "left_shift"))


def right_shift(x1, x2):
    return tf.bitwise.right_shift(*_integers(x1, x2, "right_shift"))


def i0(x):
    x = convert_to_tensor(x)
    if x.dtype in (tf.float32, tf.float64):
        return tf.math.special.bessel_i0(x)
    return tf.cast(tf.math.special.bessel_i0(tf.cast(x, tf.float32)), x.dtype)


def gcd(x1, x2):
    x1, x2 = _pair(x1, x2)
    return tf.cast(tf.experimental.numpy.gcd(x1, x2), x1.dtype)


def nextafter(x1, x2):
    x1, x2 = _pair(x1, x2)
    if x1.dtype in (tf.float32, tf.float64):
        return tf.math.nextafter(x1, x2)
    # tf.math.nextafter has no 16-bit kernel: step the bits, read as int16
    # (sign and magnitude, so +1 moves away from zero for either sign).
    x1, x2 = tf.broadcast_to(x1, tf.shape(x1 + x2)), tf.broadcast_to(x2, tf.shape(x1 + x2))
    bits = tf.bitcast(x1, tf.int16)
    away = tf.equal(tf.greater(x2, x1), tf.greater(x1, tf.zeros_like(x1)))
    stepped = tf.bitcast(tf.where(away, bits + 1, bits - 1), x1.dtype)
    tiniest = tf.bitcast(tf.where(x2 > x1, tf.constant(1, tf.int16), tf.constant(-32767, tf.int16)), x1.dtype)
    result = tf.where(tf.equal(x1, tf.zeros_like(x1)), tiniest, stepped)
    result = tf.where(tf.equal(x1, x2), x2, result)
    return tf.where(tf.math.is_nan(x1) | tf.math.is_nan(x2), tf.constant(float("nan"), x1.dtype), result)


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
    accumulated = _ACCUMULATED.get(x.dtype)
    return x if accumulated is None else tf.cast(x, accumulated)


def sum(x, axis=None, keepdims=False):
    """Booleans and narrow integers accumulate in 32 bits (kfacade's result table)."""
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
    return op(x, axis=axis, output_type=tf.int32)


def argmax(x, axis=None):
    """int32 indices (kfacade's result table), the first of equal maxima."""
    return _arg_reduce(tf.argmax, x, axis)


def argmin(x, axis=None):
    return _arg_reduce(tf.argmin, x, axis)


def cumsum(x, axis=None):
    x = _sum_input(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.cumsum(x, axis=axis)


def cumprod(x, axis=None):
    x = _sum_input(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.math.cumprod(x, axis=axis)


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


def bitcast(x, dtype):
    x, dtype = convert_to_tensor(x), tf_dtype(dtype)
    if x.dtype == tf.bool:
        x = tf.cast(x, tf.uint8)  # bool is not a bitcast type; its bytes are 0 and 1
    if dtype == tf.bool:
        return tf.not_equal(tf.bitcast(x, tf.uint8), tf.constant(0, tf.uint8))
    return tf.bitcast(x, dtype)


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


def searchsorted(sorted_sequence, values, side="left"):
    sorted_sequence, values = _pair(sorted_sequence, values)
    if sorted_sequence.shape.rank != 1:
        raise ValueError(
            f"searchsorted takes a 1-D sorted_sequence; got shape {sorted_sequence.shape}")
    flat = tf.searchsorted(sorted_sequence, tf.reshape(values, [-1]), side=side, out_type=tf.int32)
    return tf.reshape(flat, tf.shape(values))


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
    # k == 0: reshape cannot infer the flattened size of an empty tensor.
    if rank2 == 2 and x1.dtype in _FLAT_MATMUL_DTYPES and x1.shape[-1] != 0:
        return _flat_matmul(x1, x2)
    return _raw.BatchMatMulV2(x=x1, y=x2)  # broadcasts batch axes as NumPy


#: Dtypes of ``_flat_matmul``: the ones MatMul's CPU and GPU kernels both take.
_FLAT_MATMUL_DTYPES = (tf.float16, tf.bfloat16, tf.float32, tf.float64)


def _flat_matmul(x1, x2):
    """``(..., n, k) @ (k, m)`` as one 2-D MatMul over the leading axes
    flattened: the same products, while BatchMatMulV2's gradient for a
    broadcast `x2` makes one ``(k, m)`` product per batch entry and sums them
    (forward and backward of (32, 80, 128) @ (128, 512): 24 ms against 13)."""
    flat = _raw.MatMul(a=tf.reshape(x1, [-1, _dim(x1, -1)]), b=x2)
    shape = x1.shape[:-1].concatenate(x2.shape[-1:])
    if shape.is_fully_defined():
        return tf.reshape(flat, shape)
    out = tf.reshape(flat, tf.concat([tf.shape(x1)[:-1], tf.shape(x2)[-1:]], 0))
    out.set_shape(shape)
    return out


def tensordot(x1, x2, axes=2):
    x1, x2 = _pair(x1, x2)
    return tf.tensordot(x1, x2, axes)


def einsum(subscripts, *operands):
    return tf.einsum(subscripts, *_promote(operands))
