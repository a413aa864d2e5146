"""Device placement: Keras device names over ``tf.device``.

TensorFlow places each op under the scope's device and copies its inputs
there (soft placement), inside ``tf.function`` too, so tensors on another
device than a model's variables need no code here.
"""
import re

import numpy as np
import tensorflow as tf

from kfacade.backend.device_names import parse_device_name
from kfacade.backend.state import VariableBase

__all__ = ["device_scope", "list_devices", "device_of"]

_KINDS = {"cpu": "CPU", "gpu": "GPU", "tpu": "TPU"}
_TYPE_ALIASES = {"cuda": "gpu"}


def _tf_device_name(device_name):
    """"gpu:1" -> "/GPU:1"; raises ValueError for a malformed or absent device."""
    kind, index = parse_device_name(device_name)
    kind = _KINDS[kind]
    if index >= len(tf.config.list_logical_devices(kind)):
        raise ValueError(
            f"Device {device_name!r} is not available to TensorFlow. Available devices: "
            f"{list_devices()}."
        )
    return f"/{kind}:{index}"


def device_scope(device_name):
    return tf.device(_tf_device_name(device_name))


def list_devices(device_type=None):
    kind = None
    if device_type is not None:
        kind = str(device_type).strip().lower()
        kind = _KINDS.get(_TYPE_ALIASES.get(kind, kind))
        if kind is None:
            return []
    return [
        f"{device.device_type.lower()}:{device.name.rsplit(':', 1)[-1]}"
        for device in tf.config.list_logical_devices(kind)
    ]


# "/job:localhost/replica:0/task:0/device:GPU:1" (also "/GPU:1" and "GPU:1").
_DEVICE_SPEC = re.compile(r"(?:^|/)(?:device:)?([A-Za-z_]+):(\d+)$")


def device_of(x):
    """The Keras name of the device holding `x`, read from ``x.device``
    ("/job:localhost/replica:0/task:0/device:CPU:0" is "cpu:0"); a mirrored
    variable's is its first copy's; "cpu:0" for a NumPy array."""
    if isinstance(x, VariableBase):
        x = x.value
    if isinstance(x, (np.ndarray, np.generic)):
        return "cpu:0"
    if not isinstance(x, (tf.Tensor, tf.Variable)):
        values = getattr(x, "values", None)  # tf.distribute's per-replica values
        if isinstance(values, tuple) and values:
            return device_of(values[0])
        raise ValueError(
            f"device_of expects a TensorFlow tensor or variable, a NumPy array or a "
            f"kfacade Variable. Received: {x!r:.100} of type {type(x).__name__}"
        )
    name = x.device
    match = _DEVICE_SPEC.search(name) if name else None
    if match is None:
        raise ValueError(
            f"The device of this tensor is not known yet (received device={name!r}): a "
            f"tensor of a graph being traced is placed when the graph runs. Call "
            f"device_of on an eager tensor or a variable."
        )
    return f"{match.group(1).lower()}:{match.group(2)}"
