"""The contract's ``numpy`` family over jax.numpy.

Creation, elementwise, reductions, shape and index ops and products; scalars
keep JAX's weak typing (see ``_helpers.py``).
"""
import jax
import jax.numpy as jnp
import jax.scipy.special

from kfacade.backend.contract import FAMILIES
from kfacade.backend.dtypes import ALL_TYPES, reduction_result_type

from ._helpers import _dt, _t
from .variables import convert_to_tensor, jax_dtype

__all__ = list(FAMILIES["numpy"])

# The dtypes cumsum accumulates in, from kfacade's result table (jnp.sum
# already widens the same way; jnp.cumsum keeps int8).
_ACCUMULATED = {
    jax_dtype(name): jax_dtype(reduction_result_type("cumsum", name))
    for name in ALL_TYPES if reduction_result_type("cumsum", name) != name
}


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# ---------------------------------------------------------------- creation


def zeros(shape, dtype="float32"):
    return jnp.zeros(shape, dtype=_dt(dtype))


def ones(shape, dtype="float32"):
    return jnp.ones(shape, dtype=_dt(dtype))


def full(shape, fill_value, dtype="float32"):
    return jnp.full(shape, _t(fill_value), dtype=_dt(dtype))


def arange(start, stop=None, step=1, dtype=None):
    dtype = None if dtype is None else jax_dtype(dtype)
    if isinstance(step, int) and step == 1:
        # Without a step, jnp.arange is one iota; with step=1 it is also a
        # multiply and an add, each compiled per new length when eager.
        return jnp.arange(start, stop, dtype=dtype)
    return jnp.arange(start, stop, step, dtype=dtype)


def eye(n, m=None, dtype="float32"):
    return jnp.eye(n, m, dtype=_dt(dtype))


# ------------------------------------------------------ elementwise, unary


def abs(x):
    return jnp.abs(_t(x))


def negative(x):
    return jnp.negative(_t(x))


def exp(x):
    return jnp.exp(_t(x))


def log(x):
    return jnp.log(_t(x))


def log1p(x):
    return jnp.log1p(_t(x))


def expm1(x):
    return jnp.expm1(_t(x))


def sqrt(x):
    return jnp.sqrt(_t(x))


def square(x):
    return jnp.square(_t(x))


def sign(x):
    return jnp.sign(_t(x))


def sin(x):
    return jnp.sin(_t(x))


def cos(x):
    return jnp.cos(_t(x))


def tanh(x):
    return jnp.tanh(_t(x))


def floor(x):
    return jnp.floor(_t(x))


def ceil(x):
    return jnp.ceil(_t(x))


def round(x):
    return jnp.round(_t(x))


def logical_not(x):
    return jnp.logical_not(_t(x))


def isnan(x):
    return jnp.isnan(_t(x))


def isfinite(x):
    return jnp.isfinite(_t(x))


def isinf(x):
    return jnp.isinf(_t(x))


def tan(x):
    return jnp.tan(_t(x))


def arcsin(x):
    return jnp.arcsin(_t(x))


def arccos(x):
    return jnp.arccos(_t(x))


def arctan(x):
    return jnp.arctan(_t(x))


def sinh(x):
    return jnp.sinh(_t(x))


def cosh(x):
    return jnp.cosh(_t(x))


def arcsinh(x):
    return jnp.arcsinh(_t(x))


def arccosh(x):
    return jnp.arccosh(_t(x))


def arctanh(x):
    return jnp.arctanh(_t(x))


def log2(x):
    return jnp.log2(_t(x))


def log10(x):
    return jnp.log10(_t(x))


def erf(x):
    return jax.scipy.special.erf(_t(x))


def erfc(x):
    return jax.scipy.special.erfc(_t(x))


def erfinv(x):
    return jax.scipy.special.erfinv(_t(x))


def trunc(x):
    return jnp.trunc(_t(x))


# ----------------------------------------------------- elementwise, binary


def add(x1, x2):
    return jnp.add(_t(x1), _t(x2))


def subtract(x1, x2):
    return jnp.subtract(_t(x1), _t(x2))


def multiply(x1, x2):
    return jnp.multiply(_t(x1), _t(x2))


def divide(x1, x2):
    return jnp.true_divide(_t(x1), _t(x2))


def floor_divide(x1, x2):
    return jnp.floor_divide(_t(x1), _t(x2))


def mod(x1, x2):
    return jnp.mod(_t(x1), _t(x2))


def power(x1, x2):
    return jnp.power(_t(x1), _t(x2))


def maximum(x1, x2):
    return jnp.maximum(_t(x1), _t(x2))


def minimum(x1, x2):
    return jnp.minimum(_t(x1), _t(x2))


def equal(x1, x2):
    return jnp.equal(_t(x1), _t(x2))


def not_equal(x1, x2):
    return jnp.not_equal(_t(x1), _t(x2))


def less(x1, x2):
    return jnp.less(_t(x1), _t(x2))


def less_equal(x1, x2):
    return jnp.less_equal(_t(x1), _t(x2))


def greater(x1, x2):
    return jnp.greater(_t(x1), _t(x2))


def greater_equal(x1, x2):
    return jnp.greater_equal(_t(x1), _t(x2))


def logical_and(x1, x2):
    return jnp.logical_and(_t(x1), _t(x2))


def logical_or(x1, x2):
    return jnp.logical_or(_t(x1), _t(x2))


def arctan2(x1, x2):
    return jnp.arctan2(_t(x1), _t(x2))


def bitwise_and(x1, x2):
    return jnp.bitwise_and(_t(x1), _t(x2))


def bitwise_or(x1, x2):
    return jnp.bitwise_or(_t(x1), _t(x2))


def bitwise_xor(x1, x2):
    return jnp.bitwise_xor(_t(x1), _t(x2))


