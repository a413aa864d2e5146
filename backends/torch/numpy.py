"""The contract's ``numpy`` family on torch tensors.

Creation, elementwise, reductions, shape and index ops and products. A
Python scalar operand of a binary op stays a Python scalar, which torch
treats as weakly typed: ``add(float32_tensor, 1)`` is float32,
``multiply(int32_tensor, 2)`` int32; other operands go through ``_arith``.
"""
import builtins

import numpy as np
import torch
import torch.nn.functional as F

from kfacade.backend.config import floatx
from kfacade.backend.contract import FAMILIES
from kfacade.backend.dtypes import (
    ALL_TYPES,
    BOOL_ARITHMETIC_DTYPE,
    reduction_result_type,
    result_type,
)

from ._helpers import _PLAIN_TENSORS, Tensor, _all_axes, _axes, _float, _promoted, _t
from .device import _current
from .variables import (
    _SHELL_UNSIGNED,
    _TORCH_DTYPES,
    _convert,
    _is_dtensor,
    _partials_reduced,
    _scalar_dtype,
    _torch_dtype,
)

__all__ = list(FAMILIES["numpy"])

_PY_SCALARS = frozenset((int, float, bool))


def _accumulated_dtypes():
    """{input dtype: (compute dtype, result dtype)} for sum, prod and cumsum, where
    kfacade's result table differs from torch (which sums every integer in int64);
    an unsigned result torch has no kernel for is computed in int64, then cast."""
    table = {}
    for name in ALL_TYPES:
        result = reduction_result_type("sum", name)
        if name in _TORCH_DTYPES and result in _TORCH_DTYPES and result != "int64":
            if name.startswith(("int", "uint")) or name == "bool":
                result = _TORCH_DTYPES[result]
                table[_TORCH_DTYPES[name]] = (
                    torch.int64 if result in _SHELL_UNSIGNED else result, result
                )
    return table


_ACCUMULATED = _accumulated_dtypes()
_BOOL_ARITHMETIC = _torch_dtype(BOOL_ARITHMETIC_DTYPE)


def _arith(x1, x2):
    """Operands for torch's arithmetic functions, which accept a Python scalar
    on either side and type it weakly; only two scalars need a tensor."""
    scalar1 = type(x1) in _PY_SCALARS
    scalar2 = type(x2) in _PY_SCALARS
    if scalar1:
        if scalar2:
            x1 = _convert(x1, None)
    elif not isinstance(x1, Tensor):
        x1 = _convert(x1, None)
    if not scalar2 and not isinstance(x2, Tensor):
        x2 = _convert(x2, None)
    # torch types a Python int next to a bool tensor as int64; the table says int32.
    if scalar2 and type(x2) is int and x1.dtype is torch.bool:
        x2 = _weak(x2, x1)
    elif scalar1 and type(x1) is int and x2.dtype is torch.bool:
        x1 = _weak(x1, x2)
    return x1, x2


def _compared(x1, x2):
    """Operands for torch functions that accept a Python scalar only on the right."""
    if type(x1) in _PY_SCALARS:
        x2 = _t(x2)
        return _weak(x1, x2), x2
    x1 = _t(x1)
    if type(x2) in _PY_SCALARS:
        return x1, x2
    return x1, _t(x2)


def _tensors(x1, x2):
    """Both operands as tensors; a Python scalar becomes a weakly typed 0-d tensor."""
    if type(x1) in _PY_SCALARS:
        x2 = _t(x2)
        return _weak(x1, x2), x2
    x1 = _t(x1)
    if type(x2) in _PY_SCALARS:
        return x1, _weak(x2, x1)
    return x1, _t(x2)


