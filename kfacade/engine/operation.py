"""Operations and nodes: the units a functional graph is made of.

An ``Operation`` (every ``Layer``, and every ``kfacade.ops`` function called on
a symbolic tensor) computes eagerly on native tensors, and symbolically on
``KerasTensor``s, where it records a ``Node`` linking its inputs to its
outputs. Output shapes come from ``compute_output_spec``: by default the
call is run on stand-ins (unknown dims filled with 2, then 3, to tell fixed
dims from unknown ones) under a stateless scope, so no state changes;
layers that know their shape rule override ``compute_output_shape``. The
stand-ins are abstract values where the adapter has the optional
``eval_shape`` hook (JAX: a trace, with no XLA compilation per op and
shape, which is what an eager op costs the first time), else small
zero-filled tensors; a call that cannot run abstractly (it creates a
Variable, adds a loss, or reads a value) runs on the zeros instead. Either
run happens inside a ``SymbolicScope`` (Keras 3's marker of the symbolic
stage).
"""
from kfacade.backend.active import adapter as _B
from kfacade.backend.state import abstract_run
from kfacade.backend.symbolic_scope import SymbolicScope
from kfacade.engine import tree
from kfacade.engine.call_context import local as _call_state
from kfacade.engine.keras_tensor import KerasTensor


def has_symbolic(args, kwargs=None):
    """True if any argument, one level into lists/tuples/dicts, is a KerasTensor."""
    for arg in args:
        if type(arg) is KerasTensor:
            return True
        if isinstance(arg, (list, tuple)):
            for item in arg:
                if type(item) is KerasTensor or (
                    isinstance(item, (list, tuple, dict)) and has_symbolic((item,))
                ):
                    return True
        elif isinstance(arg, dict) and has_symbolic(tuple(arg.values())):
            return True
    if kwargs:
        return has_symbolic(tuple(kwargs.values()))
    return False


class Node:
    """One call of an operation on symbolic tensors.

    Attributes:
        operation: the Operation called.
        call_args, call_kwargs: the arguments, KerasTensors in place.
        input_tensors: the KerasTensors among the arguments, flattened.
        outputs: the output KerasTensors, flattened; ``output_structure`` nests them.
        device: the ``kfacade.device`` scope the call was made in (a name such
            as "gpu:1"), or None; a functional model runs the node under it.
    """

    def __init__(self, operation, call_args, call_kwargs, outputs):
        self.operation = operation
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.input_tensors = [
            x for x in tree.flatten((call_args, call_kwargs)) if type(x) is KerasTensor
        ]
        self.output_structure = outputs
        self.outputs = tree.flatten(outputs)
        self.device = _call_state.device
        node_index = len(operation._inbound_nodes)
        operation._inbound_nodes.append(self)
        for i, tensor in enumerate(self.outputs):
            tensor._keras_history = (operation, node_index, i)
        # Fast path for the common call: one tensor in, nothing else.
        self.single_input = (
            len(call_args) == 1 and type(call_args[0]) is KerasTensor and not call_kwargs
        )


def _filled_shape(tensor, fill):
    """`tensor`'s shape with each unknown dim set to `fill`."""
    return tuple(fill if d is None else d for d in tensor.shape)


def _dummy_value(tensor, fill):
    return _B.zeros(_filled_shape(tensor, fill), dtype=tensor.dtype)


def _merged_spec(first, second):
    """The KerasTensor of two runs' ``(shape, dtype)``: dims that differ are unknown."""
    if first is None:
        return None
    shape = tuple(a if a == b else None for a, b in zip(first[0], second[0]))
    return KerasTensor(shape, dtype=first[1])


def run_on_dummies(fn, args, kwargs):
    """The KerasTensor outputs of `fn` inferred by running it on stand-ins
    for the KerasTensors among `args` and `kwargs` (see the module's doc).

    `fn` runs inside a ``SymbolicScope``, so that code it calls can tell a
    shape-inference run from a real one (``in_symbolic_scope()``)."""
    with SymbolicScope():
        return _run_on_dummies(fn, args, kwargs)


