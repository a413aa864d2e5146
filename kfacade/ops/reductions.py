"""Reductions of ``keras.ops`` composed of the adapter's primitives: the
NaN-ignoring ones, quantiles, ``average``, ``ptp`` and ``count_nonzero``.

NumPy's semantics and shapes: `axis` is None (every axis), an int or a tuple;
`keepdims` keeps each reduced axis with length 1. Integer input of a
float result (means, quantiles) computes in floatx.
"""
import math

from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import is_float_dtype
from kfacade.ops._composite import floating as _floating, known_values, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = [
    "nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanargmax",
    "nanargmin", "nancumsum", "nancumprod", "ptp", "count_nonzero", "average", "quantile",
    "percentile", "median", "nanquantile", "nanpercentile", "nanmedian", "bincount",
    "histogram",
]


def _without_nan(x, fill):
    """`x` with each NaN replaced by `fill` (integers returned as they are)."""
    x = _tensor(x)
    if not is_float_dtype(_B.dtype(x)):
        return x
    return _B.where(_B.isnan(x), fill, x)


def _valid_count(x, axis, keepdims):
    """The number of non-NaN entries of float `x` over `axis`, in `x`'s dtype."""
    return _B.sum(_B.cast(_B.logical_not(_B.isnan(x)), _B.dtype(x)), axis=axis, keepdims=keepdims)


@symbolic_or
def nansum(x, axis=None, keepdims=False):
    """Sum over `axis`, NaNs counted as zero."""
    return _B.sum(_without_nan(x, 0), axis=axis, keepdims=keepdims)


@symbolic_or
def nanprod(x, axis=None, keepdims=False):
    """Product over `axis`, NaNs counted as one."""
    return _B.prod(_without_nan(x, 1), axis=axis, keepdims=keepdims)


@symbolic_or
def nanmean(x, axis=None, keepdims=False):
    """Mean of the non-NaN entries over `axis` (NaN where there are none)."""
    x = _floating(x)
    total = _B.sum(_without_nan(x, 0), axis=axis, keepdims=keepdims)
    return _B.divide(total, _valid_count(x, axis, keepdims))


@symbolic_or
def nanvar(x, axis=None, keepdims=False):
    """Population variance of the non-NaN entries over `axis`."""
    x = _floating(x)
    centred = _B.subtract(x, nanmean.__wrapped__(x, axis=axis, keepdims=True))
    squares = _B.sum(_without_nan(_B.square(centred), 0), axis=axis, keepdims=keepdims)
    return _B.divide(squares, _valid_count(x, axis, keepdims))


@symbolic_or
def nanstd(x, axis=None, keepdims=False):
    """Population standard deviation of the non-NaN entries over `axis`."""
    return _B.sqrt(nanvar.__wrapped__(x, axis=axis, keepdims=keepdims))


def _nan_extreme(reduce, fill, x, axis, keepdims):
    """`reduce` over the non-NaN entries; NaN where a slice has none."""
    x = _tensor(x)
    if not is_float_dtype(_B.dtype(x)):
        return reduce(x, axis=axis, keepdims=keepdims)
    extreme = reduce(_without_nan(x, fill), axis=axis, keepdims=keepdims)
    return _B.where(_B.all(_B.isnan(x), axis=axis, keepdims=keepdims), math.nan, extreme)


@symbolic_or
def nanmax(x, axis=None, keepdims=False):
    """Maximum over `axis` ignoring NaNs (NaN where a slice is all NaN)."""
    return _nan_extreme(_B.max, -math.inf, x, axis, keepdims)


@symbolic_or
def nanmin(x, axis=None, keepdims=False):
    """Minimum over `axis` ignoring NaNs (NaN where a slice is all NaN)."""
    return _nan_extreme(_B.min, math.inf, x, axis, keepdims)


@symbolic_or
def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum over `axis`, NaNs ignored."""
    index = _B.argmax(_without_nan(x, -math.inf), axis=axis)
    return _keep_index_dims(index, x, axis, keepdims)


@symbolic_or
def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum over `axis`, NaNs ignored."""
    index = _B.argmin(_without_nan(x, math.inf), axis=axis)
    return _keep_index_dims(index, x, axis, keepdims)


def _keep_index_dims(index, x, axis, keepdims):
    if not keepdims:
        return index
    ndim = len(_B.shape(_tensor(x)))
    return _B.reshape(index, (1,) * ndim) if axis is None else _B.expand_dims(index, axis)


