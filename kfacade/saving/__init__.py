"""`keras.saving`: whole models (Keras 3's ".keras" zip, Keras 2's ".h5") and weights
(Keras 3's ".weights.h5" layout, Keras 2's HDF5 layout), written atomically; the
registry of custom objects, and Keras 3's config dicts.

Example:
    >>> save_weights(model, "model.weights.h5")  # Keras 3's layout
    >>> load_weights(other_model, "model.weights.h5")  # either layout, read from the file
    >>> save_model(model, "model.keras"); restored = load_model("model.keras")
    >>> @register_keras_serializable(package="my_package")
    ... def my_loss(y_true, y_pred): ...
"""
from kfacade.engine import object_registry as _object_registry
from kfacade.engine.object_registry import (CustomObjectScope, get_custom_objects,
                                            get_registered_name, get_registered_object,
                                            register_keras_serializable)
from kfacade.saving.file_editor import KerasFileEditor
from kfacade.saving.h5_weights import load_weights_from_h5, save_weights_to_h5
from kfacade.saving.saving_api import (WeightsIOMixin, load_model, load_weights, save_model,
                                       save_weights)
from kfacade.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

custom_object_scope = CustomObjectScope

# Found by lower floors that save themselves (FeatureSpace.save).
_object_registry.register("saving", {"save_model": save_model})

__all__ = ["CustomObjectScope", "KerasFileEditor", "WeightsIOMixin", "custom_object_scope",
           "deserialize_keras_object", "get_custom_objects", "get_registered_name",
           "get_registered_object", "load_model", "load_weights", "load_weights_from_h5",
           "register_keras_serializable", "save_model", "save_weights", "save_weights_to_h5",
           "serialize_keras_object"]
