"""Models: ``Model`` (subclassing or functional), ``Sequential``; ``load_model``."""
import json as _json

from kfacade.engine import object_registry as _object_registry
from kfacade.layers.serialization import deserialize_layer as _deserialize_layer
from kfacade.models.model import Model
from kfacade.models.functional import Functional
from kfacade.models.sequential import Sequential
from kfacade.models.cloning import clone_model
from kfacade.saving.saving_api import load_model, save_model

__all__ = ["Model", "Functional", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]


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

# Model configs name these classes ("Functional", "Model", "Sequential").
_object_registry.register("layers", {"Model": Model, "Functional": Functional, "Sequential": Sequential})
