"""Dtype names: every dtype crosses the adapter contract as a string."""
import numpy as np

FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
INT_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
ALL_TYPES = FLOAT_TYPES + INT_TYPES + ("bool",)
_ALIASES = {"float": "float32", "int": "int64", "double": "float64", "half": "float16"}


def standardize_dtype(dtype):
    """The canonical name of `dtype` (a string, NumPy dtype or framework dtype).

    Raises:
        ValueError: `dtype` names no known dtype.
    """
    if dtype is None:
        return None
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
    elif hasattr(dtype, "name") and isinstance(dtype.name, str):
        name = dtype.name  # np.dtype, tf.DType, jnp dtypes
    elif isinstance(dtype, type) and issubclass(dtype, (np.generic, float, int, bool)):
        name = np.dtype(dtype).name
    else:
        name = str(dtype).replace("torch.", "")  # torch.float32 -> float32
    name = _ALIASES.get(name, name)
    if name not in ALL_TYPES:
        raise ValueError(
            f"Invalid dtype. Received: dtype={dtype!r}; expected one of {ALL_TYPES}."
        )
    return name


def is_float_dtype(dtype):
    """True for a floating dtype name."""
    return standardize_dtype(dtype) in FLOAT_TYPES
