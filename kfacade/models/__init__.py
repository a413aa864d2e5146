"""Models: ``Model`` (subclassing or functional), ``Sequential``; ``load_model``."""
from kfacade.models.model import Model
from kfacade.models.functional import Functional
from kfacade.models.sequential import Sequential
from kfacade.saving.saving_api import load_model, save_model

__all__ = ["Model", "Functional", "Sequential", "load_model", "save_model"]
