"""Device placement: Keras device names over ``tf.device``."""
import tensorflow as tf

from kfacade.backend.device_names import parse_device_name

__all__ = ["device_scope", "list_devices"]

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
