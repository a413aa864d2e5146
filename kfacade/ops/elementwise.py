"""Elementwise ``keras.ops`` composed of the adapter's primitives.

Each takes and returns native tensors (a graph node on KerasTensors) and
follows NumPy's function of the same name; integer input of a float function
computes in floatx, as the primitives do.
"""
import math

from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import (
    INT_TYPES,
    dtype_range,
    is_float_dtype,
    result_type,
    standardize_dtype,
    true_divide_result_type,
)
from kfacade.ops._composite import floating as _floating, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = [
    "exp2", "rsqrt", "cbrt", "deg2rad", "rad2deg", "fabs", "hypot", "heaviside", "signbit", "sinc",
    "isneginf", "isposinf", "logaddexp", "logaddexp2", "logical_xor", "divide_no_nan",
    "nan_to_num", "isclose", "allclose", "fmod", "ldexp", "fmax", "fmin", "saturate_cast",
    "gcd", "lcm", "nextafter", "i0",
]


def _operand(x):
    """What the result table reads of an operand: a Python scalar stays weak."""
    return x if type(x) in (int, float, bool) else _B.dtype(_tensor(x))


def _floating_pair(x1, x2):
    """Both operands as tensors of their common float dtype (Python scalars weak)."""
    dtype = true_divide_result_type(_operand(x1), _operand(x2))
    return _B.convert_to_tensor(x1, dtype), _B.convert_to_tensor(x2, dtype)


def _two_to_the(x):
    """2 ** x for a float tensor `x`, exact at integers (``power``, not ``exp``)."""
    return _B.power(_B.convert_to_tensor(2.0, _B.dtype(x)), x)


@symbolic_or
def exp2(x):
    """2 ** x elementwise."""
    return _two_to_the(_floating(x))


@symbolic_or
def rsqrt(x):
    """1 / sqrt(x) elementwise."""
    return _B.divide(1.0, _B.sqrt(_floating(x)))


@symbolic_or
def cbrt(x):
    """The real cube root, negative for negative `x`."""
    x = _floating(x)
    return _B.multiply(_B.sign(x), _B.power(_B.abs(x), 1.0 / 3.0))


@symbolic_or
def deg2rad(x):
    """Degrees to radians."""
    return _B.multiply(_floating(x), math.pi / 180.0)


@symbolic_or
def rad2deg(x):
    """Radians to degrees."""
    return _B.multiply(_floating(x), 180.0 / math.pi)


@symbolic_or
def fabs(x):
    """|x| as a float."""
    return _B.abs(_floating(x))


@symbolic_or
def hypot(x1, x2):
    """sqrt(x1**2 + x2**2), scaled so that large values do not overflow."""
    x1, x2 = _floating_pair(x1, x2)
    big = _B.maximum(_B.abs(x1), _B.abs(x2))
    small = _B.minimum(_B.abs(x1), _B.abs(x2))
    ratio = _B.divide(small, _B.where(_B.equal(big, 0), 1.0, big))
    return _B.multiply(big, _B.sqrt(_B.add(1.0, _B.square(ratio))))


@symbolic_or
def heaviside(x1, x2):
    """0 where x1 < 0, `x2` where x1 == 0, 1 where x1 > 0."""
    x1, x2 = _floating_pair(x1, x2)
    x2 = _B.broadcast_to(x2, _B.shape(_B.add(x1, x2)))
    return _B.where(_B.less(x1, 0), 0.0, _B.where(_B.greater(x1, 0), 1.0, x2))


@symbolic_or
def signbit(x):
    """True where the sign bit is set: negative numbers and -0.0."""
    x = _tensor(x)
    if not is_float_dtype(_B.dtype(x)):
        return _B.less(x, 0)
    negative_zero = _B.logical_and(_B.equal(x, 0), _B.less(_B.divide(1.0, x), 0))
    return _B.logical_or(_B.less(x, 0), negative_zero)


@symbolic_or
def sinc(x):
    """sin(pi x) / (pi x), 1 at 0 (the normalised sinc, NumPy's)."""
    x = _floating(x)
    is_zero = _B.equal(x, 0)
    scaled = _B.multiply(_B.where(is_zero, 1.0, x), math.pi)
    return _B.where(is_zero, 1.0, _B.divide(_B.sin(scaled), scaled))


