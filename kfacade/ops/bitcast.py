"""``view``: the bits of a tensor read as another dtype (NumPy's
``ndarray.view``), over the adapter's ``bitcast`` primitive.

The adapter's ``bitcast`` adds or removes a trailing axis when the item size
changes (``tf.bitcast``'s rule); NumPy's rule, written once here, instead
rescales the last axis, which two reshapes around the bitcast give.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine.keras_tensor import KerasTensor as _KerasTensor
from kfacade.ops._composite import tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["view"]

_ITEM_SIZES = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "float16": 2, "bfloat16": 2,
               "int32": 4, "uint32": 4, "float32": 4, "int64": 8, "uint64": 8, "float64": 8}


def _view_shape(shape, source, target):
    """The shape of `shape` (a tuple, None for unknown sizes) viewed as
    `target` instead of `source`, by NumPy's rule."""
    old, new = _ITEM_SIZES[source], _ITEM_SIZES[target]
    if old == new:
        return tuple(shape)
    if not shape:
        raise ValueError("view() of a 0d array is only supported if the itemsize is unchanged. "
                         f"Received: a scalar of dtype {source} viewed as {target}")
    last = shape[-1]
    if new > old and last is not None and (last * old) % new:
        raise ValueError(
            "When changing to a larger dtype, its size must be a divisor of the total size in "
            f"bytes of the last axis of the array. Received: shape={tuple(shape)}, dtype {source} "
            f"viewed as {target}")
    return tuple(shape[:-1]) + (None if last is None else last * old // new,)


def _target(x_dtype, dtype):
    """The dtype the view has: `dtype` as the adapter stores it (a framework
    without 64-bit types, JAX without x64, keeps 64-bit ones in 32 bits)."""
    if dtype is None:
        return x_dtype
    dtype = standardize_dtype(dtype)
    return _B.dtype(_B.zeros((), dtype)) if _ITEM_SIZES[dtype] == 8 else dtype


@symbolic_or
def view(x, dtype=None):
    """A tensor of `x`'s bits read as `dtype` (no value conversion).

    The shape follows ``numpy.ndarray.view``: a dtype of the same item size
    keeps it; otherwise the last axis is rescaled by the ratio of item sizes
    (a larger item size needs the last axis's bytes to be a multiple of it).

    Raises:
        ValueError: `x` is a scalar and the item size changes, or the last
            axis's bytes are not a multiple of a larger item size.

    Example:
        >>> ops.view(np.array([1, 2], "int32"), "uint8")  # [1 0 0 0 2 0 0 0]
    """
    x = _tensor(x)
    source = _B.dtype(x)
    target = _target(source, dtype)
    shape = _view_shape(tuple(_B.shape(x)), source, target)
    if target == source:
        return x
    old, new = _ITEM_SIZES[source], _ITEM_SIZES[target]
    if new > old:  # group the items that make one new item on a trailing axis
        x = _B.reshape(x, tuple(_B.shape(x)[:-1]) + (shape[-1], new // old))
    return _B.reshape(_B.bitcast(x, target), shape)


view.output_spec = lambda x, dtype=None: _KerasTensor(
    _view_shape(tuple(x.shape), x.dtype, _target(x.dtype, dtype)), dtype=_target(x.dtype, dtype))
