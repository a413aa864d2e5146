"""Tensors and variables: conversion, dtypes, and Parameter storage."""
import sys

import numpy as np
import torch

from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype
from kfacade.backend.state import VariableBase

from .device import _current

_CPU = torch.device("cpu")

__all__ = [
    "is_tensor",
    "convert_to_tensor",
    "convert_to_numpy",
    "shape",
    "dtype",
    "cast",
    "variable_create",
    "variable_assign",
]

Tensor = torch.Tensor

_TORCH_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_DTYPE_NAMES = {torch_dtype: name for name, torch_dtype in _TORCH_DTYPES.items()}
# torch >= 2.3 has uint16/uint32/uint64 tensors but few kernels for them
# (not even `add`): they are kept, so dtypes round-trip, and the ops that
# lack a kernel rerun on int64 (numpy._widened). torch 2.1 has none: there,
# as in Keras, they are stored in the next wider signed dtype.
_SHELL_UNSIGNED = frozenset()
_WIDER_SIGNED = {}  # NumPy dtype -> the dtype name torch stores it as
for _name, _wider in (("uint16", "int32"), ("uint32", "int64"), ("uint64", "int64")):
    if hasattr(torch, _name):
        _TORCH_DTYPES[_name] = getattr(torch, _name)
        _DTYPE_NAMES[getattr(torch, _name)] = _name
        _SHELL_UNSIGNED |= {getattr(torch, _name)}
    else:
        _TORCH_DTYPES[_name] = _TORCH_DTYPES[_wider]
        _WIDER_SIGNED[np.dtype(_name)] = _wider
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_set_grad_enabled = torch._C._set_grad_enabled

def _torch_dtype(dtype):
    """The torch.dtype for a dtype name, NumPy dtype or torch.dtype."""
    torch_dtype = _TORCH_DTYPES.get(dtype) if isinstance(dtype, str) else None
    if torch_dtype is None:
        if isinstance(dtype, torch.dtype):
            return dtype
        torch_dtype = _TORCH_DTYPES[standardize_dtype(dtype)]
    return torch_dtype


def _scalar_dtype(x):
    """Keras's dtype for a Python scalar: bool, int32 (int64 if it does not fit), floatx."""
    if type(x) is bool:
        return torch.bool
    if type(x) is int:
        return torch.int32 if _INT32_MIN <= x <= _INT32_MAX else torch.int64
    return _TORCH_DTYPES[floatx()]


def is_tensor(x):
    return isinstance(x, Tensor)


def convert_to_tensor(x, dtype=None):
    if type(x) is Tensor and dtype is None:
        return x
    return _convert(x, None if dtype is None else _torch_dtype(dtype))


