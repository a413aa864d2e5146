"""Private helpers shared by the TensorFlow adapter's ``numpy.py``, ``nn.py`` and ``core.py``.

Dtype rules of the adapter: a Python scalar takes the other operand's dtype
(a float scalar turns an integer tensor into floatx); two tensors of
different dtypes promote as NumPy does, except that int with float gives the
float dtype (as Keras, JAX and torch do; NumPy would give float64). Ops that
only make sense on floats (exp, mean, divide, ...) compute integers in floatx.
"""
import functools

import numpy as np
import tensorflow as tf

from kfacade.backend.config import floatx

from .variables import EagerTensor, convert_to_tensor, tf_dtype
from .variables import _default_tensor

_SCALAR_TYPES = (bool, int, float)
_slice = slice  # the builtin, under a name that numpy.py's `slice` op does not hide


# ------------------------------------------------------------- dtype helpers


def _floatx():
    return tf_dtype(floatx())


@functools.lru_cache(maxsize=None)
def _promote_pair(a, b):
    """The result dtype of a binary op on tensors of dtypes `a` and `b`."""
    if a == b or b == tf.bool:
        return a
    if a == tf.bool:
        return b
    if a.is_floating != b.is_floating:
        return a if a.is_floating else b
    if a.is_floating:
        if {a, b} == {tf.bfloat16, tf.float16}:
            return tf.float32
        return a if a.size > b.size else b
    return tf.as_dtype(np.promote_types(a.as_numpy_dtype, b.as_numpy_dtype))


def _scalar_dtype(dtype, scalar):
    """The dtype of a result mixing a tensor of `dtype` (None: none) with a Python scalar."""
    if dtype is None:
        return _default_tensor(scalar).dtype
    if type(scalar) is float and not dtype.is_floating:
        return _floatx()
    if type(scalar) is int and dtype == tf.bool:
        return tf.int32
    return dtype


def _operand(x):
    """`x` ready for `_promote`: tensors and tf.Variables as they are, Python scalars kept."""
    if type(x) is EagerTensor or type(x) in _SCALAR_TYPES:
        return x
    if isinstance(x, (tf.Tensor, tf.Variable)):
        return x
    return convert_to_tensor(x)


def _promote(values):
    """`values` as tensors of one common dtype (see the module docstring)."""
    values = [_operand(v) for v in values]
    dtype = None
    for v in values:
        if type(v) not in _SCALAR_TYPES:
            dtype = v.dtype if dtype is None else _promote_pair(dtype, v.dtype)
    for v in values:
        if type(v) in _SCALAR_TYPES:
            dtype = _scalar_dtype(dtype, v)
    return [
        tf.constant(v, dtype) if type(v) in _SCALAR_TYPES
        else (v if v.dtype == dtype else tf.cast(v, dtype))
        for v in values
    ]


def _float(x):
    x = convert_to_tensor(x)
    return x if x.dtype.is_floating else tf.cast(x, _floatx())


def _rank(x):
    return x.shape.rank


def _dim(x, axis):
    """The size of `axis`: an int when static, else a scalar tensor."""
    size = x.shape[axis]
    return size if size is not None else tf.shape(x)[axis]


def _static_or_dynamic_shape(x):
    return x.shape.as_list() if x.shape.is_fully_defined() else tf.shape(x)
