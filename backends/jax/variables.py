"""Tensors and variable storage: ``jax.Array`` in, ``jax.Array`` out."""
import contextlib

import jax
import jax.numpy as jnp
import numpy as np

from kfacade.backend.config import floatx
from kfacade.backend.dtypes import ALL_TYPES, standardize_dtype
from kfacade.backend.state import VariableBase

from .device import current_device, device_count, place_on, single_device

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

#: The concrete class of an eager jax.Array (tracers are jax.Arrays too).
#: Named rather than read off an array: creating one at import would start
#: JAX's backend (on a GPU, CUDA writes its cache into $HOME).
try:
    from jax._src.array import ArrayImpl
except ImportError:  # a JAX that moved it: learn it from an array
    ArrayImpl = type(jnp.zeros(()))

_NUMPY_DTYPES = {name: np.dtype(jnp.bfloat16 if name == "bfloat16" else name) for name in ALL_TYPES}
_DTYPE_NAMES = {}  # np.dtype -> name, filled on first sight
def jax_dtype(dtype):
    """The NumPy dtype JAX will use for dtype name (or dtype) `dtype`.

    Without ``jax_enable_x64`` JAX has no 64-bit types: float64, int64 and
    uint64 map to their 32-bit counterparts, as JAX does itself.
    """
    numpy_dtype = _NUMPY_DTYPES.get(dtype)
    if numpy_dtype is None:
        numpy_dtype = _NUMPY_DTYPES[standardize_dtype(dtype)]
    return jax.dtypes.canonicalize_dtype(numpy_dtype)


def is_tensor(x):
    return isinstance(x, jax.Array)


def convert_to_tensor(x, dtype=None):
    """A ``jax.Array`` from `x`; see the contract.

    JAX runs with 64-bit types disabled (kfacade does not turn on
    ``jax_enable_x64``): float64 and int64 inputs or requested dtypes
    silently become float32 and int32, so ``dtype(convert_to_tensor(x,
    "float64"))`` is "float32". Python ints become int32, Python floats
    floatx, nested lists follow the same rule.
    """
    if type(x) is ArrayImpl and dtype is None:
        return x
    if isinstance(x, jax.Array):
        if dtype is None:
            return x
        dtype = jax_dtype(dtype)
        return x if x.dtype == dtype else _astype(x, dtype)
    if isinstance(x, VariableBase):
        return convert_to_tensor(x.value, dtype)
    if isinstance(x, np.ndarray | np.generic):
        # Always with a dtype: without one, jnp.asarray lifts a NumPy array
        # through a compiled identity (``lax.stage``), one compilation per
        # new shape (15 ms) and 11x slower on a 4 MB array than this copy.
        dtype = jax.dtypes.canonicalize_dtype(x.dtype) if dtype is None else jax_dtype(dtype)
        if _casts_alike_on_host(x.dtype, dtype):
            # NumPy casts these as XLA does, in one host copy; on the device
            # the cast compiles once per new shape (float64 -> float32 too).
            x = np.asarray(x, dtype=dtype)
        return jnp.asarray(x, dtype=dtype)
    if dtype is not None:
        return jnp.asarray(x, dtype=jax_dtype(dtype))
    if isinstance(x, bool):
        return jnp.asarray(x, dtype=jnp.bool_)
    if isinstance(x, int):
        return jnp.asarray(x, dtype=jnp.int32)
    if isinstance(x, float):
        return jnp.asarray(x, dtype=jax_dtype(floatx()))
    array = np.asarray(x)  # nested lists: Python floats -> floatx, ints -> int32
    if array.dtype == np.float64:
        return jnp.asarray(array, dtype=jax_dtype(floatx()))
    if array.dtype == np.int64:
        return jnp.asarray(array, dtype=jnp.int32)
    return jnp.asarray(array)


def _casts_alike_on_host(source, target):
    """Whether NumPy's cast from `source` to `target` gives XLA's result: to
    the same dtype (a copy), to float32/64 from any real number type (one
    IEEE rounding), or between integer and boolean types (both wrap).
    Float-to-integer casts differ on NaN and out-of-range values and stay on
    the device."""
    if source == target:
        return True
    if source.kind not in "biuf":
        return False
    if target in (np.float32, np.float64):
        return True
    return target.kind in "iu" and source.kind in "biu"


