"""Scatters, slice updates and segment reductions (``keras.ops``' core and
math names): ``scatter``, ``scatter_update``, ``slice_update`` and
``segment_sum``/``_prod``/``_max``/``_min``.

Shapes are checked here, once, with Keras's wording; the adapters' native
scatter kernels would otherwise fail with five different messages or, for
out-of-range segment ids, drop rows silently on one framework and raise on
another.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.state import in_compiled_step_trace
from kfacade.ops._composite import host_values, known_values, tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["scatter", "scatter_update", "slice_update", "segment_sum", "segment_prod",
           "segment_max", "segment_min"]

SCATTER_REDUCTIONS = (None, "add", "max", "min", "mul")


def _check_scatter(inputs_shape, indices, updates):
    indices_shape, updates_shape = _B.shape(indices), _B.shape(updates)
    if len(indices_shape) != 2 or indices_shape[1] > len(inputs_shape):
        raise ValueError(
            f"`indices` must have shape (num_updates, k) with k <= {len(inputs_shape)} (the rank "
            f"of `inputs`); received indices.shape={indices_shape}")
    expected = (indices_shape[0],) + tuple(inputs_shape[indices_shape[1]:])
    if tuple(updates_shape) != expected:
        raise ValueError(
            f"`updates` must have shape {expected} for indices.shape={indices_shape} and "
            f"inputs.shape={tuple(inputs_shape)}; received updates.shape={tuple(updates_shape)}")


def _indices(indices):
    indices = _tensor(indices)
    return indices if _B.dtype(indices).startswith(("int", "uint")) else _B.cast(indices, "int32")


@symbolic_or
def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with ``inputs[indices] = updates`` (or combined by `reduction`:
    "add", "mul", "max", "min"). `indices` is ``(num_updates, k)``; `updates`
    is ``(num_updates,) + inputs.shape[k:]``."""
    if isinstance(reduction, str):
        reduction = reduction.lower()
    if reduction not in SCATTER_REDUCTIONS:
        raise ValueError(
            f"Invalid reduction: {reduction}. Supported values are: None, 'add', 'max', 'min', 'mul'.")
    inputs, indices, updates = _tensor(inputs), _indices(indices), _tensor(updates)
    _check_scatter(_B.shape(inputs), indices, updates)
    return _B.scatter_update(inputs, indices, updates, reduction)


@symbolic_or
def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (repeated
    indices sum)."""
    indices, values = _indices(indices), _tensor(values)
    shape = tuple(int(d) for d in shape)
    _check_scatter(shape, indices, values)
    return _B.scatter_update(_B.zeros(shape, _B.dtype(values)), indices, values, "add")


def _static_ints(values, what):
    """`values` as Python ints; they must be known where the op is traced."""
    try:
        return [int(v) for v in (_B.convert_to_numpy(_tensor(values)).reshape(-1)
                                 if not isinstance(values, (list, tuple)) else values)]
    except Exception as error:  # a traced tensor cannot become a Python int
        raise ValueError(f"{what} must be known before the step runs (Python ints); "
                         f"received {values!r}") from error


@symbolic_or
def slice_update(inputs, start_indices, updates):
    """`inputs` with the block of `updates` written at `start_indices`."""
    inputs, updates = _tensor(inputs), _tensor(updates)
    starts = _static_ints(start_indices, "slice_update's start_indices")
    shape, block = _B.shape(inputs), _B.shape(updates)
    if len(starts) != len(shape) or len(block) != len(shape):
        raise ValueError(
            f"slice_update: start_indices ({len(starts)} values) and updates (shape {block}) "
            f"must match the rank of inputs (shape {shape})")
    if any(s < 0 or s + b > n for s, b, n in zip(starts, block, shape)):
        raise ValueError(
            f"slice_update: updates of shape {block} at start_indices {starts} do not fit in "
            f"inputs of shape {shape}")
    widths = [(s, n - s - b) for s, b, n in zip(starts, block, shape)]
    placed = _B.pad(_B.cast(updates, _B.dtype(inputs)), widths)
    inside = _B.pad(_B.ones(block, "int32"), widths)
    return _B.where(_B.not_equal(inside, 0), placed, inputs)


def _segment(reduction, data, segment_ids, num_segments):
    data, segment_ids = _tensor(data), _indices(segment_ids)
    if len(_B.shape(segment_ids)) != 1 or _B.shape(segment_ids)[0] != _B.shape(data)[0]:
        raise ValueError(
            f"segment_ids must be 1-D with one id per row of data: received "
            f"segment_ids.shape={_B.shape(segment_ids)}, data.shape={_B.shape(data)}")
    # The ids' range is checked where reading them is free (host_values); without
    # num_segments the ids must be read, wherever they are.
    if in_compiled_step_trace():
        known = None
    elif num_segments is None:
        known = known_values(segment_ids)
    else:
        known = host_values(segment_ids)
    if num_segments is None:
        if known is None:
            raise ValueError("num_segments must be given when segment_ids are traced tensors")
        num_segments = int(known.max()) + 1 if known.size else 0
    if known is not None and known.size and (known.min() < 0 or known.max() >= num_segments):
        raise ValueError(
            f"segment_ids must lie in [0, num_segments={num_segments}); received ids from "
            f"{int(known.min())} to {int(known.max())}")
    return _B.segment_reduce(data, segment_ids, int(num_segments), reduction)


@symbolic_or
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """The sum of the rows of `data` in each segment (0 for an empty one)."""
    return _segment("sum", data, segment_ids, num_segments)


@symbolic_or
def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """The product of the rows of `data` in each segment (1 for an empty one)."""
    return _segment("prod", data, segment_ids, num_segments)


@symbolic_or
def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The maximum of the rows of `data` in each segment (the dtype's lowest
    finite value for an empty one)."""
    return _segment("max", data, segment_ids, num_segments)


@symbolic_or
def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """The minimum of the rows of `data` in each segment (the dtype's highest
    finite value for an empty one)."""
    return _segment("min", data, segment_ids, num_segments)
