"""Functional models: a graph of layer calls from ``Input``s to outputs.

A functional model is a ``kfacade.Function`` (``kfacade/engine/function.py``)
that is also a layer: construction orders the graph's nodes once
(``ordered_nodes``), and an eager call runs that list of nodes with a dict
from symbolic tensor to value (``Function._run_through_graph``). Masks
travel beside the values only when some layer in the graph produces one.
"""
import inspect
import json

from kfacade.backend.active import adapter as _B
from kfacade.engine import tree
from kfacade.engine.function import Function, _flatten_like
from kfacade.engine.masks import get_keras_mask
from kfacade.engine.input_spec import InputSpec
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.layers.input_layer import InputLayer
from kfacade.layers.layer import Layer
from kfacade.layers.serialization import deserialize_layer, serialize_layer
from kfacade.models.model import Model, keras1_names
from kfacade.trainers.trainer import Trainer


_FUNCTIONAL_FORMS = {}


def functional_form(cls):
    """The class of a functional model of `cls` (Model or a subclass):
    Functional for Model, `cls` itself when it derives from Functional
    already, else a subclass of both (made once per class), whose own
    methods (``train_step``, ``get_config``) come before Functional's, and
    Functional's before Model's."""
    if cls is Model:
        return Functional
    if issubclass(cls, Functional):
        return cls
    form = _FUNCTIONAL_FORMS.get(cls)
    if form is None:
        form = type(cls.__name__, (cls, Functional), {
            "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__})
        _FUNCTIONAL_FORMS[cls] = form
    return form


class Functional(Function, Model):
    """A model defined by its inputs and outputs (see ``Model``).

    As in Keras 3, a functional model is a ``kfacade.Function`` (it orders
    and runs its graph with Function's code) and a ``Model``.
    """

    _graph_kind = "functional Model"
    # The layer's shape inference (a run on stand-ins), not Function's:
    # Layer's symbolic call keeps each output's own dtype and mask that way.
    compute_output_shape = Layer.compute_output_shape

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if "input" in kwargs or "output" in kwargs:  # Model(input=..., output=...)
            given = {key: value for key, value in (("inputs", inputs), ("outputs", outputs))
                     if value is not None}
            kwargs = keras1_names({**kwargs, **given})
            inputs, outputs = kwargs.pop("inputs", None), kwargs.pop("outputs", None)
        if inputs is None or outputs is None:
            raise TypeError(
                "A functional Model needs both `inputs` and `outputs`. Received: "
                f"inputs={inputs!r}, outputs={outputs!r}.")
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._init_graph(inputs, outputs)
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
            get_keras_mask(x) is not None
            for node in self._nodes for x in node.outputs
        )
        self.input_spec = [InputSpec(shape=x.shape, allow_last_axis_squeeze=True) for x in self._inputs]
        self.built = True

    # ------------------------------------------------------------ config
    def get_config(self):
        """Keras 2's functional config: the layers with their inbound nodes, and
        the model's input and output tensors as ``[layer name, node index,
        tensor index]``.

        Node indices count only the nodes of this model (a layer shared with
        another model keeps its numbering here), as Keras 2 writes them.

        Raises:
            ValueError: the graph holds an operation that is not a layer (a
                ``kfacade.ops`` call on symbolic tensors), or an input that is
                not an ``Input``.
            TypeError: a layer was called with an argument JSON cannot hold.
        """
        model_nodes = {id(node) for node in self._nodes}
        for x in self._inputs:
            operation, node_index, _ = x._keras_history
            if not isinstance(operation, InputLayer):
                raise ValueError(
                    f"Model {self.name!r} cannot be serialized: its input {x} does not come "
                    "from kfacade.Input. Build the model from Input tensors."
                )
            model_nodes.add(id(operation._inbound_nodes[node_index]))
        for node in self._nodes:
            if not isinstance(node.operation, Layer):
                raise ValueError(
                    f"Model {self.name!r} cannot be serialized: it calls the operation "
                    f"{node.operation.name!r} ({type(node.operation).__name__}), which is not "
                    "a layer. Wrap it in a Layer subclass (with get_config) to save the model."
                )
        layers = self.layers
        saved_index = {}  # (id(layer), node index) -> index among this model's nodes
        for layer in layers:
            kept = 0
            for index, node in enumerate(layer._inbound_nodes):
                if id(node) in model_nodes:
                    saved_index[(id(layer), index)] = kept
                    kept += 1

        def reference(tensor):
            operation, node_index, tensor_index = tensor._keras_history
            return [operation.name, saved_index[(id(operation), node_index)], tensor_index]

        layer_configs = []
        for layer in layers:
            inbound_nodes = []
            if not isinstance(layer, InputLayer):
                for node in layer._inbound_nodes:
                    if id(node) in model_nodes:
                        inbound_nodes.append(_serialize_node(layer, node, reference))
            entry = serialize_layer(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = inbound_nodes
            layer_configs.append(entry)

        def nested_references(structure):
            refs = tree.map_structure(reference, structure)
            return [refs] if isinstance(structure, KerasTensor) else refs

        return {
            "name": self.name,
            "layers": layer_configs,
            "input_layers": nested_references(self._inputs_struct),
            "output_layers": nested_references(self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new functional model from ``get_config()``'s output (or Keras 2's).

        The layers are created from their configs, then called on the
        rebuilt tensors in an order where every node's inputs exist.

        Args:
            config: the functional config.
            custom_objects: ``{class name: class}`` for layers outside kfacade.

        Raises:
            ValueError: an unknown layer class (naming it), or inbound nodes
                that refer to layers or nodes the config does not have.
        """
        created, pending = {}, {}
        node_outputs = {}  # (layer name, node index) -> flat output tensors
        for layer_config in config["layers"]:
            layer = deserialize_layer(layer_config, custom_objects)
            name = layer_config.get("name", layer.name)
            created[name] = layer
            pending[name] = list(layer_config.get("inbound_nodes") or [])
            if any(isinstance(node, dict) for node in pending[name]):
                raise ValueError(
                    f"Layer {name!r} has inbound nodes in Keras 3's form ({{'args', 'kwargs'}}); "
                    "kfacade reads Keras 2's functional config ([[layer, node, tensor, "
                    "kwargs], ...]) only."
                )
            if isinstance(layer, InputLayer):
                node_outputs[(name, 0)] = layer._inbound_nodes[0].outputs

        def is_reference(data):
            return (isinstance(data, (list, tuple)) and len(data) in (3, 4)
                    and isinstance(data[0], str) and isinstance(data[1], int)
                    and isinstance(data[2], int))

        def ready(data):
            if is_reference(data):
                return (data[0], data[1]) in node_outputs and (
                    len(data) == 3 or ready(data[3]))
            if isinstance(data, dict):
                return all(ready(v) for v in data.values())
            if isinstance(data, (list, tuple)):
                return all(ready(v) for v in data)
            return True

        def resolve(data):
            if is_reference(data):
                return node_outputs[(data[0], data[1])][data[2]]
            if isinstance(data, dict):
                return {k: resolve(v) for k, v in data.items()}
            if isinstance(data, (list, tuple)):
                return [resolve(v) for v in data]
            return data

        progress = True
        while progress and any(pending.values()):
            progress = False
            for name, nodes in pending.items():
                layer = created[name]
                while nodes and ready(nodes[0]):
                    node_data = nodes.pop(0)
                    references = node_data if isinstance(node_data, list) else [node_data]
                    kwargs = references[0][3] if len(references[0]) == 4 else {}
                    inputs = [resolve(list(r[:3])) for r in references]
                    outputs = layer(inputs[0] if len(inputs) == 1 else inputs,
                                    **resolve(kwargs))
                    node_index = sum(1 for key in node_outputs if key[0] == name)
                    node_outputs[(name, node_index)] = tree.flatten(outputs)
                    progress = True
        unresolved = {name: nodes for name, nodes in pending.items() if nodes}
        if unresolved:
            raise ValueError(
                f"Cannot rebuild model {config.get('name')!r} from its config: the inbound "
                f"nodes of layers {sorted(unresolved)} refer to layers or nodes that the "
                f"config does not define. Received: {unresolved}"
            )

        def tensors(spec):
            if is_reference(spec):
                return resolve(list(spec[:3]))
            if isinstance(spec, dict):
                return {k: tensors(v) for k, v in spec.items()}
            result = [tensors(v) for v in spec]
            return result[0] if len(result) == 1 else result  # Keras 2 wraps a single tensor

        inputs = tensors(config["input_layers"])
        outputs = tensors(config["output_layers"])
        model_class = cls if issubclass(cls, Functional) else Functional
        return model_class(inputs, outputs, name=config.get("name"))

    # ------------------------------------------------------------ graph
    # `inputs` and `outputs` are Function's.
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
            flat = []
            for key, reference in self._inputs_struct.items():
                # A nested entry ({"b": {"c": Input}}) is matched as Function matches it.
                if not _flatten_like(reference, inputs[key], flat):
                    raise ValueError(
                        f"Model {self.name!r}: input {key!r} should be nested as "
                        f"{reference}. Received: {inputs[key]!r}")
            return flat
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
        if args and isinstance(args[0], dict):
            # Matched by key or input name (Keras), before any check compares
            # by position: the dict's own order is not the inputs' (jax.jit
            # rebuilds dicts with sorted keys).
            args = (self._flatten_inputs(args[0]),) + args[1:]
        if args and isinstance(args[0], (list, tuple)):  # a dict is a list by now
            args = (self._convert_nested(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def _convert_nested(self, inputs):
        return tree.map_structure(
            lambda x: x if (x is None or _B.is_tensor(x) or isinstance(x, KerasTensor)) else self._convert_input(x),
            inputs,
        )

    def call(self, inputs, training=None, mask=None):
        flat_inputs = self._flatten_inputs(inputs)
        if not self._uses_masks:
            return self._run_through_graph(flat_inputs)
        masks = {}
        flat_masks = tree.flatten(mask) if mask is not None else [None] * len(self._inputs)
        for tensor, m in zip(self._inputs, flat_masks):
            masks[id(tensor)] = m

        def call_node(node, args, kwargs):
            operation = node.operation
            if node.device is not None:
                return self._call_placed(operation, node, args, kwargs, masks)
            if isinstance(operation, Layer):
                return self._call_with_masks(operation, node, args, kwargs, masks)
            return operation(*args, **kwargs)

        return self._run_through_graph(flat_inputs, call_node)

    def _call_placed(self, operation, node, args, kwargs, masks):
        """A node called under a ``kfacade.device`` scope runs under it again."""
        with _B.device_scope(node.device):
            if masks is not None and isinstance(operation, Layer):
                return self._call_with_masks(operation, node, args, kwargs, masks)
            return operation(*args, **kwargs)

    def _call_with_masks(self, layer, node, args, kwargs, masks):
        input_masks = [masks.get(id(x)) for x in node.input_tensors]
        input_mask = input_masks[0] if len(input_masks) == 1 else (
            input_masks if any(m is not None for m in input_masks) else None)
        if input_mask is not None and "mask" not in kwargs:
            # The layer's call drops it when `call` takes no mask; its
            # __call__ attaches compute_mask's result to the outputs.
            kwargs = dict(kwargs, mask=input_mask)
        outputs = layer(*args, **kwargs)
        for tensor, value in zip(node.outputs, tree.flatten(outputs)):
            masks[id(tensor)] = get_keras_mask(value)
        return outputs


def _serialize_node(layer, node, reference):
    """One inbound node in Keras 2's form: ``[[layer, node, tensor, kwargs], ...]``.

    As in Keras 2, the first argument holds the tensors; every other
    argument goes into the kwargs, where tensors become ``[layer, node,
    tensor]`` references.
    """
    args, kwargs = list(node.call_args), dict(node.call_kwargs)
    parameters = [name for name, p in inspect.signature(layer.call).parameters.items()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if args:
        first = args.pop(0)
    else:
        first = kwargs.pop(parameters[0])
    kwargs = {**dict(zip(parameters[1:], args)), **kwargs}
    kwargs = tree.map_structure(
        lambda x: reference(x) if isinstance(x, KerasTensor) else x, kwargs)
    try:
        json.dumps(kwargs)
    except TypeError:
        raise TypeError(
            f"Layer {layer.name!r} was passed non-JSON-serializable arguments, so the model "
            f"cannot be saved. Arguments had types: "
            f"{tree.map_structure(lambda x: type(x).__name__, kwargs)}."
        ) from None
    tensors = tree.flatten(first)
    for x in tensors:
        if not isinstance(x, KerasTensor):
            raise ValueError(
                f"Layer {layer.name!r} was called on a constant ({x!r}) among its input "
                "tensors; such a model cannot be saved. Pass constants as layer arguments."
            )
    return [reference(x) + [kwargs] for x in tensors]