@symbolic_or
def isneginf(x):
    """True where `x` is -inf."""
    x = _tensor(x)
    return _B.logical_and(_B.isinf(x), _B.less(x, 0))


@symbolic_or
def isposinf(x):
    """True where `x` is +inf."""
    x = _tensor(x)
    return _B.logical_and(_B.isinf(x), _B.greater(x, 0))


def _logaddexp(x1, x2, log_of_one_plus):
    """max(x1, x2) + log_of_one_plus(-|x1 - x2|): no overflow, equal infinities kept."""
    x1, x2 = _floating_pair(x1, x2)
    # inf - inf is NaN: where the operands are equal the gap is 0.
    gap = _B.where(_B.equal(x1, x2), 0.0, _B.negative(_B.abs(_B.subtract(x1, x2))))
    return _B.add(_B.maximum(x1, x2), log_of_one_plus(gap))


@symbolic_or
def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)), without overflow."""
    return _logaddexp(x1, x2, lambda gap: _B.log1p(_B.exp(gap)))


@symbolic_or
def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2), without overflow."""
    return _logaddexp(x1, x2, lambda gap: _B.divide(_B.log1p(_two_to_the(gap)), math.log(2.0)))


@symbolic_or
def logical_xor(x1, x2):
    """Elementwise boolean exclusive or."""
    return _B.not_equal(_B.cast(_tensor(x1), "bool"), _B.cast(_tensor(x2), "bool"))


@symbolic_or
def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 is 0."""
    x1, x2 = _floating_pair(x1, x2)
    is_zero = _B.equal(x2, 0)
    return _B.where(is_zero, 0.0, _B.divide(x1, _B.where(is_zero, 1.0, x2)))


@symbolic_or
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """`x` with NaN, +inf and -inf replaced (by default 0 and the dtype's
    largest and lowest finite values). Integers are returned unchanged."""
    x = _tensor(x)
    dtype = _B.dtype(x)
    if not is_float_dtype(dtype):
        return x
    lowest, highest = dtype_range(dtype)
    x = _B.where(_B.isnan(x), nan, x)
    x = _B.where(_B.logical_and(_B.isinf(x), _B.greater(x, 0)), highest if posinf is None else posinf, x)
    return _B.where(_B.logical_and(_B.isinf(x), _B.less(x, 0)), lowest if neginf is None else neginf, x)


@symbolic_or
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|x1 - x2| <= atol + rtol * |x2| elementwise (NumPy's asymmetric rule);
    equal infinities are close, NaNs only with `equal_nan`."""
    x1, x2 = _floating_pair(x1, x2)
    within = _B.less_equal(_B.abs(_B.subtract(x1, x2)), _B.add(atol, _B.multiply(rtol, _B.abs(x2))))
    close = _B.logical_or(_B.equal(x1, x2), _B.logical_and(within, _B.isfinite(_B.add(x1, x2))))
    if equal_nan:
        close = _B.logical_or(close, _B.logical_and(_B.isnan(x1), _B.isnan(x2)))
    return close


@symbolic_or
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether every element pair is close (``isclose``): a scalar bool tensor."""
    return _B.all(isclose.__wrapped__(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


@symbolic_or
def fmod(x1, x2):
    """C's remainder: the sign of `x1` (``mod`` takes the sign of `x2`)."""
    remainder = _B.mod(x1, x2)
    x1 = _tensor(x1)
    signs_differ = _B.logical_and(_B.not_equal(remainder, 0),
                                  _B.not_equal(_B.less(remainder, 0), _B.less(x1, 0)))
    return _B.where(signs_differ, _B.subtract(remainder, x2), remainder)


@symbolic_or
def ldexp(x1, x2):
    """x1 * 2**x2, with `x2` integer."""
    x2 = _tensor(x2)
    if is_float_dtype(_B.dtype(x2)):
        raise TypeError(f"ldexp takes an integer exponent x2; received dtype {_B.dtype(x2)}")
    x1 = _floating(x1)
    return _B.multiply(x1, _two_to_the(_B.cast(x2, _B.dtype(x1))))


