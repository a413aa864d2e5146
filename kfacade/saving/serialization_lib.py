"""``serialize_keras_object`` / ``deserialize_keras_object``: Keras 3's config dicts.

An object with ``get_config`` becomes ``{"module", "class_name", "config",
"registered_name"}`` as Keras 3 writes it: a built-in class is named by its
public namespace (``"keras.layers"``, ``"keras.losses"``, ... so that the
dict reads the same as Keras 3's) with ``registered_name`` None; a custom
class by its Python module and its registered name (``"package>Name"``, see
``register_keras_serializable``). A function becomes ``{"class_name":
"function", "config": its registered name}``; NumPy arrays, bytes, slices
and lambdas take Keras 3's ``"__numpy__"``, ``"__bytes__"``, ``"__slice__"``
and ``"__lambda__"`` forms. Lists, tuples and dicts are serialized item by
item.

Deserializing looks a class up in ``custom_objects``, the open
``custom_object_scope``s and the registered objects first (by
``registered_name``, then ``class_name``), then in the namespace its
``module`` names (``keras.*`` and ``kfacade.*`` alike; every namespace when
there is no module), and calls ``from_config`` inside a scope holding the
same custom objects, so nested configs find them too. A lambda's bytecode
is loaded only outside safe mode (``safe_mode=False`` or
``kfacade.config.enable_unsafe_deserialization()``).

Example:

>>> config = serialize_keras_object(kfacade.losses.Huber(delta=2.0))
>>> config["module"], config["class_name"], config["config"]["delta"]
('keras.losses', 'Huber', 2.0)
>>> deserialize_keras_object(config).delta
2.0
"""
import base64
import inspect
import marshal
import types
import warnings

import numpy as np

from kfacade import activations, constraints, initializers, losses, metrics, ops, optimizers
from kfacade import regularizers
from kfacade.engine import object_registry
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.layers.layer import Layer
from kfacade.optimizers import schedules

__all__ = ["serialize_keras_object", "deserialize_keras_object"]

PLAIN_TYPES = (str, int, float, bool)

# (base class, Keras 3 module name, kfacade namespace), most specific first.
_NAMESPACES = (
    (schedules.LearningRateSchedule, "keras.optimizers.schedules", schedules),
    (optimizers.Optimizer, "keras.optimizers", optimizers),
    (losses.Loss, "keras.losses", losses),
    (metrics.Metric, "keras.metrics", metrics),
    (initializers.Initializer, "keras.initializers", initializers),
    (regularizers.Regularizer, "keras.regularizers", regularizers),
    (constraints.Constraint, "keras.constraints", constraints),
    (Layer, "keras.layers", None),  # layers and models: the object registry's "layers"
)


def _public_module(cls):
    """Keras 3's module name for a built-in kfacade class, else None (a custom class)."""
    if object_registry.GLOBAL_CUSTOM_NAMES.get(cls) is not None:
        return None
    if not cls.__module__.startswith("kfacade."):
        return None
    for base, module, namespace in _NAMESPACES:
        if issubclass(cls, base):
            if namespace is None:
                found = object_registry.get("layers", cls.__name__)
            else:
                found = getattr(namespace, cls.__name__, None)
            if found is not cls:
                return None
            # A layer Keras 3 keeps outside keras.layers names its module (FeatureSpace).
            return cls.__dict__.get("keras_module", module)
    # A class of another Keras 3 namespace (keras.distillation), registered
    # in the object registry under its module's name.
    module = cls.__dict__.get("keras_module")
    if module and object_registry.get(module, cls.__name__) is cls:
        return module
    return None


