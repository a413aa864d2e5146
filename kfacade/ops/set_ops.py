"""Ops whose output shapes depend on values: ``unique`` and ``nonzero``.

``unique`` is a composite (sort, compare, cumsum, segment reductions): with
``size`` its shape is fixed and it traces inside a compiled step, as
``jnp.unique(size=...)``; without ``size`` it learns the count of unique
values from the adapter's ``nonzero``, which refuses traced values, so a
compiled step gets one clear error naming ``size`` on every backend.
``nonzero`` is the adapter's eager primitive.
"""
from kfacade.backend.active import adapter as _B
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.ops._composite import tensor as _tensor
from kfacade.ops.dispatch import symbolic_or
from kfacade import tree

__all__ = ["unique", "nonzero"]

_TRACED = "nonzero needs concrete values"


def nonzero(x):
    """The indices of the nonzero entries of `x`, as ``numpy.nonzero``.

    Returns:
        A tuple of ``x.ndim`` int32 1-D tensors, one per axis.

    Its length depends on the values, so it runs eagerly only: on a
    symbolic or traced value (a functional graph, ``jax.jit``,
    ``tf.function``) it raises a ValueError.
    """
    if any(isinstance(a, KerasTensor) for a in tree.flatten(x)):
        raise ValueError(
            "nonzero's output shape depends on the values of `x`: it cannot be called "
            "on a symbolic KerasTensor")
    x = _tensor(x)
    if len(_B.shape(x)) == 0:
        raise ValueError(
            "Calling nonzero on 0d arrays is not allowed. Use x[None] or atleast_1d(x)")
    return tuple(_B.nonzero(x))


def _dense_groups(v, n):
    """For the 1-D `v` of length `n`: ``(perm, group, is_first)``, where
    ``v[perm]`` is sorted, ``group[i]`` the rank of ``v[perm[i]]`` among the
    distinct values, and ``is_first`` marks each group's first entry."""
    perm = _B.argsort(v)
    ordered = _B.take(v, perm, axis=0)
    changed = _B.not_equal(_B.slice(ordered, (1,), (n - 1,)), _B.slice(ordered, (0,), (n - 1,)))
    is_first = _B.concatenate([_B.ones((1,), "bool"), changed], axis=0)
    group = _B.subtract(_B.cumsum(_B.cast(is_first, "int32"), axis=0), 1)
    return perm, group, is_first


def _invert(perm, values, n):
    """``out`` with ``out[perm[i]] = values[i]``."""
    return _B.scatter_update(_B.zeros((n,), "int32"), _B.reshape(perm, (n, 1)), values)


def _row_keys(rows, n):
    """A 1-D int32 key per row of the 2-D `rows`, ordered as the rows are
    lexicographically: columns are ranked one at a time and folded into the
    key, which is re-ranked each time so that it stays below ``n``."""
    key = _B.zeros((n,), "int32")
    for column in range(_B.shape(rows)[1]):
        values = _B.reshape(_B.slice(rows, (0, column), (n, 1)), (n,))
        perm, group, _ = _dense_groups(values, n)
        rank = _invert(perm, group, n)
        perm, group, _ = _dense_groups(_B.add(_B.multiply(key, n), rank), n)
        key = _invert(perm, group, n)
    return key


def _fit(x, length, fill):
    """`x` cut or padded (with `fill`) along axis 0 to `length`."""
    have = _B.shape(x)[0]
    if length <= have:
        return _B.slice(x, (0,) * len(_B.shape(x)), (length,) + tuple(_B.shape(x)[1:]))
    pad = _B.full((length - have,) + tuple(_B.shape(x)[1:]), fill, _B.dtype(x))
    return _B.concatenate([x, pad], axis=0)


@symbolic_or
def _unique_fixed(x, sorted, return_index, return_inverse, return_counts, axis, size,
                  fill_value):
    return _unique(x, return_index, return_inverse, return_counts, axis, size, fill_value)


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """The unique elements of `x`, sorted (``numpy.unique``).

    Args:
        x: the input tensor.
        sorted: accepted for Keras's signature; the result is always sorted
            (NumPy allows any order when False).
        return_index: also return the index of each unique value's first
            occurrence in `x` (along `axis`).
        return_inverse: also return the indices into the result that rebuild
            `x` (`x`'s shape when `axis` is None, else 1-D).
        return_counts: also return how often each unique value occurs.
        axis: None flattens `x`; an int treats the slices along it as the
            elements.
        size: a fixed length for the results: shorter results are padded
            (values with `fill_value`, indices with the first unique value's,
            counts with 0), longer ones cut. Required inside a compiled step.
        fill_value: the padding value (default 0).

    Returns:
        The unique values, or a tuple with the requested extras in the order
        values, index, inverse, counts (int32).
    """
    if size is None:
        if any(isinstance(a, KerasTensor) for a in tree.flatten(x)):
            raise ValueError(_size_hint("called on a symbolic KerasTensor"))
        return _unique(x, return_index, return_inverse, return_counts, axis, None, fill_value)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"unique's `size` must be a non-negative int; received {size!r}")
    return _unique_fixed(x, sorted, return_index, return_inverse, return_counts, axis, size,
                         fill_value)


