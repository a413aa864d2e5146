"""How a ``kfacade.ops`` function reaches the adapter.

Eager call: one check for symbolic arguments, then the adapter's function
on the native tensors (no wrapper objects, no conversion here). Symbolic
call: the op becomes a graph node whose output shape is inferred.
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend import contract
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import has_symbolic, symbolic_op


def make_op(name, impl=None, doc=None):
    """The public op `name`: dispatches to `impl` (default: the adapter's `name`).

    The docstring is the contract's unless `doc` is given.
    """
    impl = impl if impl is not None else getattr(_B, name)

    def op(*args, **kwargs):
        for arg in args:
            if type(arg) is KerasTensor or isinstance(arg, (list, tuple)):
                if has_symbolic(args, kwargs):
                    return symbolic_op(op, name, args, kwargs)
                break
        return impl(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc or getattr(getattr(contract, name, None), "__doc__", None)
    return op


def symbolic_or(fn):
    """Decorator for composite ops: records a node when called on KerasTensors."""
    name = fn.__name__

    def op(*args, **kwargs):
        if has_symbolic(args, kwargs):
            return symbolic_op(op, name, args, kwargs)
        return fn(*args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = fn.__doc__
    op.__wrapped__ = fn
    return op
