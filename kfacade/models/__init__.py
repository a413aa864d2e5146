"""Models: ``Model`` (subclassing or functional), ``Sequential``."""
from kfacade.models.model import Model
from kfacade.models.functional import Functional
from kfacade.models.sequential import Sequential

__all__ = ["Model", "Functional", "Sequential"]