def bitwise_invert(x):
    return jnp.invert(_t(x))


def left_shift(x1, x2):
    return jnp.left_shift(_t(x1), _t(x2))


def right_shift(x1, x2):
    return jnp.right_shift(_t(x1), _t(x2))


def i0(x):
    x = _t(x)
    if x.dtype.itemsize >= 4:
        return jax.scipy.special.i0(x)
    return jax.scipy.special.i0(x.astype(jnp.float32)).astype(x.dtype)  # 16-bit: computed in float32


def gcd(x1, x2):
    return jnp.gcd(_t(x1), _t(x2))


def nextafter(x1, x2):
    return jnp.nextafter(_t(x1), _t(x2))


def where(condition, x1, x2):
    return jnp.where(_t(condition), _t(x1), _t(x2))


def clip(x, x_min, x_max):
    return jnp.clip(_t(x), _t(x_min), _t(x_max))


# -------------------------------------------------------------- reductions


def sum(x, axis=None, keepdims=False):
    return jnp.sum(_t(x), axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return jnp.mean(_t(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return jnp.max(_t(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return jnp.min(_t(x), axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return jnp.prod(_t(x), axis=_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return jnp.var(_t(x), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return jnp.any(_t(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return jnp.all(_t(x), axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=None):
    return jnp.argmax(_t(x), axis=axis)


def argmin(x, axis=None):
    return jnp.argmin(_t(x), axis=axis)


def cumsum(x, axis=None):
    """Narrow integers accumulate as ``sum`` does (jnp.cumsum would keep int8)."""
    x = _t(x)
    accumulated = _ACCUMULATED.get(x.dtype)
    return jnp.cumsum(x, axis=axis, dtype=accumulated)


def cumprod(x, axis=None):
    """Narrow integers multiply as ``cumsum`` accumulates."""
    x = _t(x)
    return jnp.cumprod(x, axis=axis, dtype=_ACCUMULATED.get(x.dtype))


def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(_t(x), axis=_axis(axis), keepdims=keepdims)


# ---------------------------------------------------------- shape and index


def reshape(x, newshape):
    return jnp.reshape(_t(x), newshape)


def transpose(x, axes=None):
    return jnp.transpose(_t(x), axes)


def expand_dims(x, axis):
    return jnp.expand_dims(_t(x), _axis(axis))


def squeeze(x, axis=None):
    return jnp.squeeze(_t(x), axis=_axis(axis))


def concatenate(xs, axis=0):
    return jnp.concatenate([_t(x) for x in xs], axis=axis)


def stack(xs, axis=0):
    return jnp.stack([_t(x) for x in xs], axis=axis)


def split(x, indices_or_sections, axis=0):
    if not isinstance(indices_or_sections, int):
        indices_or_sections = [int(i) for i in indices_or_sections]
    return jnp.split(_t(x), indices_or_sections, axis=axis)


def tile(x, repeats):
    return jnp.tile(_t(x), repeats)


def repeat(x, repeats, axis=None):
    return jnp.repeat(_t(x), repeats, axis=axis)


def broadcast_to(x, shape):
    return jnp.broadcast_to(_t(x), tuple(shape))


def take(x, indices, axis=None):
    return jnp.take(_t(x), _t(indices), axis=axis)


def take_along_axis(x, indices, axis):
    return jnp.take_along_axis(_t(x), _t(indices), axis=axis)


def slice(x, start_indices, shape):
    # dynamic_slice also takes traced start indices (inside a compiled step).
    return jax.lax.dynamic_slice(convert_to_tensor(x), tuple(start_indices), tuple(shape))


_PAD_MODES = ("constant", "reflect", "symmetric")


def pad(x, pad_width, mode="constant", constant_values=0):
    if mode not in _PAD_MODES:
        raise ValueError(
            f"Invalid pad mode. Received: mode={mode!r}; expected one of {_PAD_MODES}."
        )
    if mode == "constant":
        return jnp.pad(_t(x), pad_width, mode=mode, constant_values=_t(constant_values))
    if constant_values != 0:
        raise ValueError(
            f"`constant_values` only applies to mode='constant'. Received: "
            f"mode={mode!r}, constant_values={constant_values!r}."
        )
    return jnp.pad(_t(x), pad_width, mode=mode)


def flip(x, axis=None):
    return jnp.flip(_t(x), axis=_axis(axis))


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    return jax.nn.one_hot(_t(x), num_classes, dtype=_dt(dtype), axis=axis)


def top_k(x, k, sorted=True):
    # lax.top_k always returns the k entries sorted, which `sorted=False` allows.
    return jax.lax.top_k(_t(x), k)


def bitcast(x, dtype):
    x, dtype = _t(x), jax_dtype(dtype)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.uint8)  # bool is not a bitcast type; its bytes are 0 and 1
    if dtype == jnp.bool_:
        return jax.lax.bitcast_convert_type(x, jnp.uint8) != 0
    return jax.lax.bitcast_convert_type(x, dtype)


def sort(x, axis=-1):
    return jnp.sort(_t(x), axis=axis)


def argsort(x, axis=-1):
    return jnp.argsort(_t(x), axis=axis)


def searchsorted(sorted_sequence, values, side="left"):
    sorted_sequence = _t(sorted_sequence)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            f"searchsorted takes a 1-D sorted_sequence; got shape {sorted_sequence.shape}")
    return jnp.searchsorted(sorted_sequence, _t(values), side=side).astype(jnp.int32)


def matmul(x1, x2):
    return jnp.matmul(_t(x1), _t(x2))


def tensordot(x1, x2, axes=2):
    return jnp.tensordot(_t(x1), _t(x2), axes)


def einsum(subscripts, *operands):
    return jnp.einsum(subscripts, *[_t(x) for x in operands])
