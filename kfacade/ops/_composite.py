"""Small helpers the composite ops share (not public ops)."""
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import is_float_dtype


def tensor(x):
    """`x` as a native tensor of the active adapter."""
    return _B.convert_to_tensor(x)


def floating(x):
    """`x` as a tensor of a float dtype: floatx for integers and bool, as
    Keras computes float functions of integers."""
    x = _B.convert_to_tensor(x)
    return x if is_float_dtype(_B.dtype(x)) else _B.cast(x, floatx())


def slice_axis(x, axis, start, size):
    """`size` entries of `x` from `start` along `axis`, every other axis whole."""
    shape = list(_B.shape(x))
    axis %= len(shape)
    starts = [0] * len(shape)
    starts[axis], shape[axis] = start, size
    return _B.slice(x, starts, shape)


def known_values(x):
    """The values of tensor `x` as NumPy, or None while it is traced (a
    tracer or graph tensor, whose values are not known yet)."""
    try:
        return _B.convert_to_numpy(x)
    except Exception:  # each framework raises its own error for a traced tensor
        return None


def host_values(x):
    """The values of tensor `x` as NumPy when reading them is free: `x` is
    concrete and on the host. None for a traced tensor, and for one on an
    accelerator, where the read would wait for the device."""
    try:
        on_host = _B.device_of(x).startswith("cpu")
    except ValueError:  # a traced tensor has no device yet
        return None
    return known_values(x) if on_host else None