@symbolic_or
def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum along `axis`, NaNs counted as zero."""
    x = _without_nan(x, 0)
    return _B.cumsum(x if dtype is None else _B.cast(x, dtype), axis=axis)


@symbolic_or
def nancumprod(x, axis=None, dtype=None):
    """Cumulative product along `axis`, NaNs counted as one."""
    x = _without_nan(x, 1)
    return _B.cumprod(x if dtype is None else _B.cast(x, dtype), axis=axis)


@symbolic_or
def ptp(x, axis=None, keepdims=False):
    """max - min over `axis` (peak to peak)."""
    return _B.subtract(_B.max(x, axis=axis, keepdims=keepdims), _B.min(x, axis=axis, keepdims=keepdims))


@symbolic_or
def count_nonzero(x, axis=None):
    """The number of non-zero entries over `axis`, as int32."""
    return _B.sum(_B.cast(_B.not_equal(_tensor(x), 0), "int32"), axis=axis)


@symbolic_or
def average(x, axis=None, weights=None):
    """The weighted mean over `axis`. `weights` has `x`'s shape, or is 1-D
    with the length of the one `axis`."""
    x = _floating(x)
    if weights is None:
        return _B.mean(x, axis=axis)
    weights = _B.cast(_tensor(weights), _B.dtype(x))
    x_shape, weights_shape = _B.shape(x), _B.shape(weights)
    if weights_shape != x_shape:
        if len(weights_shape) != 1 or not isinstance(axis, int):
            raise ValueError(
                "Axis must be specified when shapes of x and weights differ, and weights must "
                f"then be 1-D. Received: x.shape={x_shape}, weights.shape={weights_shape}, "
                f"axis={axis}")
        if weights_shape[0] != x_shape[axis]:
            raise ValueError(
                f"Length of weights {weights_shape[0]} differs from the length of x along "
                f"axis {axis} ({x_shape[axis]}).")
        broadcast = [1] * len(x_shape)
        broadcast[axis] = weights_shape[0]
        weights = _B.reshape(weights, tuple(broadcast))
    weighted = _B.sum(_B.multiply(x, weights), axis=axis)
    return _B.divide(weighted, _B.sum(_B.broadcast_to(weights, x_shape), axis=axis))


# --------------------------------------------------------------- quantiles

QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _rows(x, axis):
    """`x` with the reduced axes moved last and merged: (kept..., n), and the
    kept shape with and without `keepdims`."""
    shape = _B.shape(x)
    ndim = len(shape)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(sorted(a % ndim for a in ((axis,) if isinstance(axis, int) else axis)))
    kept = [a for a in range(ndim) if a not in axes]
    moved = _B.transpose(x, kept + list(axes)) if kept + list(axes) != list(range(ndim)) else x
    n = math.prod(shape[a] for a in axes)
    kept_shape = tuple(shape[a] for a in kept)
    keepdims_shape = tuple(1 if a in axes else shape[a] for a in range(ndim))
    return _B.reshape(moved, kept_shape + (n,)), kept_shape, keepdims_shape


def _quantile(x, q, axis, method, keepdims, ignore_nan):
    if method not in QUANTILE_METHODS:
        raise ValueError(f"Invalid value for `method`: {method!r}; expected one of {QUANTILE_METHODS}")
    x = _floating(x)
    q = _B.cast(_tensor(q), _B.dtype(x))
    q_shape = _B.shape(q)
    if len(q_shape) > 1:
        raise ValueError(f"`q` must be a scalar or 1-D; received shape {q_shape}")
    rows, kept_shape, keepdims_shape = _rows(x, axis)
    n = _B.shape(rows)[-1]
    has_nan = _B.any(_B.isnan(rows), axis=-1, keepdims=True)
    if ignore_nan:
        # NaNs sort last as +inf; positions count only the real entries.
        count = _B.sum(_B.cast(_B.logical_not(_B.isnan(rows)), _B.dtype(x)), axis=-1, keepdims=True)
        rows = _B.where(_B.isnan(rows), math.inf, rows)
    else:
        count = _B.full((1,) * len(_B.shape(rows)), float(n), _B.dtype(x))
    ordered = _B.sort(rows, axis=-1)
    position = _B.multiply(_B.subtract(count, 1.0), _B.reshape(q, (1,) * len(kept_shape) + (-1,)))
    batch = kept_shape + (_B.shape(position)[-1],)

    def at(index):
        index = _B.clip(_B.cast(index, "int32"), 0, max(n - 1, 0))
        return _B.take_along_axis(ordered, _B.broadcast_to(index, batch), axis=-1)

    below, above = _B.floor(position), _B.ceil(position)
    if method == "linear":
        low = at(below)
        result = _B.add(low, _B.multiply(_B.subtract(at(above), low), _B.subtract(position, below)))
    elif method == "lower":
        result = at(below)
    elif method == "higher":
        result = at(above)
    elif method == "midpoint":
        result = _B.multiply(_B.add(at(below), at(above)), 0.5)
    else:
        result = at(_B.round(position))
    if ignore_nan:
        result = _B.where(_B.equal(_B.broadcast_to(count, batch), 0), math.nan, result)
    else:
        result = _B.where(_B.broadcast_to(has_nan, batch), math.nan, result)
    # (kept..., k) -> (k, kept...): the quantiles' axis first, as NumPy puts it.
    result = _B.transpose(result, (len(batch) - 1,) + tuple(range(len(batch) - 1)))
    if keepdims:
        result = _B.reshape(result, (batch[-1],) + keepdims_shape)
    return _B.squeeze(result, axis=0) if len(q_shape) == 0 else result


@symbolic_or
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (q in [0, 1], a scalar or 1-D) over `axis`; a 1-D
    `q` puts its axis first, as NumPy does. NaN where a slice holds a NaN."""
    return _quantile(x, q, axis, method, keepdims, ignore_nan=False)


