"""``Wrapper``: the base of layers that hold and augment another layer."""
from kfacade.layers.layer import Layer
from kfacade.layers.serialization import deserialize_layer, serialize_layer


class Wrapper(Layer):
    """A layer that wraps another one, `layer` (Keras's ``layers.Wrapper``).

    Subclasses write ``call`` (and ``compute_output_shape`` where running
    ``call`` symbolically cannot give it); ``build`` builds `layer` on the
    wrapper's input shape, and the config holds `layer`'s serialized form.
    ``TimeDistributed`` is one; custom wrappers (weight normalisation, say)
    subclass it as in Keras 2 and 3.

    Raises:
        ValueError: `layer` is not a kfacade layer.

    Example:
        >>> class Scaled(Wrapper):
        ...     def call(self, inputs):
        ...         return 2.0 * self.layer(inputs)
        >>> Scaled(Dense(3))(np.ones((1, 4), "float32")).shape  # (1, 3)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer!r} supplied to Wrapper isn't a supported layer type. Please "
                "ensure wrapped layer is a valid kfacade layer.")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = getattr(layer, "supports_masking", False)

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build([input_shape])
        prefix_weight_paths(self.layer, self.name)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)


def prefix_weight_paths(layer, prefix):
    """Puts `prefix` + "/" before the paths of the weights of `layer` (and its
    sub-layers) that do not carry it yet: ``lstm_cell/kernel`` ->
    ``lstm/lstm_cell/kernel``, as Keras 3 names the weights of wrapped layers."""
    for weight in layer.weights:
        if not weight.path.startswith(prefix + "/"):
            weight.path = f"{prefix}/{weight.path}"
