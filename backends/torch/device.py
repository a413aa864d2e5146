"""Devices: the current device new tensors and variables are created on.

The current device is a module global that ``device_scope`` swaps, never
``torch.set_default_device`` (which slows every torch call in the process).
"""
import contextlib

import torch

from kfacade.backend.device_names import parse_device_name

__all__ = ["device_scope", "list_devices"]

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


@contextlib.contextmanager
def device_scope(device_name):
    device = _parse_device(device_name)
    previous = _current[0]
    _current[0] = device
    try:
        yield
    finally:
        _current[0] = previous


def list_devices(device_type=None):
    kind = None if device_type is None else str(device_type).lower()
    if kind == "cuda":
        kind = "gpu"
    if kind not in (None, "cpu", "gpu"):
        raise ValueError(
            f"Invalid device type. Received: device_type={device_type!r}; expected "
            f"None, 'cpu' or 'gpu'."
        )
    devices = []
    if kind in (None, "cpu"):
        devices.append("cpu:0")
    if kind in (None, "gpu") and torch.cuda.is_available():
        devices.extend(f"gpu:{i}" for i in range(torch.cuda.device_count()))
    return devices
