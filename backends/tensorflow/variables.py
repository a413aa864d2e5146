"""Tensors and variable storage: ``tf.Tensor`` in, ``tf.Tensor`` out.

A ``kfacade.Variable`` stores a ``tf.Variable``, which every TensorFlow op
accepts as a tensor, so ops pass variable handles through unconverted.
"""
import re

import numpy as np
import tensorflow as tf
from tensorflow.python.framework.ops import EagerTensor  # the concrete eager class

from kfacade.backend.config import floatx
from kfacade.backend.dtypes import ALL_TYPES, standardize_dtype
from kfacade.backend.state import VariableBase

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

_TF_DTYPES = {name: tf.as_dtype(name) for name in ALL_TYPES}
_DTYPE_NAMES = {tf_dtype: name for name, tf_dtype in _TF_DTYPES.items()}
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
def tf_dtype(dtype):
    """The ``tf.DType`` for a dtype name, NumPy dtype or ``tf.DType``."""
    if isinstance(dtype, tf.DType):
        return dtype
    found = _TF_DTYPES.get(dtype)
    return found if found is not None else _TF_DTYPES[standardize_dtype(dtype)]


def dtype_name(tf_dtype):
    """The dtype name of a ``tf.DType``."""
    name = _DTYPE_NAMES.get(tf_dtype)
    return name if name is not None else standardize_dtype(tf_dtype)


def is_tensor(x):
    return isinstance(x, (tf.Tensor, tf.Variable))


def _numeric_array(x):
    """`x` (nested lists) as a NumPy array, or None when it holds symbolic tensors."""
    try:
        array = np.asarray(x)
    except (TypeError, ValueError, NotImplementedError):
        return None
    return None if array.dtype == object else array


def _default_tensor(x):
    """`x` (not a tensor) as a tensor of its default dtype."""
    if isinstance(x, (np.ndarray, np.generic)):
        return tf.convert_to_tensor(x)
    if isinstance(x, bool):
        return tf.constant(x, tf.bool)
    if isinstance(x, int):
        return tf.constant(x, tf.int32 if _INT32_MIN <= x <= _INT32_MAX else tf.int64)
    if isinstance(x, float):
        return tf.constant(x, _TF_DTYPES[floatx()])
    array = _numeric_array(x)
    if array is None:
        return tf.convert_to_tensor(x)  # packs lists of tensors, also in a graph
    # Nested Python lists follow the scalar rule: floats -> floatx, ints -> int32.
    if array.dtype == np.float64:
        return tf.constant(array, _TF_DTYPES[floatx()])
    if array.dtype == np.int64 and (array.size == 0 or (
        array.min() >= _INT32_MIN and array.max() <= _INT32_MAX
    )):
        return tf.constant(array, tf.int32)
    return tf.convert_to_tensor(array)


def convert_to_tensor(x, dtype=None):
    """A ``tf.Tensor`` from `x`; see the contract.

    A ``tf.Variable`` is read (the result does not follow later
    assignments). Python ints become int32 (int64 beyond its range), Python
    floats floatx; nested lists follow the same rule.
    """
    if type(x) is EagerTensor and dtype is None:
        return x
    if not isinstance(x, tf.Tensor):
        if isinstance(x, tf.Variable):
            x = x.value()
        elif isinstance(x, VariableBase):
            return convert_to_tensor(x.value, dtype)
        elif dtype is not None and isinstance(x, (np.ndarray, np.generic, bool, int, float)):
            target = tf_dtype(dtype)
            return tf.convert_to_tensor(np.asarray(x, dtype=target.as_numpy_dtype))
        elif dtype is not None and isinstance(x, (list, tuple)):
            array = _numeric_array(x)  # straight to `dtype`: no float32 rounding on the way
            if array is not None:
                return tf.convert_to_tensor(array.astype(tf_dtype(dtype).as_numpy_dtype))
            x = tf.convert_to_tensor(x)
        else:
            x = _default_tensor(x)
    if dtype is None:
        return x
    target = tf_dtype(dtype)
    if x.dtype == target:
        return x
    if x.dtype.is_complex or target.is_complex:
        return tf.cast(x, target)  # complex -> real keeps the real part
    # The Cast op itself: tf.cast's Python wrapper took 23 us of an eager cast's
    # 33 (a mixed-precision layer casts its inputs and each variable it reads).
    return tf.raw_ops.Cast(x=x, DstT=target)


