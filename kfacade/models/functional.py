"""Functional models: a graph of layer calls from ``Input``s to outputs.

Construction walks back from the outputs through each KerasTensor's
history and orders the nodes once; an eager call then runs that list of
nodes with a dict from symbolic tensor to value. Masks travel beside the
values only when some layer in the graph produces one.
"""
from kfacade.backend import adapter as _B
from kfacade.engine import tree
from kfacade.engine.input_spec import InputSpec
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.layers.input_layer import InputLayer
from kfacade.layers.layer import Layer
from kfacade.models.model import Model
from kfacade.trainers.trainer import Trainer


def _ordered_nodes(inputs, outputs):
    """Nodes from `inputs` to `outputs` in an order where each follows its parents."""
    input_ids = {id(x) for x in inputs}
    order, visited, visiting = [], set(), set()

    def visit(tensor):
        if id(tensor) in input_ids:
            return
        history = tensor._keras_history
        if history is None:
            raise ValueError(f"Output tensor {tensor} was not produced by a kfacade layer or op.")
        operation, node_index, _ = history
        node = operation._inbound_nodes[node_index]
        if id(node) in visited:
            return
        if id(node) in visiting:
            raise ValueError("The functional graph has a cycle.")
        visiting.add(id(node))
        if isinstance(operation, InputLayer):
            raise ValueError(
                f"Graph disconnected: cannot obtain value for tensor {tensor} at layer "
                f"{operation.name!r}. The following previous layers were accessed without "
                f"issue: {[n.operation.name for n in order]}. Pass that Input in `inputs`."
            )
        for parent_tensor in node.input_tensors:
            visit(parent_tensor)
        visiting.discard(id(node))
        visited.add(id(node))
        order.append(node)

    for output in outputs:
        visit(output)
    return order


class Functional(Model):
    """A model defined by its inputs and outputs (see ``Model``)."""

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = tree.flatten(inputs)
        self._outputs = tree.flatten(outputs)
        for x in self._inputs + self._outputs:
            if not isinstance(x, KerasTensor):
                raise ValueError(
                    f"All `inputs` and `outputs` of a functional Model must be symbolic "
                    f"tensors from kfacade.Input or layers called on them. Received: {x!r}"
                )
        self._nodes = _ordered_nodes(self._inputs, self._outputs)
        layers = []
        for x in self._inputs:
            operation = x._keras_history[0] if x._keras_history else None
            if isinstance(operation, Layer) and operation not in layers:
                layers.append(operation)
        for node in self._nodes:
            if isinstance(node.operation, Layer) and not any(node.operation is l for l in layers):
                layers.append(node.operation)
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"All layer names should be unique. Received duplicates: {duplicates}"
            )
        self._layers_override = layers
        self._uses_masks = any(
            getattr(x, "_keras_mask", None) is not None
            for node in self._nodes for x in node.outputs
        )
        self.input_spec = [InputSpec(shape=x.shape, allow_last_axis_squeeze=True) for x in self._inputs]
        self.built = True

    # ------------------------------------------------------------ graph
    @property
    def inputs(self):
        return list(self._inputs)

    @property
    def outputs(self):
        return list(self._outputs)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_names(self):
        return [x._keras_history[0].name for x in self._inputs]

    @property
    def output_names(self):
        return [x._keras_history[0].name for x in self._outputs]

    def _flatten_inputs(self, inputs):
        if isinstance(self._inputs_struct, dict):
            if not isinstance(inputs, dict):
                if isinstance(inputs, (list, tuple)) and len(inputs) == len(self._inputs):
                    return list(inputs)
                raise ValueError(
                    f"Model {self.name!r} expects a dict of inputs with keys "
                    f"{list(self._inputs_struct)}. Received: {type(inputs).__name__}"
                )
            missing = [k for k in self._inputs_struct if k not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r}: missing inputs {missing}.")
            return [inputs[k] for k in self._inputs_struct]
        if isinstance(inputs, dict):
            names = self.input_names
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(
                    f"Model {self.name!r}: missing inputs {missing}; its inputs are named {names}."
                )
            return [inputs[n] for n in names]
        flat = tree.flatten(inputs)
        if len(flat) != len(self._inputs):
            raise ValueError(
                f"Model {self.name!r} expects {len(self._inputs)} input(s), but it received "
                f"{len(flat)} input tensors."
            )
        return flat

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], (list, tuple, dict)):
            args = (self._convert_nested(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def _convert_nested(self, inputs):
        return tree.map_structure(
            lambda x: x if (x is None or _B.is_tensor(x) or isinstance(x, KerasTensor)) else self._convert_input(x),
            inputs,
        )

    def call(self, inputs, training=None, mask=None):
        values = {}
        masks = {} if self._uses_masks else None
        flat_masks = tree.flatten(mask) if mask is not None else [None] * len(self._inputs)
        for tensor, value, m in zip(self._inputs, self._flatten_inputs(inputs), flat_masks):
            values[id(tensor)] = value
            if masks is not None:
                masks[id(tensor)] = m
        for node in self._nodes:
            operation = node.operation
            if node.single_input:
                arg = node.call_args[0]
                args, kwargs = (values[id(arg)],), {}
            else:
                args, kwargs = tree.map_structure(
                    lambda x: values[id(x)] if type(x) is KerasTensor else x,
                    (node.call_args, node.call_kwargs),
                )
            if masks is not None and isinstance(operation, Layer):
                outputs = self._call_with_masks(operation, node, args, kwargs, masks)
            else:
                outputs = operation(*args, **kwargs)
            if len(node.outputs) == 1 and not isinstance(node.output_structure, (list, tuple, dict)):
                values[id(node.outputs[0])] = outputs
            else:
                for tensor, value in zip(node.outputs, tree.flatten(outputs)):
                    values[id(tensor)] = value
        return tree.map_structure(lambda x: values[id(x)], self._outputs_struct)

    def _call_with_masks(self, layer, node, args, kwargs, masks):
        input_masks = [masks.get(id(x)) for x in node.input_tensors]
        input_mask = input_masks[0] if len(input_masks) == 1 else (
            input_masks if any(m is not None for m in input_masks) else None)
        if input_mask is not None and layer._call_has_mask and "mask" not in kwargs:
            kwargs = dict(kwargs, mask=input_mask)
        outputs = layer(*args, **kwargs)
        if layer.supports_masking or type(layer).compute_mask is not Layer.compute_mask:
            output_mask = layer.compute_mask(args[0] if args else kwargs.get("inputs"), input_mask)
        else:
            output_mask = None
        flat_outputs = node.outputs
        if isinstance(output_mask, (list, tuple)):
            for tensor, m in zip(flat_outputs, output_mask):
                masks[id(tensor)] = m
        else:
            for tensor in flat_outputs:
                masks[id(tensor)] = output_mask
        return outputs
