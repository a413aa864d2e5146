"""What an outer call tells the layers it calls: the training flag.

A layer called with ``training=None`` takes the flag of the call it runs
inside (a model in ``fit`` runs with training=True), so layers nested in a
subclassed model whose ``call`` has no ``training`` argument still train in
training mode, as Keras 2 did through its learning phase.
"""

_training = [None]  # the innermost explicit flag, or None
_depth = [0]  # nesting depth of Layer.__call__; 0 outside any call


def current_training():
    """The training flag of the enclosing call, or None."""
    return _training[0]
