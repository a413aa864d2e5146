"""Layer configs: ``{"class_name", "config"}`` dicts and back, by class name.

Classes are found in the object registry, category "layers", where
``kfacade.layers`` registers its layers and ``kfacade.models`` its models.
"""
import inspect

from kfacade.engine import object_registry


#: Keras 3's module names of the built-in model classes.
_MODEL_MODULES = {"Functional": "keras.src.models.functional",
                  "Sequential": "keras.src.models.sequential", "Model": "keras.src.models.model"}


def serialize_layer(layer):
    """The Keras-style serialized form of `layer`: ``class_name`` and ``config``, with
    ``module`` and ``registered_name`` as Keras 3 (and tf_keras >= 2.13) write them, so
    that a nested layer (a Bidirectional's, a model's) loads in Keras 3 too: a built-in
    layer is in module "keras.layers" with no registered name, a custom one in its Python
    module under its registered name ("package>Name")."""
    cls = type(layer)
    registered = object_registry.get_registered_name(cls)
    if cls.__module__.startswith("kfacade.") and object_registry.get(
            "layers", cls.__name__) is cls:
        module = _MODEL_MODULES.get(cls.__name__, cls.__dict__.get("keras_module", "keras.layers"))
        registered = cls.__name__ if cls.__name__ in _MODEL_MODULES else None
        class_name = cls.__name__
    else:
        module, class_name = cls.__module__, registered
    return {"module": module, "class_name": class_name, "config": layer.get_config(),
            "registered_name": registered}


def deserialize_layer(config, custom_objects=None):
    """A new layer from ``serialize_layer``'s output.

    Raises:
        ValueError: an unknown class name, naming it and how to register it.
        TypeError: an argument the class does not take (as Keras 3), naming the
            layer, the argument and its value.
    """
    class_name = config["class_name"]
    cls = object_registry.get("layers", class_name, custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown layer: {class_name!r}. Please ensure you are using a "
            f"`kfacade.layers` layer, or pass your class in `custom_objects`."
        )
    from_config = cls.from_config
    try:
        if custom_objects and "custom_objects" in inspect.signature(from_config).parameters:
            # A model passes them on to its own layers.
            return from_config(dict(config["config"]), custom_objects=custom_objects)
        return from_config(dict(config["config"]))
    except TypeError as e:
        if not str(e).startswith("Unrecognized keyword arguments"):
            raise
        name = config["config"].get("name") if isinstance(config["config"], dict) else None
        raise TypeError(
            f"Layer {name!r} ({class_name}): kfacade does not support these Keras arguments "
            f"(argument: value): {e}"
        ) from e
