"""What an outer call tells the layers it calls: the training flag (and
the innermost ``kfacade.device`` scope, which a symbolic call records in its
node so that a functional model runs that node under the same scope).

A layer called with ``training=None`` takes the flag of the call it runs
inside (a model in ``fit`` runs with training=True), so layers nested in a
subclassed model whose ``call`` has no ``training`` argument still train in
training mode, as Keras 2 did through its learning phase.

The flag of the enclosing call and the call depth are per thread (PyDataset
workers are threads: a worker calling a preprocessing layer must not take
the training flag of the step running in the main thread). The learning
phase (``set_learning_phase``) is a process-wide default, read where no
enclosing call set a flag.
"""
import threading


class _CallState(threading.local):
    def __init__(self):
        self.training = None  # the innermost explicit flag in this thread, or None
        self.depth = 0  # nesting depth of Layer.__call__; 0 outside any call
        self.device = None  # the name of the innermost kfacade.device scope, or None


#: This thread's call state; ``Layer.__call__`` reads and sets it.
local = _CallState()

#: Keras 2's learning phase: the flag where no enclosing call set one (None: unset).
_learning_phase = [None]


def current_training():
    """The training flag of the enclosing call in this thread, else the
    learning phase, else None."""
    flag = local.training
    return _learning_phase[0] if flag is None else flag


def set_learning_phase(value):
    """Sets the process-wide default training flag (None unsets it)."""
    _learning_phase[0] = None if value is None else bool(value)
