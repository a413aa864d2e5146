"""``kfacade.Function``: a graph of operations from symbolic inputs to outputs.

Calling layers and ``kfacade.ops`` functions on ``KerasTensor``s records a
``Node`` per call; each output tensor remembers its node
(``_keras_history``). A ``Function`` walks back from its outputs to its
inputs once, orders the nodes so that each follows the nodes it reads from
(``ordered_nodes``), and then reruns that list on real tensors: a dict from
each symbolic tensor to its value, filled node by node.

The functional ``Model`` is a ``Function`` that is also a layer: it orders
and runs its graph with this same code, adding masks and the layer state.
"""
import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.engine import tree
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.naming import unique_name
from kfacade.engine.operation import Operation, run_on_dummies


def _path_of(structure, index):
    """The path of the `index`-th leaf of `structure`, as Keras writes it ("1.y")."""
    paths = tree.flatten_with_path(structure)
    return ".".join(str(key) for key in paths[index][0])


def ordered_nodes(inputs, outputs, outputs_struct=None):
    """The nodes that compute `outputs` from `inputs`, each after the nodes it reads.

    Args:
        inputs: flat list of KerasTensors: the walk stops at them (they may be
            ``Input``s or intermediate tensors).
        outputs: flat list of KerasTensors.
        outputs_struct: the nested outputs, to name an output's path in errors.

    Returns:
        A list of ``Node``s in an order where each follows its parents.

    Raises:
        ValueError: an output, or a tensor an output depends on, cannot be
            computed from `inputs` (it comes from an ``Input`` not among
            them, or from no operation at all), or the graph has a cycle.
    """
    input_ids = {id(x) for x in inputs}
    order, visited, visiting = [], set(), set()

    def disconnected(tensor, consumer, output_index):
        path = _path_of(outputs if outputs_struct is None else outputs_struct, output_index)
        if consumer is None:
            return ValueError(f"Output with path `{path}` is not connected to `inputs`.")
        return ValueError(
            f"Graph disconnected: cannot find parent for tensor {tensor} at operation "
            f"'{consumer.name}'. The following previous operations were accessed without "
            f"issue: {[node.operation.name for node in order]}. Output with path `{path}` "
            "is not connected to `inputs`: pass the Input that tensor comes from in `inputs`."
        )

    def visit(tensor, consumer, output_index):
        if id(tensor) in input_ids:
            return
        history = tensor._keras_history
        if history is None:
            raise disconnected(tensor, consumer, output_index)
        operation, node_index, _ = history
        node = operation._inbound_nodes[node_index]
        if id(node) in visited:
            return
        if id(node) in visiting:
            raise ValueError(
                f"Tensor {tensor} from operation '{operation.name}' is part of a cycle.")
        if not node.input_tensors:  # an Input's node: the value must be given
            raise disconnected(tensor, consumer, output_index)
        visiting.add(id(node))
        for parent_tensor in node.input_tensors:
            visit(parent_tensor, operation, output_index)
        visiting.discard(id(node))
        visited.add(id(node))
        order.append(node)

    for index, output in enumerate(outputs):
        visit(output, None, index)
    return order


