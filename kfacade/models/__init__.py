"""Models: ``Model`` (subclassing or functional), ``Sequential``; ``load_model``,
``clone_model`` and the JSON/config round trip (``model_from_json``, ``model_from_config``)."""
import json as _json

from kfacade.engine import object_registry as _object_registry
from kfacade.layers.serialization import deserialize_layer as _deserialize_layer
from kfacade.models.model import Model
from kfacade.models.functional import Functional
from kfacade.models.sequential import Sequential
from kfacade.models.cloning import clone_model
from kfacade.saving.saving_api import load_model, save_model

__all__ = ["Model", "Functional", "Sequential", "clone_model", "load_model", "model_from_config",
           "model_from_json", "save_model"]


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from ``Model.to_json()``'s string.

    Args:
        json_string: the JSON of ``{"class_name", "config"}``.
        custom_objects: ``{name: class or function}`` for custom layers.

    Example:
        >>> clone = kfacade.models.model_from_json(model.to_json())
    """
    with _object_registry.CustomObjectScope(custom_objects):
        return _deserialize_layer(_json.loads(json_string), custom_objects)


def model_from_config(config, custom_objects=None):
    """Keras 2's ``keras.models.model_from_config``: a new model (fresh weights)
    from ``{"class_name", "config"}`` (``json.loads(model.to_json())``).

    Args:
        config: the serialized model, as ``Model.to_json`` writes it.
        custom_objects: ``{name: class or function}`` for custom layers.

    Raises:
        TypeError: `config` is a list (a Sequential's bare layer list needs
            its ``{"class_name": "Sequential", "config": ...}`` wrapper).

    Example:
        >>> clone = kfacade.models.model_from_config(json.loads(model.to_json()))
    """
    if isinstance(config, list):
        raise TypeError(
            "`model_from_config` expects a model config dictionary "
            "({'class_name': ..., 'config': ...}), not a list. Maybe you meant "
            "`kfacade.Sequential.from_config(config)`?")
    with _object_registry.CustomObjectScope(custom_objects):
        return _deserialize_layer(config, custom_objects)

# Model configs name these classes ("Functional", "Model", "Sequential").
_object_registry.register("layers", {"Model": Model, "Functional": Functional, "Sequential": Sequential})
