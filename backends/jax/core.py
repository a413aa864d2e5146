"""The contract's ``core`` family over jax.lax: ``stop_gradient`` and ``scan``."""
import jax

from kfacade.backend.contract import FAMILIES

from ._helpers import _t
from .variables import convert_to_tensor

__all__ = list(FAMILIES["core"])


def stop_gradient(x):
    return jax.lax.stop_gradient(_t(x))


# ------------------------------------------------------------------- loops


def scan(f, init, xs, length=None, reverse=False, unroll=1):
    container = type(init) if isinstance(init, list | tuple) else None
    if container is not None:
        init = tuple(convert_to_tensor(c) for c in init)
    else:
        init = convert_to_tensor(init)
    if isinstance(xs, list | tuple):
        xs = type(xs)(convert_to_tensor(x) for x in xs)
    elif xs is not None:
        xs = convert_to_tensor(xs)

    def body(carry, x):
        new_carry, y = f(container(carry) if container is not None else carry, x)
        if container is not None:
            new_carry = tuple(new_carry)
        return new_carry, y

    carry, ys = jax.lax.scan(body, init, xs, length=length, reverse=reverse, unroll=unroll)
    return (container(carry) if container is not None else carry), ys
