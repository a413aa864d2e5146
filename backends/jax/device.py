"""Device placement: Keras device names over ``jax.devices()``."""
import contextlib

import jax

from kfacade.backend.device_names import parse_device_name

__all__ = ["device_scope", "list_devices"]

# The device of the innermost device_scope; variable_create moves new
# variables there (jax.default_device only places uncommitted data).
_device_stack = []

_KIND_ALIASES = {"cuda": "gpu"}


def current_device():
    """The jax.Device of the innermost device_scope, or None."""
    return _device_stack[-1] if _device_stack else None


def _parse_device(device_name):
    """The jax.Device for a Keras device name ("cpu", "gpu:1", "/device:GPU:0", ...)."""
    if isinstance(device_name, jax.Device):
        return device_name
    kind, index = parse_device_name(device_name)
    try:
        devices = jax.devices(kind)
    except RuntimeError:  # JAX has no backend of that kind here
        devices = []
    if index >= len(devices):
        raise ValueError(
            f"Device {device_name!r} is not available to JAX. Available devices: "
            f"{list_devices()}."
        )
    return devices[index]


@contextlib.contextmanager
def device_scope(device_name):
    device = _parse_device(device_name)
    _device_stack.append(device)
    try:
        with jax.default_device(device):
            yield
    finally:
        _device_stack.pop()


def list_devices(device_type=None):
    if device_type is not None:
        device_type = str(device_type).lower()
        device_type = _KIND_ALIASES.get(device_type, device_type)
        try:
            devices = jax.devices(device_type)
        except RuntimeError:  # JAX has no backend of that kind here
            return []
    else:
        # The default backend's devices (GPUs where there are), then the host's
        # CPU, which JAX lists apart: every adapter lists "cpu:0".
        devices = list(jax.devices())
        if jax.default_backend() != "cpu":
            devices += jax.devices("cpu")
    return [f"{device.platform}:{device.id}" for device in devices]