def _run_on_dummies(fn, args, kwargs):
    hook = getattr(_B, "eval_shape", None)
    if hook is not None:
        outputs = _run_abstractly(hook, fn, args, kwargs)
        if outputs is not None:
            return outputs
    from kfacade.variables import StatelessScope

    runs = []
    for fill in (2, 3):
        concrete = tree.map_structure(
            lambda x: _dummy_value(x, fill) if type(x) is KerasTensor else x, (args, kwargs)
        )
        with StatelessScope():
            runs.append(fn(*concrete[0], **concrete[1]))

    def shape_and_dtype(output):
        return None if output is None else (tuple(_B.shape(output)), _B.dtype(output))

    leaves = [_merged_spec(shape_and_dtype(a), shape_and_dtype(b))
              for a, b in zip(tree.flatten(runs[0]), tree.flatten(runs[1]))]
    return tree.pack_sequence_as(runs[0], leaves)


def _run_abstractly(hook, fn, args, kwargs):
    """``run_on_dummies`` through the adapter's ``eval_shape`` hook, or None
    where `fn` cannot run on abstract values (the caller then runs it on zeros,
    which also raises the call's own error, if it has one, as before)."""
    from kfacade.variables import StatelessScope

    leaves = tree.flatten((args, kwargs))
    positions = [i for i, x in enumerate(leaves) if type(x) is KerasTensor]
    structures, runs = [], []

    def call(tensors):
        filled = list(leaves)
        for i, tensor in zip(positions, tensors):
            filled[i] = tensor
        call_args, call_kwargs = tree.pack_sequence_as((args, kwargs), filled)
        with StatelessScope(), abstract_run():
            outputs = fn(*call_args, **call_kwargs)
        structures.append(outputs)
        return tree.flatten(outputs)

    try:
        for fill in (2, 3):
            specs = [(_filled_shape(leaves[i], fill), leaves[i].dtype) for i in positions]
            runs.append(hook(call, specs))
    except Exception:  # noqa: BLE001 (refused, or not traceable: the zeros decide)
        return None
    if len(runs[0]) != len(runs[1]):
        return None
    merged = [_merged_spec(a, b) for a, b in zip(runs[0], runs[1])]
    return tree.pack_sequence_as(structures[0], merged)


class Operation:
    """A computation usable eagerly and symbolically.

    Subclasses implement ``call``; ``__call__`` records a node when given
    KerasTensors.
    """

    def __init__(self, name=None):
        self.name = name
        self._inbound_nodes = []

    def __call__(self, *args, **kwargs):
        if has_symbolic(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """Computes output KerasTensors and records the node that links them."""
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """The output KerasTensor(s) for symbolic inputs."""
        return run_on_dummies(self.call, args, kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement call().")


class OpCall(Operation):
    """A ``kfacade.ops`` function called on symbolic tensors, as a graph node.

    The output spec comes from running the op on stand-ins, unless the op
    function carries its own shape rule as an ``output_spec`` attribute
    (called with the op's arguments, KerasTensors in place): the rule for an
    op that needs a size divisible by something (``glu``, ``space_to_depth``),
    which a stand-in of 2 or 3 for an unknown dim would fail.
    """

    def __init__(self, fn, name):
        super().__init__(name=name)
        self.fn = fn

    def call(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        rule = getattr(self.fn, "output_spec", None)
        if rule is not None:
            return rule(*args, **kwargs)
        return super().compute_output_spec(*args, **kwargs)

    def __repr__(self):
        return f"<OpCall {self.name}>"


def symbolic_op(fn, name, args, kwargs):
    """Records a call of the op `fn` on KerasTensors and returns its outputs."""
    return OpCall(fn, name).symbolic_call(*args, **kwargs)
