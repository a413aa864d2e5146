"""Device placement: Keras device names over ``jax.devices()``.

A scope is ``jax.default_device``: new arrays and variables go to its
device, uncommitted (as in Keras 3), and JAX runs an op whose arrays are all
uncommitted on that device, moving them there. So under a scope, an op runs
on the scope's device (the Keras 2 device-parallel model places its
branches this way). Outside every scope, eager ops run on JAX's default
device; a compiled step runs on the device of its state variables
(``step.compile_function``). An array the user committed with
``jax.device_put`` stays where it is: JAX computes where committed arrays
are, and refuses two of them on different devices.
"""
import contextlib

import jax
import numpy as np

from kfacade.backend.device_names import parse_device_name
from kfacade.backend.state import VariableBase

__all__ = ["device_scope", "list_devices", "device_of"]

# The device of the innermost device_scope; variable_create places new
# variables there.
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


def device_of(x):
    """The Keras name ("cpu:0", "gpu:1", as ``list_devices``) of the device
    holding `x`; an array sharded over several devices names the first of its
    sharding's devices; "cpu:0" for a NumPy array; a Variable's value's."""
    if isinstance(x, VariableBase):
        x = x.value
    if isinstance(x, jax.core.Tracer):
        raise ValueError(
            "device_of cannot name the device of a traced array: inside jax.jit the "
            "placement is decided when the function is compiled. Call it on concrete arrays."
        )
    if isinstance(x, jax.Array):
        return _keras_name(_first_device(x))
    if isinstance(x, (np.ndarray, np.generic)):
        return "cpu:0"
    raise ValueError(
        f"device_of expects a jax.Array, a NumPy array or a kfacade Variable. "
        f"Received: {x!r:.100} of type {type(x).__name__}"
    )


def _first_device(array):
    """The device of a one-device array, or the first of a sharded array's
    devices in its sharding's order (a mesh's row-major order)."""
    devices = array.devices()
    if len(devices) == 1:
        return next(iter(devices))
    mesh = getattr(array.sharding, "mesh", None)
    if mesh is not None and hasattr(mesh, "devices"):
        return mesh.devices.flat[0]
    return min(devices, key=lambda device: device.id)


def _keras_name(device):
    return f"{device.platform}:{device.id}"


def single_device(array):
    """The one jax.Device holding a concrete `array`, or None (sharded, or a tracer)."""
    if isinstance(array, jax.core.Tracer) or not isinstance(array, jax.Array):
        return None
    devices = array.devices()
    return next(iter(devices)) if len(devices) == 1 else None


def place_on(array, device):
    """`array` on `device`, committed there only if it was committed before."""
    if getattr(array, "committed", False):
        return jax.device_put(array, device)
    with jax.default_device(device):
        return array.copy()  # an uncommitted copy runs on the default device


_device_count = []


def device_count():
    """How many devices this process sees (the default backend's, plus the
    CPU's); counted once, on first use (JAX's devices are fixed by then)."""
    if not _device_count:
        count = jax.local_device_count()
        if jax.default_backend() != "cpu":
            count += len(jax.devices("cpu"))
        _device_count.append(count)
    return _device_count[0]
