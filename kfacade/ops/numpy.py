"""NumPy-like ops (``keras.ops.numpy``): names and semantics of ``keras.ops``."""
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.variables import Variable
from kfacade.backend.active import adapter as _B
from kfacade.ops.core import cast
from kfacade.ops.dispatch import make_op, symbolic_or

_NAMES = """
zeros ones full arange eye
abs negative exp log log1p expm1 sqrt square sign sin cos tanh floor ceil round
logical_not isnan isfinite isinf
tan arcsin arccos arctan sinh cosh arcsinh arccosh arctanh log2 log10 erf erfc erfinv trunc
add subtract multiply divide floor_divide mod power maximum minimum equal not_equal
less less_equal greater greater_equal logical_and logical_or arctan2 where clip
bitwise_and bitwise_or bitwise_xor bitwise_invert left_shift right_shift
sum mean max min prod var any all argmax argmin cumsum logsumexp
reshape transpose expand_dims squeeze concatenate stack split tile repeat broadcast_to
take take_along_axis slice pad flip one_hot top_k sort argsort
matmul tensordot einsum
""".split()

for _name in _NAMES:
    globals()[_name] = make_op(_name)

_cumprod = make_op("cumprod")
_searchsorted = make_op("searchsorted")

absolute = abs
bitwise_not = bitwise_invert
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift
true_divide = divide
amax = max
amin = min


@symbolic_or
def std(x, axis=None, keepdims=False):
    """Population standard deviation over `axis`."""
    return _B.sqrt(_B.var(x, axis=axis, keepdims=keepdims))


def cumprod(x, axis=None, dtype=None):
    """Cumulative product along `axis` (of the flattened `x` when None), in
    `dtype` when given."""
    if dtype is not None:
        x = cast(x, dtype)
    return _cumprod(x, axis=axis)


def searchsorted(sorted_sequence, values, side="left"):
    """Where `values` go in the ascending 1-D `sorted_sequence` (int32 indices)."""
    if side not in ("left", "right"):
        raise ValueError(f"`side` must be either 'left' or 'right'. Received: side={side!r}")
    return _searchsorted(sorted_sequence, values, side=side)


@symbolic_or
def reciprocal(x):
    """1 / x elementwise."""
    return _B.divide(1.0, x)


@symbolic_or
def zeros_like(x, dtype=None):
    """Zeros of `x`'s shape and dtype (or `dtype`)."""
    x = _B.convert_to_tensor(x)
    return _B.zeros(_B.shape(x), dtype=dtype or _B.dtype(x))


@symbolic_or
def ones_like(x, dtype=None):
    """Ones of `x`'s shape and dtype (or `dtype`)."""
    x = _B.convert_to_tensor(x)
    return _B.ones(_B.shape(x), dtype=dtype or _B.dtype(x))


@symbolic_or
def swapaxes(x, axis1, axis2):
    """`x` with two axes exchanged."""
    x = _B.convert_to_tensor(x)
    axes = list(range(len(_B.shape(x))))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return _B.transpose(x, axes)


@symbolic_or
def moveaxis(x, source, destination):
    """`x` with axis `source` moved to position `destination`."""
    x = _B.convert_to_tensor(x)
    ndim = len(_B.shape(x))
    axes = [a for a in range(ndim) if a != source % ndim]
    axes.insert(destination % ndim, source % ndim)
    return _B.transpose(x, axes)


@symbolic_or
def dot(x1, x2):
    """NumPy's ``dot``: matmul for >= 2-D, and the sum-product over the last
    axis of `x1` and the second-to-last of `x2` for higher ranks."""
    x1, x2 = _B.convert_to_tensor(x1), _B.convert_to_tensor(x2)
    if len(_B.shape(x2)) <= 2:
        return _B.matmul(x1, x2)
    return _B.tensordot(x1, x2, axes=([len(_B.shape(x1)) - 1], [len(_B.shape(x2)) - 2]))


@symbolic_or
def getitem(x, key):
    """`x[key]` for basic indexing (ints, slices, None, Ellipsis)."""
    if isinstance(x, Variable):
        x = x.value
    return _B.convert_to_tensor(x)[key]


@symbolic_or
def linspace(start, stop, num=50, endpoint=True, dtype="float32"):
    """`num` evenly spaced values from `start` to `stop`."""
    step_count = num - 1 if endpoint else num
    step = (stop - start) / step_count if step_count > 0 else 0.0
    return _B.add(_B.multiply(_B.arange(0, num, 1, dtype=dtype), step), start)


def size(x):
    """The number of elements of `x` (an int)."""
    n = 1
    for d in shape(x):
        n *= d
    return n


def shape(x):
    """The shape of `x` as a tuple (None for unknown dims of a KerasTensor)."""
    if isinstance(x, (KerasTensor, Variable)):
        return tuple(x.shape)
    return tuple(_B.shape(x)) if _B.is_tensor(x) else tuple(_B.shape(_B.convert_to_tensor(x)))


def ndim(x):
    """The rank of `x`."""
    return len(shape(x))