def _weak(scalar, like):
    """`scalar` as a 0-d tensor that does not widen `like`'s dtype (NumPy's rule for
    Python scalars): the tensor's dtype when of the same kind, else Keras's default."""
    kind = type(scalar)
    if kind is bool:
        dtype = torch.bool
    elif like.dtype.is_floating_point or (kind is int and like.dtype != torch.bool):
        dtype = like.dtype
    elif kind is int:  # next to a bool tensor: the table's int32
        dtype = _torch_dtype(result_type("bool", int))
    else:
        dtype = _scalar_dtype(scalar)
    try:
        return torch.tensor(scalar, dtype=dtype, device=like.device)
    except (RuntimeError, OverflowError):  # e.g. 300 next to a uint8 tensor
        return torch.tensor(scalar, dtype=_scalar_dtype(scalar), device=like.device)


def _retried(error, fn, x1, x2):
    """Reruns binary `fn` where torch refuses bool operands: subtract with one bool
    operand computes in the other's dtype (the table's result), floor_divide,
    mod and power of two bools in int32; then as ``_widened``."""
    bool1 = isinstance(x1, Tensor) and x1.dtype is torch.bool
    bool2 = isinstance(x2, Tensor) and x2.dtype is torch.bool
    if bool1 and bool2:
        if fn is torch.sub:
            raise error  # boolean subtract is refused, as NumPy and JAX refuse it
        return fn(x1.to(dtype=_BOOL_ARITHMETIC), x2.to(dtype=_BOOL_ARITHMETIC))
    if bool1 or bool2:
        other = x2 if bool1 else x1
        dtype = _torch_dtype(result_type(
            "bool", other.dtype if isinstance(other, Tensor) else type(other)
        ))
        if bool1:
            x1 = x1.to(dtype=dtype)
        else:
            x2 = x2.to(dtype=dtype)
        try:
            return fn(x1, x2)
        except RuntimeError as retry_error:
            error = retry_error
    return _widened(error, fn, x1, x2)


def _widened(error, fn, *args):
    """Reruns `fn` with torch's uint16/32/64 tensors, which lack most kernels,
    widened to int64; an int64 result goes back to the unsigned dtype when the
    other tensor operands are unsigned or bool (NumPy's promotion).

    Re-raises `error` when no operand has such a dtype.
    """
    tensors = [a for a in args if isinstance(a, Tensor)]
    unsigned = [a.dtype for a in tensors if a.dtype in _SHELL_UNSIGNED]
    if not unsigned:
        raise error
    widened = [a.long() if isinstance(a, Tensor) and a.dtype in _SHELL_UNSIGNED else a for a in args]
    result = fn(*widened)
    if result.dtype == torch.int64 and builtins.all(
        a.dtype in _SHELL_UNSIGNED or a.dtype in (torch.bool, torch.uint8) for a in tensors
    ):
        result = result.to(dtype=builtins.max(unsigned, key=lambda dtype: dtype.itemsize))
    return result


# ---------------------------------------------------------------- creation


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def zeros(shape, dtype="float32"):
    dtype = _torch_dtype(dtype or floatx())
    return torch.zeros(_shape_tuple(shape), dtype=dtype, device=_current[0])


def ones(shape, dtype="float32"):
    dtype = _torch_dtype(dtype or floatx())
    return torch.ones(_shape_tuple(shape), dtype=dtype, device=_current[0])


def full(shape, fill_value, dtype="float32"):
    shape = _shape_tuple(shape)
    if dtype is None:
        is_scalar = type(fill_value) in _PY_SCALARS
        dtype = _scalar_dtype(fill_value) if is_scalar else _t(fill_value).dtype
    dtype = _torch_dtype(dtype)
    if isinstance(fill_value, (int, float, bool, np.number, np.bool_)):
        return torch.full(shape, fill_value, dtype=dtype, device=_current[0])
    fill = _t(fill_value).to(device=_current[0], dtype=dtype)
    return torch.broadcast_to(fill, shape).clone()


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        is_float = builtins.any(isinstance(v, (float, np.floating)) for v in (start, stop, step))
        dtype = floatx() if is_float else "int32"
    return torch.arange(start, stop, step, dtype=_torch_dtype(dtype), device=_current[0])