def convert_to_numpy(x):
    """A writable NumPy copy of `x` (never a view of a buffer JAX may donate)."""
    if isinstance(x, VariableBase):
        x = x.value
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
        # A global array of a multi-process job: this process holds only its shards.
        if x.is_fully_replicated:
            return np.array(x.addressable_data(0))
        raise ValueError(
            f"This array (shape {x.shape}) is sharded over the devices of several processes "
            f"({x.sharding}); a process holds only its own shards. Replicate it first "
            f"(e.g. jax.experimental.multihost_utils.process_allgather in every process)."
        )
    return np.array(x)


def shape(x):
    if isinstance(x, jax.Array | np.ndarray):
        return tuple(x.shape)
    return tuple(convert_to_tensor(x).shape)


def dtype(x):
    if not hasattr(x, "dtype") or isinstance(x, VariableBase):
        x = convert_to_tensor(x)
    name = _DTYPE_NAMES.get(x.dtype)
    if name is None:
        name = _DTYPE_NAMES[x.dtype] = standardize_dtype(x.dtype)
    return name


def _astype(x, dtype):
    # XLA saturates negative floats cast to uint8/uint16 at 0; NumPy, torch and
    # TensorFlow wrap them (-1.5 -> 255). Going through int32 wraps the same way.
    if dtype in _SMALL_UNSIGNED and jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.int32)
    return x.astype(dtype)


_SMALL_UNSIGNED = (np.dtype("uint8"), np.dtype("uint16"))


def cast(x, dtype):
    x = convert_to_tensor(x)
    dtype = jax_dtype(dtype)
    return x if x.dtype == dtype else _astype(x, dtype)


def variable_create(value, dtype, trainable, name):
    """A fresh ``jax.Array`` (copied: compiled steps donate variable buffers),
    uncommitted, on the device of the innermost ``device_scope`` (else JAX's
    default device), so that ops under a later scope may move it (see
    ``device.py``). A committed `value` gives a variable committed where it is.
    """
    device = current_device()
    with contextlib.nullcontext() if device is None else jax.default_device(device):
        # ``device_put(may_alias=False)`` copies as ``astype``/``jnp.array``
        # would, to the same place, without compiling a copy program for each
        # new variable shape (about 50 ms each on a small CPU).
        dtype = jax_dtype(dtype)
        if isinstance(value, jax.Array):
            if value.dtype == dtype and not isinstance(value, jax.core.Tracer) and (
                    device is None or value.committed):
                return jax.device_put(value, may_alias=False)
            return value.astype(dtype, copy=True)
        if isinstance(value, np.ndarray | np.generic) and _casts_alike_on_host(value.dtype, dtype):
            # From a private host copy: the transfer may read its source after
            # this returns, when the caller may already be writing `value`.
            return jax.device_put(np.array(value, dtype=dtype), may_alias=False)
        return jnp.array(value, dtype=dtype)


#: How many values ``variable_assign`` has handed out. Storing a value, not a
#: copy, is how two variables come to hold one array (``b.assign(a.value)``);
#: a compiled step, which donates its variables' buffers, looks for arrays
#: held elsewhere too only after this count has moved (see ``step.py``).
assign_count = [0]


def variable_assign(handle, value):
    """The new value itself, cast to the variable's dtype (JAX arrays are
    immutable), on the variable's device: an eager update computed elsewhere
    (on the default device, for a variable made under a scope) is moved back."""
    assign_count[0] += 1
    value = convert_to_tensor(value)
    if value.dtype != handle.dtype:
        value = value.astype(handle.dtype)
    sharding = handle.sharding
    if not isinstance(sharding, jax.sharding.SingleDeviceSharding):
        if value.sharding != sharding:
            value = jax.device_put(value, sharding)  # a distributed variable keeps its layout
    elif device_count() > 1:
        device = single_device(handle)
        if device is not None and single_device(value) not in (device, None):
            value = place_on(value, device)
    return value
