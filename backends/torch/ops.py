"""NumPy-like and nn ops on torch tensors.

The eager hot path is one check per operand, ``type(x) is Tensor``, then one
torch call. Anything else (a Parameter, a kfacade Variable, a NumPy array,
Python data) takes the slow path through ``_t`` / ``_arith``. A Python scalar
operand of a binary op stays a Python scalar, which torch treats as weakly
typed: ``add(float32_tensor, 1)`` is float32, ``multiply(int32_tensor, 2)`` int32.

Conv and pool ops take Keras's kernel layouts and data formats and translate
them to torch's (channels first, kernel ``(out, in // groups, spatial...)``)
inside the op; "same" padding follows TensorFlow (the odd cell at the end).
"""
import builtins

import numpy as np
import torch
import torch.nn.functional as F

from kfacade.backend.config import floatx, standardize_data_format

from .device import _current
from .random import _generator
from .variables import _SHELL_UNSIGNED, _convert, _scalar_dtype, _torch_dtype

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

Tensor = torch.Tensor
_PY_SCALARS = frozenset((int, float, bool))


# ----------------------------------------------------------------- helpers


def _t(x):
    """`x` as a torch tensor: Parameters pass through, Variables give their value."""
    if isinstance(x, Tensor):
        return x
    return _convert(x, None)


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
    else:
        dtype = _scalar_dtype(scalar)
    try:
        return torch.tensor(scalar, dtype=dtype, device=like.device)
    except (RuntimeError, OverflowError):  # e.g. 300 next to a uint8 tensor
        return torch.tensor(scalar, dtype=_scalar_dtype(scalar), device=like.device)


def _promoted(*tensors):
    """`tensors` cast to their common dtype, for torch ops that do not promote."""
    dtype = tensors[0].dtype
    for tensor in tensors[1:]:
        dtype = torch.promote_types(dtype, tensor.dtype)
    return [tensor if tensor.dtype == dtype else tensor.to(dtype) for tensor in tensors]


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
        result = result.to(builtins.max(unsigned, key=lambda dtype: dtype.itemsize))
    return result


def _float(x):
    """`x`, cast to floatx unless it is already floating (for ops torch runs on floats only)."""
    return x if x.dtype.is_floating_point else x.to(_torch_dtype(floatx()))