def _convert(x, dtype):
    """convert_to_tensor with `dtype` a torch.dtype or None."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else x.to(dtype=dtype)
    kind = type(x)
    if kind is float or kind is int or kind is bool:
        return torch.tensor(x, dtype=dtype or _scalar_dtype(x), device=_current[0])
    if isinstance(x, VariableBase):
        return _convert(x.value, dtype)
    if isinstance(x, (list, tuple)) and _holds_tensor(x):
        return torch.stack([_convert(item, dtype) for item in x])
    is_python_data = not isinstance(x, (np.ndarray, np.generic))
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"Cannot convert a value of NumPy dtype {array.dtype} to a torch tensor. "
            f"Received: {x!r:.200}"
        )
    if dtype is None and is_python_data:
        # Nested Python lists follow the scalar rule: floats -> floatx, ints -> int32.
        if array.dtype == np.float64:
            dtype = _TORCH_DTYPES[floatx()]
        elif array.dtype == np.int64 and (
            array.size == 0 or (_INT32_MIN <= array.min() and array.max() <= _INT32_MAX)
        ):
            dtype = torch.int32
    return _from_numpy(array, dtype)


def _holds_tensor(items):
    for item in items:
        if isinstance(item, (Tensor, VariableBase)):
            return True
        if isinstance(item, (list, tuple)) and _holds_tensor(item):
            return True
    return False


def _from_numpy(array, dtype):
    if array.dtype in _WIDER_SIGNED:
        array = array.astype(_WIDER_SIGNED[array.dtype])
    if not array.flags.writeable or any(stride < 0 for stride in array.strides):
        # torch.as_tensor warns on read-only arrays and refuses negative strides.
        array = np.ascontiguousarray(array).copy()
    # A copy, as TensorFlow and JAX make: a tensor sharing the array's memory
    # would let an in-place op (``inputs -= ...`` in a layer's call) change the
    # caller's NumPy data.
    device = _current[0]
    tensor = torch.from_numpy(array)  # shares the array's memory: copied below
    if (dtype is None or dtype == tensor.dtype) and (device is None or device == _CPU):
        return tensor.clone()  # a third of torch.tensor(array)'s cost
    return tensor.to(device=device, dtype=dtype, copy=True)


def _is_dtensor(x):
    """True for a DTensor (``torch.distributed.tensor``, a model-parallel
    variable), without importing that module where no DTensor can exist."""
    module = sys.modules.get("torch.distributed.tensor")
    return module is not None and isinstance(x, module.DTensor)


def _partials_reduced(x):
    """A DTensor with its pending (Partial) reductions done now, others as they were.

    A gather along a sharded axis leaves a masked partial sum that DTensor
    (torch 2.13) cannot reduce once the result is reshaped (IndexError in
    ``_mask_buffer.apply_mask``); reduced where it was made, its shape is the mask's.
    """
    if not any(placement.is_partial() for placement in x.placements):
        return x
    from torch.distributed.tensor import Replicate

    return x.redistribute(x.device_mesh, [Replicate() if placement.is_partial() else placement
                                          for placement in x.placements])


def convert_to_numpy(x):
    if isinstance(x, Tensor):
        x = x.detach()
        if type(x) is not Tensor and _is_dtensor(x):
            x = x.full_tensor()  # a collective: every process of the mesh converts it
        if x.dtype == torch.bfloat16:  # NumPy has no bfloat16
            x = x.float()
        if x.device.type != "cpu":
            return x.cpu().numpy()
        # .numpy() would share memory: a Variable's array would change on assign.
        return x.numpy().copy()
    if isinstance(x, VariableBase):
        return convert_to_numpy(x.value)
    return np.asarray(x)


def shape(x):
    if isinstance(x, Tensor):
        return tuple(x.shape)
    if isinstance(x, VariableBase):
        return x.shape
    return tuple(np.shape(x))


def dtype(x):
    if isinstance(x, Tensor):
        return _DTYPE_NAMES[x.dtype]
    if isinstance(x, VariableBase):
        return x.dtype
    return dtype(convert_to_tensor(x))


def cast(x, dtype):
    torch_dtype = _torch_dtype(dtype)
    if type(x) is not Tensor:
        return _convert(x, torch_dtype)
    return x if x.dtype == torch_dtype else x.to(dtype=torch_dtype)


def variable_create(value, dtype, trainable, name):
    """A ``torch.nn.Parameter`` on the current device, never sharing memory with `value`.

    Only floating parameters can require grad: an integer or bool variable
    gets ``requires_grad=False`` even when `trainable`.
    """
    torch_dtype = _torch_dtype(dtype)
    if isinstance(value, (Tensor, VariableBase)):
        tensor = _convert(value, torch_dtype).detach()
    else:
        tensor = _from_numpy(np.asarray(value), torch_dtype)
    tensor = tensor.to(_current[0], copy=True)
    requires_grad = bool(trainable) and (torch_dtype.is_floating_point or torch_dtype.is_complex)
    return torch.nn.Parameter(tensor, requires_grad=requires_grad)


def variable_assign(handle, value):
    """Copies `value` into `handle` in place, outside autograd, and returns `handle`.

    The parameter keeps its identity, device and ``requires_grad``: it stays a
    leaf that optimizers and ``value_and_grad`` can differentiate.
    """
    if not isinstance(value, Tensor):
        value = _convert(value, handle.dtype)
    if type(value) is not Tensor or type(handle) is not torch.nn.Parameter:
        value = _same_layout(handle, value)
    return _outside_autograd(Tensor.copy_, handle, value)


def _outside_autograd(update, handle, value):
    """``update(handle, value)`` (an in-place ``copy_``, ``add_``, ``sub_``)
    recorded by no autograd graph: the Parameter stays a leaf, whichever of
    the two requires grad. Returns `handle`."""
    if not (handle.requires_grad or getattr(value, "requires_grad", False)) \
            or not torch.is_grad_enabled():
        update(handle, value)  # nothing autograd could record
        return handle
    # What `with torch.no_grad()` does, at half its cost (optimizers assign often).
    _set_grad_enabled(False)
    try:
        update(handle, value)
    finally:
        _set_grad_enabled(True)
    return handle


def _in_place_delta(handle, delta):
    """Whether `handle` takes `delta` in one in-place add or subtract with
    the generic path's result: a tensor of its dtype, shape and device, or
    a Python number of its kind; a plain Parameter (not a DTensor)."""
    if type(handle) is not torch.nn.Parameter:
        return False
    kind = type(delta)
    if kind is Tensor:
        return delta.dtype == handle.dtype and delta.shape == handle.shape \
            and delta.device == handle.device
    if kind is float:
        return handle.dtype.is_floating_point
    return kind is int and handle.dtype != torch.bool


def variable_assign_add(handle, delta):
    """The optional hook (``contract.OPTIONAL_HOOKS``): `delta` added to
    `handle` in place, outside autograd, as ``variable_assign(handle, handle
    + delta)`` computes it (one add, the same rounding) without the new
    tensor and the copy. Returns `handle`, or None, having changed nothing,
    for a delta of another dtype or shape (a cast or broadcast the generic
    path does and an in-place add refuses), a float added to an integer
    variable, or a handle that is not a plain Parameter (a DTensor).
    """
    return _outside_autograd(Tensor.add_, handle, delta) if _in_place_delta(handle, delta) else None


def variable_assign_sub(handle, delta):
    """``variable_assign_add``'s subtraction (``sub_``)."""
    return _outside_autograd(Tensor.sub_, handle, delta) if _in_place_delta(handle, delta) else None


def _same_layout(handle, value):
    """`value` laid out as `handle`: a DTensor (a model-parallel result) read
    whole into a plain variable (a metric state); a plain tensor cut into
    this process's shard of a DTensor variable (set_weights)."""
    sharded = _is_dtensor(handle)
    if _is_dtensor(value) and not sharded:
        return value.full_tensor()
    if sharded and not _is_dtensor(value):
        from torch.distributed.tensor import distribute_tensor

        return distribute_tensor(value.detach().to(handle.device), handle.device_mesh,
                                 handle.placements, src_data_rank=None)
    return value
