"""Turning logs (dicts of native tensors) into Python floats, the one device sync."""
import numpy as np

from kfacade.variables import Variable
from kfacade.backend.active import adapter as _B


def to_python_value(value):
    """`value` as a Python float when it holds one number; else a NumPy array or itself.

    Tensors and Variables are copied to the host (a device sync).
    """
    if isinstance(value, float) or value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, (int, np.number, np.bool_)):
        return float(value)
    if isinstance(value, Variable):
        value = value.numpy()
    elif _B.is_tensor(value):
        value = _B.convert_to_numpy(value)
    try:
        array = np.asarray(value)
    except Exception:  # not array-like: leave it to the callback
        return value
    if array.dtype.kind in "biuf" and array.size == 1:
        return float(array.reshape(()))
    return array


def logs_to_float(logs):
    """A new dict with each value of `logs` turned into a Python float.

    Values that hold more than one number become NumPy arrays; strings and
    None stay as they are; nested dicts are flattened into the result, as
    Keras 3 does.

    Example:
        >>> logs_to_float({"loss": ops.convert_to_tensor(0.25), "accuracy": 1})
        {'loss': 0.25, 'accuracy': 1.0}
    """
    result = {}
    if not logs:
        return result
    for key, value in logs.items():
        if isinstance(value, dict):
            result.update(logs_to_float(value))
        else:
            result[key] = to_python_value(value)
    return result
