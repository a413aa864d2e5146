"""The public types and per-thread state that adapters may use (floor 0).

An adapter imports nothing of kfacade but this module and the other
modules of ``kfacade/backend/`` below the active adapter (``contract``,
``config``, ``dtypes``). What it finds here:

- ``VariableBase``: the class every ``kfacade.Variable`` derives from. An
  adapter recognises a Variable with ``isinstance(x, VariableBase)`` and
  reads it through ``.value`` (the native tensor, or the value a
  ``StatelessScope`` maps it to), ``.handle`` (the native storage it created
  with ``variable_create``), ``.shape``, ``.dtype`` and ``.trainable``.
- ``StatelessScope``: makes stateful kfacade code pure; a JAX step enters
  one to trace the step as a function of the state values.
- ``UpdateRule``: what the optional ``fused_optimizer_update`` hook receives
  (the update rule's name, coefficients and slot variables).
- ``compiled_step_trace()``: a context manager an adapter's
  ``compile_function`` enters while its framework traces the step into a
  graph (``jax.jit``, ``tf.function``), so that kfacade can refuse what a
  trace would freeze (an unseeded random op: see ``kfacade.random.draw_seed``).

The stack of stateless scopes and the trace depth are per thread: PyDataset
workers are threads, and a worker running a preprocessing layer must not
see, or change, the scope of a training step running in the main thread.

Imports nothing above ``kfacade/backend/``, so every adapter may import it
at load time.
"""
import contextlib
import typing
import threading


class _ThreadState(threading.local):
    """Per-thread state: the innermost StatelessScope, how many compiled step
    traces are running, the dtype float variables are read as inside a
    mixed-precision layer's call (None: as stored), how many abstract runs
    (``abstract_run``) are running, and the reads already
    cast for that call's loop (``autocast_reads``: ``{id(variable): value}``
    or None; ``kfacade.layers.rnn`` casts a cell's weights once, not once a
    step)."""

    def __init__(self):
        self.scope = None
        self.trace_depth = 0
        self.abstract_depth = 0
        self.autocast = None
        self.autocast_reads = None


#: This thread's state; `local.scope` is read on every ``Variable.value``.
local = _ThreadState()


class VariableBase:
    """The base class of ``kfacade.Variable``, named in the contract.

    Adapters test ``isinstance(x, VariableBase)`` to accept a Variable where
    a tensor is expected, then read ``x.value``. The attributes a subclass
    provides: ``value`` (native tensor; the scope's value inside a
    ``StatelessScope``), ``handle`` (the native storage), ``shape`` (tuple of
    ints), ``dtype`` (dtype name), ``trainable`` (bool), ``name``, ``path``.
    """

    __slots__ = ()


def active_stateless_scope():
    """This thread's innermost active ``StatelessScope``, or None."""
    return local.scope


class StatelessScope:
    """Reads variables from given values and records assignments.

    Args:
        state_mapping: iterable of ``(variable, value)`` pairs the scope reads.

    Example:
        >>> with StatelessScope([(layer.kernel, new_kernel)]) as scope:
        ...     y = layer(x)
        >>> scope.get_current_value(some_variable)  # its value after the call
    """

    def __init__(self, state_mapping=()):
        self._values = {}  # id(variable) -> value given to the scope
        self._updates = {}  # id(variable) -> (variable, value) assigned inside
        self._parent = None
        for variable, value in state_mapping:
            if not isinstance(variable, VariableBase):
                raise ValueError(
                    f"StatelessScope maps Variables to values. Received: {variable!r}"
                )
            self._values[id(variable)] = value

    def get_current_value(self, variable):
        """The value this scope (or an enclosing one) holds for `variable`, else None."""
        key = id(variable)
        scope = self
        while scope is not None:
            update = scope._updates.get(key)
            if update is not None:
                return update[1]
            value = scope._values.get(key)
            if value is not None:
                return value
            scope = scope._parent
        return None

    def add_update(self, variable, value):
        """Records an assignment made inside the scope."""
        self._updates[id(variable)] = (variable, value)

    def updates(self):
        """The ``(variable, value)`` pairs assigned inside this scope, in order."""
        return list(self._updates.values())

    def __enter__(self):
        self._parent = local.scope
        local.scope = self
        return self

    def __exit__(self, *exc):
        local.scope = self._parent
        return False


@contextlib.contextmanager
def compiled_step_trace():
    """Marks the running code as being traced into a compiled step.

    An adapter's ``compile_function`` enters it around the Python call its
    framework traces (``jax.jit``'s and ``tf.function``'s tracing runs), not
    around the compiled calls that follow: Python values computed inside are
    frozen into the graph, so kfacade refuses what would silently repeat.
    """
    local.trace_depth += 1
    try:
        yield
    finally:
        local.trace_depth -= 1


def in_compiled_step_trace():
    """True while this thread traces a compiled step (``compiled_step_trace``)."""
    return local.trace_depth > 0


class AbstractRunRefused(Exception):
    """A change of lasting state (a new Variable, an ``add_loss``) was tried
    inside ``abstract_run``: it would keep an abstract value. The caller reruns
    on real tensors."""


@contextlib.contextmanager
def abstract_run():
    """Marks the running code as run on abstract values (shapes and dtypes
    only: an adapter's ``eval_shape`` hook), whose results must not outlive
    the run; kfacade refuses lasting state changes inside with
    ``AbstractRunRefused``."""
    local.abstract_depth += 1
    try:
        yield
    finally:
        local.abstract_depth -= 1


def refuse_in_abstract_run(what):
    """Raises ``AbstractRunRefused`` naming `what` inside ``abstract_run``."""
    if local.abstract_depth:
        raise AbstractRunRefused(f"{what} inside an abstract run")


class UpdateRule(typing.NamedTuple):
    """One optimizer step described for an adapter's ``fused_optimizer_update``.

    Built by ``Optimizer.fused_update_rule``; the rules and their math are
    listed in ``kfacade.backend.contract.OPTIONAL_HOOKS``.

    Attributes:
        name: the rule, ``"sgd"``, ``"rmsprop"`` or ``"adam"``.
        coefficients: ``{name: value}``, this step's numbers. The step size
            (``learning_rate``; ``alpha`` for adam, the bias corrections
            included) is a native scalar tensor or a Python number; the
            others are the optimizer's hyperparameters as the user gave them.
        options: ``{name: bool}``, the rule's switches (``nesterov``,
            ``centered``, ``amsgrad``).
        slots: ``{name: [Variable]}``, the slot variables, each list aligned
            with the variables the hook is asked to update.
    """

    name: str
    coefficients: dict
    options: dict
    slots: dict