def convert_to_numpy(x):
    if isinstance(x, VariableBase):
        x = x.value
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return np.asarray(x.numpy())  # a 0-d array, not a NumPy scalar, for 0-d tensors
    if isinstance(x, tf.IndexedSlices):
        return np.asarray(tf.convert_to_tensor(x).numpy())
    return np.asarray(x)


def shape(x):
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return tuple(x.shape)  # None for a dimension unknown while tracing
    if isinstance(x, np.ndarray):
        return x.shape
    if isinstance(x, VariableBase):
        return x.shape
    return tuple(convert_to_tensor(x).shape)


def dtype(x):
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return dtype_name(x.dtype)
    if isinstance(x, VariableBase):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return standardize_dtype(x.dtype)
    return dtype_name(convert_to_tensor(x).dtype)


def cast(x, dtype):
    return convert_to_tensor(x, dtype)


_NAME_DISALLOWED = re.compile(r"[^A-Za-z0-9_.\-/]")


def _sanitize_name(name):
    """`name` made valid for a TensorFlow variable (Keras paths keep their "/")."""
    name = _NAME_DISALLOWED.sub("_", str(name or "variable")).strip("/")
    return name if name[:1].isalnum() or name[:1] == "." else f"v{name}"


def variable_create(value, dtype, trainable, name):
    return tf.Variable(
        value, trainable=bool(trainable), name=_sanitize_name(name), dtype=tf_dtype(dtype)
    )


def variable_assign(handle, value):
    """Assigns in place (also inside a ``tf.function``) and returns `handle`."""
    handle.assign(value, read_value=False)
    return handle


def _in_place_delta(handle, delta):
    """Whether `handle` takes `delta` in one ``AssignAdd``/``AssignSub``
    with the generic path's result: a tensor of its dtype and static shape,
    or a Python number of its kind for a scalar variable; a plain variable (a tf.distribute
    variable's in-replica updates follow the strategy's rules: generic)."""
    if not isinstance(handle, tf.Variable) or isinstance(handle, tf.distribute.DistributedValues):
        return False
    kind = type(delta)
    if kind is float or kind is int:  # TF's in-place updates do not broadcast
        return handle.shape.rank == 0 and (
            handle.dtype.is_floating or (kind is int and handle.dtype.is_integer))
    return isinstance(delta, tf.Tensor) and delta.dtype == handle.dtype \
        and delta.shape.is_fully_defined() and delta.shape == handle.shape


def variable_assign_add(handle, delta):
    """The optional hook (``contract.OPTIONAL_HOOKS``): one ``AssignAddVariableOp``
    where the generic path reads, adds and assigns (three graph nodes in a
    traced step); the same add. None, having changed nothing, for a delta
    that needs a cast or a broadcast."""
    if not _in_place_delta(handle, delta):
        return None
    handle.assign_add(delta, read_value=False)
    return handle


def variable_assign_sub(handle, delta):
    """``variable_assign_add``'s subtraction (``AssignSubVariableOp``)."""
    if not _in_place_delta(handle, delta):
        return None
    handle.assign_sub(delta, read_value=False)
    return handle


def _variable_to_tensor(value, dtype=None, name=None, as_ref=False):
    """TensorFlow's conversion of a ``kfacade.Variable``: its current value, natively.

    Registered so that ``tf_tensor * variable`` (a custom layer's
    ``x * self.scale``) converts inside a ``tf.function`` too, where NumPy
    conversion (``__array__``) is impossible.
    """
    result = value.value
    if isinstance(result, tf.Variable):
        result = result.value()
    # TF's own rule for a requested dtype (a mismatch raises, as for a tf.Variable).
    return tf.convert_to_tensor(result, dtype=dtype)


tf.register_tensor_conversion_function(VariableBase, _variable_to_tensor)
