"""Creation, shape and index ``keras.ops`` composed of the adapter's
primitives: triangles, diagonals, rolls, stacks and splits, grids.

NumPy's semantics; the results are native tensors (graph nodes on
KerasTensors).
"""
import math

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade.backend.dtypes import standardize_dtype
from kfacade.ops._composite import slice_axis as _slice_axis, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or
from kfacade.ops.numpy import getitem

__all__ = [
    "tri", "tril", "triu", "identity", "full_like", "empty", "empty_like", "array", "copy",
    "logspace", "geomspace", "vander", "meshgrid", "ravel", "fliplr", "flipud", "roll", "rot90",
    "unstack", "hstack", "vstack", "dstack", "append", "array_split", "hsplit", "vsplit", "dsplit",
    "diff", "diagonal", "diag", "diagflat", "trace", "select", "digitize", "isin", "unravel_index",
    "get_item", "argpartition",
]


def _ndim(x):
    return len(_B.shape(x))


def _at_least(x, ndim, where):
    """`x` with length-1 axes added (NumPy's ``atleast_2d``/``atleast_3d``)."""
    x = _tensor(x)
    shape = _B.shape(x)
    if len(shape) >= ndim:
        return x
    return _B.reshape(x, where[len(shape)](shape))


# ----------------------------------------------------------- creation


@symbolic_or
def tri(N, M=None, k=0, dtype=None):
    """An (N, M) tensor with ones at and below diagonal `k`, zeros above."""
    M = N if M is None else M
    rows = _B.reshape(_B.arange(N, dtype="int32"), (N, 1))
    lower = _B.greater_equal(_B.add(rows, k), _B.reshape(_B.arange(M, dtype="int32"), (1, M)))
    return _B.cast(lower, standardize_dtype(dtype) or floatx())


def _triangle(x, k, lower):
    x = _tensor(x)
    shape = _B.shape(x)
    if len(shape) < 2:
        raise ValueError(f"tril and triu take a tensor of rank >= 2; received shape {shape}")
    mask = tri.__wrapped__(shape[-2], shape[-1], k if lower else k - 1, dtype="bool")
    if not lower:
        mask = _B.logical_not(mask)
    return _B.where(mask, x, _B.zeros((), _B.dtype(x)))


@symbolic_or
def tril(x, k=0):
    """`x` with the entries above diagonal `k` of its last two axes zeroed."""
    return _triangle(x, k, lower=True)


@symbolic_or
def triu(x, k=0):
    """`x` with the entries below diagonal `k` of its last two axes zeroed."""
    return _triangle(x, k, lower=False)


@symbolic_or
def identity(n, dtype=None):
    """The (n, n) identity matrix."""
    return _B.eye(n, dtype=standardize_dtype(dtype) or floatx())


@symbolic_or
def full_like(x, fill_value, dtype=None):
    """A tensor of `x`'s shape filled with `fill_value`, of `x`'s dtype unless `dtype`."""
    x = _tensor(x)
    return _B.full(_B.shape(x), fill_value, dtype=standardize_dtype(dtype) or _B.dtype(x))


@symbolic_or
def empty(shape, dtype=None):
    """A tensor of `shape` (zeros: frameworks without uninitialised memory agree)."""
    return _B.zeros(shape, dtype=standardize_dtype(dtype) or floatx())


@symbolic_or
def empty_like(x, dtype=None):
    """A tensor of `x`'s shape and dtype (zeros)."""
    x = _tensor(x)
    return _B.zeros(_B.shape(x), dtype=standardize_dtype(dtype) or _B.dtype(x))


def array(x, dtype=None):
    """A native tensor of `x` (NumPy's ``array``)."""
    return _B.convert_to_tensor(x, dtype=standardize_dtype(dtype))


@symbolic_or
def copy(x):
    """A new tensor equal to `x` (writes to one never show in the other)."""
    x = _tensor(x)
    shape = _B.shape(x)
    return _B.reshape(_B.concatenate([_B.reshape(x, (-1,))], axis=0), shape)