class Function(Operation):
    """Class that encapsulates a computation graph of Keras operations.

    A ``Function`` captures the graph of layer and op calls that links some
    symbolic input tensors to some output tensors, and reapplies that
    computation to new inputs. It is like a functional ``Model`` without
    the layer API: it tracks no state of its own and does not train.

    Args:
        inputs: a ``KerasTensor``, or a nested structure (lists, tuples,
            dicts) of them.
        outputs: a ``KerasTensor``, or a nested structure of them, computable
            from `inputs` alone.
        name: the name of the function (default "function", "function_1", ...).

    Raises:
        ValueError: `inputs` or `outputs` is empty or holds something else
            than KerasTensors, or an output is not connected to `inputs`.

    Example:
        >>> input_1 = kfacade.KerasTensor(shape=(None, 2, 3))
        >>> input_2 = kfacade.KerasTensor(shape=(None, 2, 3))
        >>> output = kfacade.ops.sigmoid(input_1 + input_2)
        >>> fn = kfacade.Function(inputs=[input_1, input_2], outputs=output)
        >>> fn([np.random.random((4, 2, 3)), np.random.random((4, 2, 3))]).shape
        (4, 2, 3)
    """

    #: How errors name the graph ("a functional Model" for Functional).
    _graph_kind = "Function"

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name or unique_name("function"))
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        """Checks `inputs` and `outputs` and orders the nodes between them."""
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = tree.flatten(inputs)
        self._outputs = tree.flatten(outputs)
        for argument, flat in (("inputs", self._inputs), ("outputs", self._outputs)):
            if not flat or (len(flat) == 1 and flat[0] is None):
                raise ValueError(
                    f"`{argument}` argument cannot be empty. Received:\n"
                    f"inputs={inputs}\noutputs={outputs}")
        for x in self._inputs + self._outputs:
            if not isinstance(x, KerasTensor):
                raise ValueError(
                    f"All `inputs` and `outputs` of a {self._graph_kind} must be symbolic "
                    "tensors (KerasTensors) from kfacade.Input, or layers and ops called on "
                    f"them. Received: {x!r}")
        self._nodes = ordered_nodes(self._inputs, self._outputs, outputs)

    # ------------------------------------------------------------ graph
    @property
    def inputs(self):
        """Flat list of the symbolic inputs."""
        return list(self._inputs)

    @property
    def outputs(self):
        """Flat list of the symbolic outputs."""
        return list(self._outputs)

    @property
    def operations(self):
        """The operations of the graph: the ``InputLayer``s of the inputs
        first, then every layer and op in the order they run (each once)."""
        found, seen = [], set()
        for x in self._inputs:
            history = x._keras_history
            if history is not None:
                node = history[0]._inbound_nodes[history[1]]
                if not node.input_tensors and id(history[0]) not in seen:
                    seen.add(id(history[0]))
                    found.append(history[0])
        for node in self._nodes:
            if id(node.operation) not in seen:
                seen.add(id(node.operation))
                found.append(node.operation)
        return found

    # -------------------------------------------------------------- call
    def call(self, inputs):
        """The outputs computed from `inputs`, a structure like the symbolic inputs'.

        Raises:
            ValueError: `inputs` is nested differently from the Function's
                inputs, or a tensor's shape does not match its input's.
        """
        return self._run_through_graph(self._flatten_inputs_like(inputs))

    def compute_output_spec(self, inputs):
        """The output KerasTensors for symbolic `inputs` (shapes and dtypes)."""
        flat = self._flatten_inputs_like(inputs)
        if all(tuple(x.shape) == ref.shape for x, ref in zip(flat, self._inputs)):
            return tree.map_structure(
                lambda x: KerasTensor(x.shape, dtype=x.dtype), self._outputs_struct)
        return run_on_dummies(self.call, (inputs,), {})

    def compute_output_shape(self, input_shape):
        """The output shapes for `input_shape` (nested as the inputs are)."""
        flat_shapes = _flatten_shapes_like(self._inputs_struct, input_shape, self)
        specs = [KerasTensor(shape, dtype=ref.dtype)
                 for shape, ref in zip(flat_shapes, self._inputs)]
        outputs = self.compute_output_spec(tree.pack_sequence_as(self._inputs_struct, specs))
        return tree.map_structure(lambda x: x.shape, outputs)

    def _run_through_graph(self, flat_inputs, call_node=None):
        """Runs the ordered nodes on `flat_inputs`; returns the nested outputs.

        `call_node(node, args, kwargs)`, when given, runs each node (the
        functional Model passes masks this way); by default the node's
        operation is called, under the ``kfacade.device`` scope it was
        recorded in, if any.
        """
        values = {}
        for tensor, value in zip(self._inputs, flat_inputs):
            values[id(tensor)] = value
        for node in self._nodes:
            if node.single_input:
                args, kwargs = (values[id(node.call_args[0])],), {}
            else:
                args, kwargs = tree.map_structure(
                    lambda x: values[id(x)] if type(x) is KerasTensor else x,
                    (node.call_args, node.call_kwargs),
                )
            if call_node is not None:
                outputs = call_node(node, args, kwargs)
            elif node.device is not None:
                with _B.device_scope(node.device):
                    outputs = node.operation(*args, **kwargs)
            else:
                outputs = node.operation(*args, **kwargs)
            if len(node.outputs) == 1 and not isinstance(node.output_structure, (list, tuple, dict)):
                values[id(node.outputs[0])] = outputs
            else:
                for tensor, value in zip(node.outputs, tree.flatten(outputs)):
                    values[id(tensor)] = value
        return tree.map_structure(lambda x: values[id(x)], self._outputs_struct)

    def _flatten_inputs_like(self, inputs):
        """`inputs` flattened in the order of the symbolic inputs, after
        Keras's checks: the same nesting (dicts matched by key), and shapes
        that agree with the symbolic inputs' rank and known dims."""
        flat = []
        if not _flatten_like(self._inputs_struct, inputs, flat):
            raise ValueError(
                f"{type(self).__name__} was called with an invalid input structure. "
                f"Expected input structure: {self._inputs_struct}\n"
                f"Received input structure: {inputs}")
        for x, ref in zip(flat, self._inputs):
            shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
            if len(shape) != len(ref.shape) or any(
                    d is not None and r is not None and d != r for d, r in zip(shape, ref.shape)):
                raise ValueError(
                    f"{type(self).__name__} was passed incompatible inputs. For input "
                    f"'{ref.name}', expected shape {ref.shape}, but received instead a "
                    f"tensor with shape {shape}.")
        return flat


