"""Classes and functions found by name: where a config's ``class_name`` is looked up.

Each public namespace registers what it exports (``kfacade.layers`` its layer
classes, ``kfacade.models`` the model classes, ``kfacade.losses`` and
``kfacade.metrics`` their functions by name) when it is imported, and lower
modules look names up here instead of importing the namespace above them.
A package's ``__init__`` runs before any of its modules, so a name is
registered before anything in its package can ask for it.

User objects are found here too, as in Keras 3's
``saving/object_registration.py``: the global dict that
``register_keras_serializable`` fills (``"package>Name"`` keys), the dicts
of the ``custom_object_scope``s open in this thread, and the
``custom_objects`` passed to a loading call. Every deserializer asks
``custom_objects_in_effect``, so a registered or scoped object is found by
``load_model``, ``layers.deserialize``, ``losses.get`` alike.

The safe-mode flag (``kfacade.config.enable_unsafe_deserialization``) lives
here as well: deserializing Python bytecode (a lambda) checks ``in_safe_mode``.
"""
import inspect
import threading

_registry = {}  # category -> {name: class or function}

#: ``{registered name: object}`` filled by ``register_keras_serializable``.
GLOBAL_CUSTOM_OBJECTS = {}
#: ``{object: registered name}``, its inverse.
GLOBAL_CUSTOM_NAMES = {}

_local = threading.local()  # .scopes: [dict] of the open custom_object_scopes; .safe_mode


def register(category, objects):
    """Registers ``{name: object}`` under `category` ("layers", "losses", ...)."""
    _registry.setdefault(category, {}).update(objects)



def keras_module_name(module):
    """A saved ``module`` key as Keras names it: ``kfacade.x`` read as ``keras.x``
    ("" for None); the registry keeps classes of other Keras namespaces under
    such names (``keras.distillation``)."""
    module = str(module or "")
    return "keras" + module[len("kfacade"):] if module.startswith("kfacade") else module

def get(category, name, custom_objects=None):
    """The object registered as `name` in `category`, else None.

    User objects come first: `custom_objects`, then the open scopes, then
    the global custom objects (see ``custom_objects_in_effect``).
    """
    found = custom_objects_in_effect(custom_objects).get(name)
    if found is not None:
        return found
    return _registry.get(category, {}).get(name)


def names(category):
    """The sorted names registered in `category`."""
    return sorted(_registry.get(category, {}))


# ---------------------------------------------------------------- user objects
def _scopes():
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    return _local.scopes


def custom_objects_in_effect(custom_objects=None):
    """``{name: object}``: global custom objects, overridden by the open scopes
    (innermost last), overridden by `custom_objects`."""
    merged = dict(GLOBAL_CUSTOM_OBJECTS)
    for scope in _scopes():
        merged.update(scope)
    if custom_objects:
        merged.update(custom_objects)
    return merged


class CustomObjectScope:
    """Makes custom classes and functions visible to deserialization inside a ``with``.

    Under ``with custom_object_scope({"MyLayer": MyLayer}):``, loading
    functions (``kfacade.models.load_model``, ``layers.deserialize``,
    ``Layer.from_config`` of a model) find ``MyLayer`` by name. Scopes nest
    (an inner scope adds to the outer ones) and are per thread.

    Args:
        *custom_objects: dicts ``{name: class or function}`` (None is ignored).

    Example:

    ```python
    with kfacade.saving.custom_object_scope({"my_loss": my_loss}):
        model = kfacade.models.load_model("model.h5")
    ```
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            if objects:
                self.custom_objects.update(objects)

    def __enter__(self):
        _scopes().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scopes().pop()


def get_custom_objects():
    """The live global dict of custom objects (``register_keras_serializable`` fills it).

    Scoped objects (``custom_object_scope``) are not in it. Changing the
    dict changes what deserialization finds.

    Example:

    ```python
    kfacade.saving.get_custom_objects()["MyLayer"] = MyLayer
    ```
    """
    return GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """A decorator that registers a class or function as ``"package>name"``.

    The object is then found by name when configs and saved models are
    loaded, without ``custom_objects``, and it is saved under that name.
    `name` defaults to the object's ``__name__``.

    Raises:
        ValueError: a class without ``get_config``.

    Example:

    ```python
    @kfacade.saving.register_keras_serializable(package="my_package")
    class MyDense(kfacade.layers.Dense):
        pass

    assert kfacade.saving.get_registered_name(MyDense) == "my_package>MyDense"
    ```
    """

    def decorator(obj):
        registered_name = f"{package}>{name if name is not None else obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register a class that does not have a get_config() method. "
                f"Received: {obj!r}; add get_config() returning its constructor arguments.")
        GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj):
    """The name `obj` is registered under (``"package>Name"``), else its ``__name__``."""
    try:
        return GLOBAL_CUSTOM_NAMES[obj]
    except (KeyError, TypeError):  # TypeError: an unhashable object
        return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function known as `name`, else None.

    Looked up, in order, in the open ``custom_object_scope``s, the global
    custom objects, `custom_objects`, then `module_objects` (Keras 3's order).
    """
    for scope in reversed(_scopes()):
        if name in scope:
            return scope[name]
    if name in GLOBAL_CUSTOM_OBJECTS:
        return GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


# ---------------------------------------------------------------- safe mode
_unsafe_globally = [False]


def enable_unsafe_deserialization():
    """Allows deserializing Python bytecode (lambdas) in every thread from now on."""
    _unsafe_globally[0] = True


def in_safe_mode(safe_mode=True):
    """Whether deserializing a lambda's bytecode must be refused here.

    Inside a ``SafeModeScope`` (``deserialize_keras_object`` opens one) its
    setting decides; elsewhere False after ``enable_unsafe_deserialization``,
    else `safe_mode` (a loading call's own argument). A layer that restores
    a lambda from bytecode (``Lambda``) asks ``in_safe_mode()``.
    """
    scoped = getattr(_local, "safe_mode", None)
    if scoped is not None:
        return scoped
    if _unsafe_globally[0]:
        return False
    return bool(safe_mode)


class SafeModeScope:
    """Sets safe mode for the deserialization calls inside it (None: keep the current one)."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._outer = getattr(_local, "safe_mode", None)
        if self.safe_mode is not None:
            _local.safe_mode = bool(self.safe_mode)
        return self

    def __exit__(self, *exc_info):
        _local.safe_mode = self._outer


def serialize_instance(instance):
    """``{"class_name", "config"}`` of an object: its registered name and its
    config; None for None (an unset regularizer or constraint, as Keras's
    ``serialize_keras_object(None)``)."""
    if instance is None:
        return None
    return {"class_name": get_registered_name(type(instance)), "config": instance.get_config()}


def deserialize_with(get, config, custom_objects=None):
    """``get(config)`` with `custom_objects` in scope: the ``deserialize`` of the
    activations, initializers, regularizers and constraints namespaces.
    Keras 3's ``{"class_name": "function", "config": name}`` is unwrapped first."""
    with CustomObjectScope(custom_objects):
        if isinstance(config, dict) and config.get("class_name") == "function":
            config = config["config"]
        return get(config)
