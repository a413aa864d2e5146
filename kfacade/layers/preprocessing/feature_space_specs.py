"""What ``FeatureSpace`` is made of: the specification of one feature
(``Feature``) or one feature cross (``Cross``), and ``TFDIdentity``, the
preprocessor of a plain "float" feature.

The class names and config dicts are Keras 3's
(``keras.src.layers.preprocessing.feature_space``), so a FeatureSpace config
reads the same in both. Feature and Cross are not layers: FeatureSpace
reads their serialized dicts itself (``spec_from_config``) instead of
registering them among the layers.
"""
from kfacade import ops
from kfacade.layers.layer import Layer
from kfacade.layers.serialization import deserialize_layer, serialize_layer

#: Keras 3's module of Feature and Cross, written in their serialized dicts.
SPEC_MODULE = "keras.src.layers.preprocessing.feature_space"

FEATURE_OUTPUT_MODES = ("int", "one_hot", "float")
CROSS_OUTPUT_MODES = ("int", "one_hot")


def _check_output_mode(output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(
            "Invalid value for argument `output_mode`. Expected one of "
            f"{set(allowed)}. Received: output_mode={output_mode}"
        )


def _serialized(spec):
    """Keras 3's ``serialize_keras_object`` dict of a Feature or Cross."""
    name = type(spec).__name__
    return {"module": SPEC_MODULE, "class_name": name, "config": spec.get_config(),
            "registered_name": name}


class Feature:
    """One input feature: its input dtype, the layer that preprocesses it and
    how its result is encoded.

    Args:
        dtype: the input's dtype: "float32", "int32", "string", ...
        preprocessor: a preprocessing layer (or its serialized dict).
        output_mode: "float" (the preprocessor's output is used as it is),
            "int" (integer indices, kept as they are) or "one_hot" (the
            indices one-hot encoded over the preprocessor's cardinality).
    """

    def __init__(self, dtype, preprocessor, output_mode):
        _check_output_mode(output_mode, FEATURE_OUTPUT_MODES)
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_layer(preprocessor)
        if not isinstance(preprocessor, Layer):
            raise TypeError(
                "The `preprocessor` of a FeatureSpace feature must be a layer. Received: "
                f"preprocessor={preprocessor!r} (of type {type(preprocessor).__name__})"
            )
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": serialize_layer(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Cross:
    """A cross of categorical features, hashed into `crossing_dim` bins.

    Args:
        feature_names: the names of the crossed features (two or more).
        crossing_dim: the number of hash bins.
        output_mode: "one_hot" (default) or "int".
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        _check_output_mode(output_mode, CROSS_OUTPUT_MODES)
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        """The cross's key in the outputs: the feature names joined by "_X_"."""
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_SPEC_CLASSES = {"Feature": Feature, "Cross": Cross}


def spec_from_config(config, expected):
    """The Feature or Cross of a serialized dict (``_serialized``'s, or Keras 3's).

    Raises:
        ValueError: the dict describes something other than an `expected`.
    """
    class_name = config.get("class_name")
    if class_name != expected.__name__ or "config" not in config:
        raise ValueError(
            f"Expected the serialized dict of a FeatureSpace {expected.__name__}. Received: "
            f"{config}"
        )
    return _SPEC_CLASSES[class_name].from_config(dict(config["config"]))


class TFDIdentity(Layer):
    """The preprocessor of a "float" feature: its input cast to the layer's
    dtype (float32), nothing else. Keras 3's class name and module, so configs match."""

    keras_module = SPEC_MODULE

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs):
        return ops.cast(inputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
