"""The contract's ``core`` family on torch tensors: ``stop_gradient`` and ``scan``."""
import torch

from kfacade.backend.contract import FAMILIES

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
