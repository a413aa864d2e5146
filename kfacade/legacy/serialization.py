"""Keras 2's object dicts (``tf.keras`` 2.x): ``{"class_name": ..., "config": ...}``.

Served as ``kfacade.utils.legacy`` (Keras 3's ``keras.utils.legacy``). Unlike
Keras 3's form (``kfacade.saving.serialize_keras_object``) the dict has no
``module`` or ``registered_name``: ``class_name`` is the registered name
(``"package>Name"`` for a custom class), and ``config`` is the object's
``get_config()`` with each value that is itself an object (one with
``get_config``, not already a dict) serialized the same way and marked
``"__passive_serialization__": True``, and each function replaced by its name.

Reading one back finds the class in `custom_objects`, the open
``custom_object_scope``s, the registered objects and `module_objects`
(as Keras 2, the built-in classes are found only through `module_objects`),
then rewrites the config with the loaders' own Keras 2 reader
(``kfacade.saving.config_compat``: layers and models as ``model_from_json``
reads them, optimizers and losses as a ``.h5`` training config) before
calling ``from_config``.

Example:

>>> config = serialize_keras_object(kfacade.layers.Dense(3, name="d"))
>>> config["class_name"], config["config"]["units"]
('Dense', 3)
>>> deserialize_keras_object(config, module_objects=vars(kfacade.layers)).units
3
"""
import inspect

from kfacade.engine import object_registry
from kfacade.saving import config_compat

__all__ = ["serialize_keras_object", "deserialize_keras_object"]

#: The key marking a config value that was an object, not a plain dict.
PASSIVE_KEY = "__passive_serialization__"


def serialize_keras_object(instance):
    """Serialize a Keras object into a JSON-compatible representation (Keras 2's form).

    Args:
        instance: the object to serialize: an object with ``get_config`` (layer,
            model, optimizer, loss, initializer, ...), a function or class (its
            registered name), or None.

    Returns:
        ``{"class_name": registered name, "config": {...}}`` for an object with
        ``get_config``; a name for a function or class; None for None.

    Raises:
        ValueError: an object without ``get_config`` and without a name.
    """
    instance = inspect.unwrap(instance) if callable(instance) else instance
    if instance is None:
        return None
    if hasattr(instance, "get_config") and not inspect.isclass(instance):
        serialized = object_registry.serialize_instance(instance)
        config = serialized["config"]
        if not isinstance(config, dict):
            raise TypeError(f"The get_config() method of {instance!r} should return a dict. "
                            f"It returned: {config!r}")
        serialized["config"] = {key: _config_value(value) for key, value in config.items()}
        return serialized
    if hasattr(instance, "__name__"):
        return object_registry.get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _config_value(value):
    """One value of a config: strings and values that are not objects as they are."""
    if isinstance(value, str):
        return value
    try:
        serialized = serialize_keras_object(value)
    except ValueError:  # a number, list, dict, array...: JSON (or the caller) handles it
        return value
    if isinstance(serialized, dict) and not isinstance(value, dict):
        serialized[PASSIVE_KEY] = True
    return serialized


def _unknown(printable_module_name, name):
    return ValueError(
        f"Unknown {printable_module_name}: '{name}'. Please ensure you are using a "
        "`kfacade.utils.custom_object_scope` and that this object is included in the scope. "
        "See https://www.tensorflow.org/guide/keras/save_and_serialize"
        "#registering_the_custom_object for details.")


def _class_and_config(config, module_objects, custom_objects, printable_module_name):
    """The class a Keras 2 dict names, and a copy of its config with the passive
    objects and function names in it turned back into objects."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Improper config format for {config}. Expecting python dict contains "
                         "`class_name` and `config` as keys")
    class_name = config["class_name"]
    cls = object_registry.get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        raise _unknown(printable_module_name, class_name)
    cls_config = config["config"]
    if not isinstance(cls_config, dict):  # Keras 2.0's Sequential: a list of layers
        return cls, cls_config
    cls_config = dict(cls_config)
    for key, value in cls_config.items():
        if key == "name":  # a name is a string, even one equal to a function's name
            continue
        if isinstance(value, dict) and PASSIVE_KEY in value:
            value = {k: v for k, v in value.items() if k != PASSIVE_KEY}
            cls_config[key] = deserialize_keras_object(value, module_objects, custom_objects,
                                                       "config_item")
        elif isinstance(value, str):
            found = object_registry.get_registered_object(value, custom_objects, module_objects)
            if inspect.isfunction(found):
                cls_config[key] = found
    return cls, cls_config


def _kind(cls):
    """"layer", "optimizer", "loss", "builtin" (another kfacade class) or None (a user class)."""
    from kfacade.layers.layer import Layer
    from kfacade.losses import Loss
    from kfacade.optimizers import Optimizer

    if not inspect.isclass(cls):
        return None
    if issubclass(cls, Layer):
        return "layer"
    if not cls.__module__.startswith("kfacade."):
        return None
    if issubclass(cls, Optimizer):
        return "optimizer"
    if issubclass(cls, Loss):
        return "loss"
    return "builtin"


def _from_config(cls, cls_config, custom_objects):
    """``cls.from_config(cls_config)`` with `custom_objects` in effect (or ``cls(**config)``
    when `cls` has no ``from_config``: a function returning an object)."""
    with object_registry.CustomObjectScope(custom_objects):
        if not hasattr(cls, "from_config"):
            return cls(**cls_config)
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(cls_config, custom_objects=dict(
                object_registry.GLOBAL_CUSTOM_OBJECTS, **custom_objects))
        return cls.from_config(cls_config)


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """Turns the serialized form of a Keras object (Keras 2's) back into an object.

    Args:
        identifier: a ``{"class_name", "config"}`` dict, the name of a
            class or function, a function (returned as is), or None.
        module_objects: ``{name: class or function}`` of the built-in objects to
            look names up in (e.g. ``vars(kfacade.layers)``); as in Keras 2, built-in
            classes are not found without it.
        custom_objects: ``{name: class or function}`` of user objects, searched
            with the open ``custom_object_scope``s and the registered objects.
        printable_module_name: what the object is, for error messages.

    Returns:
        The object. A class given by name is instantiated with no arguments;
        a function given by name is returned as is.

    Raises:
        ValueError: a dict without ``class_name``/``config``, an unknown name, or
            an identifier of another type.
    """
    if identifier is None:
        return None
    custom_objects = dict(custom_objects or {})
    if isinstance(identifier, dict):
        cls, cls_config = _class_and_config(identifier, module_objects, custom_objects,
                                            printable_module_name)
        kind = _kind(cls)
        class_name = identifier["class_name"]
        if kind == "layer":
            # The Keras 2 model reader, with the class found here in effect under its name.
            with object_registry.CustomObjectScope({class_name: cls}):
                return config_compat.model_from_keras_config(
                    {"class_name": class_name, "config": cls_config}, custom_objects)
        if kind is not None and isinstance(cls_config, dict):
            cls_config = config_compat.object_config_compat(
                {"class_name": class_name, "config": cls_config},
                None if kind == "builtin" else kind)["config"]
        return _from_config(cls, cls_config, custom_objects)
    if isinstance(identifier, str):
        found = object_registry.get_registered_object(identifier, custom_objects, module_objects)
        if found is None:
            raise _unknown(printable_module_name, identifier)
        return found() if inspect.isclass(found) else found
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