def _flatten_like(reference, value, flat):
    """Appends the leaves of `value` to `flat` in the order of `reference`'s
    KerasTensors; False if `value` is nested differently. Containers must
    have `reference`'s type (a list is not a tuple, as in Keras); a dict
    matches any mapping with the same keys."""
    if isinstance(reference, KerasTensor):
        flat.append(value)
        return True
    if isinstance(reference, dict):
        if not isinstance(value, dict) or set(value) != set(reference):
            return False
        return all(_flatten_like(reference[key], value[key], flat) for key in reference)
    if isinstance(reference, (list, tuple)):
        if type(value) is not type(reference) or len(value) != len(reference):
            return False
        return all(_flatten_like(r, v, flat) for r, v in zip(reference, value))
    flat.append(value)
    return True


def _flatten_shapes_like(reference, input_shape, function):
    """The shapes in `input_shape`, nested as `reference`'s KerasTensors are
    (a shape is a list or tuple of ints and Nones), in `reference`'s order."""
    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(
            d is None or isinstance(d, (int, np.integer)) for d in x)

    flat = []

    def walk(ref, shape):
        if isinstance(ref, KerasTensor):
            if not is_shape(shape):
                return False
            flat.append(tuple(shape))
            return True
        if isinstance(ref, dict):
            return isinstance(shape, dict) and set(shape) == set(ref) and all(
                walk(ref[key], shape[key]) for key in ref)
        if isinstance(ref, (list, tuple)):
            return (isinstance(shape, (list, tuple)) and not is_shape(shape)
                    and len(shape) == len(ref) and all(walk(r, s) for r, s in zip(ref, shape)))
        return False

    if not walk(reference, input_shape):
        raise ValueError(
            f"{type(function).__name__} was called with an invalid input structure. "
            f"Expected input structure: {reference}\n"
            f"Received input shapes: {input_shape}")
    return flat