def _ignoring_nan(combine, x1, x2):
    """`combine` elementwise, a NaN operand giving way to the other (NaN only if both are)."""
    x1, x2 = _tensor(x1), _tensor(x2)
    if not (is_float_dtype(_B.dtype(x1)) or is_float_dtype(_B.dtype(x2))):
        return combine(x1, x2)
    return _B.where(_B.isnan(x1), x2, _B.where(_B.isnan(x2), x1, combine(x1, x2)))


@symbolic_or
def fmax(x1, x2):
    """Elementwise maximum that ignores a NaN operand (NaN only if both are)."""
    return _ignoring_nan(_B.maximum, x1, x2)


@symbolic_or
def fmin(x1, x2):
    """Elementwise minimum that ignores a NaN operand (NaN only if both are)."""
    return _ignoring_nan(_B.minimum, x1, x2)


#: Explicit mantissa bits of each float dtype.
_MANTISSA_BITS = {"float16": 10, "bfloat16": 7, "float32": 23, "float64": 52}


def _toward_zero_in(value, dtype):
    """`value` rounded toward zero to a number float dtype `dtype` holds."""
    if value == 0 or abs(value) < 2.0 ** -60:
        return float(value)
    ulp = 2.0 ** (math.floor(math.log2(abs(value))) - _MANTISSA_BITS[dtype])
    return math.trunc(value / ulp) * ulp


@symbolic_or
def saturate_cast(x, dtype):
    """`x` cast to `dtype`, its values first clipped to the range `dtype`
    holds, where ``cast`` would wrap or give undefined values."""
    dtype = standardize_dtype(dtype)
    x = _tensor(x)
    source = _B.dtype(x)
    if source == "bool":
        return _B.cast(x, dtype)
    lowest = max(dtype_range(source)[0], dtype_range(dtype)[0])
    highest = min(dtype_range(source)[1], dtype_range(dtype)[1])
    if is_float_dtype(source):
        # A bound the source cannot hold rounds to the nearer side, possibly
        # outside the target's range: take the one just inside instead.
        lowest, highest = _toward_zero_in(lowest, source), _toward_zero_in(highest, source)
    return _B.cast(_B.clip(x, lowest, highest), dtype)


def _integer_pair(x1, x2, name):
    """Both operands as tensors of their common integer dtype (Python ints weak)."""
    kinds = [_operand(x) for x in (x1, x2)]
    if any(type(kind) is not int and kind not in INT_TYPES for kind in kinds):
        raise TypeError(f"Arguments to {name} must be integers. Received: "
                        f"{[k if isinstance(k, str) else type(k).__name__ for k in kinds]}")
    dtype = result_type(*kinds)
    return _B.convert_to_tensor(x1, dtype), _B.convert_to_tensor(x2, dtype)


@symbolic_or
def gcd(x1, x2):
    """The elementwise greatest common divisor of two integer tensors
    (non-negative; gcd(0, 0) = 0), as ``numpy.gcd``."""
    return _B.gcd(*_integer_pair(x1, x2, "gcd"))


@symbolic_or
def lcm(x1, x2):
    """The elementwise least common multiple of two integer tensors
    (non-negative; 0 where either is 0), as ``numpy.lcm``: |x1 // gcd * x2|."""
    x1, x2 = _integer_pair(x1, x2, "lcm")
    divisor = _B.gcd(x1, x2)
    safe = _B.where(_B.equal(divisor, 0), _B.ones((), _B.dtype(divisor)), divisor)
    return _B.abs(_B.multiply(_B.floor_divide(x1, safe), x2))


@symbolic_or
def nextafter(x1, x2):
    """The next float after `x1` toward `x2`, elementwise (``numpy.nextafter``):
    integers compute in floatx; mixed float dtypes in their common one."""
    return _B.nextafter(*_floating_pair(x1, x2))


@symbolic_or
def i0(x):
    """The modified Bessel function of the first kind, order 0, elementwise
    (``numpy.i0``); integer input computes in floatx. An adapter primitive:
    a Chebyshev composite costs about 100 kernels per call."""
    return _B.i0(_floating(x))
