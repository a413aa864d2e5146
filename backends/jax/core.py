"""The contract's ``core`` family over jax.lax: ``stop_gradient`` and ``scan``."""
import collections

import jax
from jax.extend import core as jax_core

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

    def run(init, xs):
        return jax.lax.scan(body, init, xs, length=length, reverse=reverse, unroll=unroll)

    carry, ys = _run_eager_compiled_once(run, init, xs)
    return (container(carry) if container is not None else carry), ys


#: Compiled eager scans by the text of their jaxpr, most recently used last.
_EAGER_SCANS = collections.OrderedDict()
_EAGER_SCANS_KEPT = 64


def _run_eager_compiled_once(run, *args):
    """``run(*args)``, where run is one ``jax.lax.scan``, compiled once per structure.

    Eagerly, ``lax.scan`` traces its body into a new jaxpr on every call, and
    JAX then compiles the scan again (about 100 ms for an LSTM step, on every
    eager ``layer(x)``). Here the scan is traced once per call into a jaxpr
    whose closed-over arrays (the weights) are hoisted out as arguments; calls
    whose jaxpr prints the same (same ops, shapes, dtypes and Python scalar
    literals) share one compiled function, fed each call's own arrays. Inside a
    trace (jit, grad) the scan is left to the enclosing computation.
    """
    leaves, in_tree = jax.tree_util.tree_flatten(args)
    if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
        return run(*args)
    closed, out_shapes = jax.make_jaxpr(run, return_shape=True)(*args)
    if any(isinstance(const, jax.core.Tracer) for const in closed.consts) or _has_array_literal(
            closed.jaxpr):
        return run(*args)
    key = (str(closed.jaxpr), in_tree)
    compiled = _EAGER_SCANS.pop(key, None)
    if compiled is None:
        jaxpr = closed.jaxpr

        def evaluate(consts, flat_args):
            return jax_core.jaxpr_as_fun(jax_core.ClosedJaxpr(jaxpr, consts))(*flat_args)

        compiled = jax.jit(evaluate)
    _EAGER_SCANS[key] = compiled
    while len(_EAGER_SCANS) > _EAGER_SCANS_KEPT:
        _EAGER_SCANS.popitem(last=False)
    flat_out = compiled(list(closed.consts), leaves)
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(out_shapes), flat_out)


def _has_array_literal(jaxpr):
    """Whether `jaxpr` (or one nested in it) inlines a non-scalar constant,
    whose printed form need not show every value: such a jaxpr is no cache key."""
    for eqn in jaxpr.eqns:
        for var in eqn.invars:
            if isinstance(var, jax_core.Literal) and getattr(var.aval, "shape", ()) != ():
                return True
    return any(_has_array_literal(sub) for sub in jax_core.subjaxprs(jaxpr))
