"""Function transforms of ``keras.ops``: ``jvp`` (forward-mode derivative)
and ``vectorize`` (NumPy's ``vectorize`` with ``signature``, over the
adapter's ``vectorized_map``).
"""
import math
import re

import numpy as np

from kfacade import tree
from kfacade.backend.active import adapter as _B
from kfacade.variables import Variable

__all__ = ["jvp", "vectorize"]


def _as_tensor(value):
    return value.value if isinstance(value, Variable) else _B.convert_to_tensor(value)


def jvp(fun, primals, tangents, has_aux=False):
    """The value of ``fun(*primals)`` and its directional derivative along
    `tangents` (a Jacobian-vector product, forward mode).

    Args:
        fun: a function of ``len(primals)`` arguments returning a tensor or a
            nest of tensors (``(output, aux)`` with `has_aux`).
        primals: a tuple or list of the arguments (tensors or nests).
        tangents: a tuple or list of one structure and shapes as `primals`.
        has_aux: whether `fun` also returns an auxiliary value, passed
            through undifferentiated.

    Returns:
        ``(primals_out, tangents_out)``, or ``(primals_out, tangents_out,
        aux)`` with `has_aux`.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            "primal and tangent arguments to jvp must be tuples or lists; found "
            f"{type(primals).__name__} and {type(tangents).__name__}")
    try:
        tree.assert_same_structure(tuple(primals), tuple(tangents))
    except (ValueError, TypeError) as error:
        raise ValueError(
            "primal and tangent arguments to jvp must have the same tree structure; "
            f"{error}") from None
    primals = tree.map_structure(_as_tensor, tuple(primals))
    tangents = tree.map_structure(_as_tensor, tuple(tangents))
    for p, t in zip(tree.flatten(primals), tree.flatten(tangents)):
        if tuple(_B.shape(p)) != tuple(_B.shape(t)):
            raise ValueError(
                "jvp called with different primal and tangent shapes: "
                f"{tuple(_B.shape(p))} and {tuple(_B.shape(t))}")
    return _B.jvp(fun, primals, tangents, has_aux=has_aux)


# ---------------------------------------------------------------- vectorize

_CORE = r"\((?:\w+(?:,\w+)*)?\)"
_CORES = rf"{_CORE}(?:,{_CORE})*"
_SIGNATURE = re.compile(rf"^{_CORES}->{_CORES}$")


def _parse_signature(signature):
    """``"(m,n),(n)->(m)"`` to ``([("m", "n"), ("n",)], [("m",)])``."""
    compact = re.sub(r"\s+", "", signature)
    if not _SIGNATURE.match(compact):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    inputs, outputs = compact.split("->")
    parse = lambda part: [tuple(re.findall(r"\w+", core)) for core in re.findall(_CORE, part)]
    return parse(inputs), parse(outputs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` turned into a function that broadcasts over leading axes, as
    ``numpy.vectorize``: NumPy's broadcasting for an elementwise `pyfunc`, or
    a generalized-ufunc `signature` (``"(n),(n)->()"``) naming the trailing
    core axes each argument and output has. The loop axes are flattened into
    one and mapped with ``vectorized_map`` (``jax.vmap``,
    ``tf.vectorized_map``, ``torch.vmap``).

    Args:
        pyfunc: the function of one element (or one core block).
        excluded: a set of positional-argument indices passed to `pyfunc`
            unchanged. Keyword arguments are always passed unchanged.
        signature: the gufunc signature, or None for scalar cores.

    Returns:
        The vectorized function.
    """
    excluded = frozenset(excluded or ())
    for position in excluded:
        if not isinstance(position, int) or isinstance(position, bool):
            raise ValueError(
                f"vectorize excludes positional arguments by index; received {position!r}")
    if signature is not None:
        in_cores, out_cores = _parse_signature(signature)
    else:
        in_cores, out_cores = None, None
    where = f" on vectorized function with excluded={set(excluded)} and signature={signature!r}"

    def wrapped(*args, **kwargs):
        mapped = [i for i in range(len(args)) if i not in excluded]
        values = [_as_tensor(args[i]) for i in mapped]
        cores = in_cores if in_cores is not None else [()] * len(values)
        if len(cores) != len(values):
            raise TypeError(
                f"wrong number of positional arguments: expected {len(cores)}, "
                f"got {len(values)}{where}")
        sizes, loop_shapes = {}, []
        for value, core in zip(values, cores):
            shape = tuple(_B.shape(value))
            if len(shape) < len(core):
                raise ValueError(
                    f"input with shape {shape} does not have enough dimensions for all "
                    f"core dimensions {core}{where}")
            loop_shapes.append(shape[:len(shape) - len(core)])
            for name, size in zip(core, shape[len(shape) - len(core):]):
                if sizes.setdefault(name, size) != size:
                    raise ValueError(
                        f"inconsistent size for core dimension {name!r}: {size} vs "
                        f"{sizes[name]}{where}")
        try:
            loop_shape = np.broadcast_shapes(*loop_shapes) if loop_shapes else ()
        except ValueError:
            raise ValueError(
                f"vectorize cannot broadcast the loop dimensions {loop_shapes}{where}") from None
        count = math.prod(loop_shape)

        def call(elements):
            full = list(args)
            for i, element in zip(mapped, elements):
                full[i] = element
            return pyfunc(*full, **kwargs)

        if not loop_shape:
            outputs = call(values)
        else:
            flat = []
            for value, core in zip(values, cores):
                shape = tuple(_B.shape(value))
                core_shape = shape[len(shape) - len(core):]
                value = _B.broadcast_to(value, tuple(loop_shape) + core_shape)
                flat.append(_B.reshape(value, (count,) + core_shape))
            stacked = _B.vectorized_map(call, tuple(flat))
            outputs = tree.map_structure(
                lambda o: _B.reshape(o, tuple(loop_shape) + tuple(_B.shape(o))[1:]), stacked)
        if out_cores is not None:
            _check_outputs(outputs, out_cores, sizes, len(loop_shape), where)
        return outputs

    wrapped.__name__ = getattr(pyfunc, "__name__", "vectorized")
    wrapped.__doc__ = getattr(pyfunc, "__doc__", None)
    return wrapped


def _check_outputs(outputs, out_cores, sizes, loop_rank, where):
    """Raises unless `outputs` have the signature's count and core dimensions."""
    if len(out_cores) == 1:
        outputs = (outputs,)
    elif not isinstance(outputs, (tuple, list)) or len(outputs) != len(out_cores):
        raise ValueError(
            f"output must be a tuple of {len(out_cores)} tensors{where}")
    for output, core in zip(outputs, out_cores):
        shape = tuple(_B.shape(output))[loop_rank:]
        if len(shape) != len(core):
            raise ValueError(f"output shape {shape} does not match core dimensions {core}{where}")
        for name, size in zip(core, shape):
            if sizes.setdefault(name, size) != size:
                raise ValueError(
                    f"inconsistent size for core dimension {name!r}: {size} vs {sizes[name]}{where}")
