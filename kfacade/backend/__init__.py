"""``kfacade.backend``: which backend is active, and the global numeric settings.

``backend()`` names the active backend and ``adapter`` is its module (see
``kfacade/backend/active.py``). Keras 2 programs also use this module as
``K`` (``from keras import backend as K``; ``K.dot``, ``K.function``, ...):
those names live in ``kfacade/legacy/backend.py`` and are served from here on
first use, so importing ``kfacade.backend`` does not load them.
"""
import importlib

from kfacade.backend.active import adapter, backend
from kfacade.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from kfacade.backend.dtypes import standardize_dtype
from kfacade.backend.symbolic_scope import SymbolicScope, get_symbolic_scope, in_symbolic_scope


def device_of(x):
    """The name of the device holding `x`, as ``kfacade.device`` takes it.

    Args:
        x: a native tensor of the active backend, a NumPy array (on "cpu:0"),
            or a ``kfacade.Variable`` (its value's device).

    Returns:
        "cpu:0", "gpu:1", ... ; an array or variable spread over several
        devices (sharded, mirrored) names the first of them.

    Raises:
        ValueError: `x` is none of these, or (TensorFlow, JAX) a tensor being
            traced into a graph, whose device is not decided yet.

    Example:
        >>> with kfacade.device("cpu:0"):
        ...     v = kfacade.Variable(np.zeros(3))
        >>> kfacade.backend.device_of(v)
        'cpu:0'
    """
    return adapter.device_of(x)


def __getattr__(name):
    """The Keras 2 backend function `name` (``K.dot``, ``K.function``, ...)."""
    if name.startswith("__"):
        raise AttributeError(name)
    legacy = importlib.import_module("kfacade.legacy.backend")
    try:
        return getattr(legacy, name)
    except AttributeError:
        raise AttributeError(f"module 'kfacade.backend' has no attribute {name!r}") from None


def __dir__():
    legacy = importlib.import_module("kfacade.legacy.backend")
    return sorted(set(globals()) | set(legacy.__all__))
