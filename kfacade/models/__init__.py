"""Models: ``Model`` (subclassing or functional), ``Sequential``; ``load_model``."""
from kfacade.engine import object_registry as _object_registry
from kfacade.models.model import Model
from kfacade.models.functional import Functional
from kfacade.models.sequential import Sequential
from kfacade.saving.saving_api import load_model, save_model

__all__ = ["Model", "Functional", "Sequential", "load_model", "save_model"]

# Model configs name these classes ("Functional", "Model", "Sequential").
_object_registry.register("layers", {"Model": Model, "Functional": Functional, "Sequential": Sequential})