@symbolic_or
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`num` numbers spaced evenly on a log scale: base ** linspace(start, stop)."""
    _scalar_bounds_only("logspace", axis, start, stop)
    exponents = _linspace(start, stop, num, endpoint)
    return _B.cast(_B.power(float(base), exponents), standardize_dtype(dtype) or floatx())


@symbolic_or
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` numbers from `start` to `stop` spaced evenly on a log scale."""
    _scalar_bounds_only("geomspace", axis, start, stop)
    if start == 0 or stop == 0:
        raise ValueError("geomspace: `start` and `stop` must be non-zero.")
    if (start < 0) != (stop < 0):
        raise ValueError("geomspace: `start` and `stop` must have the same sign.")
    sign = -1.0 if start < 0 else 1.0
    exponents = _linspace(math.log10(abs(start)), math.log10(abs(stop)), num, endpoint)
    values = _B.multiply(sign, _B.power(10.0, exponents))
    # The ends exactly, as NumPy gives them.
    index = _B.arange(num, dtype="int32")
    values = _B.where(_B.equal(index, 0), float(start), values)
    if endpoint and num > 1:
        values = _B.where(_B.equal(index, num - 1), float(stop), values)
    return _B.cast(values, standardize_dtype(dtype) or floatx())


def _scalar_bounds_only(name, axis, *bounds):
    if axis != 0 or any(not isinstance(b, (int, float)) for b in bounds):
        raise NotImplementedError(f"{name} takes Python-number `start` and `stop` (and axis=0) here")


def _linspace(start, stop, num, endpoint):
    steps = num - 1 if endpoint else num
    step = (stop - start) / steps if steps > 0 else 0.0
    return _B.add(_B.multiply(_B.arange(0, num, 1, dtype="float64"), step), float(start))


@symbolic_or
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D `x`: columns x**(N-1), ..., x**0."""
    x = _tensor(x)
    if _ndim(x) != 1:
        raise ValueError(f"vander takes a 1-D tensor; received shape {_B.shape(x)}")
    N = _B.shape(x)[0] if N is None else N
    powers = _B.arange(N, dtype=_B.dtype(x))
    if not increasing:
        powers = _B.flip(powers, axis=0)
    return _B.power(_B.reshape(x, (-1, 1)), _B.reshape(powers, (1, N)))


@symbolic_or
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors (``indexing`` "xy" or "ij")."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for `indexing` are 'xy' and 'ij'. Received: {indexing!r}")
    vectors = [_B.reshape(_tensor(v), (-1,)) for v in x]
    lengths = [_B.shape(v)[0] for v in vectors]
    if indexing == "xy" and len(vectors) >= 2:
        lengths[0], lengths[1] = lengths[1], lengths[0]
    grids = []
    for i, v in enumerate(vectors):
        place = i
        if indexing == "xy" and len(vectors) >= 2 and i < 2:
            place = 1 - i
        shape = [1] * len(vectors)
        shape[place] = -1
        grids.append(_B.broadcast_to(_B.reshape(v, tuple(shape)), tuple(lengths)))
    return grids


# ---------------------------------------------------- shape and order


@symbolic_or
def ravel(x):
    """`x` flattened to 1-D."""
    return _B.reshape(x, (-1,))


@symbolic_or
def fliplr(x):
    """`x` reversed along axis 1."""
    return _B.flip(x, axis=1)


@symbolic_or
def flipud(x):
    """`x` reversed along axis 0."""
    return _B.flip(x, axis=0)


@symbolic_or
def roll(x, shift, axis=None):
    """`x` shifted `shift` places along `axis`, wrapping around (flattened when None)."""
    x = _tensor(x)
    if axis is None:
        return _B.reshape(roll.__wrapped__(_B.reshape(x, (-1,)), shift, axis=0), _B.shape(x))
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: `shift` {shift} and `axis` {axis} must have the same length")
    shape = _B.shape(x)
    for step, ax in zip(shifts, axes):
        length = shape[ax]
        step = int(step) % length if length else 0
        if step:
            head, tail = _B.split(x, [length - step], axis=ax)
            x = _B.concatenate([tail, head], axis=ax)
    return x


@symbolic_or
def rot90(array, k=1, axes=(0, 1)):
    """`array` rotated by 90 degrees `k` times in the plane of `axes`."""
    array = _tensor(array)
    ndim = _ndim(array)
    if len(axes) != 2 or axes[0] % max(ndim, 1) == axes[1] % max(ndim, 1) or ndim < 2:
        raise ValueError(f"rot90 takes two different axes of a tensor of rank >= 2; "
                         f"received axes={axes} for shape {_B.shape(array)}")
    k %= 4
    if k == 0:
        return array
    if k == 2:
        return _B.flip(_B.flip(array, axis=axes[0]), axis=axes[1])
    order = list(range(ndim))
    order[axes[0] % ndim], order[axes[1] % ndim] = order[axes[1] % ndim], order[axes[0] % ndim]
    if k == 1:
        return _B.transpose(_B.flip(array, axis=axes[1]), order)
    return _B.flip(_B.transpose(array, order), axis=axes[1])


@symbolic_or
def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list."""
    x = _tensor(x)
    length = _B.shape(x)[axis]
    if num is not None and num != length:
        raise ValueError(f"unstack: num={num} but axis {axis} has length {length}")
    return [_B.squeeze(part, axis=axis) for part in _B.split(x, length, axis=axis)]


