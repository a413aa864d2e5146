"""Models: ``Model`` (subclassing or functional), ``Sequential``; ``load_model``."""
import json as _json

from kfacade.engine import object_registry as _object_registry
from kfacade.models.model import Model
from kfacade.models.functional import Functional
from kfacade.models.sequential import Sequential
from kfacade.models.cloning import clone_model
from kfacade.saving.config_compat import model_from_keras_config as _model_from_keras_config
from kfacade.saving.saving_api import load_model, save_model

__all__ = ["Model", "Functional", "Sequential", "clone_model", "load_model", "model_from_config",
           "model_from_json", "save_model"]


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from ``Model.to_json()``'s string, or the JSON
    of Keras 1/2 or Keras 3 (see ``kfacade.saving.config_compat``).

    Args:
        json_string: the JSON of ``{"class_name", "config"}``.
        custom_objects: ``{name: class or function}`` for custom layers.

    Example:
        >>> clone = kfacade.models.model_from_json(model.to_json())
    """
    return _model_from_keras_config(_json.loads(json_string), custom_objects)


def model_from_config(config, custom_objects=None):
    """Keras 2's ``model_from_config``: a new model from ``{"class_name", "config"}``
    of any Keras era (see ``kfacade.saving.config_compat``).

    Example:
        >>> clone = kfacade.models.model_from_config(
        ...     {"class_name": "Sequential", "config": model.get_config()})
    """
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Received: "
                        f"config={config!r}. Did you mean `Sequential.from_config(config)`?")
    return _model_from_keras_config(config, custom_objects)

# Model configs name these classes ("Functional", "Model", "Sequential").
_object_registry.register("layers", {"Model": Model, "Functional": Functional, "Sequential": Sequential})
