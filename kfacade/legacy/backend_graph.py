"""Keras 2's graph functions: ``K.function``, ``K.gradients``, ``K.learning_phase``.

Keras 2 built a TensorFlow graph and ran parts of it (``K.function``).
kfacade's graph is the functional one of ``KerasTensor``s, so:

- ``K.function(inputs, outputs)`` is a ``Functional`` from `inputs` to
  `outputs`, run eagerly and returning NumPy arrays.
- ``K.gradients(loss, variables)`` adds a graph node whose outputs are the
  gradients: when run, it recomputes `loss` from the tensors it depends on
  and differentiates it with the adapter's ``value_and_grad``. A gradient
  with respect to a ``KerasTensor`` (the model's input, an intermediate
  output) is taken with respect to a temporary ``Variable`` holding that
  tensor's value, since ``value_and_grad`` differentiates Variables.
- ``K.learning_phase()`` is the training flag as an int that ``K.function``
  also recognises among its inputs, as Keras 2's learning-phase placeholder:
  ``K.function([model.input, K.learning_phase()], [out])([x, 0])``.
"""
from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.engine import call_context
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import Node, Operation
from kfacade.layers.input_layer import InputLayer
from kfacade.models.functional import Functional
from kfacade.variables import Variable


class LearningPhase(int):
    """The learning phase: 1 while training, 0 otherwise.

    An int, so that layer code may branch on it (``if K.learning_phase():``)
    or pass it to ``K.switch``/``K.in_train_phase``; and a marker, so that
    ``K.function`` takes it as its training-flag input as Keras 2 took its
    learning-phase placeholder.
    """

    def __repr__(self):
        return f"<learning phase: {int(self)}>"


def learning_phase():
    """1 inside a training call, 0 otherwise (Keras 2's learning phase).

    Also usable as an input of ``K.function``, whose value then sets the
    training flag of the call: ``K.function([x, K.learning_phase()], [y])([data, 1])``.
    """
    return LearningPhase(1 if call_context.current_training() else 0)


