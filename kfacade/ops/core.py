"""Core ops (``keras.ops.core``): conversion, casting, loops, gradients stops."""
import functools
import inspect

from kfacade.engine.keras_tensor import KerasTensor
from kfacade.variables import Variable
from kfacade.backend.active import adapter as _B
from kfacade.backend.dtypes import standardize_dtype
from kfacade.ops._composite import slice_axis
from kfacade.ops.dispatch import make_op
from kfacade import tree

scan = make_op("scan")
stop_gradient = make_op("stop_gradient")
_cast = make_op("cast")


def cast(x, dtype):
    """`x` converted to `dtype`."""
    return _cast(x, standardize_dtype(dtype))


def convert_to_tensor(x, dtype=None):
    """A native tensor of the active backend from an array, scalar or Variable."""
    return _B.convert_to_tensor(x, dtype=standardize_dtype(dtype))


def convert_to_numpy(x):
    """A NumPy array of the values of `x`."""
    if isinstance(x, Variable):
        return x.numpy()
    return _B.convert_to_numpy(x)


def is_tensor(x):
    """True if `x` is a native tensor of the active backend."""
    return _B.is_tensor(x)


def dtype(x):
    """The dtype name of `x`."""
    if isinstance(x, (KerasTensor, Variable)):
        return x.dtype
    return _B.dtype(_B.convert_to_tensor(x))


# ------------------------------------------------------------ control flow


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if `pred` holds, else ``false_fn()``; inside a compiled
    step `pred` may be a tensor, and both functions must then return the same
    structure, shapes and dtypes."""
    return _B.cond(pred, true_fn, false_fn)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``, at most
    `maximum_iterations` times; returns the final loop variables."""
    return _B.while_loop(cond, body, loop_vars, maximum_iterations=maximum_iterations)


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for i from `lower` to `upper` - 1; returns `val`.

    With Python-int bounds the loop is a ``scan`` of known length, which
    every framework differentiates (``jax.lax.while_loop`` cannot be);
    tensor bounds give a ``while_loop``.
    """
    counter = _B.convert_to_tensor(lower, "int32")
    if isinstance(lower, int) and isinstance(upper, int):
        flat = tree.flatten(init_val)

        def step(carry, _):
            i, values = carry[0], tree.pack_sequence_as(init_val, list(carry[1:]))
            return [_B.add(i, 1)] + tree.flatten(body_fun(i, values)), i

        carry, _ = _B.scan(step, [counter] + [_B.convert_to_tensor(v) for v in flat], None,
                           length=max(upper - lower, 0))
        return tree.pack_sequence_as(init_val, list(carry[1:]))
    _, value = _B.while_loop(
        lambda i, value: _B.less(i, upper),
        lambda i, value: (_B.add(i, 1), body_fun(i, value)),
        (counter, init_val))
    return value


def switch(index, branches, *operands):
    """``branches[index](*operands)``, `index` clamped to the branches' range
    (as ``jax.lax.switch``); a traced `index` chooses at run time."""
    if not branches:
        raise ValueError("switch needs at least one branch")
    last = len(branches) - 1

    def choose(i):
        if i == last:
            return branches[i](*operands)
        return _B.cond(_B.less_equal(index, i), lambda: branches[i](*operands), lambda: choose(i + 1))

    return choose(0)


def map(f, xs):
    """``f`` over the leading axis of `xs` (a tensor or a list of tensors),
    the results stacked: one step at a time (``scan``), not vectorised."""
    _, ys = _B.scan(lambda carry, x: (carry, f(x)), [_B.zeros((), "int32")], xs)
    return ys


def vectorized_map(function, elements):
    """``function`` over the leading axis of `elements`, vectorised by the
    framework (``jax.vmap``, ``tf.vectorized_map``, ``torch.vmap``)."""
    return _B.vectorized_map(function, tree.map_structure(_B.convert_to_tensor, elements))


def custom_gradient(f):
    """Decorates `f`, which returns ``(outputs, grad)``, so that its gradient is
    ``grad``'s: Keras 3's ``ops.custom_gradient``.

    ``grad`` receives the upstream gradient as Keras's documented form
    ``def grad(*args, upstream=None)`` takes it on every backend: by keyword
    when it has an ``upstream`` parameter (what Keras's torch backend passes),
    else positionally (what its JAX and TensorFlow backends pass). It returns
    one gradient, or a tuple with one per argument of `f`.

    Example:
        >>> @ops.custom_gradient
        ... def log1pexp(x):
        ...     e = ops.exp(x)
        ...     def grad(*args, upstream=None):
        ...         if upstream is None:
        ...             (upstream,) = args
        ...         return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))
        ...     return ops.log(1 + e), grad
    """
    def uniform(*args):
        outputs, grad = f(*args)
        by_keyword = "upstream" in inspect.signature(grad).parameters

        def grad_tuple(upstream):
            grads = grad(upstream=upstream) if by_keyword else grad(upstream)
            return tuple(grads) if isinstance(grads, (list, tuple)) else (grads,)

        return outputs, grad_tuple

    with_gradient = _B.custom_gradient(uniform)

    @functools.wraps(f)
    def call(*args):
        # Variables enter as their values: the framework differentiates tensors.
        return with_gradient(*(a.value if isinstance(a, Variable) else a for a in args))

    return call


def associative_scan(f, elems, reverse=False, axis=0):
    """The inclusive scan of `elems` (a tensor or a structure of tensors of
    one length along `axis`) under the associative `f`: output i is
    ``f(... f(elems[0], elems[1]) ..., elems[i])`` (from the end with
    `reverse`), as ``jax.lax.associative_scan``.

    `f(a, b)` combines whole slices (a earlier, b later) elementwise. The
    scan takes log2(length) rounds of `f` over shifted slices (Hillis and
    Steele), a fixed amount of work that traces in a compiled step.
    """
    leaves = [_B.convert_to_tensor(leaf) for leaf in tree.flatten(elems)]
    if not leaves:
        raise ValueError("associative_scan needs at least one tensor in `elems`")
    lengths = {_B.shape(leaf)[axis] for leaf in leaves}
    if len(lengths) != 1:
        raise ValueError(
            f"Array inputs to associative_scan must have the same length along axis {axis}; "
            f"received lengths {sorted(lengths)}")
    (length,) = lengths
    if reverse:
        leaves = [_B.flip(leaf, axis=axis) for leaf in leaves]
    offset = 1
    while offset < length:
        earlier = [slice_axis(leaf, axis, 0, length - offset) for leaf in leaves]
        later = [slice_axis(leaf, axis, offset, length - offset) for leaf in leaves]
        combined = tree.flatten(f(tree.pack_sequence_as(elems, earlier),
                                  tree.pack_sequence_as(elems, later)))
        leaves = [_B.concatenate([slice_axis(leaf, axis, 0, offset), new], axis=axis)
                  for leaf, new in zip(leaves, combined)]
        offset *= 2
    if reverse:
        leaves = [_B.flip(leaf, axis=axis) for leaf in leaves]
    return tree.pack_sequence_as(elems, leaves)
