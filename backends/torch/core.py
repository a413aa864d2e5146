"""The contract's ``core`` family on torch tensors: ``stop_gradient``, ``scan``,
scatters and segment reductions, and control flow."""
import torch
import torch.utils.checkpoint

from kfacade.backend.contract import FAMILIES
from kfacade.backend.dtypes import dtype_range

from ._helpers import Tensor, _t

__all__ = list(FAMILIES["core"])


def stop_gradient(x):
    if type(x) is not Tensor:
        x = _t(x)
    return x.detach()


# ------------------------------------------------------------------- loops


def scan(f, init, xs, length=None, reverse=False, unroll=1):
    """A Python loop over the leading axis (torch has no scan); `unroll` is ignored.

    Zero steps: see ``_scan_empty``.
    """
    container = type(init) if isinstance(init, (list, tuple)) else None
    carry = init
    xs_container = type(xs) if isinstance(xs, (list, tuple)) else None
    if xs is None:
        steps = None
    elif isinstance(xs, (list, tuple)):
        xs = [_t(x) for x in xs]
        steps = xs[0].shape[0] if xs else None
    else:
        xs = _t(xs)
        steps = xs.shape[0]
    if length is not None:
        if steps is not None and int(length) != steps:
            raise ValueError(
                f"scan: length={length} does not match the leading axis of xs ({steps})."
            )
        steps = int(length)
    if steps is None:
        raise ValueError("scan needs `xs` with a leading axis, or `length` when xs is None.")
    if steps == 0:
        return _scan_empty(f, init, xs, xs_container)
    ys = []
    for i in (range(steps - 1, -1, -1) if reverse else range(steps)):
        if xs is None:
            x = None
        elif xs_container is not None:
            x = [x[i] for x in xs] if xs_container is list else tuple(x[i] for x in xs)
        else:
            x = xs[i]
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if container is not None and not isinstance(carry, container):
        carry = container(carry)
    first = ys[0]
    if first is None:
        stacked = None
    elif isinstance(first, (list, tuple)):
        stacked = type(first)(torch.stack([_t(y[j]) for y in ys]) for j in range(len(first)))
    else:
        stacked = torch.stack([_t(y) for y in ys])
    return carry, stacked


def _scan_empty(f, init, xs, xs_container):
    """Zero steps: `init` back, and empty `ys` shaped by one probing call of `f`.

    `f` runs once, without gradient tracking, on `init` and zeros shaped as
    one step of `xs`; only the structure, dtypes and shapes of its `ys` are
    kept (JAX learns them by tracing `f` the same way).
    """
    if xs is None:
        probe = None
    elif xs_container is not None:
        probe = xs_container(torch.zeros(x.shape[1:], dtype=x.dtype, device=x.device) for x in xs)
    else:
        probe = torch.zeros(xs.shape[1:], dtype=xs.dtype, device=xs.device)
    with torch.no_grad():
        _, y = f(init, probe)

    def empty(value):
        value = _t(value)
        return torch.zeros((0, *value.shape), dtype=value.dtype, device=value.device)

    if y is None:
        return init, None
    if isinstance(y, (list, tuple)):
        return init, type(y)(empty(v) for v in y)
    return init, empty(y)


# ------------------------------------------------------- scatter, segments

_SCATTER_REDUCE = {"mul": "prod", "max": "amax", "min": "amin"}


def _flat_positions(indices, leading_shape):
    """Row-major positions in the flattened `leading_shape` of each index row
    (the strides are Python ints: no host-to-device copy per call)."""
    indices = indices.to(torch.int64)
    positions, stride = None, 1
    for axis in reversed(range(len(leading_shape))):
        term = indices[:, axis] * stride
        positions = term if positions is None else positions + term
        stride *= leading_shape[axis]
    return positions if positions is not None else indices.new_zeros(indices.shape[:1])


def _along_rows(index, like):
    """`index` (N,) broadcast over the trailing axes of `like` (N, ...)."""
    return index.view((-1,) + (1,) * (like.ndim - 1)).expand_as(like)


def scatter_update(inputs, indices, updates, reduction=None):
    inputs, indices = _t(inputs), _t(indices)
    updates = _t(updates).to(dtype=inputs.dtype, device=inputs.device)
    k = indices.shape[-1]
    trailing = tuple(inputs.shape[k:])
    flat = inputs.reshape((-1,) + trailing)
    rows = updates.reshape((-1,) + trailing)
    positions = _flat_positions(indices.to(inputs.device), tuple(inputs.shape[:k]))
    if reduction is None:
        result = flat.index_put((positions,), rows)
    elif reduction == "add":
        result = flat.index_put((positions,), rows, accumulate=True)
    else:
        result = flat.scatter_reduce(0, _along_rows(positions, rows), rows,
                                     reduce=_SCATTER_REDUCE[reduction], include_self=True)
    return result.reshape(inputs.shape)


def segment_reduce(data, segment_ids, num_segments, reduction):
    """``index_add`` for sums; ``scatter_reduce`` without the initial values for
    the others, which start from the contract's value of an empty segment."""
    data = _t(data)
    segment_ids = _t(segment_ids).to(device=data.device, dtype=torch.int64)
    shape = (num_segments,) + tuple(data.shape[1:])
    if reduction == "sum":
        return torch.zeros(shape, dtype=data.dtype, device=data.device).index_add(0, segment_ids, data)
    lowest, highest = dtype_range(str(data.dtype).replace("torch.", ""))
    empty_value = {"prod": 1, "max": lowest, "min": highest}[reduction]
    start = torch.full(shape, empty_value, dtype=data.dtype, device=data.device)
    reduce = {"prod": "prod", "max": "amax", "min": "amin"}[reduction]
    return start.scatter_reduce(0, _along_rows(segment_ids, data), data, reduce=reduce, include_self=False)


# ------------------------------------------------------------ control flow


def cond(pred, true_fn, false_fn):
    return true_fn() if bool(pred) else false_fn()


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """A Python loop (torch runs eagerly)."""
    container = type(loop_vars) if isinstance(loop_vars, (list, tuple)) else None
    state = tuple(_t(v) for v in (loop_vars if container is not None else (loop_vars,)))
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(cond(*state)):
        outputs = body(*state)
        state = tuple(outputs) if container is not None else (outputs,)
        steps += 1
    return container(state) if container is not None else state[0]


def vectorized_map(function, elements):
    return torch.vmap(function)(elements)


def custom_gradient(f):
    """A ``torch.autograd.Function`` per decorated function: `f` runs in its
    forward (no graph recorded), its `grad` in the backward."""

    class WithGradient(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            outputs, ctx.grad = f(*args)
            return outputs

        @staticmethod
        def backward(ctx, upstream):
            return tuple(ctx.grad(upstream))

    return lambda *args: WithGradient.apply(*args)


def jvp(fun, primals, tangents, has_aux=False):
    return torch.func.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)


def remat(fn):
    """``torch.utils.checkpoint.checkpoint`` (non-reentrant) when autograd
    records; with grad disabled (``no_grad``, inference) `fn` runs directly,
    as nothing would be saved for a backward pass anyway."""

    def rematerialized(*args):
        if torch.is_grad_enabled():
            return torch.utils.checkpoint.checkpoint(fn, *args, use_reentrant=False)
        return fn(*args)

    return rematerialized


def nonzero(x):
    if type(x) is not Tensor:
        x = _t(x)
    return tuple(i.to(torch.int32) for i in torch.nonzero(x, as_tuple=True))