def eye(n, m=None, dtype="float32"):
    dtype = _torch_dtype(dtype or floatx())
    if m is None:
        return torch.eye(int(n), dtype=dtype, device=_current[0])
    return torch.eye(int(n), int(m), dtype=dtype, device=_current[0])


# ------------------------------------------------------- elementwise, unary


def abs(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.abs(x)


def negative(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.neg(x)


def exp(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.exp(x)


def log(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.log(x)


def log1p(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.log1p(x)


def expm1(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.expm1(x)


def sqrt(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.sqrt(x)


def square(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.square(x)


def sign(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.sign(x)


def sin(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.sin(x)


def cos(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.cos(x)


def tanh(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.tanh(x)


def floor(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.floor(x)


def ceil(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.ceil(x)


def round(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.round(x)  # half to even, as NumPy


def logical_not(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.logical_not(x)


def isnan(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.isnan(x)


def isfinite(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.isfinite(x)


def isinf(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.isinf(x)


def tan(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.tan(_float(x))


def arcsin(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.asin(_float(x))


def arccos(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.acos(_float(x))


def arctan(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.atan(_float(x))


def sinh(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.sinh(_float(x))


def cosh(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.cosh(_float(x))


def arcsinh(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.asinh(_float(x))


def arccosh(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.acosh(_float(x))


def arctanh(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.atanh(_float(x))


def log2(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.log2(_float(x))


def log10(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.log10(_float(x))


def erf(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.erf(_float(x))


def erfc(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.erfc(_float(x))


def erfinv(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.erfinv(_float(x))


def trunc(x):
    x = _t(x)
    return torch.trunc(x) if x.dtype.is_floating_point else x


# ------------------------------------------------------ elementwise, binary


def add(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.add(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.add, x1, x2)


def subtract(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.sub(x1, x2)
    except (RuntimeError, NotImplementedError) as error:
        return _retried(error, torch.sub, x1, x2)


def multiply(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.mul(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.mul, x1, x2)


def divide(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.div(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.div, x1, x2)


def floor_divide(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.floor_divide(x1, x2)
    except (RuntimeError, NotImplementedError) as error:
        return _retried(error, torch.floor_divide, x1, x2)


def mod(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.remainder(x1, x2)  # sign of the divisor, as NumPy
    except (RuntimeError, NotImplementedError) as error:
        return _retried(error, torch.remainder, x1, x2)


def power(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.pow(x1, x2)
    except (RuntimeError, NotImplementedError) as error:
        return _retried(error, torch.pow, x1, x2)


def _extremum(x1, x2, tensor_fn, clamp_fn):
    """torch.maximum/minimum, which take no Python scalar: a scalar side
    goes through clamp_min/clamp_max instead (NaN propagates alike)."""
    if type(x1) is not Tensor or type(x2) is not Tensor:
        if type(x1) in _PY_SCALARS:
            x1, x2 = x2, x1
        if type(x2) in _PY_SCALARS and type(x1) not in _PY_SCALARS:
            x1 = _t(x1)
            if x1.dtype is torch.bool and type(x2) is int:  # the table's int32, not int64
                x2 = _weak(x2, x1)
                return tensor_fn(x1.to(dtype=x2.dtype), x2)
            try:
                return clamp_fn(x1, x2)
            except RuntimeError as error:
                return _widened(error, clamp_fn, x1, x2)
        x1, x2 = _tensors(x1, x2)
    try:
        return tensor_fn(x1, x2)
    except RuntimeError as error:
        return _widened(error, tensor_fn, x1, x2)


def maximum(x1, x2):
    return _extremum(x1, x2, torch.maximum, torch.clamp_min)


def minimum(x1, x2):
    return _extremum(x1, x2, torch.minimum, torch.clamp_max)


def equal(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _compared(x1, x2)
    try:
        return torch.eq(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.eq, x1, x2)


def not_equal(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _compared(x1, x2)
    try:
        return torch.ne(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.ne, x1, x2)


def less(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _compared(x1, x2)
    try:
        return torch.lt(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.lt, x1, x2)


def less_equal(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _compared(x1, x2)
    try:
        return torch.le(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.le, x1, x2)


def greater(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _compared(x1, x2)
    try:
        return torch.gt(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.gt, x1, x2)


def greater_equal(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _compared(x1, x2)
    try:
        return torch.ge(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.ge, x1, x2)


def logical_and(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _tensors(x1, x2)
    return torch.logical_and(x1, x2)


def logical_or(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _tensors(x1, x2)
    return torch.logical_or(x1, x2)


def arctan2(x1, x2):
    x1, x2 = _tensors(x1, x2)
    return torch.atan2(_float(x1), _float(x2))


def bitwise_and(x1, x2):
    return torch.bitwise_and(*_tensors(x1, x2))


def bitwise_or(x1, x2):
    return torch.bitwise_or(*_tensors(x1, x2))


def bitwise_xor(x1, x2):
    return torch.bitwise_xor(*_tensors(x1, x2))


def bitwise_invert(x):
    return torch.bitwise_not(_t(x))


def left_shift(x1, x2):
    return torch.bitwise_left_shift(*_tensors(x1, x2))


def right_shift(x1, x2):
    return torch.bitwise_right_shift(*_tensors(x1, x2))


def i0(x):
    x = _t(x)
    if x.dtype in (torch.float32, torch.float64):
        return torch.special.i0(x)
    return torch.special.i0(x.float()).to(x.dtype)  # no 16-bit kernel on every device


def gcd(x1, x2):
    return torch.gcd(*torch.broadcast_tensors(*_tensors(x1, x2)))


def nextafter(x1, x2):
    return torch.nextafter(*_tensors(x1, x2))


def where(condition, x1, x2):
    if type(condition) is not Tensor:
        condition = _t(condition)
    if condition.dtype != torch.bool:
        condition = condition.bool()
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)  # torch.where types a Python scalar on either side weakly
    try:
        return torch.where(condition, x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.where, condition, x1, x2)


def clip(x, x_min, x_max):
    if type(x) is not Tensor:
        x = _t(x)
    if type(x_min) not in _PY_SCALARS or type(x_max) not in _PY_SCALARS:
        # torch.clamp takes two numbers or two tensors, not one of each.
        x_min = _weak(x_min, x) if type(x_min) in _PY_SCALARS else _t(x_min)
        x_max = _weak(x_max, x) if type(x_max) in _PY_SCALARS else _t(x_max)
    try:
        return torch.clamp(x, x_min, x_max)
    except RuntimeError as error:
        return _widened(error, torch.clamp, x, x_min, x_max)


# -------------------------------------------------------------- reductions


def _reduce_each(fn, x, axis, keepdims):
    """Reduces one axis at a time, for torch functions that take a single dim."""
    if axis is None:
        out = fn(x.reshape(-1), 0)
        return out.reshape((1,) * x.ndim) if keepdims else out
    for a in sorted(_axes(axis, x.ndim), reverse=True):
        x = fn(x, a, keepdim=keepdims)
    return x


def _accumulate(fn, x, axis, keepdims, dtypes):
    """sum or prod of an integer or bool `x` in the table's dtype (`dtypes`: compute, result)."""
    compute, result = dtypes
    if axis is None:
        out = fn(x.reshape(-1), 0, dtype=compute)
        out = out.reshape((1,) * x.ndim) if keepdims else out
    else:
        out = x.to(dtype=compute)  # no copy when x already has that dtype
        for a in sorted(_axes(axis, x.ndim), reverse=True):
            out = fn(out, a, keepdim=keepdims, dtype=compute)
    return out if compute is result else out.to(dtype=result)


def sum(x, axis=None, keepdims=False):
    """Integers and bool sum in the result table's dtype (torch: always int64)."""
    if type(x) is not Tensor:
        x = _t(x)
    accumulated = _ACCUMULATED.get(x.dtype)
    if accumulated is not None:
        return _accumulate(torch.sum, x, axis, keepdims, accumulated)
    if axis is None and not keepdims:
        return torch.sum(x)  # the fastest overload to parse
    if axis is not None and type(axis) is not int:
        axis = _axes(axis, x.ndim)
        if not axis:  # torch reads dim=() as "every axis"; NumPy as none
            return x.clone()
    return torch.sum(x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    if type(x) is not Tensor:
        x = _t(x)
    if not x.dtype.is_floating_point:
        x = _float(x)
    if axis is None and not keepdims:
        return torch.mean(x)
    if axis is not None and type(axis) is not int:
        axis = _axes(axis, x.ndim)
        if not axis:
            return x.clone()
    return torch.mean(x, axis, keepdims)


def max(x, axis=None, keepdims=False):
    if type(x) is not Tensor:
        x = _t(x)
    axis = _all_axes(x) if axis is None else axis
    try:
        return torch.amax(x, axis, keepdims)
    except RuntimeError as error:
        return _widened(error, torch.amax, x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    if type(x) is not Tensor:
        x = _t(x)
    axis = _all_axes(x) if axis is None else axis
    try:
        return torch.amin(x, axis, keepdims)
    except RuntimeError as error:
        return _widened(error, torch.amin, x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    accumulated = _ACCUMULATED.get(x.dtype)
    if accumulated is not None:
        return _accumulate(torch.prod, x, axis, keepdims, accumulated)
    return _reduce_each(torch.prod, x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    x = _float(_t(x))
    if axis is not None:
        axis = _axes(axis, x.ndim)
        if not axis:
            return torch.zeros_like(x)
    return torch.var(x, axis, correction=0, keepdim=keepdims)


def any(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype is torch.uint8:  # torch.any keeps uint8; the table says bool
        x = x.bool()
    return _reduce_each(torch.any, x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype is torch.uint8:
        x = x.bool()
    return _reduce_each(torch.all, x, axis, keepdims)


def _arg_reduce(fn, x, axis):
    """int32 indices (the result table; torch gives int64), bool read as 0/1."""
    if type(x) is not Tensor:
        x = _t(x)
    if x.dtype is torch.bool:  # torch has no bool argmax kernel
        x = x.to(dtype=torch.uint8)
    return fn(x, axis).to(dtype=torch.int32)


def argmax(x, axis=None):
    return _arg_reduce(torch.argmax, x, axis)


def argmin(x, axis=None):
    return _arg_reduce(torch.argmin, x, axis)


def cumprod(x, axis=None):
    """Integers and bool multiply in the result table's dtype, as ``prod``."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    compute, result = _ACCUMULATED.get(x.dtype, (x.dtype, x.dtype))
    out = torch.cumprod(x, int(axis), dtype=compute)
    return out if compute is result else out.to(dtype=result)


def cumsum(x, axis=None):
    """Integers and bool accumulate in the result table's dtype, as ``sum``."""
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    accumulated = _ACCUMULATED.get(x.dtype)
    if accumulated is None:
        return torch.cumsum(x, int(axis))
    compute, result = accumulated
    out = torch.cumsum(x, int(axis), dtype=compute)
    return out if compute is result else out.to(dtype=result)


def logsumexp(x, axis=None, keepdims=False):
    x = _float(_t(x))
    axes = _all_axes(x) if axis is None else _axes(axis, x.ndim)
    if not axes:  # a 0-d tensor, or axis=()
        return x.clone()
    return torch.logsumexp(x, axes, keepdims)


# --------------------------------------------------------- shape and index


def reshape(x, newshape):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.reshape(x, _shape_tuple(newshape))


def transpose(x, axes=None):
    if type(x) is not Tensor:
        x = _t(x)
    if axes is None:
        return x.permute(*reversed(range(x.ndim)))
    return x.permute(*axes)


def expand_dims(x, axis):
    x = _t(x)
    if isinstance(axis, (int, np.integer)):
        return torch.unsqueeze(x, int(axis))
    for a in sorted(_axes(axis, x.ndim + len(axis))):
        x = torch.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = _t(x)
    if axis is None:
        return torch.squeeze(x)
    axes = _axes(axis, x.ndim)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"Cannot squeeze axis {a} of size {x.shape[a]}: only axes of length 1 "
                f"can be squeezed. Received: axis={axis!r} for shape {tuple(x.shape)}."
            )
    return torch.squeeze(x, axes) if axes else x


def concatenate(xs, axis=0):
    xs = [_t(x) for x in xs]
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    return torch.cat(xs, int(axis))


def stack(xs, axis=0):
    return torch.stack([_t(x) for x in xs], int(axis))


def split(x, indices_or_sections, axis=0):
    x = _t(x)
    axis = _axes(axis, x.ndim)[0]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or x.shape[axis] % sections:
            raise ValueError(
                f"split does not result in an equal division: axis {axis} has size "
                f"{x.shape[axis]}. Received: indices_or_sections={sections}."
            )
        return list(torch.tensor_split(x, sections, axis))
    return list(torch.tensor_split(x, [int(i) for i in indices_or_sections], axis))


def tile(x, repeats):
    return torch.tile(_t(x), _shape_tuple(repeats))


def repeat(x, repeats, axis=None):
    x = _t(x)
    if not isinstance(repeats, (int, np.integer)):
        repeats = _t(repeats).to(device=x.device, dtype=torch.int64)
    else:
        repeats = int(repeats)
    return torch.repeat_interleave(x, repeats, None if axis is None else int(axis))


def broadcast_to(x, shape):
    return torch.broadcast_to(_t(x), _shape_tuple(shape))


def _index_tensor(indices, device):
    indices = _t(indices)
    if indices.dtype != torch.int64:
        indices = indices.long()
    return indices if indices.device == device else indices.to(device)


def take(x, indices, axis=None):
    x = _t(x)
    indices = _index_tensor(indices, x.device)
    if axis is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = _axes(axis, x.ndim)[0]
    if type(x) in _PLAIN_TENSORS:
        # index_select (nn.Embedding's forward) gathers rows about 3x faster
        # than advanced indexing; negative indices wrap, as NumPy's.
        flat = indices.reshape(-1)
        flat = torch.where(flat < 0, flat + x.shape[axis], flat)
        try:
            taken = torch.index_select(x, axis, flat)
        except IndexError as error:  # torch's message names neither the axis nor its size
            raise IndexError(
                f"take: an index is out of bounds for axis {axis} with size {x.shape[axis]} "
                f"(valid: {-x.shape[axis]} to {x.shape[axis] - 1})") from error
        return taken.reshape(x.shape[:axis] + indices.shape + x.shape[axis + 1:])
    return x[(builtins.slice(None),) * axis + (indices,)]  # negative indices wrap, as NumPy


def take_along_axis(x, indices, axis):
    x = _t(x)
    indices = _index_tensor(indices, x.device)
    if axis is None:
        x, indices, axis = x.reshape(-1), indices.reshape(-1), 0
    else:
        axis = _axes(axis, x.ndim)[0]
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    result = torch.take_along_dim(x, indices, axis)
    if type(result) is not Tensor and _is_dtensor(result):  # a model-parallel step
        result = _partials_reduced(result)
    return result


def slice(x, start_indices, shape):
    x = _t(x)
    index = tuple(
        builtins.slice(int(start), int(start) + int(size))
        for start, size in zip(start_indices, shape)
    )
    return x[index]


def pad(x, pad_width, mode="constant", constant_values=0):
    x = _t(x)
    # NumPy's broadcasting of pad_width: an int, one (before, after) pair, or one per axis.
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    if mode == "constant":
        flat = []
        for before, after in reversed(widths.tolist()):
            flat += [before, after]
        if isinstance(constant_values, Tensor):
            constant_values = constant_values.item()
        return F.pad(x, flat, value=constant_values)
    if mode not in ("reflect", "symmetric"):
        raise ValueError(
            f"Invalid pad mode. Received: mode={mode!r}; expected one of 'constant', "
            f"'reflect', 'symmetric'."
        )
    # Gathering along each axis with NumPy's own index pattern supports any rank
    # and pads wider than the axis, which F.pad's reflect mode does not.
    for axis, (before, after) in enumerate(widths.tolist()):
        if before or after:
            index = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            x = torch.index_select(x, axis, torch.as_tensor(index, device=x.device))
    return x


def flip(x, axis=None):
    x = _t(x)
    return torch.flip(x, _all_axes(x) if axis is None else _axes(axis, x.ndim))


def one_hot(x, num_classes, axis=-1, dtype="float32"):
    """Entries outside [0, num_classes) give an all-zero row (as Keras)."""
    x = _t(x)
    classes = torch.arange(int(num_classes), device=x.device, dtype=x.dtype)
    out = (x.unsqueeze(-1) == classes).to(dtype=_torch_dtype(dtype or floatx()))
    return out if axis == -1 else torch.movedim(out, -1, axis)


def top_k(x, k, sorted=True):
    values, indices = torch.topk(_t(x), int(k), dim=-1, largest=True, sorted=sorted)
    return values, indices


def bitcast(x, dtype):
    x, dtype = _t(x).contiguous(), _torch_dtype(dtype)
    source, target = x.element_size(), torch.empty((), dtype=dtype).element_size()
    # Tensor.view(dtype) rescales the last axis (NumPy's rule); the contract's rule adds or removes one.
    if target < source:
        return x.unsqueeze(-1).view(dtype)
    if target > source:
        return x.view(dtype).squeeze(-1)
    return x.view(dtype)


def sort(x, axis=-1):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.sort(x, dim=axis, stable=True).values


def argsort(x, axis=-1):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.argsort(x, dim=axis, stable=True)


def searchsorted(sorted_sequence, values, side="left"):
    sorted_sequence, values = _tensors(sorted_sequence, values)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            f"searchsorted takes a 1-D sorted_sequence; got shape {tuple(sorted_sequence.shape)}")
    if values.dtype != sorted_sequence.dtype:
        common = torch.promote_types(values.dtype, sorted_sequence.dtype)
        sorted_sequence, values = sorted_sequence.to(common), values.to(common)
    return torch.searchsorted(sorted_sequence, values, side=side, out_int32=True)


def matmul(x1, x2):
    if type(x1) is not Tensor:
        x1 = _t(x1)
    if type(x2) is not Tensor:
        x2 = _t(x2)
    try:
        return torch.matmul(x1, x2)
    except RuntimeError:
        if x1.dtype == x2.dtype:
            raise
        return torch.matmul(*_promoted(x1, x2))  # torch does not promote mixed dtypes


def tensordot(x1, x2, axes=2):
    x1, x2 = _promoted(_t(x1), _t(x2))
    if not isinstance(axes, (int, np.integer)):
        a1, a2 = axes
        axes = (
            [int(a1)] if isinstance(a1, (int, np.integer)) else [int(a) for a in a1],
            [int(a2)] if isinstance(a2, (int, np.integer)) else [int(a) for a in a2],
        )
    return torch.tensordot(x1, x2, dims=axes)


def einsum(subscripts, *operands):
    operands = [_t(x) for x in operands]
    if len({x.dtype for x in operands}) > 1:
        operands = _promoted(*operands)
    return torch.einsum(subscripts, *operands)
