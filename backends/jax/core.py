"""The contract's ``core`` family over jax.lax: ``stop_gradient``, ``scan``,
scatters and segment reductions, and control flow."""
import collections

import jax
import jax.numpy as jnp
from jax.extend import core as jax_core

from kfacade.backend.contract import FAMILIES
from kfacade.backend.dtypes import dtype_range

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


# ------------------------------------------------------- scatter, segments

_SCATTER_METHODS = {"add": "add", "mul": "multiply", "max": "max", "min": "min"}


def scatter_update(inputs, indices, updates, reduction=None):
    inputs, indices = _t(inputs), _t(indices)
    updates = _t(updates).astype(inputs.dtype)
    at = inputs.at[tuple(indices[:, i] for i in range(indices.shape[-1]))]
    if reduction is None:
        return at.set(updates)
    return getattr(at, _SCATTER_METHODS[reduction])(updates)


_SEGMENT_FUNCTIONS = {"sum": jax.ops.segment_sum, "prod": jax.ops.segment_prod,
                      "max": jax.ops.segment_max, "min": jax.ops.segment_min}


def segment_reduce(data, segment_ids, num_segments, reduction):
    """jax.ops' segment functions; an empty max/min segment gets the dtype's
    finite bound (the contract's, TF's) instead of JAX's -inf/+inf."""
    data, segment_ids = _t(data), _t(segment_ids)
    result = _SEGMENT_FUNCTIONS[reduction](data, segment_ids, num_segments=num_segments)
    if reduction in ("max", "min"):
        counts = jax.ops.segment_sum(jnp.ones_like(segment_ids), segment_ids, num_segments=num_segments)
        lowest, highest = dtype_range(str(data.dtype))
        empty = (counts == 0).reshape((-1,) + (1,) * (data.ndim - 1))
        result = jnp.where(empty, lowest if reduction == "max" else highest, result)
    return result


# ------------------------------------------------------------ control flow


def _is_traced(value):
    return isinstance(value, jax.core.Tracer)


def cond(pred, true_fn, false_fn):
    if _is_traced(pred):
        return jax.lax.cond(pred, true_fn, false_fn)
    return true_fn() if bool(pred) else false_fn()


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    container = type(loop_vars) if isinstance(loop_vars, (list, tuple)) else None
    state = tuple(loop_vars) if container is not None else (loop_vars,)
    state = tuple(convert_to_tensor(v) for v in state)

    def as_tuple(outputs):
        return tuple(outputs) if container is not None else (outputs,)

    if maximum_iterations is None:
        final = jax.lax.while_loop(lambda s: cond(*s), lambda s: as_tuple(body(*s)), state)
    else:
        def counted_cond(s):
            return jnp.logical_and(cond(*s[:-1]), s[-1] < maximum_iterations)

        def counted_body(s):
            return as_tuple(body(*s[:-1])) + (s[-1] + 1,)

        final = jax.lax.while_loop(counted_cond, counted_body, state + (jnp.asarray(0, jnp.int32),))[:-1]
    return container(final) if container is not None else final[0]


def vectorized_map(function, elements):
    return jax.vmap(function)(elements)


def custom_gradient(f):
    @jax.custom_gradient
    def with_gradient(*args):
        outputs, grad = f(*args)
        return outputs, lambda upstream: tuple(grad(upstream))

    return with_gradient


def jvp(fun, primals, tangents, has_aux=False):
    return jax.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)


def remat(fn):
    """``jax.checkpoint``: the backward pass recomputes `fn`'s intermediates.

    Called on concrete arrays only, `fn` runs as it is: JAX records no
    gradient outside a transformation, and an eager ``jax.checkpoint`` call
    traces `fn` anew every time (1.3 ms for a remat Dense layer against
    0.1 ms). Inside ``jit``/``grad`` the arguments are tracers; one concrete
    input there (a constant fed to the first layer of a differentiated
    function) only gives up the memory saving, not a correct gradient.
    """
    checkpointed = jax.checkpoint(fn)

    def call(*args):
        if any(isinstance(arg, jax.core.Tracer) for arg in args):
            return checkpointed(*args)
        return fn(*args)

    return call


def nonzero(x):
    x = _t(x)
    if _is_traced(x):
        raise ValueError(
            "nonzero needs concrete values: its output length depends on them, "
            "and this call is being traced (jax.jit)")
    return tuple(i.astype("int32") for i in jnp.nonzero(x))
