"""Keras 3's ``SymbolicScope``: marks the runs that only infer output shapes.

kfacade computes the output of a layer or op called on ``KerasTensor``s by
running its ``call`` on stand-in values (abstract ones, or small zero
tensors: see ``kfacade/engine/operation.py``); those runs happen inside a
``SymbolicScope``. User code that must behave differently while a model is
being built, rather than run (skip a costly check, or a side effect such
as a print or a counter), tests ``in_symbolic_scope()``:

    >>> class Probe(kfacade.Layer):
    ...     def call(self, x):
    ...         if not kfacade.backend.in_symbolic_scope():
    ...             self.eager_calls += 1
    ...         return x

The scope is per thread, as Keras 3's global state is: a PyDataset worker
calling a layer eagerly must not see the symbolic build of another thread.
"""
import threading


class _ScopeState(threading.local):
    def __init__(self):
        self.scope = None  # this thread's innermost SymbolicScope, or None


_state = _ScopeState()


class SymbolicScope:
    """Scope to indicate the symbolic stage.

    Inside it, ``kfacade.backend.in_symbolic_scope()`` is True. kfacade
    enters it itself around every shape-inference run; entering it by hand
    makes code that tests ``in_symbolic_scope()`` take its symbolic branch.

    Example:
        >>> with kfacade.SymbolicScope():
        ...     kfacade.backend.in_symbolic_scope()
        True
    """

    def __enter__(self):
        self.original_scope = _state.scope
        _state.scope = self
        return self

    def __exit__(self, *exc_info):
        _state.scope = self.original_scope


def in_symbolic_scope():
    """True inside a ``SymbolicScope`` (a shape-inference run) in this thread."""
    return _state.scope is not None


def get_symbolic_scope():
    """This thread's innermost active ``SymbolicScope``, or None."""
    return _state.scope
