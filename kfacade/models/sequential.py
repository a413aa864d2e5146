"""``Sequential``: a plain stack of single-input, single-output layers.

When the input shape is known (an ``Input`` first, or ``input_shape`` /
``input_dim`` on the first layer) the stack is built at once as a
functional graph, so ``summary``, ``layer.output`` and intermediate-output
models work as in Keras 2; otherwise it builds on the first call. An eager
call runs the layers in a plain loop.
"""
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.layers.input_layer import Input, InputLayer
from kfacade.layers.layer import Layer
from kfacade.layers.serialization import deserialize_layer, serialize_layer
from kfacade.models.functional import Functional
from kfacade.models.model import Model


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: an optional list of layers to add.
        name: the model's name.

    Example:
        >>> model = kfacade.Sequential()
        >>> model.add(kfacade.layers.Dense(64, activation="relu", input_dim=100))
        >>> model.add(kfacade.layers.Dense(10, activation="softmax"))
    """

    def __init__(self, layers=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack = []
        self._uses_masks = False
        self._input_layer = None
        self._functional = None
        self._layers_override = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    def add(self, layer, rebuild=True):
        """Appends a layer (or an ``Input`` tensor) to the stack.

        Raises:
            ValueError: `layer` is not a Layer, or its name is taken.
        """
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history[0], InputLayer):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Only instances of `kfacade.layers.Layer` can be added to a Sequential "
                f"model. Received: {layer!r} (of type {type(layer)})"
            )
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model.")
            self._input_layer = layer
        else:
            if any(layer.name == existing.name for existing in self._stack):
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. "
                    f"Name {layer.name!r} is already the name of a layer in this model. "
                    f"Update the `name` argument to pass a unique name."
                )
            self._stack.append(layer)
        self._layers_override = list(self._stack)
        self._functional = None
        self.built = False
        if rebuild:
            self._maybe_build_graph()

    def pop(self):
        """Removes the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._layers_override = list(self._stack)
        self._functional = None
        self.built = False
        self._maybe_build_graph()
        return layer

    def _declared_batch_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._stack and self._stack[0]._batch_input_shape is not None:
            return self._stack[0]._batch_input_shape
        return None

    def _maybe_build_graph(self):
        batch_shape = self._declared_batch_shape()
        if batch_shape is not None and self._stack:
            self.build(batch_shape)

    def build(self, input_shape=None):
        """Builds the graph for inputs of `input_shape` (batch axis included)."""
        if input_shape is None:
            input_shape = self._declared_batch_shape()
        if input_shape is None:
            raise ValueError(
                f"Sequential model {self.name!r} cannot be built without an input shape: "
                f"add an Input, pass input_shape to the first layer, or call the model."
            )
        input_shape = tuple(input_shape)
        if self._input_layer is not None:
            inputs = self._input_layer._input_tensor
        else:
            inputs = Input(batch_shape=input_shape, dtype=self._stack[0].dtype if self._stack else None)
            self._input_layer = inputs._keras_history[0]
        x = inputs
        for layer in self._stack:
            x = layer(x)
        self._functional = Functional(inputs, x, name=f"{self.name}_functional")
        self.input_spec = self._functional.input_spec
        self._uses_masks = self._functional._uses_masks
        self.built = True

    @property
    def layers(self):
        return list(self._stack)

    @property
    def inputs(self):
        return self._functional.inputs if self._functional else None

    @property
    def outputs(self):
        return self._functional.outputs if self._functional else None

    @property
    def input(self):
        if self._functional is None:
            raise AttributeError(f"Sequential model {self.name!r} has no input until it is built.")
        return self._functional.input

    @property
    def output(self):
        if self._functional is None:
            raise AttributeError(f"Sequential model {self.name!r} has no output until it is built.")
        return self._functional.output

    def _maybe_build(self, shapes):
        if not self.built:
            # Built from a call: the batch size of that call is not part of the model.
            self.build((None,) + tuple(shapes[0][1:]))

    def call(self, inputs, training=None, mask=None):
        if self._uses_masks:
            return self._functional.call(inputs, training=training, mask=mask)
        for layer in self._stack:
            inputs = layer(inputs)
        return inputs

    def get_config(self):
        config = {"name": self.name, "layers": []}
        if self._input_layer is not None:
            config["layers"].append(serialize_layer(self._input_layer))
        config["layers"].extend(serialize_layer(layer) for layer in self._stack)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config, list):  # Keras 2 before 2.2: the list of layers alone
            config = {"layers": config}
        model = cls(name=config.get("name"))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects))
        return model
