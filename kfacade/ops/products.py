"""Products, distances and integrals of ``keras.ops`` composed of the
adapter's primitives: ``outer``, ``inner``, ``vdot``, ``kron``, ``cross``,
``cdist``, ``corrcoef``, ``trapezoid``, ``in_top_k``, ``correlate``. NumPy's semantics.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import true_divide_result_type
from kfacade.ops._composite import floating as _floating, slice_axis as _slice_axis, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = [
    "outer", "inner", "vdot", "kron", "cross", "cdist", "corrcoef", "trapezoid", "in_top_k",
    "correlate",
]


@symbolic_or
def outer(x1, x2):
    """Every product x1[i] * x2[j] of the flattened inputs: shape (x1.size, x2.size)."""
    return _B.multiply(_B.reshape(x1, (-1, 1)), _B.reshape(x2, (1, -1)))


@symbolic_or
def inner(x1, x2):
    """The sum-product over the last axes (a product when one is a scalar)."""
    x1, x2 = _tensor(x1), _tensor(x2)
    if not _B.shape(x1) or not _B.shape(x2):
        return _B.multiply(x1, x2)
    if _B.shape(x1)[-1] != _B.shape(x2)[-1]:
        raise ValueError(f"inner: the last axes differ: shapes {_B.shape(x1)} and {_B.shape(x2)}")
    return _B.tensordot(x1, x2, axes=([len(_B.shape(x1)) - 1], [len(_B.shape(x2)) - 1]))


@symbolic_or
def vdot(x1, x2):
    """The dot product of the flattened inputs (a scalar)."""
    return _B.sum(_B.multiply(_B.reshape(x1, (-1,)), _B.reshape(x2, (-1,))))


@symbolic_or
def kron(x1, x2):
    """The Kronecker product: blocks x1[i, ...] * x2."""
    x1, x2 = _tensor(x1), _tensor(x2)
    ndim = max(len(_B.shape(x1)), len(_B.shape(x2)))
    shape1 = (1,) * (ndim - len(_B.shape(x1))) + tuple(_B.shape(x1))
    shape2 = (1,) * (ndim - len(_B.shape(x2))) + tuple(_B.shape(x2))
    # Interleave the axes: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...), then merge the pairs.
    spread1 = tuple(d for a in shape1 for d in (a, 1))
    spread2 = tuple(d for b in shape2 for d in (1, b))
    product = _B.multiply(_B.reshape(x1, spread1), _B.reshape(x2, spread2))
    return _B.reshape(product, tuple(a * b for a, b in zip(shape1, shape2)))


@symbolic_or
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (or 2-vectors, giving the z component)
    along `axisa` of `x1` and `axisb` of `x2`; `axis` sets all three."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1 = _to_last(_tensor(x1), axisa)
    x2 = _to_last(_tensor(x2), axisb)
    n1, n2 = _B.shape(x1)[-1], _B.shape(x2)[-1]
    if n1 not in (2, 3) or n2 not in (2, 3):
        raise ValueError(
            f"cross: the vector axes must have length 2 or 3; received {n1} and {n2}")
    a = _components(x1)
    b = _components(x2)
    if n1 == 2 and n2 == 2:
        return _B.subtract(_B.multiply(a[0], b[1]), _B.multiply(a[1], b[0]))
    a = a + [_B.zeros((), _B.dtype(x1))] * (3 - n1)
    b = b + [_B.zeros((), _B.dtype(x2))] * (3 - n2)
    parts = [
        _B.subtract(_B.multiply(a[1], b[2]), _B.multiply(a[2], b[1])),
        _B.subtract(_B.multiply(a[2], b[0]), _B.multiply(a[0], b[2])),
        _B.subtract(_B.multiply(a[0], b[1]), _B.multiply(a[1], b[0])),
    ]
    shape = _B.shape(_B.add(parts[0], _B.add(parts[1], parts[2])))
    result = _B.stack([_B.broadcast_to(p, shape) for p in parts], axis=-1)
    return _from_last(result, axisc)


def _to_last(x, axis):
    ndim = len(_B.shape(x))
    axis %= ndim
    return _B.transpose(x, [a for a in range(ndim) if a != axis] + [axis])


def _from_last(x, axis):
    ndim = len(_B.shape(x))
    axis %= ndim
    order = list(range(ndim - 1))
    order.insert(axis, ndim - 1)
    return _B.transpose(x, order)


def _components(x):
    return [_B.squeeze(part, axis=-1) for part in _B.split(x, _B.shape(x)[-1], axis=-1)]


@symbolic_or
def cdist(x, y):
    """Euclidean distances between the rows of `x` (..., n, d) and of `y` (..., m, d)."""
    x, y = _floating(x), _floating(y)
    if _B.shape(x)[-1] != _B.shape(y)[-1]:
        raise ValueError(f"cdist: the last axes differ: shapes {_B.shape(x)} and {_B.shape(y)}")
    difference = _B.subtract(_B.expand_dims(x, -2), _B.expand_dims(y, -3))
    return _B.sqrt(_B.sum(_B.square(difference), axis=-1))


@symbolic_or
def corrcoef(x):
    """Pearson correlation coefficients of the rows of `x` (variables in rows)."""
    x = _floating(x)
    if len(_B.shape(x)) == 1:
        x = _B.reshape(x, (1, -1))
    centred = _B.subtract(x, _B.mean(x, axis=-1, keepdims=True))
    covariance = _B.matmul(centred, _B.transpose(centred))
    scale = _B.sqrt(_B.reshape(_B.sum(_B.square(centred), axis=-1), (-1,)))
    correlation = _B.divide(covariance, _B.multiply(_B.reshape(scale, (-1, 1)), _B.reshape(scale, (1, -1))))
    return _B.clip(correlation, -1.0, 1.0)


@symbolic_or
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` along `axis` by the trapezoidal rule, over sample
    points `x` (1-D or `y`'s shape) or spacing `dx`."""
    y = _floating(y)
    ndim = len(_B.shape(y))
    axis %= ndim
    length = _B.shape(y)[axis]
    later = _slice_axis(y, axis, 1, length - 1)
    earlier = _slice_axis(y, axis, 0, length - 1)
    heights = _B.multiply(_B.add(later, earlier), 0.5)
    if x is None:
        return _B.multiply(_B.sum(heights, axis=axis), dx)
    x = _B.cast(_tensor(x), _B.dtype(y))
    if len(_B.shape(x)) == 1:
        shape = [1] * ndim
        shape[axis] = length
        x = _B.reshape(x, tuple(shape))
        widths = _B.subtract(_slice_axis(x, axis, 1, length - 1), _slice_axis(x, axis, 0, length - 1))
    else:
        widths = _B.subtract(_slice_axis(x, axis, 1, length - 1), _slice_axis(x, axis, 0, length - 1))
    return _B.sum(_B.multiply(heights, widths), axis=axis)


