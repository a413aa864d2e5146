"""Core ops (``keras.ops.core``): conversion, casting, loops, gradients stops."""
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.variables import Variable
from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import standardize_dtype
from kfacade.ops.dispatch import make_op

scan = make_op("scan")
stop_gradient = make_op("stop_gradient")
_cast = make_op("cast")


def cast(x, dtype):
    """`x` converted to `dtype`."""
    return _cast(x, standardize_dtype(dtype))


def convert_to_tensor(x, dtype=None):
    """A native tensor of the active backend from an array, scalar or Variable."""
    return _B.convert_to_tensor(x, dtype=standardize_dtype(dtype))


def convert_to_numpy(x):
    """A NumPy array of the values of `x`."""
    if isinstance(x, Variable):
        return x.numpy()
    return _B.convert_to_numpy(x)


def is_tensor(x):
    """True if `x` is a native tensor of the active backend."""
    return _B.is_tensor(x)


def dtype(x):
    """The dtype name of `x`."""
    if isinstance(x, (KerasTensor, Variable)):
        return x.dtype
    return _B.dtype(_B.convert_to_tensor(x))