def _axes(axis, ndim):
    """`axis` (int or sequence) as a tuple of non-negative ints, validated against `ndim`."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(
                f"Invalid axis. Received: axis={axis!r} for a tensor of rank {ndim}."
            )
        result.append(a % ndim if ndim else 0)
    return tuple(result)


def _all_axes(x):
    return tuple(range(x.ndim))


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
    except RuntimeError as error:
        return _widened(error, torch.sub, x1, x2)


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
    except RuntimeError as error:
        return _widened(error, torch.floor_divide, x1, x2)


def mod(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.remainder(x1, x2)  # sign of the divisor, as NumPy
    except RuntimeError as error:
        return _widened(error, torch.remainder, x1, x2)


def power(x1, x2):
    if type(x1) is not Tensor or type(x2) is not Tensor:
        x1, x2 = _arith(x1, x2)
    try:
        return torch.pow(x1, x2)
    except RuntimeError as error:
        return _widened(error, torch.pow, x1, x2)


def _extremum(x1, x2, tensor_fn, clamp_fn):
    """torch.maximum/minimum, which take no Python scalar: a scalar side
    goes through clamp_min/clamp_max instead (NaN propagates alike)."""
    if type(x1) is not Tensor or type(x2) is not Tensor:
        if type(x1) in _PY_SCALARS:
            x1, x2 = x2, x1
        if type(x2) in _PY_SCALARS and type(x1) not in _PY_SCALARS:
            x1 = _t(x1)
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


def sum(x, axis=None, keepdims=False):
    if type(x) is not Tensor:
        x = _t(x)
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
    return _reduce_each(torch.prod, _t(x), axis, keepdims)


def var(x, axis=None, keepdims=False):
    x = _float(_t(x))
    if axis is not None:
        axis = _axes(axis, x.ndim)
        if not axis:
            return torch.zeros_like(x)
    return torch.var(x, axis, correction=0, keepdim=keepdims)


def any(x, axis=None, keepdims=False):
    return _reduce_each(torch.any, _t(x), axis, keepdims)


def all(x, axis=None, keepdims=False):
    return _reduce_each(torch.all, _t(x), axis, keepdims)


def argmax(x, axis=None):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.argmax(x, axis)


def argmin(x, axis=None):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.argmin(x, axis)


def cumsum(x, axis=None):
    x = _t(x)
    if axis is None:
        return torch.cumsum(x.reshape(-1), 0)
    return torch.cumsum(x, int(axis))


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
    return x[(builtins.slice(None),) * axis + (indices,)]  # negative indices wrap, as NumPy


def take_along_axis(x, indices, axis):
    x = _t(x)
    indices = _index_tensor(indices, x.device)
    if axis is None:
        x, indices, axis = x.reshape(-1), indices.reshape(-1), 0
    else:
        axis = _axes(axis, x.ndim)[0]
    indices = torch.where(indices < 0, indices + x.shape[axis], indices)
    return torch.take_along_dim(x, indices, axis)


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
    out = (x.unsqueeze(-1) == classes).to(_torch_dtype(dtype or floatx()))
    return out if axis == -1 else torch.movedim(out, -1, axis)


def top_k(x, k, sorted=True):
    values, indices = torch.topk(_t(x), int(k), dim=-1, largest=True, sorted=sorted)
    return values, indices


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


def stop_gradient(x):
    if type(x) is not Tensor:
        x = _t(x)
    return x.detach()


# ---------------------------------------------------------------------- nn


def relu(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.relu(x)


def relu6(x):
    if type(x) is not Tensor:
        x = _t(x)
    return F.relu6(x)


def sigmoid(x):
    if type(x) is not Tensor:
        x = _t(x)
    return torch.sigmoid(x)


def softplus(x):
    return F.softplus(_float(_t(x)))


def softsign(x):
    return F.softsign(_float(_t(x)))


def elu(x, alpha=1.0):
    return F.elu(_float(_t(x)), alpha)


def selu(x):
    return F.selu(_float(_t(x)))  # torch's constants are Keras's


def gelu(x, approximate=True):
    return F.gelu(_float(_t(x)), approximate="tanh" if approximate else "none")


def silu(x):
    if type(x) is not Tensor:
        x = _t(x)
    return F.silu(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(_float(_t(x)), negative_slope)


def hard_sigmoid(x):
    return F.hardsigmoid(_float(_t(x)))  # clip(x / 6 + 0.5, 0, 1)


def softmax(x, axis=-1):
    if type(x) is not Tensor:
        x = _t(x)
    if type(axis) is int and x.dtype.is_floating_point:
        return torch.softmax(x, axis)
    x = _float(x)
    if type(axis) is int:
        return torch.softmax(x, axis)
    axes = _all_axes(x) if axis is None else _axes(axis, x.ndim)
    return torch.exp(x - torch.logsumexp(x, axes, keepdim=True))


def log_softmax(x, axis=-1):
    if type(x) is not Tensor:
        x = _t(x)
    if type(axis) is int and x.dtype.is_floating_point:
        return torch.log_softmax(x, axis)
    x = _float(x)
    if type(axis) is int:
        return torch.log_softmax(x, axis)
    axes = _all_axes(x) if axis is None else _axes(axis, x.ndim)
    return x - torch.logsumexp(x, axes, keepdim=True)


# ----------------------------------------------------------- conv and pool

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _spatial_rank(x, op):
    n = x.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(
            f"{op} expects a 3-D, 4-D or 5-D input (batch, spatial..., channels). "
            f"Received: inputs.shape={tuple(x.shape)}"
        )
    return n


def _per_axis(value, name, n):
    """An int or a sequence of `n` ints as a tuple of `n` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise ValueError(
            f"Invalid {name}. Received: {name}={value!r}; expected an int or a tuple "
            f"of {n} ints for {n}-D spatial inputs."
        )
    return values