def _size_hint(context):
    return (f"unique's output shape depends on the values of `x` and it was {context}: "
            "pass `size=` (and optionally `fill_value=`) for a fixed-size result")


def _moved_back(axis, ndim):
    """The permutation that returns axis 0 to `axis` (undoing the move to the front)."""
    return tuple(range(1, axis + 1)) + (0,) + tuple(range(axis + 1, ndim))


def _unique(x, return_index, return_inverse, return_counts, axis, size, fill_value):
    x = _tensor(x)
    shape = tuple(_B.shape(x))
    if axis is None:
        moved, element_shape = _B.reshape(x, (-1,)), ()
    else:
        if not -len(shape) <= axis < len(shape):
            raise ValueError(f"axis {axis} is out of bounds for array of dimension {len(shape)}")
        axis %= len(shape)
        order = (axis,) + tuple(a for a in range(len(shape)) if a != axis)
        moved = _B.transpose(x, order)
        element_shape = tuple(_B.shape(moved))[1:]
    n = _B.shape(moved)[0]
    if n == 0:
        return _empty(moved, size, fill_value, return_index, return_inverse, return_counts,
                      axis, shape)
    rows = _B.reshape(moved, (n, -1)) if axis is not None else None
    key = moved if axis is None else _row_keys(rows, n)
    perm, group, is_first = _dense_groups(key, n)
    if size is None:
        try:
            count = _B.shape(_B.nonzero(is_first)[0])[0]
        except ValueError as error:
            if _TRACED not in str(error):
                raise
            raise ValueError(_size_hint("traced into a compiled function")) from None
        size = count
    else:
        count = _B.sum(_B.cast(is_first, "int32"))
    valid = _B.less(_B.arange(0, n, 1, "int32"), count)
    positions = _B.arange(0, n, 1, "int32")
    first = _B.segment_reduce(positions, group, n, "min")   # sorted position of each group
    first = _B.where(valid, first, _B.zeros((), "int32"))
    values = _B.take(_B.take(moved, perm, axis=0), first, axis=0)
    if fill_value is None:
        fill_value = 0
    fill = _B.full((), fill_value, _B.dtype(values))
    mask = _B.reshape(valid, (n,) + (1,) * len(element_shape))
    values = _fit(_B.where(mask, values, fill), size, fill_value)
    if axis is not None:
        values = _B.transpose(values, _moved_back(axis, len(shape)))
    results = [values]
    if return_index:
        index = _B.segment_reduce(_B.cast(perm, "int32"), group, n, "min")
        index = _B.where(valid, index, _B.slice(index, (0,), (1,)))
        results.append(_fit(index, size, 0))
    if return_inverse:
        inverse = _invert(perm, group, n)
        results.append(_B.reshape(inverse, shape) if axis is None else inverse)
    if return_counts:
        counts = _B.segment_reduce(_B.ones((n,), "int32"), group, n, "sum")
        results.append(_fit(counts, size, 0))
    return results[0] if len(results) == 1 else tuple(results)


def _empty(moved, size, fill_value, return_index, return_inverse, return_counts, axis, shape):
    """``unique`` of an input with no elements along the unique axis."""
    length = size or 0
    element_shape = tuple(_B.shape(moved))[1:]
    values = _B.full((length,) + element_shape, 0 if fill_value is None else fill_value,
                     _B.dtype(moved))
    if axis is not None:
        values = _B.transpose(values, _moved_back(axis, len(shape)))
    results = [values]
    if return_index:
        results.append(_B.zeros((length,), "int32"))
    if return_inverse:
        results.append(_B.zeros(shape if axis is None else (0,), "int32"))
    if return_counts:
        results.append(_B.zeros((length,), "int32"))
    return results[0] if len(results) == 1 else tuple(results)