def _func_dump(func):
    """A function's bytecode, defaults and closure, as Keras 3 stores a lambda."""
    code = base64.b64encode(marshal.dumps(func.__code__)).decode("ascii")
    closure = tuple(cell.cell_contents for cell in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def _func_load(code, defaults=None, closure=None):
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    raw = marshal.loads(base64.b64decode(code.encode("ascii")))  # noqa: S302 (safe mode checked)
    if closure is not None:
        closure = tuple(types.CellType(value) for value in closure)
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    return types.FunctionType(raw, globals(), name=raw.co_name, argdefs=defaults,
                              closure=closure)


def serialize_keras_object(obj):
    """A JSON-ready dict (or plain value) describing `obj`; the inverse of
    ``deserialize_keras_object``.

    Args:
        obj: a kfacade object with ``get_config`` (layer, loss, metric,
            optimizer, initializer, ...), a function, or a plain value,
            list, tuple or dict of them.

    Raises:
        TypeError: an object without ``get_config`` that is not a function.
    """
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(item) for item in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                      "dtype": obj.dtype.name}}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, KerasTensor):
        raise TypeError(
            f"Cannot serialize the symbolic tensor {obj!r}: serialize the model or layer "
            "that produces it instead.")
    if isinstance(obj, types.FunctionType):
        if obj.__name__ == "<lambda>":
            warnings.warn(
                "The object being serialized includes a `lambda`. This is unsafe: reloading "
                "it needs `safe_mode=False`. Use a named function instead.", stacklevel=2)
            return {"class_name": "__lambda__", "config": {"value": _func_dump(obj)}}
        return {"module": "builtins", "class_name": "function",
                "config": object_registry.get_registered_name(obj), "registered_name": "function"}
    if hasattr(obj, "get_config"):
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(f"The get_config() method of {obj!r} should return a dict. "
                            f"It returned: {config!r}")
        cls = type(obj)
        module = _public_module(cls)
        serialized = {
            "module": module or cls.__module__,
            "class_name": cls.__name__,
            "config": serialize_keras_object(config),
            "registered_name": None if module else object_registry.get_registered_name(cls),
        }
        for getter, key in (("get_build_config", "build_config"),
                            ("get_compile_config", "compile_config")):
            if hasattr(obj, getter):
                extra = getattr(obj, getter)()
                if extra is not None:
                    serialized[key] = serialize_keras_object(extra)
        return serialized
    if ops.is_tensor(obj):
        array = ops.convert_to_numpy(obj)
        return {"class_name": "__tensor__",
                "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    if hasattr(obj, "__name__"):  # a class, a builtin function
        return object_registry.get_registered_name(obj)
    raise TypeError(
        f"Cannot serialize object {obj!r} of type {type(obj).__name__}. To be serializable, a "
        "class must implement the `get_config()` method.")


def _function(name, custom_objects):
    found = object_registry.get_registered_object(name, custom_objects)
    if found is not None:
        return found
    for namespace in (activations, losses, metrics):
        candidate = getattr(namespace, name, None)
        if inspect.isfunction(candidate):
            return candidate
    raise ValueError(
        f"Unknown function: {name!r}. Register it with "
        "`kfacade.saving.register_keras_serializable()` or pass it in `custom_objects`.")


def _namespaces_of(module):
    """The kfacade namespaces to search for a class saved with `module`."""
    module = object_registry.keras_module_name(module)
    if module.startswith(("keras.src.models", "keras.models")):
        module = "keras.layers"
    named = [namespace for _, keras_module, namespace in _NAMESPACES if keras_module == module]
    # No module, "keras" itself, or a user module: every namespace.
    return named or [namespace for _, _, namespace in _NAMESPACES]


def _class(config, custom_objects):
    class_name = config["class_name"]
    for name in (config.get("registered_name"), class_name):
        if name:
            found = object_registry.get_registered_object(name, custom_objects)
            if found is not None:
                return found
    module = object_registry.keras_module_name(config.get("module"))
    found = object_registry.get(module, class_name) if module else None
    if inspect.isclass(found):  # a class registered under its Keras module (see _public_module)
        return found
    for namespace in _namespaces_of(config.get("module")):
        found = (object_registry.get("layers", class_name) if namespace is None
                 else getattr(namespace, class_name, None))
        if inspect.isclass(found):
            return found
    raise ValueError(
        f"Could not locate class {class_name!r} (module {config.get('module')!r}). Make sure custom classes "
        "are decorated with `@kfacade.saving.register_keras_serializable()` or passed in "
        f"`custom_objects`. Full object config: {config}")


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a ``serialize_keras_object`` dict (or Keras 3's) describes.

    Args:
        config: the dict (or plain value, list, or function name).
        custom_objects: ``{name: class or function}`` searched before the
            built-in namespaces.
        safe_mode: refuse to load a lambda's bytecode (on by default; see
            ``kfacade.config.enable_unsafe_deserialization``).

    Raises:
        ValueError: an unknown class or function, or a lambda in safe mode.
    """
    safe_mode = object_registry.in_safe_mode(safe_mode)
    custom_objects = object_registry.custom_objects_in_effect(custom_objects)
    if config is None:
        return None
    if isinstance(config, str) and custom_objects.get(config) is not None:
        return custom_objects[config]  # a function saved by name (Keras 2's form)
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(item, custom_objects, safe_mode) for item in config]
    if isinstance(config, PLAIN_TYPES):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode)
                for key, value in config.items()}

    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__tensor__":
        return ops.convert_to_tensor(np.array(inner["value"], dtype=inner["dtype"]))
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(*(deserialize_keras_object(inner[key], custom_objects, safe_mode)
                       for key in ("start", "stop", "step")))
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Requested the deserialization of a Python lambda. This carries a potential "
                "risk of arbitrary code execution and thus it is disallowed by default. If you "
                "trust the source of the artifact, pass `safe_mode=False` to the loading "
                "function, or call `kfacade.config.enable_unsafe_deserialization()`.")
        return _func_load(inner["value"])
    if class_name == "function":
        if not isinstance(inner, str):
            raise TypeError(f"Expected 'config' to be a function name for class_name "
                            f"'function'. Full config: {config}")
        return _function(inner, custom_objects)

    cls = _class(config, custom_objects)
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise TypeError(f"Unable to reconstruct an instance of {class_name!r} because the class "
                        f"has no `from_config()` method. Full object config: {config}")
    with object_registry.CustomObjectScope(custom_objects), \
            object_registry.SafeModeScope(safe_mode):
        instance = cls.from_config(inner)
        build_config = config.get("build_config")
        if build_config and hasattr(instance, "build_from_config") and not getattr(
                instance, "built", True):
            instance.build_from_config(build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compile_config)
    return instance
