"""``kfacade.optimizers``: Keras's optimizers and learning-rate schedules.

Example:
    >>> optimizer = kfacade.optimizers.get("adam")
    >>> optimizer.apply(grads, model.trainable_weights)
"""
from kfacade.engine import object_registry as _object_registry
from kfacade.optimizers import schedules
from kfacade.optimizers.adadelta import Adadelta
from kfacade.optimizers.adafactor import Adafactor
from kfacade.optimizers.adagrad import Adagrad
from kfacade.optimizers.adam import Adam
from kfacade.optimizers.adamax import Adamax
from kfacade.optimizers.adamw import AdamW
from kfacade.optimizers.base_optimizer import Optimizer
from kfacade.optimizers.ftrl import Ftrl
from kfacade.optimizers.lamb import Lamb
from kfacade.optimizers.lion import Lion
from kfacade.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kfacade.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from kfacade.optimizers.muon import Muon
from kfacade.optimizers.nadam import Nadam
from kfacade.optimizers.rmsprop import RMSprop
from kfacade.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kfacade.optimizers.sgd import SGD

_BY_NAME = {cls.__name__.lower(): cls
            for cls in (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam,
                        Adafactor, Ftrl, Lamb, Lion, LossScaleOptimizer, Muon, ScheduleFreeAdamW,
                        MultiOptimizer)}

_object_registry.register("optimizers", _BY_NAME)

__all__ = ["Optimizer", "LossScaleOptimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Adafactor", "Ftrl", "Lamb", "Lion", "Muon", "ScheduleFreeAdamW",
           "MultiOptimizer", "OptimizerMap", "get", "serialize", "deserialize", "schedules"]


def serialize(optimizer):
    """``{"class_name", "config"}`` of an optimizer."""
    return {"class_name": _object_registry.get_registered_name(type(optimizer)),
            "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """An optimizer from ``serialize``'s output, Keras 2's or Keras 3's.

    The built-in class names match case-insensitively ("Adam", "adam");
    Keras 2.11's "Custom>" prefix is ignored.

    Raises:
        ValueError: an unknown class name, listing the known ones.
    """
    class_name = str(config.get("class_name"))
    cls = _object_registry.custom_objects_in_effect(custom_objects).get(class_name)
    if cls is None:
        cls = _BY_NAME.get(class_name.split(">")[-1].lower())
    if cls is None:
        raise ValueError(
            f"Could not interpret optimizer identifier: {class_name!r}. Expected one of "
            f"{sorted(_BY_NAME)}, or a class passed in `custom_objects`."
        )
    return cls.from_config(dict(config.get("config", {})), custom_objects=custom_objects)


def get(identifier):
    """An optimizer from a name ("adam", "SGD", ...), a config dict or an instance.

    A name gives a new optimizer with Keras's defaults; an instance is
    returned as is.

    Raises:
        ValueError: anything else, listing the known names.
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is not None:
            return cls()
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected one of "
        f"{sorted(_BY_NAME)}, a config dict or an Optimizer instance."
    )