@symbolic_or
def hstack(xs):
    """Tensors joined along axis 1 (axis 0 for 1-D ones)."""
    xs = [_tensor(x) for x in xs]
    return _B.concatenate(xs, axis=0 if _ndim(xs[0]) == 1 else 1)


@symbolic_or
def vstack(xs):
    """Tensors joined along axis 0, 1-D ones as rows."""
    return _B.concatenate([_at_least(x, 2, _TO_2D) for x in xs], axis=0)


@symbolic_or
def dstack(xs):
    """Tensors joined along axis 2, lower ranks first made 3-D."""
    return _B.concatenate([_at_least(x, 3, _TO_3D) for x in xs], axis=2)


_TO_2D = {0: lambda s: (1, 1), 1: lambda s: (1,) + s}
_TO_3D = {0: lambda s: (1, 1, 1), 1: lambda s: (1,) + s + (1,), 2: lambda s: s + (1,)}


@symbolic_or
def append(x1, x2, axis=None):
    """`x2` joined after `x1` along `axis` (both flattened when None)."""
    if axis is None:
        return _B.concatenate([_B.reshape(x1, (-1,)), _B.reshape(x2, (-1,))], axis=0)
    return _B.concatenate([_tensor(x1), _tensor(x2)], axis=axis)


@symbolic_or
def array_split(x, indices_or_sections, axis=0):
    """``split`` that also takes a section count not dividing the axis: the
    first ``length % sections`` parts are one longer."""
    x = _tensor(x)
    if not isinstance(indices_or_sections, int):
        return _B.split(x, list(indices_or_sections), axis=axis)
    sections = indices_or_sections
    if sections <= 0:
        raise ValueError(f"array_split: the number of sections must be > 0; received {sections}")
    length = _B.shape(x)[axis]
    size, extra = divmod(length, sections)
    bounds, start = [], 0
    for i in range(sections - 1):
        start += size + (1 if i < extra else 0)
        bounds.append(start)
    return _B.split(x, bounds, axis=axis)


@symbolic_or
def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (axis 0 for 1-D `x`)."""
    x = _tensor(x)
    return _B.split(x, indices_or_sections, axis=0 if _ndim(x) == 1 else 1)


@symbolic_or
def vsplit(x, indices_or_sections):
    """``split`` along axis 0 of a tensor of rank >= 2."""
    return _B.split(x, indices_or_sections, axis=0)


@symbolic_or
def dsplit(x, indices_or_sections):
    """``split`` along axis 2 of a tensor of rank >= 3."""
    return _B.split(x, indices_or_sections, axis=2)


@symbolic_or
def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis`."""
    a = _tensor(a)
    for _ in range(n):
        length = _B.shape(a)[axis]
        if length == 0:
            break
        later = _slice_axis(a, axis, 1, length - 1)
        earlier = _slice_axis(a, axis, 0, length - 1)
        a = _B.not_equal(later, earlier) if _B.dtype(a) == "bool" else _B.subtract(later, earlier)
    return a


# ------------------------------------------------------------ diagonals


