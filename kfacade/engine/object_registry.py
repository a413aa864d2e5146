"""Classes and functions found by name: where a config's ``class_name`` is looked up.

Each public namespace registers what it exports (``kfacade.layers`` its layer
classes, ``kfacade.models`` the model classes, ``kfacade.losses`` and
``kfacade.metrics`` their functions by name) when it is imported, and lower
modules look names up here instead of importing the namespace above them.
A package's ``__init__`` runs before any of its modules, so a name is
registered before anything in its package can ask for it.
"""
_registry = {}  # category -> {name: class or function}


def register(category, objects):
    """Registers ``{name: object}`` under `category` ("layers", "losses", ...)."""
    _registry.setdefault(category, {}).update(objects)


def get(category, name, custom_objects=None):
    """The object registered as `name` in `category` (`custom_objects` first), else None."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _registry.get(category, {}).get(name)


def names(category):
    """The sorted names registered in `category`."""
    return sorted(_registry.get(category, {}))
