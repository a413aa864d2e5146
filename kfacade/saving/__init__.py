"""Saving: whole models and weights in Keras 2's HDF5 layout, written atomically.

Example:
    >>> from kfacade.saving import save_weights_to_h5, load_weights_from_h5
    >>> save_weights_to_h5(model, "model.weights.h5")
    >>> load_weights_from_h5(other_model, "model.weights.h5")
    >>> save_model(model, "model.h5"); restored = load_model("model.h5")
"""
from kfacade.saving.h5_weights import WeightsIOMixin, load_weights_from_h5, save_weights_to_h5
from kfacade.saving.saving_api import load_model, save_model

__all__ = ["WeightsIOMixin", "load_weights_from_h5", "save_weights_to_h5", "load_model",
           "save_model"]