@symbolic_or
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` with `q` in percent."""
    return _quantile(x, _B.divide(_B.cast(_tensor(q), "float32"), 100.0), axis, method, keepdims,
                     ignore_nan=False)


@symbolic_or
def median(x, axis=None, keepdims=False):
    """The median over `axis`."""
    return _quantile(x, 0.5, axis, "linear", keepdims, ignore_nan=False)


@symbolic_or
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` of the non-NaN entries."""
    return _quantile(x, q, axis, method, keepdims, ignore_nan=True)


@symbolic_or
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``percentile`` of the non-NaN entries."""
    return _quantile(x, _B.divide(_B.cast(_tensor(q), "float32"), 100.0), axis, method, keepdims,
                     ignore_nan=True)


@symbolic_or
def nanmedian(x, axis=None, keepdims=False):
    """The median of the non-NaN entries over `axis`."""
    return _quantile(x, 0.5, axis, "linear", keepdims, ignore_nan=True)


# ---------------------------------------------------------------- counting


@symbolic_or
def bincount(x, weights=None, minlength=0, sparse=False):
    """How often each non-negative int of `x` occurs (summing `weights` instead
    of ones when given): length max(max(x) + 1, `minlength`). A 2-D `x` counts
    each row. Inside a traced step the values are unknown, so the length is
    `minlength` and larger values are not counted."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported: kfacade has no sparse tensors")
    x = _tensor(x)
    if len(_B.shape(x)) not in (1, 2):
        raise ValueError(f"bincount takes a 1-D or 2-D tensor; received shape {_B.shape(x)}")
    values = known_values(x)
    largest = None if values is None else (int(values.max()) if values.size else -1)
    if largest is None and minlength <= 0:
        raise ValueError("bincount inside a compiled step needs `minlength`: the counts' length "
                         "cannot depend on the values there")
    length = max(largest + 1 if largest is not None else 0, minlength)
    counted = _B.ones(_B.shape(x), "int32") if weights is None else _tensor(weights)
    inside = _B.logical_and(_B.greater_equal(x, 0), _B.less(x, length))
    counted = _B.where(inside, counted, _B.zeros((), _B.dtype(counted)))
    ids = _B.clip(_B.cast(x, "int32"), 0, max(length - 1, 0))
    if len(_B.shape(x)) == 2:  # row r's ids shifted to their own block of the counts
        rows = _B.shape(x)[0]
        ids = _B.add(ids, _B.reshape(_B.multiply(_B.arange(rows, dtype="int32"), length), (rows, 1)))
        flat = _B.segment_reduce(_B.reshape(counted, (-1,)), _B.reshape(ids, (-1,)), rows * length, "sum")
        return _B.reshape(flat, (rows, length))
    return _B.segment_reduce(counted, ids, length, "sum")


@symbolic_or
def histogram(x, bins=10, range=None):
    """``(counts, bin_edges)`` of 1-D `x` over `bins` equal bins spanning
    `range` (default: x's min and max); the last bin includes its right edge,
    values outside `range` are not counted (NumPy's rule)."""
    x = _floating(x)
    if len(_B.shape(x)) != 1:
        raise ValueError(f"histogram takes a 1-D tensor; received shape {_B.shape(x)}")
    if not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"`bins` must be a positive int; received {bins!r}")
    if range is not None:
        low, high = (_B.convert_to_tensor(float(v), _B.dtype(x)) for v in range)
    else:
        low, high = _B.min(x), _B.max(x)
    # An empty span widens by 0.5 on each side, as NumPy does.
    same = _B.equal(low, high)
    low, high = _B.where(same, _B.subtract(low, 0.5), low), _B.where(same, _B.add(high, 0.5), high)
    edges = _B.add(low, _B.multiply(_B.subtract(high, low),
                                   _B.divide(_B.arange(bins + 1, dtype=_B.dtype(x)), float(bins))))
    position = _B.floor(_B.multiply(_B.divide(_B.subtract(x, low), _B.subtract(high, low)), float(bins)))
    index = _B.clip(_B.cast(position, "int32"), 0, bins - 1)
    inside = _B.logical_and(_B.greater_equal(x, low), _B.less_equal(x, high))
    counts = _B.segment_reduce(_B.cast(inside, "int32"), index, bins, "sum")
    return counts, edges
