"""Devices: the current device new tensors and variables are created on.

The current device is a module global that ``device_scope`` swaps, never
``torch.set_default_device`` (which slows every torch call in the process).
Inside a scope, ``torch.device(device)`` is also entered (as a subclass of the
mode it installs), so native torch calls in a layer's ``call()``
(``torch.zeros(3)``) land on the scope's device too, and an op that torch
refuses because its tensors sit on several devices runs again on the
scope's device (TensorFlow's placement: the Keras 2 device-parallel model
merges branches from several GPUs under ``cpu:0``). Outside every scope, torch runs untouched: a tensor on
the wrong device is torch's error (kfacade's layers turn it into a
ValueError naming both devices).
"""
import contextlib

import numpy as np
import torch

try:  # the class ``torch.device(...)`` enters as a context (torch >= 2.0)
    from torch.utils._device import DeviceContext, _device_constructors
except ImportError:  # a torch that moved it: scopes enter plain torch.device
    DeviceContext = None

from kfacade.backend.device_names import parse_device_name
from kfacade.backend.state import VariableBase

__all__ = ["device_scope", "list_devices", "device_of"]

#: [torch.device] where creation functions and conversions from NumPy put tensors.
_current = [torch.device("cuda" if torch.cuda.is_available() else "cpu")]


def _parse_device(device_name):
    """The torch.device for a Keras device name ("cpu", "cpu:0", "gpu:1", "cuda", ...)."""
    if isinstance(device_name, torch.device):
        return device_name
    kind, index = parse_device_name(device_name)
    if kind == "cpu":
        if index != 0:
            raise ValueError(
                f"Device {device_name!r} is not available: torch has one CPU device, 'cpu:0'."
            )
        return torch.device("cpu")
    count = torch.cuda.device_count() if kind == "gpu" and torch.cuda.is_available() else 0
    if index >= count:
        raise ValueError(
            f"Device {device_name!r} is not available. Available devices: {list_devices()}."
        )
    return torch.device("cuda", index)


def _keras_name(device):
    """"cpu:0" / "gpu:1" for a torch.device ("cuda:1" is Keras's "gpu:1")."""
    kind = device.type
    if kind == "cpu":
        return "cpu:0"
    index = device.index
    if kind == "cuda":
        return f"gpu:{torch.cuda.current_device() if index is None else index}"
    return f"{kind}:{index or 0}"  # meta, mps, xla: named as torch names them


# In-place methods keep their arguments where they are (moving `self` would
# update a copy), and so do calls that mix devices on purpose (`to(other)`,
# `type_as`); names ending in "_" also cover `__setitem__`.
_KEEP_PLACEMENT = frozenset({"to", "type_as", "new_tensor"})


def _devices_of(values):
    """The set of devices of the tensors in `values`, one list deep."""
    devices = set()
    for value in values:
        if isinstance(value, torch.Tensor):
            devices.add(value.device)
        elif isinstance(value, (list, tuple)):
            devices.update(item.device for item in value if isinstance(item, torch.Tensor))
    return devices


def _moved(value, device):
    if isinstance(value, torch.Tensor):
        return value if value.device == device else value.to(device)
    if isinstance(value, (list, tuple)) and any(isinstance(item, torch.Tensor) for item in value):
        items = [item.to(device) if isinstance(item, torch.Tensor) and item.device != device
                 else item for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


class _ScopeMode(DeviceContext or object):
    """``torch.device(device)`` as a context, plus placement of mixed-device ops.

    A factory call without ``device=`` gets the scope's device (what
    ``torch.device`` does). A call that torch refuses because its tensors sit
    on several devices is run again on the scope's device, its tensors moved
    there with ``Tensor.to`` (which autograd differentiates: gradients flow
    back to a parameter on its own device). Torch checks devices before it
    computes, so the refused call changed nothing; calls on one device pay
    nothing beyond ``torch.device``'s own dispatch.
    """

    def __init__(self, device):
        super().__init__(device)
        self._constructors = _device_constructors()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        if func in self._constructors:
            if kwargs.get("device") is None:
                kwargs["device"] = self.device
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        except RuntimeError as error:
            name = getattr(func, "__name__", "")
            if ("device" not in str(error) or name.endswith("_") or name in _KEEP_PLACEMENT
                    or "out" in kwargs
                    or len(_devices_of(args) | _devices_of(kwargs.values())) < 2):
                raise
        device = self.device
        args = [_moved(arg, device) for arg in args]
        kwargs = {key: _moved(value, device) for key, value in kwargs.items()}
        return func(*args, **kwargs)


@contextlib.contextmanager
def device_scope(device_name):
    device = _parse_device(device_name)
    previous = _current[0]
    _current[0] = device
    try:
        with _ScopeMode(device) if DeviceContext is not None else device:
            yield
    finally:
        _current[0] = previous


def list_devices(device_type=None):
    kind = None if device_type is None else str(device_type).lower()
    if kind == "cuda":
        kind = "gpu"
    if kind not in (None, "cpu", "gpu", "tpu"):  # torch has no TPUs: "tpu" lists none
        raise ValueError(
            f"Invalid device type. Received: device_type={device_type!r}; expected "
            f"None, 'cpu', 'gpu' or 'tpu'."
        )
    devices = []
    if kind in (None, "cpu"):
        devices.append("cpu:0")
    if kind in (None, "gpu") and torch.cuda.is_available():
        devices.extend(f"gpu:{i}" for i in range(torch.cuda.device_count()))
    return devices


def device_of(x):
    """The Keras name of the device holding `x`: a tensor's ``x.device``
    ("cuda:1" is "gpu:1"); "cpu:0" for a NumPy array; a Variable's value's."""
    if isinstance(x, VariableBase):
        x = x.value
    if isinstance(x, torch.Tensor):
        return _keras_name(x.device)
    if isinstance(x, (np.ndarray, np.generic)):
        return "cpu:0"
    raise ValueError(
        f"device_of expects a torch tensor, a NumPy array or a kfacade Variable. "
        f"Received: {x!r:.100} of type {type(x).__name__}"
    )