@symbolic_or
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal `offset` of the (axis1, axis2) planes, as the last axis."""
    x = _tensor(x)
    ndim = _ndim(x)
    if ndim < 2:
        raise ValueError(f"diagonal takes a tensor of rank >= 2; received shape {_B.shape(x)}")
    axis1, axis2 = axis1 % ndim, axis2 % ndim
    rest = [a for a in range(ndim) if a not in (axis1, axis2)]
    x = _B.transpose(x, rest + [axis1, axis2])
    shape = _B.shape(x)
    rows, cols = shape[-2], shape[-1]
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    index = _B.arange(length, dtype="int32")
    row, col = (index, _B.add(index, offset)) if offset >= 0 else (_B.subtract(index, offset), index)
    flat = _B.reshape(x, tuple(shape[:-2]) + (rows * cols,))
    return _B.take(flat, _B.add(_B.multiply(row, cols), col), axis=-1)


@symbolic_or
def diag(x, k=0):
    """The `k`-th diagonal of 2-D `x`, or the 2-D matrix with 1-D `x` on it."""
    x = _tensor(x)
    if _ndim(x) == 2:
        return diagonal.__wrapped__(x, offset=k)
    if _ndim(x) != 1:
        raise ValueError(f"diag takes a 1-D or 2-D tensor; received shape {_B.shape(x)}")
    length = _B.shape(x)[0]
    n = length + abs(k)
    rows = _B.reshape(_B.arange(n, dtype="int32"), (n, 1))
    cols = _B.reshape(_B.arange(n, dtype="int32"), (1, n))
    on_diagonal = _B.equal(_B.subtract(cols, rows), k)
    source = _B.broadcast_to(rows if k >= 0 else cols, (n, n))
    values = _B.take(x, _B.clip(source, 0, max(length - 1, 0)), axis=0)
    return _B.where(on_diagonal, values, _B.zeros((), _B.dtype(x)))


@symbolic_or
def diagflat(x, k=0):
    """The 2-D matrix with the flattened `x` on diagonal `k`."""
    return diag.__wrapped__(_B.reshape(x, (-1,)), k)


@symbolic_or
def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of diagonal `offset` of the (axis1, axis2) planes."""
    return _B.sum(diagonal.__wrapped__(x, offset, axis1, axis2), axis=-1)


# --------------------------------------------------------------- lookup


@symbolic_or
def select(condlist, choicelist, default=0):
    """From `choicelist`, where the first true condition of `condlist` picks."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist has {len(condlist)} entries, choicelist "
                         f"{len(choicelist)}; they must have the same length")
    if not condlist:
        raise ValueError("select: condlist must not be empty")
    result = _B.convert_to_tensor(default)
    for condition, choice in zip(reversed(condlist), reversed(choicelist)):
        result = _B.where(condition, choice, result)
    return _B.broadcast_to(result, _B.shape(_B.where(condlist[0], choicelist[0], result)))


@symbolic_or
def digitize(x, bins):
    """The index of the bin of each value: i with bins[i-1] <= x < bins[i]
    (ascending `bins`), as int32."""
    return _B.searchsorted(bins, x, side="right")


@symbolic_or
def isin(x1, x2, assume_unique=False, invert=False):
    """True where an element of `x1` occurs in `x2`."""
    x1, x2 = _tensor(x1), _B.reshape(_tensor(x2), (-1,))
    found = _B.any(_B.equal(_B.expand_dims(x1, -1), x2), axis=-1)
    return _B.logical_not(found) if invert else found


@symbolic_or
def unravel_index(indices, shape):
    """The coordinates in an array of `shape` of each flat index: a tuple of tensors."""
    indices = _tensor(indices)
    coordinates = []
    for length in reversed(tuple(shape)):
        coordinates.append(_B.mod(indices, length))
        indices = _B.floor_divide(indices, length)
    return tuple(reversed(coordinates))


@symbolic_or
def argpartition(x, kth, axis=-1):
    """Indices that put the `kth` smallest entry along `axis` in its sorted
    place, smaller ones before it and larger ones after: a full stable sort,
    which is one such order."""
    x = _tensor(x)
    length = _B.shape(x)[axis]
    for k in (kth if isinstance(kth, (list, tuple)) else (kth,)):
        if not -length <= k < length:
            raise ValueError(f"argpartition: kth={k} is out of bounds for axis of length {length}")
    return _B.argsort(x, axis=axis)


get_item = getitem