@symbolic_or
def in_top_k(targets, predictions, k):
    """True where the target class's prediction is among the `k` largest of its
    row; ties at the boundary count as in (``tf.math.in_top_k``'s rule)."""
    predictions = _tensor(predictions)
    targets = _B.cast(_tensor(targets), "int32")
    target_score = _B.take_along_axis(predictions, _B.reshape(targets, (-1, 1)), axis=1)
    higher = _B.sum(_B.cast(_B.greater(predictions, target_score), "int32"), axis=1)
    return _B.less(higher, k)


def _correlate_window(mode, m, n):
    """(offset, length) of `mode`'s output inside the full correlation of
    lengths `m` and `n` (NumPy swaps the inputs when `v` is the longer one)."""
    if mode == "full":
        return 0, m + n - 1
    if mode == "valid":
        return min(m, n) - 1, max(m, n) - min(m, n) + 1
    return ((n - 1) // 2 if m >= n else m // 2), max(m, n)


@symbolic_or
def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D sequences, ``numpy.correlate``:
    ``c[k] = sum_n x1[n + k] * x2[n]`` over the lags `mode` keeps ("valid":
    full overlaps only, "same": max(len) centred values, "full": every lag).

    One ``conv`` over `x1` zero-padded by len(x2) - 1 on each side gives every
    lag; `mode` then slices. Integers compute in floatx.

    Raises:
        ValueError: `mode` is not one of them, or an input is not 1-D.
    """
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"Invalid mode: {mode!r}. Mode must be one of: 'full', 'same', 'valid'.")
    x1, x2 = _tensor(x1), _tensor(x2)
    if len(_B.shape(x1)) != 1 or len(_B.shape(x2)) != 1:
        raise ValueError(f"correlate() only supports 1-dimensional inputs. Received: "
                         f"x1.shape={tuple(_B.shape(x1))}, x2.shape={tuple(_B.shape(x2))}")
    dtype = true_divide_result_type(_B.dtype(x1), _B.dtype(x2))
    compute = "float32" if dtype in ("float16", "bfloat16") else dtype
    m, n = _B.shape(x1)[0], _B.shape(x2)[0]
    signal = _B.pad(_B.cast(x1, compute), ((n - 1, n - 1),))
    lags = _B.conv(_B.reshape(signal, (1, m + 2 * n - 2, 1)), _B.reshape(_B.cast(x2, compute), (n, 1, 1)))
    offset, length = _correlate_window(mode, m, n)
    return _B.cast(_B.slice(_B.reshape(lags, (m + n - 1,)), (offset,), (length,)), dtype)
