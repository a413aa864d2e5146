"""Device placement: Keras device names over ``tf.device``."""
import re

import tensorflow as tf

__all__ = ["device_scope", "list_devices"]

_KINDS = {"cpu": "CPU", "gpu": "GPU", "cuda": "GPU"}
_NAME = re.compile(r"(cpu|gpu|cuda)(?::(\d+))?")


def _tf_device_name(device_name):
    """"gpu:1" -> "/GPU:1"; raises ValueError for a malformed or absent device."""
    match = _NAME.fullmatch(str(device_name).strip().lower())
    if match is None:
        raise ValueError(
            f"Invalid device name. Received: device_name={device_name!r}; expected "
            f"'cpu' or 'gpu' (or 'cuda'), optionally followed by ':<index>', e.g. 'gpu:0'."
        )
    kind, index = _KINDS[match[1]], int(match[2] or 0)
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
        kind = _KINDS.get(str(device_type).strip().lower())
        if kind is None:
            return []
    return [
        f"{device.device_type.lower()}:{device.name.rsplit(':', 1)[-1]}"
        for device in tf.config.list_logical_devices(kind)
    ]
