"""Pipeline: preprocessing layers applied one after another, as a single layer."""
from kfacade.layers.layer import Layer
from kfacade.layers.serialization import deserialize_layer, serialize_layer


class Pipeline(Layer):
    """Applies `layers` in sequence to an input (Keras 3's ``layers.Pipeline``).

    Meant for preprocessing and augmentation chains. Unlike a ``Sequential``
    model it is a plain layer: no ``fit``, no input shape to declare, and it
    passes its input to the first layer as it is (a dict such as
    ``{"images": ..., "labels": ...}`` for ``MixUp``/``CutMix`` included).
    ``training`` reaches every layer that takes it (a direct call defaults to
    True, as for the augmentation layers); a mask given to the call reaches
    the first layer, and masks then travel with the tensors.

    Args:
        layers: a list of layer instances.
        name: the layer's name.

    Raises:
        ValueError: ``from_config`` on a config without a list of layers.

    Example:
        >>> pipeline = Pipeline([RandomFlip(seed=1), RandomRotation(0.1, seed=2)])
        >>> pipeline(images).shape == images.shape
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        self._pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self):
        """The pipeline's layers, in the order they run."""
        return list(self._pipeline_layers)

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs = {}
            if mask is not None and layer._call_has_mask:
                kwargs["mask"] = mask
            if training is not None and layer._call_has_training:
                kwargs["training"] = training
            outputs = layer(outputs, **kwargs)
            mask = None  # later layers read the mask their input carries
        return outputs

    def get_config(self):
        # Keras 3's keys exactly.
        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        config = {**config, "layers": [deserialize_layer(layer, custom_objects)
                                       for layer in layers]}
        return cls(**config)
