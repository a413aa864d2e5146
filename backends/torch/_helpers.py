"""Private helpers shared by the torch adapter's modules (``numpy.py``,
``nn.py``, ``core.py`` and the fused hooks).

The eager hot path is one check per operand, ``type(x) is Tensor``, then one
torch call. Anything else (a Parameter, a kfacade Variable, a NumPy array,
Python data) takes the slow path through ``_t``.
"""
import builtins

import numpy as np
import torch

from kfacade.backend.config import floatx

from .variables import _convert, _torch_dtype

Tensor = torch.Tensor
#: The dtypes the fused hooks (affine, attention, losses, normalization, rnn)
#: take; others (half, integers) decline to the generic ops.
_FUSED_DTYPES = (torch.float32, torch.float64)
#: Dense tensors of one process (a DTensor, model-parallel, takes the generic ops).
_PLAIN_TENSORS = (torch.Tensor, torch.nn.Parameter)


# ----------------------------------------------------------------- helpers


def _t(x):
    """`x` as a torch tensor: Parameters pass through, Variables give their value."""
    if isinstance(x, Tensor):
        return x
    return _convert(x, None)


def _promoted(*tensors):
    """`tensors` cast to their common dtype, for torch ops that do not promote."""
    dtype = tensors[0].dtype
    for tensor in tensors[1:]:
        dtype = torch.promote_types(dtype, tensor.dtype)
    return [tensor if tensor.dtype == dtype else tensor.to(dtype=dtype) for tensor in tensors]


def _float(x):
    """`x`, cast to floatx unless it is already floating (for ops torch runs on floats only)."""
    return x if x.dtype.is_floating_point else x.to(dtype=_torch_dtype(floatx()))


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