def set_learning_phase(value):
    """Sets the default training flag for calls that do not pass one."""
    if value not in (0, 1, True, False):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: {value!r}")
    call_context.set_learning_phase(value)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's ``K.function``: a callable from input arrays to output arrays.

    Args:
        inputs: list of symbolic inputs (``model.input``, ``K.placeholder``s,
            intermediate outputs); ``K.learning_phase()`` among them is the
            training flag, whose value (0 or 1) is passed at the same position.
        outputs: list of symbolic outputs (e.g. ``model.layers[2].output``,
            tensors from ``K.gradients``).
        updates: optional list of ``(variable, new_value)`` pairs, assigned
            after each call; `new_value` may be symbolic (computed from the
            same inputs) or a constant.

    Returns:
        ``f(list_of_arrays) -> list_of_numpy_arrays``. A value for the
        learning phase may also follow the inputs when it is not listed
        among them (Keras 2 accepted both).

    Example:
        >>> get_hidden = K.function([model.input, K.learning_phase()],
        ...                         [model.layers[0].output])
        >>> hidden = get_hidden([x, 0])[0]
    """
    inputs = _as_list(inputs)
    phase_positions = [i for i, x in enumerate(inputs) if isinstance(x, LearningPhase)]
    symbolic_inputs = [x for x in inputs if not isinstance(x, LearningPhase)]
    single_output = not isinstance(outputs, (list, tuple))
    outputs_list = _as_list(outputs)
    updates = [tuple(pair) for pair in (updates or [])]
    for pair in updates:
        if len(pair) != 2 or not isinstance(pair[0], Variable):
            raise ValueError(
                "K.function(updates=...) takes (variable, new_value) pairs with a kfacade "
                f"Variable first. Received: {pair!r}"
            )
    symbolic_updates = [value for _, value in updates if isinstance(value, KerasTensor)]
    model = Functional(symbolic_inputs, outputs_list + symbolic_updates, name=name)

    def run(values):
        values = _as_list(values)
        if len(values) == len(inputs) + 1 and not phase_positions:
            training = bool(values.pop())  # Keras 2 also took the learning phase last
        else:
            if len(values) != len(inputs):
                raise ValueError(
                    f"This K.function takes {len(inputs)} input value(s) (in the order of its "
                    f"`inputs`), received {len(values)}."
                )
            phases = [values[i] for i in phase_positions]
            training = bool(phases[0]) if phases else False
            values = [v for i, v in enumerate(values) if i not in phase_positions]
        results = model(values, training=training)
        computed = iter(results[len(outputs_list):])
        for variable, value in updates:
            variable.assign(next(computed) if isinstance(value, KerasTensor) else value)
        results = [_B.convert_to_numpy(r) for r in results[: len(outputs_list)]]
        return results[0] if single_output else results

    return run


class _Gradients(Operation):
    """The gradients of one symbolic loss, as a graph operation.

    Its inputs are the graph sources of the loss (inputs, placeholders) and
    the KerasTensors differentiated against; its outputs, one gradient per
    entry of `wrt`.
    """

    def __init__(self, loss, wrt, sources):
        super().__init__(name="gradients")
        self.wrt = wrt
        self.position = {id(x): i for i, x in enumerate(sources)}
        self.loss_model = Functional(list(sources), loss, name="gradients_loss")

    def call(self, *values):
        values = list(values)
        variables, replaced = [], {}
        for target in self.wrt:
            if isinstance(target, Variable):
                variables.append(target)
            else:
                position = self.position[id(target)]
                if position not in replaced:
                    replaced[position] = Variable(values[position], name="gradients_source")
                variables.append(replaced[position])

        def loss_fn():
            inputs = [replaced[i].value if i in replaced else v for i, v in enumerate(values)]
            # Keras 2 (tf.gradients) differentiates the sum of a non-scalar loss.
            return ops.sum(self.loss_model(inputs)), None

        _, grads = _B.value_and_grad(loss_fn, variables)
        return list(grads)


def _graph_sources(loss, stop_at):
    """The tensors `loss` is computed from: inputs and placeholders, and the
    tensors of `stop_at` (ids) where the walk stops."""
    sources, seen = [], set()
    stack = [loss]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        history = tensor._keras_history
        if id(tensor) in stop_at or history is None or isinstance(history[0], InputLayer):
            sources.append(tensor)
            continue
        operation, node_index, _ = history
        if isinstance(operation, _Gradients):
            raise NotImplementedError(
                "K.gradients of a loss that already contains K.gradients (second-order "
                "derivatives) is not supported: not every backend's value_and_grad keeps "
                "the graph of a gradient."
            )
        stack.extend(operation._inbound_nodes[node_index].input_tensors)
    return sources


def gradients(loss, variables):
    """Keras 2's ``K.gradients``: the symbolic gradients of `loss` w.r.t. `variables`.

    Args:
        loss: a symbolic tensor (a ``KerasTensor`` built from ``Input``s,
            ``K.placeholder``s, layers and ops). A non-scalar loss is summed.
        variables: a ``Variable`` or ``KerasTensor``, or a list of them
            (``model.trainable_weights``, ``model.input``, a layer's output).

    Returns:
        A list of ``KerasTensor``s, one per variable and of its shape;
        evaluate them with ``K.function``. A variable the loss does not
        depend on gets zeros (Keras 2 gave None).

    Raises:
        ValueError: `loss` is not symbolic: eager tensors keep no graph to
            differentiate afterwards.

    Example:
        >>> grads = K.gradients(K.mean(model.output[:, 0]), model.input)[0]
        >>> saliency = K.function([model.input], [grads])([x])[0]
    """
    if not isinstance(loss, KerasTensor):
        raise ValueError(
            "K.gradients needs a symbolic loss (a KerasTensor built from Inputs, "
            "K.placeholder()s, layers and K.* functions): an eager tensor keeps no graph to "
            "differentiate afterwards. To differentiate eager code, compute it inside a "
            f"custom train_step. Received: loss of type {type(loss).__name__}"
        )
    wrt = _as_list(variables)
    for target in wrt:
        if not isinstance(target, (Variable, KerasTensor)):
            raise ValueError(
                "K.gradients differentiates with respect to Variables (model.trainable_weights) "
                f"or KerasTensors (model.input, a layer's output). Received: {target!r}"
            )
    stop_at = {id(t) for t in wrt if isinstance(t, KerasTensor)}
    sources = _graph_sources(loss, stop_at)
    known = {id(x) for x in sources}
    sources += [t for t in wrt if isinstance(t, KerasTensor) and id(t) not in known
                and not known.add(id(t))]
    operation = _Gradients(loss, wrt, sources)
    outputs = [KerasTensor(t.shape, t.dtype, name=None) for t in wrt]
    Node(operation, tuple(sources), {}, outputs)
    return outputs