def _padding(padding):
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in ("valid", "same"):
        raise ValueError(
            f"Invalid padding. Received: padding={padding!r}; expected one of 'valid', 'same'."
        )
    return value


def _channels_first(x, n):
    return x.permute(0, n + 1, *range(1, n + 1))


def _channels_last(x, n):
    return x.permute(0, *range(2, n + 2), 1)


def _same_pads(sizes, kernel_sizes, strides, dilations):
    """TensorFlow's "same" padding, (before, after) per spatial axis; odd cell after."""
    pads = []
    for size, k, s, d in zip(sizes, kernel_sizes, strides, dilations):
        total = builtins.max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _pad_arg(pads):
    """F.pad's argument, last axis first, for (before, after) pairs of the spatial axes."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return flat


def _conv_input(x, padding, kernel_sizes, strides, dilations):
    """(input, torch padding): symmetric "same" padding goes to torch, the rest to F.pad."""
    if padding == "valid":
        return x, 0
    pads = _same_pads(x.shape[2:], kernel_sizes, strides, dilations)
    if builtins.all(before == after for before, after in pads):
        return x, tuple(before for before, _ in pads)
    return F.pad(x, _pad_arg(pads)), 0


def conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, groups=1):
    x, kernel = _t(inputs), _t(kernel)
    n = _spatial_rank(x, "conv")
    if kernel.ndim != n + 2:
        raise ValueError(
            f"conv expects a kernel of rank {n + 2} (spatial..., in_channels // groups, "
            f"out_channels) for inputs of rank {n + 2}. Received: kernel.shape="
            f"{tuple(kernel.shape)}"
        )
    strides = _per_axis(strides, "strides", n)
    dilations = _per_axis(dilation_rate, "dilation_rate", n)
    padding = _padding(padding)
    channels_last = standardize_data_format(data_format) == "channels_last"
    if channels_last:
        x = _channels_first(x, n)
    channels, per_group = x.shape[1], kernel.shape[-2]
    if channels != per_group * groups:
        if groups == 1 and per_group and channels % per_group == 0:
            groups = channels // per_group  # Keras infers the groups from the kernel
        else:
            raise ValueError(
                f"The input has {channels} channels but the kernel expects "
                f"{per_group} per group with groups={groups}. Received: "
                f"inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
            )
    weight = kernel.permute(n + 1, n, *range(n))
    if x.dtype != weight.dtype:
        x, weight = _promoted(x, weight)
    x, torch_padding = _conv_input(x, padding, weight.shape[2:], strides, dilations)
    y = _CONV[n](x, weight, None, strides, torch_padding, dilations, groups)
    return _channels_last(y, n) if channels_last else y


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1):
    kernel = _t(kernel)
    in_channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    # Output channel c * multiplier + m, as Keras: a grouped conv, one group per channel.
    kernel = kernel.reshape(*kernel.shape[:-2], 1, in_channels * multiplier)
    return conv(inputs, kernel, strides, padding, data_format, dilation_rate, groups=in_channels)


def _transpose_pads(kernel_size, stride, padding, output_padding):
    """Keras's (left, right) padding of the stride-dilated input (as JAX's conv_transpose)."""
    if padding == "valid":
        if output_padding is None:
            output_padding = builtins.max(kernel_size, stride) - kernel_size
        return kernel_size - 1, kernel_size - 1 + output_padding
    if output_padding is None:
        total = stride + kernel_size - 2
    else:
        total = kernel_size + kernel_size % 2 - 2 + output_padding
    left = builtins.min(total // 2 + total % 2, kernel_size - 1)
    return left, total - left


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format="channels_last", dilation_rate=1):
    x, kernel = _t(inputs), _t(kernel)
    n = _spatial_rank(x, "conv_transpose")
    if kernel.ndim != n + 2:
        raise ValueError(
            f"conv_transpose expects a kernel of rank {n + 2} (spatial..., out_channels, "
            f"in_channels). Received: kernel.shape={tuple(kernel.shape)}"
        )
    strides = _per_axis(strides, "strides", n)
    dilations = _per_axis(dilation_rate, "dilation_rate", n)
    output_paddings = (
        (None,) * n if output_padding is None
        else _per_axis(output_padding, "output_padding", n)
    )
    padding = _padding(padding)
    channels_last = standardize_data_format(data_format) == "channels_last"
    if channels_last:
        x = _channels_first(x, n)
    if x.shape[1] != kernel.shape[-1]:
        raise ValueError(
            f"The input has {x.shape[1]} channels but the kernel expects {kernel.shape[-1]} "
            f"(its last axis). Received: inputs.shape={tuple(inputs.shape)}, "
            f"kernel.shape={tuple(kernel.shape)}"
        )
    weight = kernel.permute(n + 1, n, *range(n))  # (in, out, spatial...)
    if x.dtype != weight.dtype:
        x, weight = _promoted(x, weight)
    # torch's unpadded output pads the dilated input by k - 1 on both sides;
    # torch's `padding` crops the symmetric part of Keras's, F.pad the rest
    # (negative widths crop, positive ones add cells the kernel never reaches: zeros).
    crops, extra = [], []
    for k, s, d, op in zip(kernel.shape[:n], strides, dilations, output_paddings):
        k = (k - 1) * d + 1
        left, right = _transpose_pads(k, s, padding, op)
        crop = builtins.max(0, builtins.min(k - 1 - left, k - 1 - right))
        crops.append(crop)
        extra.append((left - (k - 1) + crop, right - (k - 1) + crop))
    y = _CONV_TRANSPOSE[n](x, weight, None, strides, crops, 0, 1, dilations)
    if builtins.any(before or after for before, after in extra):
        y = F.pad(y, _pad_arg(extra))
    return _channels_last(y, n) if channels_last else y


def _pool_input(inputs, pool_size, strides, padding, data_format, op):
    x = _t(inputs)
    n = _spatial_rank(x, op)
    pool_size = _per_axis(pool_size, "pool_size", n)
    strides = pool_size if strides is None else _per_axis(strides, "strides", n)
    padding = _padding(padding)
    channels_last = standardize_data_format(data_format) == "channels_last"
    if channels_last:
        x = _channels_first(x, n)
    pads = _same_pads(x.shape[2:], pool_size, strides, (1,) * n) if padding == "same" else None
    # torch pads symmetrically only, by at most half the window.
    native = pads is None or builtins.all(
        before == after and before <= k // 2 for (before, after), k in zip(pads, pool_size)
    )
    return x, n, pool_size, strides, pads, native, channels_last


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, n, pool_size, strides, pads, native, channels_last = _pool_input(
        inputs, pool_size, strides, padding, data_format, "max_pool"
    )
    if native:
        torch_padding = 0 if pads is None else tuple(before for before, _ in pads)
        y = _MAX_POOL[n](x, pool_size, strides, torch_padding)
    else:
        lowest = float("-inf") if x.dtype.is_floating_point else torch.iinfo(x.dtype).min
        y = _MAX_POOL[n](F.pad(x, _pad_arg(pads), value=lowest), pool_size, strides)
    return _channels_last(y, n) if channels_last else y


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format="channels_last"):
    x, n, pool_size, strides, pads, native, channels_last = _pool_input(
        inputs, pool_size, strides, padding, data_format, "average_pool"
    )
    dtype = x.dtype
    if n == 3 and dtype == torch.float16 and x.device.type == "cpu":
        x = x.to(torch.float32)  # torch's CPU avg_pool3d has no float16 kernel
    if native:
        torch_padding = 0 if pads is None else tuple(before for before, _ in pads)
        y = _AVG_POOL[n](x, pool_size, strides, torch_padding, count_include_pad=False)
    else:
        # Mean over the window with zeros padded, divided by the share of real cells.
        flat = _pad_arg(pads)
        y = _AVG_POOL[n](F.pad(x, flat), pool_size, strides)
        cells = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
        y = y / _AVG_POOL[n](F.pad(cells, flat), pool_size, strides)
    y = y.to(dtype)
    return _channels_last(y, n) if channels_last else y


def moments(x, axes, keepdims=False):
    """Half-precision inputs are reduced in float32 and cast back (as Keras)."""
    x = _t(x)
    dtype = x.dtype
    if dtype in (torch.float16, torch.bfloat16) or not dtype.is_floating_point:
        x = x.to(torch.float32)
    dims = None if axes is None else _axes(axes, x.ndim)
    variance, average = torch.var_mean(x, dims, correction=0, keepdim=keepdims)
    if dtype in (torch.float16, torch.bfloat16):
        variance, average = variance.to(dtype), average.to(dtype)
    return average, variance


def dropout(x, rate, noise_shape=None, seed=None):
    """Always drops (training semantics).

    The mask is ``rand >= rate`` drawn from a ``torch.Generator`` seeded by
    the drawn `seed` (``random._generator``): reproducible from the seed
    (``F.dropout`` takes no generator), and on CPU several times faster than
    ``F.dropout``, whose ``bernoulli_`` is slow there.
    """
    x = _t(x)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"Invalid dropout rate. Received: rate={rate}; expected 0 <= rate <= 1.")
    if rate == 0.0:
        return x
    if rate == 1.0:
        return torch.zeros_like(x)
    if noise_shape is None:
        noise_shape = x.shape
    else:
        noise_shape = tuple(
            size if dim is None else int(dim) for dim, size in zip(noise_shape, x.shape)
        )
    # Half-precision uniforms are too coarse for the keep probability.
    mask_dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    mask = torch.rand(
        noise_shape, dtype=mask_dtype, device=x.device, generator=_generator(seed, x.device)
    )
    mask = mask.ge_(rate).mul_(1.0 / (1.0 - rate))  # 0 or 1 / keep, in place
    return x * (mask if mask_dtype == x.dtype else mask.to(x.dtype))


# ------------------------------------------------------------------- loops


def scan(f, init, xs, length=None, reverse=False, unroll=1):
    """A Python loop over the leading axis (torch has no scan); `unroll` is ignored."""
    container = type(init) if isinstance(init, (list, tuple)) else None
    carry = init
    xs_container = type(xs) if isinstance(xs, (list, tuple)) else None
    if xs is None:
        steps = None
    elif isinstance(xs, (list, tuple)):
        xs = [_t(x) for x in xs]
        steps = xs[0].shape[0] if xs else None
    else:
        xs = _t(xs)
        steps = xs.shape[0]
    if length is not None:
        if steps is not None and int(length) != steps:
            raise ValueError(
                f"scan: length={length} does not match the leading axis of xs ({steps})."
            )
        steps = int(length)
    if steps is None:
        raise ValueError("scan needs `xs` with a leading axis, or `length` when xs is None.")
    if steps == 0:
        raise ValueError("scan over zero steps: xs has an empty leading axis.")
    ys = []
    for i in (range(steps - 1, -1, -1) if reverse else range(steps)):
        if xs is None:
            x = None
        elif xs_container is not None:
            x = [x[i] for x in xs] if xs_container is list else tuple(x[i] for x in xs)
        else:
            x = xs[i]
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if container is not None and not isinstance(carry, container):
        carry = container(carry)
    first = ys[0]
    if first is None:
        stacked = None
    elif isinstance(first, (list, tuple)):
        stacked = type(first)(torch.stack([_t(y[j]) for y in ys]) for j in range(len(first)))
    else:
        stacked = torch.stack([_t(y) for y in ys])
    return carry, stacked
