"""Finds backend adapters and loads the selected one.

Adapters register in the ``kfacade.backends`` entry-point group; the
built-in ones are declared in ``pyproject.toml`` exactly as a third-party
package would declare its own. The backend is chosen once, at import, from
``KERAS_BACKEND``, else ``$KERAS_HOME/keras.json`` (``~/.keras/keras.json``),
else "tensorflow". Nothing is written to the user's home or environment.
"""
import importlib
import importlib.util
import json
import os
from importlib import metadata

DEFAULT_BACKEND = "tensorflow"
ENTRY_POINT_GROUP = "kfacade.backends"


def keras_home():
    """The Keras configuration folder: ``$KERAS_HOME`` or ``~/.keras``."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def read_keras_json():
    """The settings in ``keras.json`` as a dict; empty when absent or unreadable."""
    path = os.path.join(keras_home(), "keras.json")
    try:
        with open(path) as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


def registered_backends():
    """{name: entry point} of every adapter installed in the entry-point group."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def installed_backends():
    """Names of registered adapters whose framework module can be imported."""
    return sorted(
        name for name in registered_backends() if importlib.util.find_spec(name) is not None
    )


def selected_backend_name():
    """The backend name from the environment, then keras.json, then the default."""
    name = os.environ.get("KERAS_BACKEND")
    if not name:
        name = read_keras_json().get("backend") or DEFAULT_BACKEND
    return name.strip().lower()


def load_backend(name):
    """Imports and returns the adapter module registered as `name`.

    Raises:
        ValueError: `name` is not a registered backend; the message lists the
            valid and the installed ones.
        ImportError: the adapter's framework is not installed; the message
            names the package to install.
    """
    adapters = registered_backends()
    if name not in adapters:
        raise ValueError(
            f"Unknown backend: KERAS_BACKEND={name!r}. Expected one of "
            f"{sorted(adapters) or ['tensorflow', 'torch', 'jax']}; installed: "
            f"{installed_backends()}. Set KERAS_BACKEND to one of those."
        )
    entry = adapters[name]
    module = importlib.import_module(entry.value.split(":")[0])
    if getattr(module, "name", None) != name:
        raise ImportError(
            f"The adapter registered as {name!r} ({entry.value}) declares name="
            f"{getattr(module, 'name', None)!r}; the two must agree."
        )
    return module
